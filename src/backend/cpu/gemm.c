/* Matrix products through OpenBLAS. Row-major throughout. */
#include <cblas.h>

#include "backend/cpu/cpu_kernels.h"

void cpu_gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
              int ldb, float beta, float *c, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha,
              a, lda, b, ldb, beta, c, ldc);
}

/* OpenBLAS 0.3.21 (Debian 12) has no strided-batched sgemm, so the batch is a loop of sgemm
 * calls; each call is threaded by OpenBLAS itself. Attention matrices are small (T x T per head),
 * which is why the loop, not the call, is what a profile should watch. */
void cpu_gemm_batched(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                      int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta, float *c, int ldc,
                      int64_t stride_c, int batch) {
  for (int i = 0; i < batch; i++)
    cpu_gemm(trans_a, trans_b, m, n, k, alpha, a + i * stride_a, lda, b + i * stride_b, ldb, beta, c + i * stride_c,
             ldc);
}
