/* Matrix products through OpenBLAS. Row-major throughout. */
#include <cblas.h>

#include "backend/cpu/cpu_kernels.h"

void cpu_gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* OpenBLAS 0.3.21 (Debian 12) has no strided-batched sgemm, so the batch is a loop of sgemm
 * calls. OpenBLAS runs small products (attention: T x T per head) on one thread, which left the
 * other cores idle through the whole loop; those are spread over the batch instead, and
 * OpenBLAS's OpenMP build runs a call made inside a parallel region on the calling thread.
 * Large products keep OpenBLAS's own threading. Either way each product is computed whole by
 * one sgemm, so results do not depend on the thread count. */
enum { SMALL_GEMM = 1 << 20 }; /* m * n * k below which a product runs on one thread */

void cpu_gemm_batched(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a,
                      int lda, int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta,
                      float *c, int ldc, int64_t stride_c, int batch) {
#pragma omp parallel for schedule(static) if (batch > 1 && (int64_t)m * n * k < SMALL_GEMM)
  for (int i = 0; i < batch; i++)
    cpu_gemm(trans_a, trans_b, m, n, k, alpha, a + i * stride_a, lda, b + i * stride_b, ldb, beta,
             c + i * stride_c, ldc);
}
