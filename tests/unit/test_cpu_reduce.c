/* The CPU axis reduction (every broadcast gradient goes through it) against a reference that
 * adds each output's terms in index order in double: the row-wise path for kept trailing axes
 * and the general path must both match it exactly, with and without accumulation. */
#include <stdlib.h>

#include "backend/backend.h"
#include "gradcheck.h"
#include "test.h"

static void reference(const int src_shape[4], const float *src, const int dst_shape[4], float *dst, bool accumulate) {
  int n_dst = dst_shape[0] * dst_shape[1] * dst_shape[2] * dst_shape[3];
  double *sum = calloc((size_t)n_dst, sizeof(double));
  for (int a = 0; a < src_shape[0]; a++)
    for (int b = 0; b < src_shape[1]; b++)
      for (int c = 0; c < src_shape[2]; c++)
        for (int d = 0; d < src_shape[3]; d++) {
          int idx[4] = {a, b, c, d}, o = 0;
          for (int i = 0; i < 4; i++) o = o * dst_shape[i] + (dst_shape[i] == 1 ? 0 : idx[i]);
          sum[o] += src[((a * src_shape[1] + b) * src_shape[2] + c) * src_shape[3] + d];
        }
  for (int o = 0; o < n_dst; o++) dst[o] = accumulate ? dst[o] + (float)sum[o] : (float)sum[o];
  free(sum);
}

int main(void) {
  const fs_backend *be = fs_backend_cpu();
  struct {
    int src[4], dst[4];
  } cases[] = {
      {{1, 1, 700, 600}, {1, 1, 1, 600}}, /* bias gradient: rows summed, chunks of 256 and a tail */
      {{4, 5, 6, 7}, {1, 5, 1, 7}},       /* kept trailing axis, reduced axes interleaved */
      {{4, 5, 6, 7}, {4, 1, 6, 7}},       /* kept trailing block of two axes */
      {{3, 40, 50, 9}, {1, 1, 1, 9}},     /* large enough to run threaded */
      {{4, 5, 6, 7}, {1, 5, 6, 1}},       /* last axis reduced: the general path */
      {{2, 3, 4, 5}, {2, 3, 4, 5}},       /* nothing reduced */
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const int *ss = cases[k].src, *ds = cases[k].dst;
    int n_src = ss[0] * ss[1] * ss[2] * ss[3], n_dst = ds[0] * ds[1] * ds[2] * ds[3];
    float *src = malloc(sizeof(float) * n_src), *got = malloc(sizeof(float) * n_dst),
          *want = malloc(sizeof(float) * n_dst);
    test_fill_uniform(src, n_src, -1.0f, 1.0f, (unsigned)k + 1);
    for (int accumulate = 0; accumulate < 2; accumulate++) {
      test_fill_uniform(got, n_dst, -1.0f, 1.0f, 77);
      test_fill_uniform(want, n_dst, -1.0f, 1.0f, 77);
      be->reduce_sum(ss, src, ds, got, accumulate);
      reference(ss, src, ds, want, accumulate);
      int wrong = 0;
      for (int i = 0; i < n_dst; i++) wrong += got[i] != want[i];
      CHECK_MSG(wrong == 0, "case %zu (accumulate %d): %d of %d sums differ from the reference", k, accumulate, wrong,
                n_dst);
    }
    free(src);
    free(got);
    free(want);
  }
  return test_summary();
}
