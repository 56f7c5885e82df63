/* Layer normalisation over the last axis, with learnable gain and bias. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"

void cpu_layernorm(int64_t rows, int cols, float eps, const float *x, const float *gamma, const float *beta, float *y,
                   float *mean, float *rstd) {
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    double s = 0.0, ss = 0.0;
    for (int j = 0; j < cols; j++) s += xr[j];
    double mu = s / cols;
    for (int j = 0; j < cols; j++) ss += (xr[j] - mu) * (xr[j] - mu);
    float rs = (float)(1.0 / sqrt(ss / cols + eps));
    for (int j = 0; j < cols; j++) y[r * cols + j] = ((float)(xr[j] - mu)) * rs * gamma[j] + beta[j];
    mean[r] = (float)mu;
    rstd[r] = rs;
  }
}

/* With xhat = (x - mean) * rstd and g = dy * gamma:
 *   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  dgamma += sum_rows dy * xhat,
 *   dbeta += sum_rows dy.
 * The parameter gradients are reduced column by column so the threads never share an output. */
void cpu_layernorm_backward(int64_t rows, int cols, const float *x, const float *gamma, const float *mean,
                            const float *rstd, const float *dy, float *dx, float *dgamma, float *dbeta) {
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols, *dyr = dy + r * cols;
    double mg = 0.0, mgx = 0.0;
    for (int j = 0; j < cols; j++) {
      float xhat = (xr[j] - mean[r]) * rstd[r];
      float g = dyr[j] * gamma[j];
      mg += g;
      mgx += g * xhat;
    }
    mg /= cols;
    mgx /= cols;
    for (int j = 0; j < cols; j++) {
      float xhat = (xr[j] - mean[r]) * rstd[r];
      dx[r * cols + j] += rstd[r] * (dyr[j] * gamma[j] - (float)mg - xhat * (float)mgx);
    }
  }
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
  for (int j = 0; j < cols; j++) {
    double dg = 0.0, db = 0.0;
    for (int64_t r = 0; r < rows; r++) {
      float d = dy[r * cols + j];
      dg += d * (x[r * cols + j] - mean[r]) * rstd[r];
      db += d;
    }
    dgamma[j] += (float)dg;
    dbeta[j] += (float)db;
  }
}
