/* The CPU data-movement kernels against plain loops.
 * - The axis reduction (every broadcast gradient goes through it) against a reference that adds
 *   each output's terms in index order in double: the row-wise path for kept trailing axes and
 *   the general path must both match it exactly, with and without accumulation.
 * - The strided copy (every view-like op) against an element-by-element copy, on layouts whose
 *   axes the kernel drops (extent 1) or merges (contiguous in both), and on ones it must not. */
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

static void test_reduce(const fs_backend *be) {
  struct {
    int src[4], dst[4];
  } cases[] = {
      {{1, 1, 700, 600}, {1, 1, 1, 600}},  /* bias gradient: rows summed into one chunk */
      {{1, 1, 90, 5000}, {1, 1, 1, 5000}}, /* a vocabulary-wide one: a chunk of 4096 and a tail */
      {{4, 5, 6, 7}, {1, 5, 1, 7}},        /* kept trailing axis, reduced axes interleaved */
      {{4, 5, 6, 7}, {4, 1, 6, 7}},        /* kept trailing block of two axes */
      {{3, 40, 50, 9}, {1, 1, 1, 9}},      /* large enough to run threaded */
      {{4, 5, 6, 7}, {1, 5, 6, 1}},        /* last axis reduced: the general path */
      {{2, 3, 4, 5}, {2, 3, 4, 5}},        /* nothing reduced */
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
}

/* dst[i . dst_str] (+)= src[i . src_str] over every index i of shape, one element at a time */
static void copy_reference(const int shape[4], float *dst, const int64_t ds[4], const float *src, const int64_t ss[4],
                           bool accumulate) {
  for (int a = 0; a < shape[0]; a++)
    for (int b = 0; b < shape[1]; b++)
      for (int c = 0; c < shape[2]; c++)
        for (int d = 0; d < shape[3]; d++) {
          float *o = dst + a * ds[0] + b * ds[1] + c * ds[2] + d * ds[3];
          float v = src[a * ss[0] + b * ss[1] + c * ss[2] + d * ss[3]];
          *o = accumulate ? *o + v : v;
        }
}

static void test_copy(const fs_backend *be) {
  enum { N = 8192 }; /* room for the largest offset of every case */
  struct {
    int shape[4];
    int64_t dst[4], src[4];
  } cases[] = {
      {{2, 24, 64, 1}, {3072, 128, 2, 1}, {1536, 64, 1, 1}}, /* a coupling's odd/even join: stride 2, last axis 1 */
      {{2, 24, 64, 1}, {1536, 64, 1, 1}, {3072, 128, 2, 1}}, /* and its split */
      {{3, 4, 5, 6}, {120, 30, 6, 1}, {120, 30, 6, 1}},      /* contiguous both sides: one run */
      {{3, 4, 5, 6}, {120, 30, 6, 1}, {120, 5, 1, 20}},      /* a permute: nothing merges */
      {{2, 1, 5, 6}, {70, 999, 7, 1}, {30, 0, 6, 1}},        /* padded rows, an extent-1 axis with a stray stride */
      {{1, 1, 1, 1}, {0, 0, 0, 0}, {0, 0, 0, 0}},            /* one element */
      {{4, 8, 2, 3}, {48, 6, 3, 1}, {48, 6, 3, 1}},          /* merges across all four axes */
      {{4, 8, 2, 3}, {96, 12, 3, 1}, {48, 6, 3, 1}},         /* the destination breaks between axes 1 and 2 */
  };
  float *src = malloc(sizeof(float) * N), *got = malloc(sizeof(float) * N), *want = malloc(sizeof(float) * N);
  test_fill_uniform(src, N, -1.0f, 1.0f, 5);
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
    for (int accumulate = 0; accumulate < 2; accumulate++) {
      test_fill_uniform(got, N, -1.0f, 1.0f, 6);
      test_fill_uniform(want, N, -1.0f, 1.0f, 6);
      be->copy_strided(cases[k].shape, got, cases[k].dst, src, cases[k].src, accumulate);
      copy_reference(cases[k].shape, want, cases[k].dst, src, cases[k].src, accumulate);
      int wrong = 0;
      for (int i = 0; i < N; i++) wrong += got[i] != want[i];
      CHECK_MSG(wrong == 0, "copy case %zu (accumulate %d): %d of %d floats differ from the element-wise copy", k,
                accumulate, wrong, N);
    }
  free(src);
  free(got);
  free(want);
}

int main(void) {
  const fs_backend *be = fs_backend_cpu();
  test_reduce(be);
  test_copy(be);
  return test_summary();
}
