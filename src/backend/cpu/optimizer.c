/* Optimizer kernels: the squared norm for clipping and the fused AdamW + AMSGrad update. */
#include "backend/cpu/cpu_kernels.h"
#include "backend/kernel_math.h"

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
    fs_adamw_element(&p[i], grad_scale * g[i], &m[i], &u[i], &umax[i], lr, beta1, beta2, eps, weight_decay, step_size);
  }
}
