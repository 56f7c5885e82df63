// Matrix products through cuBLAS. Row-major C = op(A)·op(B) is computed as the column-major
// product Cᵀ = op(B)ᵀ·op(A)ᵀ: cuBLAS reads our row-major matrices as their transposes, so the
// operands swap places and keep their own transpose flags.
#include "backend/cuda/cuda_common.cuh"

static cublasOperation_t op(bool trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }

void cuda_gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
               int ldb, float beta, float *c, int ldc) {
  cublas_record(cublasSgemm(cuda_cublas(), op(trans_b), op(trans_a), n, m, k, &alpha, b, ldb, a, lda, &beta, c, ldc),
                "sgemm");
}

void cuda_gemm_batched(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                       int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta, float *c, int ldc,
                       int64_t stride_c, int batch) {
  cublas_record(cublasSgemmStridedBatched(cuda_cublas(), op(trans_b), op(trans_a), n, m, k, &alpha, b, ldb, stride_b, a,
                                          lda, stride_a, &beta, c, ldc, stride_c, batch),
                "sgemm strided batched");
}
