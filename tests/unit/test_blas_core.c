/* The OpenBLAS kernel choice: the sgemm check accepts the library's products and rejects wrong
 * ones (an independent double-precision reference, so a kernel that drops a term, ignores beta
 * or returns NaN is caught), and the candidate list follows the CPU's features. */
#include <cblas.h>
#include <string.h>

#include "backend/cpu/blas_core.h"
#include "test.h"

static void library_sgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                          int ldb, float beta, float *c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b,
              ldb, beta, c, ldc);
}

/* A correct product with one element of C off by 1e-4 relative: the kind of error a broken
 * edge case of a kernel makes. */
static void off_by_a_little(bool ta, bool tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                            int ldb, float beta, float *c, int ldc) {
  library_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (m > 40) c[(m - 1) * ldc + n - 1] *= 1.0001f;
}

/* Forgets the last term of every dot product when K is odd (a tail-loop bug). */
static void drops_tail(bool ta, bool tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                       int ldb, float beta, float *c, int ldc) {
  library_sgemm(ta, tb, m, n, k % 2 ? k - 1 : k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void ignores_beta(bool ta, bool tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                         int ldb, float beta, float *c, int ldc) {
  (void)beta;
  library_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, 0.0f, c, ldc);
}

static void writes_nan(bool ta, bool tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                       int ldb, float beta, float *c, int ldc) {
  library_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  c[0] = NAN;
}

static bool list_is(const fs_cpu_features *f, const char *expected) {
  const char *names[8];
  int n = fs_blas_candidates(f, names);
  char joined[128] = "";
  for (int i = 0; i < n; i++) {
    if (i) strcat(joined, " ");
    strcat(joined, names[i]);
  }
  if (strcmp(joined, expected)) fprintf(stderr, "candidates '%s', expected '%s'\n", joined, expected);
  return !strcmp(joined, expected);
}

int main(void) {
  double worst = -1.0;
  CHECK_MSG(fs_sgemm_check(library_sgemm, &worst), "the linked OpenBLAS (%s) fails: worst %.3g", fs_blas_core(), worst);
  CHECK(worst >= 0.0 && worst <= 1.0);
  CHECK(!fs_sgemm_check(off_by_a_little, &worst) && worst > 1.0);
  CHECK(!fs_sgemm_check(drops_tail, NULL));
  CHECK(!fs_sgemm_check(ignores_beta, NULL));
  CHECK(!fs_sgemm_check(writes_nan, NULL));

  fs_cpu_features none = {0}, avx = {.avx = true}, avx2 = {.avx = true, .avx2 = true, .fma = true};
  fs_cpu_features avx512 = {
      .avx = true, .avx2 = true, .fma = true, .avx512f = true, .avx512bw = true, .avx512dq = true, .avx512vl = true};
  fs_cpu_features avx512_bf16 = avx512, avx512f_only = avx2;
  avx512_bf16.avx512bf16 = true;
  avx512f_only.avx512f = true; /* Knights Landing: no BW/DQ/VL, so not the SkylakeX kernel */
  CHECK(list_is(&none, "Prescott"));
  CHECK(list_is(&avx, "Sandybridge Prescott"));
  CHECK(list_is(&avx2, "Haswell Sandybridge Prescott"));
  CHECK(list_is(&avx512f_only, "Haswell Sandybridge Prescott"));
  CHECK(list_is(&avx512, "SkylakeX Haswell Sandybridge Prescott"));
  CHECK(list_is(&avx512_bf16, "Cooperlake SkylakeX Haswell Sandybridge Prescott"));

  char cpu[160];
  CHECK(strlen(fs_cpu_describe(cpu, sizeof cpu)) > 10 && strstr(cpu, "family"));
  return test_summary();
}
