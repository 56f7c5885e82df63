/* Data movement: the strided copy that implements every view-like op, and axis reductions. */
#include <string.h>

#include "backend/cpu/cpu_kernels.h"

/* The copy's axes with extent 1 dropped and neighbours merged where both layouts run on from one
 * to the next (stride[i] == stride[i+1] * extent[i+1] in dst and src), right-aligned into the four
 * axes: the innermost loop then runs as long as the layouts allow. The coupling's odd/even split
 * comes as [B, T, 64, 1] with a stride of 2 on the 64 axis: element by element through the whole
 * loop nest that copied at 0.6 GB/s. */
static void simplify(const int shape[4], const int64_t dst_str[4], const int64_t src_str[4], int out[4],
                     int64_t dst_out[4], int64_t src_out[4]) {
  int n = 0;
  for (int i = 3; i >= 0; i--) { /* inner to outer */
    if (shape[i] == 1) continue;
    if (n > 0 && dst_str[i] == dst_out[4 - n] * out[4 - n] && src_str[i] == src_out[4 - n] * out[4 - n]) {
      out[4 - n] *= shape[i];
      continue;
    }
    n++;
    out[4 - n] = shape[i], dst_out[4 - n] = dst_str[i], src_out[4 - n] = src_str[i];
  }
  for (int i = 0; i < 4 - n; i++) out[i] = 1, dst_out[i] = src_out[i] = 0;
}

void cpu_copy_strided(const int shape_in[4], float *dst, const int64_t dst_str_in[4], const float *src,
                      const int64_t src_str_in[4], bool accumulate) {
  int shape[4];
  int64_t dst_str[4], src_str[4];
  simplify(shape_in, dst_str_in, src_str_in, shape, dst_str, src_str);
  int64_t outer = (int64_t)shape[0] * shape[1] * shape[2];
  int inner = shape[3];
#pragma omp parallel for schedule(static) if (outer * inner > 32768)
  for (int64_t o = 0; o < outer; o++) {
    int i0 = (int)(o / ((int64_t)shape[1] * shape[2])), i1 = (int)(o / shape[2] % shape[1]), i2 = (int)(o % shape[2]);
    float *pd = dst + i0 * dst_str[0] + i1 * dst_str[1] + i2 * dst_str[2];
    const float *ps = src + i0 * src_str[0] + i1 * src_str[1] + i2 * src_str[2];
    if (accumulate && dst_str[3] == 1 && src_str[3] == 1) /* a literal stride: vectorised */
      for (int i = 0; i < inner; i++) pd[i] += ps[i];
    else if (accumulate)
      for (int i = 0; i < inner; i++) pd[i * dst_str[3]] += ps[i * src_str[3]];
    else if (dst_str[3] == 1 && src_str[3] == 1) memcpy(pd, ps, sizeof(float) * inner);
    else
      for (int i = 0; i < inner; i++) pd[i * dst_str[3]] = ps[i * src_str[3]];
  }
}

CPU_CLONES static void add_range(float *dst, const float *src, int64_t lo, int64_t hi) {
  for (int64_t i = lo; i < hi; i++) dst[i] += src[i];
}

/* dst += src over n elements (a float sum of one term is the term, so this matches the
 * double-accumulating paths below bit for bit) */
static void add_into(float *dst, const float *src, int64_t n) {
#pragma omp parallel if (n > 32768)
  {
    int64_t lo, hi;
    cpu_thread_range(n, &lo, &hi);
    add_range(dst, src, lo, hi);
  }
}

/* Sums over leading axes when the trailing `inner` elements are all kept (dst_shape[t..3] equals
 * src_shape[t..3]): whole rows are added into a chunk of accumulators. Going output by output
 * instead strides through the source once per element, and for a bias gradient [rows, vocab] ->
 * [vocab] every read missed the cache: that took a quarter of a training step. Each output still
 * adds its terms in the same order, so the sums match the general path bit for bit. A chunk of
 * 4096 columns reads 16 KiB of each row and keeps its double accumulators (32 KiB) in L1; with
 * the row add compiled per CPU (AVX-512 converts and adds 8 at once, the baseline build 2) a
 * vocabulary-wide bias gradient went from 5.5 to 8 GB/s, against 3.9 with 256-column chunks. */
enum { ROW_CHUNK = 4096 };
CPU_CLONES static void add_row_to_double(int64_t n, const float *restrict row, double *restrict acc) {
  for (int64_t k = 0; k < n; k++) acc[k] += row[k];
}

static void reduce_leading(const int src_shape[4], const int64_t src_str[4], const float *src, const int dst_shape[4],
                           float *dst, int t, int64_t inner, bool accumulate) {
  int64_t n_groups = 1, n_terms = 1, n_chunks = (inner + ROW_CHUNK - 1) / ROW_CHUNK;
  for (int i = 0; i < t; i++) {
    n_groups *= dst_shape[i];
    if (dst_shape[i] == 1) n_terms *= src_shape[i];
  }
#pragma omp parallel for schedule(static) if (n_terms * inner > 32768)
  for (int64_t w = 0; w < n_groups * n_chunks; w++) {
    int64_t g = w / n_chunks, j0 = w % n_chunks * ROW_CHUNK, len = inner - j0 < ROW_CHUNK ? inner - j0 : ROW_CHUNK;
    int64_t base = j0, rest = g;
    for (int i = t - 1; i >= 0; i--) {
      if (dst_shape[i] != 1) base += rest % dst_shape[i] * src_str[i];
      rest /= dst_shape[i];
    }
    double acc[ROW_CHUNK] = {0};
    int idx[4] = {0}; /* the row's position on the reduced axes, innermost counting fastest */
    int64_t offset = base;
    for (int64_t r = 0; r < n_terms; r++) {
      add_row_to_double(len, src + offset, acc);
      /* the next row, by an odometer: a division per axis cost more than a bias row's adds */
      for (int i = t - 1; i >= 0; i--) {
        if (dst_shape[i] != 1) continue;
        if (++idx[i] < src_shape[i]) {
          offset += src_str[i];
          break;
        }
        offset -= (int64_t)(src_shape[i] - 1) * src_str[i];
        idx[i] = 0;
      }
    }
    float *out = dst + g * inner + j0;
    for (int64_t k = 0; k < len; k++) out[k] = accumulate ? out[k] + (float)acc[k] : (float)acc[k];
  }
}

/* Each destination element sums its source elements in a fixed order (double accumulator), so
 * the result does not depend on the thread count. */
void cpu_reduce_sum(const int src_shape[4], const float *src, const int dst_shape[4], float *dst, bool accumulate) {
  int64_t src_str[4], s = 1;
  for (int i = 3; i >= 0; i--) {
    src_str[i] = s;
    s *= src_shape[i];
  }
  int t = 4; /* axes t..3 are kept whole */
  int64_t inner = 1;
  while (t > 0 && dst_shape[t - 1] == src_shape[t - 1]) inner *= src_shape[--t];
  if (t == 0) { /* nothing reduced (the gradient of a same-shape add): a copy or an add */
    if (!accumulate) memcpy(dst, src, sizeof(float) * (size_t)s);
    else add_into(dst, src, s);
    return;
  }
  if (inner > 1) {
    reduce_leading(src_shape, src_str, src, dst_shape, dst, t, inner, accumulate);
    return;
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
