/* Elementwise kernels: broadcasting binary ops and the unary activations with their derivatives.
 *
 * Each loop is written once per op with the op a literal, so the shared formula
 * (kernel_math.h) inlines to straight-line code and the loop vectorises; a switch per element
 * kept them scalar (a third of a training step). The loops live in CPU_CLONES functions that
 * each thread calls once for its block of rows or elements. */
#include <omp.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/kernel_math.h"

void cpu_thread_range(int64_t n, int64_t *lo, int64_t *hi) {
  int64_t threads = omp_get_num_threads(), id = omp_get_thread_num();
  *lo = n * id / threads;
  *hi = n * (id + 1) / threads;
}

/* Parallel only when the work pays for waking the other threads. */
#define PARALLEL_ABOVE 32768

/* ---- binary ---- */

/* Rows [lo, hi) of the 4-d index space flattened to outer x inner, with literal op and
 * innermost strides, so every combination is its own vectorised loop. */
#define BINARY_ROWS(OP, SA, SB)                                                                       \
  for (int64_t o = lo; o < hi; o++) {                                                                 \
    int64_t i0 = o / ((int64_t)shape[1] * shape[2]), i1 = o / shape[2] % shape[1], i2 = o % shape[2]; \
    const float *pa = a + i0 * a_str[0] + i1 * a_str[1] + i2 * a_str[2];                              \
    const float *pb = b + i0 * b_str[0] + i1 * b_str[1] + i2 * b_str[2];                              \
    float *po = out + o * inner;                                                                      \
    for (int i = 0; i < inner; i++) po[i] = fs_apply_binary(OP, pa[i * (SA)], pb[i * (SB)]);          \
  }

#define BINARY_STRIDES(OP)                           \
  if (sa == 1 && sb == 1) BINARY_ROWS(OP, 1, 1)      \
  else if (sa == 1 && sb == 0) BINARY_ROWS(OP, 1, 0) \
  else if (sa == 0 && sb == 1) BINARY_ROWS(OP, 0, 1) \
  else BINARY_ROWS(OP, sa, sb)                       \
  break;

CPU_CLONES static void binary_rows(fs_binop op, int64_t lo, int64_t hi, const int shape[4], float *out, const float *a,
                                   const int64_t a_str[4], const float *b, const int64_t b_str[4]) {
  int inner = shape[3];
  int64_t sa = a_str[3], sb = b_str[3];
  switch (op) {
    case FS_BIN_ADD:
      BINARY_STRIDES(FS_BIN_ADD)
    case FS_BIN_SUB:
      BINARY_STRIDES(FS_BIN_SUB)
    case FS_BIN_MUL:
      BINARY_STRIDES(FS_BIN_MUL)
    case FS_BIN_DIV:
      BINARY_STRIDES(FS_BIN_DIV)
  }
}

void cpu_binary(fs_binop op, const int shape[4], float *out, const float *a, const int64_t a_str[4], const float *b,
                const int64_t b_str[4]) {
  int64_t outer = (int64_t)shape[0] * shape[1] * shape[2];
#pragma omp parallel if (outer * shape[3] > PARALLEL_ABOVE)
  {
    int64_t lo, hi;
    cpu_thread_range(outer, &lo, &hi);
    binary_rows(op, lo, hi, shape, out, a, a_str, b, b_str);
  }
}

/* ---- unary ---- */

#define UNARY_CASE(OP)                                                        \
  case OP:                                                                    \
    for (int64_t i = lo; i < hi; i++) y[i] = fs_apply_unary(OP, x[i], alpha); \
    break;

CPU_CLONES static void unary_range(fs_unop op, int64_t lo, int64_t hi, float alpha, const float *x, float *y) {
  switch (op) {
    UNARY_CASE(FS_UN_RELU)
    UNARY_CASE(FS_UN_ELU)
    UNARY_CASE(FS_UN_SIGMOID)
    UNARY_CASE(FS_UN_EXP)
    UNARY_CASE(FS_UN_LOG)
    UNARY_CASE(FS_UN_SOFTPLUS)
    UNARY_CASE(FS_UN_SQRT)
    UNARY_CASE(FS_UN_SQUARE)
    UNARY_CASE(FS_UN_SCALE)
    UNARY_CASE(FS_UN_ADD_CONST)
  }
}

void cpu_unary(fs_unop op, int64_t n, float alpha, const float *x, float *y) {
#pragma omp parallel if (n > PARALLEL_ABOVE)
  {
    int64_t lo, hi;
    cpu_thread_range(n, &lo, &hi);
    unary_range(op, lo, hi, alpha, x, y);
  }
}

#define DERIVATIVE_CASE(OP)                                                                     \
  case OP:                                                                                      \
    for (int64_t i = lo; i < hi; i++)                                                           \
      dx[i] = (accumulate ? dx[i] : 0.0f) + dy[i] * fs_unary_derivative(OP, x[i], y[i], alpha); \
    break;

CPU_CLONES static void unary_backward_range(fs_unop op, int64_t lo, int64_t hi, float alpha, const float *x,
                                            const float *y, const float *dy, float *dx, bool accumulate) {
  switch (op) {
    DERIVATIVE_CASE(FS_UN_RELU)
    DERIVATIVE_CASE(FS_UN_ELU)
    DERIVATIVE_CASE(FS_UN_SIGMOID)
    DERIVATIVE_CASE(FS_UN_EXP)
    DERIVATIVE_CASE(FS_UN_LOG)
    DERIVATIVE_CASE(FS_UN_SOFTPLUS)
    DERIVATIVE_CASE(FS_UN_SQRT)
    DERIVATIVE_CASE(FS_UN_SQUARE)
    DERIVATIVE_CASE(FS_UN_SCALE)
    DERIVATIVE_CASE(FS_UN_ADD_CONST)
  }
}

void cpu_unary_backward(fs_unop op, int64_t n, float alpha, const float *x, const float *y, const float *dy, float *dx,
                        bool accumulate) {
#pragma omp parallel if (n > PARALLEL_ABOVE)
  {
    int64_t lo, hi;
    cpu_thread_range(n, &lo, &hi);
    unary_backward_range(op, lo, hi, alpha, x, y, dy, dx, accumulate);
  }
}
