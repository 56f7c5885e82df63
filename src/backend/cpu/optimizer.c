/* Optimizer kernels: the squared norm for clipping and the fused AdamW + AMSGrad update.
 * Both stream the whole parameter block once per update, so they run at memory speed only when
 * they vectorise: the squares are summed in fixed double lanes, and the update loop takes
 * restrict arrays with AMSGrad's branch hoisted out of it (with a scalar loop they took 7 % of a
 * main-phase step). */
#include "backend/cpu/cpu_kernels.h"
#include "backend/kernel_math.h"

enum { CHUNK = 1 << 16 }; /* elements per thread task: large enough to amortise, small enough to balance */

/* sum of x[i]^2 over one chunk, in double lanes (kernel_math.h), compiled per CPU */
CPU_CLONES static double chunk_sum_squares(int n, const float *x) { return fs_dot_lanes(n, x, x); }

double cpu_sum_squares(int64_t n, const float *x) {
  int64_t chunks = (n + CHUNK - 1) / CHUNK;
  double sum = 0.0;
  /* chunk sums added in chunk order: the result does not depend on the number of threads */
#pragma omp parallel for ordered schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; c++) {
    int64_t lo = c * CHUNK, len = n - lo < CHUNK ? n - lo : CHUNK;
    double part = chunk_sum_squares((int)len, x + lo);
#pragma omp ordered
    sum += part;
  }
  return sum;
}

CPU_CLONES static void chunk_adamw(int64_t n, float *restrict p, const float *restrict g, float *restrict m,
                                   float *restrict u, float *restrict umax, float grad_scale, float lr, float beta1,
                                   float beta2, float eps, float weight_decay, float step_size) {
  if (umax)
    for (int64_t i = 0; i < n; i++)
      p[i] = fs_adamw_element(p[i], grad_scale * g[i], &m[i], &u[i], &umax[i], lr, beta1, beta2, eps, weight_decay,
                              step_size);
  else
    for (int64_t i = 0; i < n; i++)
      p[i] =
          fs_adamw_element(p[i], grad_scale * g[i], &m[i], &u[i], NULL, lr, beta1, beta2, eps, weight_decay, step_size);
}

void cpu_adamw(int64_t n, float *p, const float *g, float *m, float *u, float *umax, float grad_scale, float lr,
               float beta1, float beta2, float eps, float weight_decay, float step_size) {
  int64_t chunks = (n + CHUNK - 1) / CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; c++) {
    int64_t lo = c * CHUNK, len = n - lo < CHUNK ? n - lo : CHUNK;
    chunk_adamw(len, p + lo, g + lo, m + lo, u + lo, umax ? umax + lo : NULL, grad_scale, lr, beta1, beta2, eps,
                weight_decay, step_size);
  }
}
