/* Layer normalisation over the last axis, with learnable gain and bias.
 *
 * Every reduction is written so that it vectorises: a row's sums in 8 fixed double lanes
 * (kernel_math.h's fs_sum_lanes pattern; the order, so the result, does not depend on the vector
 * width), and the parameter gradients' column sums over blocks of 64 columns, walking the rows
 * in order and adding a row's block of columns at once. A running double scalar in each of these
 * loops kept all of them scalar (layer norm was 7 % of a main-phase step). Rows are then taken
 * a few at a time, their sums side by side: a row's sums are a chain of dependent additions
 * followed by a division, which alone kept the core waiting (160 ns a 128-wide row forward, 2.3x
 * faster four at a time; backward 1.6x two at a time, where four ran out of registers). */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/kernel_math.h"

enum { LANES = 8, COLUMN_BLOCK = 64 };

/* Mean and 1/std of `R` rows of x (ld floats apart), side by side: each row's sums are those of
 * fs_sum_lanes (8 double lanes, then the tail, then the lanes in order), so the result is the
 * same for any R, but the rows' chains of dependent additions interleave and overlap in the
 * pipeline. */
static inline __attribute__((always_inline)) void row_stats(int R, int n, const float *x, int64_t ld, float eps,
                                                            double *mu, float *rs) {
  double lane[4][LANES] = {{0}}, sum[4] = {0};
  int tail = n - n % LANES;
  for (int j = 0; j < tail; j += LANES)
    for (int r = 0; r < R; r++)
      for (int l = 0; l < LANES; l++) lane[r][l] += x[r * ld + j + l];
  for (int r = 0; r < R; r++) {
    for (int j = tail; j < n; j++) sum[r] += x[r * ld + j];
    for (int l = 0; l < LANES; l++) sum[r] += lane[r][l], lane[r][l] = 0.0;
    mu[r] = sum[r] / n;
    sum[r] = 0.0;
  }
  for (int j = 0; j < tail; j += LANES)
    for (int r = 0; r < R; r++)
      for (int l = 0; l < LANES; l++) lane[r][l] += (x[r * ld + j + l] - mu[r]) * (x[r * ld + j + l] - mu[r]);
  for (int r = 0; r < R; r++) {
    for (int j = tail; j < n; j++) sum[r] += (x[r * ld + j] - mu[r]) * (x[r * ld + j] - mu[r]);
    for (int l = 0; l < LANES; l++) sum[r] += lane[r][l];
    rs[r] = (float)(1.0 / sqrt(sum[r] / n + eps));
  }
}

/* rows [lo, hi), four at a time */
CPU_CLONES static void normalise_rows(int64_t lo, int64_t hi, int cols, float eps, const float *x, const float *gamma,
                                      const float *beta, float *y, float *mean, float *rstd) {
  for (int64_t r0 = lo; r0 < hi; r0 += 4) {
    int R = hi - r0 < 4 ? (int)(hi - r0) : 4;
    double mu[4];
    float rs[4];
    if (R == 4) row_stats(4, cols, x + r0 * cols, cols, eps, mu, rs);
    else row_stats(R, cols, x + r0 * cols, cols, eps, mu, rs);
    for (int r = 0; r < R; r++) {
      const float *xr = x + (r0 + r) * cols;
      float *yr = y + (r0 + r) * cols;
      for (int j = 0; j < cols; j++) yr[j] = ((float)(xr[j] - mu[r])) * rs[r] * gamma[j] + beta[j];
      mean[r0 + r] = (float)mu[r];
      rstd[r0 + r] = rs[r];
    }
  }
}

void cpu_layernorm(int64_t rows, int cols, float eps, const float *x, const float *gamma, const float *beta, float *y,
                   float *mean, float *rstd) {
#pragma omp parallel if (rows * cols > 32768)
  {
    int64_t lo, hi;
    cpu_thread_range(rows, &lo, &hi);
    normalise_rows(lo, hi, cols, eps, x, gamma, beta, y, mean, rstd);
  }
}

/* dx of R consecutive rows (R <= 2; x, dy, dx at the first): with xhat = (x - mean) * rstd and
 * g = dy * gamma,  dx (+)= rstd * (g - mean(g) - xhat * mean(g * xhat)),
 * the two means of the R rows side by side, as row_stats. */
