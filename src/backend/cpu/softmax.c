/* Row-wise (masked) softmax and log-softmax with their backward passes. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/kernel_math.h"

/* Shared forward: writes softmax (want_log = false) or log-softmax of row x into y. Masked
 * entries get 0 (softmax) or -inf (log-softmax); a fully masked row gets all 0. The exp is
 * kernel_math.h's fs_expf and the sums are simd reductions, so rows vectorise. */
CPU_CLONES static void softmax_row(int cols, const float *x, const float *m, float *y, bool want_log) {
  float max = -INFINITY;
  for (int j = 0; j < cols; j++)
    if ((!m || m[j] != 0.0f) && x[j] > max) max = x[j];
  if (max == -INFINITY) {
    for (int j = 0; j < cols; j++) y[j] = 0.0f;
    return;
  }
  /* one exp per element: y holds the unnormalised weights until the sum is known */
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (int j = 0; j < cols; j++) {
    y[j] = !m || m[j] != 0.0f ? fs_expf(x[j] - max) : 0.0f;
    sum += y[j];
  }
  if (want_log) {
    float log_sum = (float)log(sum);
    for (int j = 0; j < cols; j++) y[j] = !m || m[j] != 0.0f ? x[j] - max - log_sum : -INFINITY;
  } else {
    float inv = (float)(1.0 / sum);
    for (int j = 0; j < cols; j++) y[j] *= inv;
  }
}

static void softmax_rows(int64_t rows, int cols, const float *x, const float *mask, int64_t mask_group, float *y,
                         bool want_log) {
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
  for (int64_t r = 0; r < rows; r++)
    softmax_row(cols, x + r * cols, mask ? mask + (r / mask_group) * cols : NULL, y + r * cols, want_log);
}

void cpu_softmax(int64_t rows, int cols, const float *x, const float *mask, int64_t mask_group, float *y) {
  softmax_rows(rows, cols, x, mask, mask_group, y, false);
}

void cpu_log_softmax(int64_t rows, int cols, const float *x, const float *mask, int64_t mask_group, float *y) {
  softmax_rows(rows, cols, x, mask, mask_group, y, true);
}

/* dx += y * (dy - <dy, y>) for one row */
CPU_CLONES static void softmax_backward_row(int cols, const float *yr, const float *dyr, float *dxr) {
  double dot = 0.0;
#pragma omp simd reduction(+ : dot)
  for (int j = 0; j < cols; j++) dot += (double)dyr[j] * yr[j];
  for (int j = 0; j < cols; j++) dxr[j] += yr[j] * (dyr[j] - (float)dot);
}

void cpu_softmax_backward(int64_t rows, int cols, const float *y, const float *dy, float *dx) {
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
  for (int64_t r = 0; r < rows; r++) softmax_backward_row(cols, y + r * cols, dy + r * cols, dx + r * cols);
}

/* dx += dy - softmax * sum(dy); masked entries (y = -inf) receive nothing. */
void cpu_log_softmax_backward(int64_t rows, int cols, const float *y, const float *dy, float *dx) {
#pragma omp parallel for schedule(static) if (rows * cols > 32768)
  for (int64_t r = 0; r < rows; r++) {
    const float *yr = y + r * cols, *dyr = dy + r * cols;
    double sum = 0.0;
    for (int j = 0; j < cols; j++)
      if (yr[j] != -INFINITY) sum += dyr[j];
    for (int j = 0; j < cols; j++)
      if (yr[j] != -INFINITY) dx[r * cols + j] += dyr[j] - fs_expf(yr[j]) * (float)sum;
  }
}
