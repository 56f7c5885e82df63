/* Scalar formulas shared by the CPU and CUDA kernels (compiled as host code by the C compiler and
 * as device code by nvcc), so both backends compute exactly the same functions. */
#ifndef FLOWSEQ_BACKEND_KERNEL_MATH_H
#define FLOWSEQ_BACKEND_KERNEL_MATH_H

#include <math.h>

#include "backend/backend.h"
#include "core/philox.h" /* FS_HD */

FS_HD float fs_apply_binary(fs_binop op, float a, float b) {
  switch (op) {
    case FS_BIN_ADD: return a + b;
    case FS_BIN_SUB: return a - b;
    case FS_BIN_MUL: return a * b;
    case FS_BIN_DIV: return a / b;
  }
  return 0.0f;
}

FS_HD float fs_apply_unary(fs_unop op, float x, float alpha) {
  switch (op) {
    case FS_UN_RELU: return x > 0.0f ? x : 0.0f;
    case FS_UN_ELU: return x > 0.0f ? x : expm1f(x);
    case FS_UN_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case FS_UN_EXP: return expf(x);
    case FS_UN_LOG: return logf(x);
    case FS_UN_SOFTPLUS: return x > 20.0f ? x : log1pf(expf(x)); /* exact to f32 above 20 */
    case FS_UN_SQRT: return sqrtf(x);
    case FS_UN_SQUARE: return x * x;
    case FS_UN_SCALE: return alpha * x;
    case FS_UN_ADD_CONST: return x + alpha;
  }
  return 0.0f;
}

/* d f(x) / dx written with whichever of x or y = f(x) is cheaper or more accurate. */
FS_HD float fs_unary_derivative(fs_unop op, float x, float y, float alpha) {
  switch (op) {
    case FS_UN_RELU: return x > 0.0f ? 1.0f : 0.0f;
    case FS_UN_ELU: return x > 0.0f ? 1.0f : y + 1.0f;
    case FS_UN_SIGMOID: return y * (1.0f - y);
    case FS_UN_EXP: return y;
    case FS_UN_LOG: return 1.0f / x;
    case FS_UN_SOFTPLUS: return 1.0f / (1.0f + expf(-x));
    case FS_UN_SQRT: return 0.5f / y;
    case FS_UN_SQUARE: return 2.0f * x;
    case FS_UN_SCALE: return alpha;
    case FS_UN_ADD_CONST: return 1.0f;
  }
  return 0.0f;
}

/* One AdamW + AMSGrad element update (backend.h `adamw`). */
FS_HD void fs_adamw_element(float *p, float g, float *m, float *u, float *umax, float lr, float beta1, float beta2,
                            float eps, float weight_decay, float step_size) {
  *m = beta1 * *m + (1.0f - beta1) * g;
  *u = beta2 * *u + (1.0f - beta2) * g * g;
  if (*u > *umax) *umax = *u;
  *p -= lr * weight_decay * *p;
  *p -= step_size * *m / (sqrtf(*umax) + eps);
}

/* Label-smoothed cross-entropy of one row given its log-sum-exp, the sum of its logits and the
 * target's logit (backend.h `cross_entropy`). */
FS_HD float fs_smoothed_nll(double lse, double sum_logits, float target_logit, int vocab, float eps) {
  double nll = lse - target_logit, smooth = (vocab * lse - sum_logits) / vocab;
  return (float)((1.0 - eps) * nll + eps * smooth);
}

#endif