static inline __attribute__((always_inline)) void input_grad_group(int R, int cols, const float *x, const float *gamma,
                                                                   const float *mean, const float *rstd,
                                                                   const float *dy, float *dx, bool accumulate) {
  int tail = cols - cols % LANES;
  double lane_g[2][LANES] = {{0}}, lane_gx[2][LANES] = {{0}}, mg[2] = {0}, mgx[2] = {0};
  for (int j = 0; j < tail; j += LANES)
    for (int r = 0; r < R; r++)
      for (int l = 0; l < LANES; l++) {
        float xhat = (x[r * cols + j + l] - mean[r]) * rstd[r], g = dy[r * cols + j + l] * gamma[j + l];
        lane_g[r][l] += g;
        lane_gx[r][l] += g * xhat;
      }
  for (int r = 0; r < R; r++) {
    const float *xr = x + r * cols, *dyr = dy + r * cols;
    for (int j = tail; j < cols; j++) {
      float xhat = (xr[j] - mean[r]) * rstd[r], g = dyr[j] * gamma[j];
      mg[r] += g;
      mgx[r] += g * xhat;
    }
    for (int l = 0; l < LANES; l++) mg[r] += lane_g[r][l], mgx[r] += lane_gx[r][l];
    float m = mean[r], rs = rstd[r], mgf = (float)(mg[r] / cols), mgxf = (float)(mgx[r] / cols);
    float *dxr = dx + r * cols;
    for (int j = 0; j < cols; j++) {
      float xhat = (xr[j] - m) * rs;
      dxr[j] = (accumulate ? dxr[j] : 0.0f) + rs * (dyr[j] * gamma[j] - mgf - xhat * mgxf);
    }
  }
}

/* rows [lo, hi), two at a time */
CPU_CLONES static void input_grad_rows(int64_t lo, int64_t hi, int cols, const float *x, const float *gamma,
                                       const float *mean, const float *rstd, const float *dy, float *dx,
                                       bool accumulate) {
  for (int64_t r0 = lo; r0 < hi; r0 += 2) {
    int64_t at = r0 * cols;
    if (hi - r0 >= 2) input_grad_group(2, cols, x + at, gamma, mean + r0, rstd + r0, dy + at, dx + at, accumulate);
    else input_grad_group(1, cols, x + at, gamma, mean + r0, rstd + r0, dy + at, dx + at, accumulate);
  }
}

/* dgamma += sum_rows dy * xhat and dbeta += sum_rows dy over columns [lo, lo + n), n <= 64, each
 * column's sum in row order. */
CPU_CLONES static void param_grads_block(int64_t rows, int cols, int lo, int n, const float *x, const float *mean,
                                         const float *rstd, const float *dy, float *dgamma, float *dbeta) {
  double dg[COLUMN_BLOCK] = {0}, db[COLUMN_BLOCK] = {0};
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols + lo, *dyr = dy + r * cols + lo;
    float m = mean[r], rs = rstd[r];
    for (int j = 0; j < n; j++) {
      dg[j] += dyr[j] * (xr[j] - m) * rs;
      db[j] += dyr[j];
    }
  }
  for (int j = 0; j < n; j++) {
    dgamma[lo + j] += (float)dg[j];
    dbeta[lo + j] += (float)db[j];
  }
}

/* The parameter gradients are reduced block of columns by block so the threads never share an
 * output. */
void cpu_layernorm_backward(int64_t rows, int cols, const float *x, const float *gamma, const float *mean,
                            const float *rstd, const float *dy, float *dx, float *dgamma, float *dbeta,
                            bool accumulate) {
#pragma omp parallel if (rows * cols > 32768)
  {
    int64_t lo, hi;
    cpu_thread_range(rows, &lo, &hi);
    input_grad_rows(lo, hi, cols, x, gamma, mean, rstd, dy, dx, accumulate);
  }
  int blocks = (cols + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
  for (int k = 0; k < blocks; k++) {
    int lo = k * COLUMN_BLOCK, n = cols - lo < COLUMN_BLOCK ? cols - lo : COLUMN_BLOCK;
    param_grads_block(rows, cols, lo, n, x, mean, rstd, dy, dgamma, dbeta);
  }
}
