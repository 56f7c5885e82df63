/* Layer normalisation over the last axis, with learnable gain and bias.
 *
 * Every reduction is written so that it vectorises: a row's sums in 8 fixed double lanes
 * (kernel_math.h's fs_sum_lanes pattern; the order, so the result, does not depend on the vector
 * width), and the parameter gradients' column sums over blocks of 64 columns, walking the rows
 * in order and adding a row's block of columns at once. A running double scalar in each of these
 * loops kept all of them scalar (layer norm was 7 % of a main-phase step). */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/kernel_math.h"

enum { LANES = 8, COLUMN_BLOCK = 64 };

/* sum_j (x[j] - mu)^2 in 8 double lanes */
static inline double sum_squared_deviations(int n, const float *x, double mu) {
  double lane[LANES] = {0}, sum = 0.0;
  int j = 0;
  for (; j + LANES <= n; j += LANES)
    for (int l = 0; l < LANES; l++) lane[l] += (x[j + l] - mu) * (x[j + l] - mu);
  for (; j < n; j++) sum += (x[j] - mu) * (x[j] - mu);
  for (int l = 0; l < LANES; l++) sum += lane[l];
  return sum;
}

CPU_CLONES static void normalise_row(int cols, float eps, const float *xr, const float *gamma, const float *beta,
                                     float *yr, float *mean, float *rstd) {
  double mu = fs_sum_lanes(cols, xr) / cols;
  float rs = (float)(1.0 / sqrt(sum_squared_deviations(cols, xr, mu) / cols + eps));
  for (int j = 0; j < cols; j++) yr[j] = ((float)(xr[j] - mu)) * rs * gamma[j] + beta[j];
  *mean = (float)mu;
  *rstd = rs;
}

void cpu_layernorm(int64_t rows, int cols, float eps, const float *x, const float *gamma, const float *beta, float *y,
                   float *mean, float *rstd) {
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
  for (int64_t r = 0; r < rows; r++)
    normalise_row(cols, eps, x + r * cols, gamma, beta, y + r * cols, mean + r, rstd + r);
}

/* dx of one row: with xhat = (x - mean) * rstd and g = dy * gamma,
 *   dx (+)= rstd * (g - mean(g) - xhat * mean(g * xhat)). */
CPU_CLONES static void input_grad_row(int cols, const float *xr, const float *gamma, float mean, float rstd,
                                      const float *dyr, float *dxr, bool accumulate) {
  double lane_g[LANES] = {0}, lane_gx[LANES] = {0}, mg = 0.0, mgx = 0.0;
  int j = 0;
  for (; j + LANES <= cols; j += LANES)
    for (int l = 0; l < LANES; l++) {
      float xhat = (xr[j + l] - mean) * rstd, g = dyr[j + l] * gamma[j + l];
      lane_g[l] += g;
      lane_gx[l] += g * xhat;
    }
  for (; j < cols; j++) {
    float xhat = (xr[j] - mean) * rstd, g = dyr[j] * gamma[j];
    mg += g;
    mgx += g * xhat;
  }
  for (int l = 0; l < LANES; l++) mg += lane_g[l], mgx += lane_gx[l];
  mg /= cols;
  mgx /= cols;
  for (j = 0; j < cols; j++) {
    float xhat = (xr[j] - mean) * rstd;
    dxr[j] = (accumulate ? dxr[j] : 0.0f) + rstd * (dyr[j] * gamma[j] - (float)mg - xhat * (float)mgx);
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
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
  for (int64_t r = 0; r < rows; r++)
    input_grad_row(cols, x + r * cols, gamma, mean[r], rstd[r], dy + r * cols, dx + r * cols, accumulate);
  int blocks = (cols + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
  for (int k = 0; k < blocks; k++) {
    int lo = k * COLUMN_BLOCK, n = cols - lo < COLUMN_BLOCK ? cols - lo : COLUMN_BLOCK;
    param_grads_block(rows, cols, lo, n, x, mean, rstd, dy, dgamma, dbeta);
  }
}
