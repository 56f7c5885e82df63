/* Elementwise kernels: broadcasting binary ops and the unary activations with their derivatives. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"

static inline float apply_binary(fs_binop op, float a, float b) {
  switch (op) {
    case FS_BIN_ADD: return a + b;
    case FS_BIN_SUB: return a - b;
    case FS_BIN_MUL: return a * b;
    case FS_BIN_DIV: return a / b;
  }
  return 0.0f;
}

void cpu_binary(fs_binop op, const int shape[4], float *out, const float *a, const int64_t a_str[4],
                const float *b, const int64_t b_str[4]) {
  int64_t outer = (int64_t)shape[0] * shape[1] * shape[2];
  int inner = shape[3];
#pragma omp parallel for schedule(static) if (outer * inner > 32768)
  for (int64_t o = 0; o < outer; o++) {
    int i0 = (int)(o / ((int64_t)shape[1] * shape[2])), i1 = (int)(o / shape[2] % shape[1]),
        i2 = (int)(o % shape[2]);
    const float *pa = a + i0 * a_str[0] + i1 * a_str[1] + i2 * a_str[2];
    const float *pb = b + i0 * b_str[0] + i1 * b_str[1] + i2 * b_str[2];
    float *po = out + o * inner;
    for (int i = 0; i < inner; i++) po[i] = apply_binary(op, pa[i * a_str[3]], pb[i * b_str[3]]);
  }
}

static inline float apply_unary(fs_unop op, float x, float alpha) {
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
static inline float unary_derivative(fs_unop op, float x, float y, float alpha) {
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

void cpu_unary(fs_unop op, int64_t n, float alpha, const float *x, float *y) {
#pragma omp parallel for schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; i++) y[i] = apply_unary(op, x[i], alpha);
}

void cpu_unary_backward(fs_unop op, int64_t n, float alpha, const float *x, const float *y,
                        const float *dy, float *dx) {
#pragma omp parallel for schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * unary_derivative(op, x[i], y[i], alpha);
}
