/* Optimizer kernels: the squared norm for clipping and the fused AdamW + AMSGrad update. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"

double cpu_sum_squares(int64_t n, const float *x) {
  double sum = 0.0;
#pragma omp parallel for reduction(+ : sum) schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; i++) sum += (double)x[i] * x[i];
  return sum;
}

void cpu_adamw(int64_t n, float *p, const float *g, float *m, float *u, float *umax, float grad_scale, float lr,
               float beta1, float beta2, float eps, float weight_decay, float step_size) {
#pragma omp parallel for schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; i++) {
    float gi = grad_scale * g[i];
    m[i] = beta1 * m[i] + (1.0f - beta1) * gi;
    u[i] = beta2 * u[i] + (1.0f - beta2) * gi * gi;
    if (u[i] > umax[i]) umax[i] = u[i];
    p[i] -= lr * weight_decay * p[i];
    p[i] -= step_size * m[i] / (sqrtf(umax[i]) + eps);
  }
}
