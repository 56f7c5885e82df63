/* Data movement: the strided copy that implements every view-like op, and axis reductions. */
#include <string.h>

#include "backend/cpu/cpu_kernels.h"

void cpu_copy_strided(const int shape[4], float *dst, const int64_t dst_str[4], const float *src,
                      const int64_t src_str[4], bool accumulate) {
  int64_t outer = (int64_t)shape[0] * shape[1] * shape[2];
  int inner = shape[3];
#pragma omp parallel for schedule(static) if (outer * inner > 32768)
  for (int64_t o = 0; o < outer; o++) {
    int i0 = (int)(o / ((int64_t)shape[1] * shape[2])), i1 = (int)(o / shape[2] % shape[1]),
        i2 = (int)(o % shape[2]);
    float *pd = dst + i0 * dst_str[0] + i1 * dst_str[1] + i2 * dst_str[2];
    const float *ps = src + i0 * src_str[0] + i1 * src_str[1] + i2 * src_str[2];
    if (accumulate)
      for (int i = 0; i < inner; i++) pd[i * dst_str[3]] += ps[i * src_str[3]];
    else if (dst_str[3] == 1 && src_str[3] == 1)
      memcpy(pd, ps, sizeof(float) * inner);
    else
      for (int i = 0; i < inner; i++) pd[i * dst_str[3]] = ps[i * src_str[3]];
  }
}

/* Each destination element sums its source elements in a fixed order (double accumulator), so
 * the result does not depend on the thread count. */
void cpu_reduce_sum(const int src_shape[4], const float *src, const int dst_shape[4], float *dst,
                    bool accumulate) {
  int64_t src_str[4], s = 1;
  for (int i = 3; i >= 0; i--) {
    src_str[i] = s;
    s *= src_shape[i];
  }
  int red[4]; /* extent of the reduced part of each axis (1 where the axis is kept) */
  for (int i = 0; i < 4; i++) red[i] = dst_shape[i] == 1 ? src_shape[i] : 1;
  int64_t n_dst = (int64_t)dst_shape[0] * dst_shape[1] * dst_shape[2] * dst_shape[3];
#pragma omp parallel for schedule(static) if (s > 32768)
  for (int64_t d = 0; d < n_dst; d++) {
    int64_t rest = d, base = 0;
    for (int i = 3; i >= 0; i--) {
      int idx = (int)(rest % dst_shape[i]);
      rest /= dst_shape[i];
      if (dst_shape[i] != 1) base += idx * src_str[i];
    }
    double sum = 0.0;
    for (int a = 0; a < red[0]; a++)
      for (int b = 0; b < red[1]; b++)
        for (int c = 0; c < red[2]; c++) {
          const float *p = src + base + a * src_str[0] + b * src_str[1] + c * src_str[2];
          for (int e = 0; e < red[3]; e++) sum += p[e * src_str[3]];
        }
    dst[d] = accumulate ? dst[d] + (float)sum : (float)sum;
  }
}
