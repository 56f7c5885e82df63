/* Matrix products through OpenBLAS. Row-major throughout.
 *
 * bf16 operands (fs_precision) are emulated: Debian's OpenBLAS 0.3.21 is built without
 * cblas_sbgemm, so each operand is rounded to bf16 into a scratch copy and the fp32 sgemm
 * multiplies the copies. A product of two bf16 values has at most 16 significant bits and is
 * exact in fp32, so the result is that of a bf16 GEMM accumulating in fp32, up to the order of
 * the sums: the numerics of train.precision bf16 on a GPU, tested on any CPU, at the cost of a
 * rounding pass over the operands (O(MK + KN) against the product's O(MNK)). */
#include <cblas.h>
#include <stdlib.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/kernel_math.h"
#include "core/alloc.h"

/* out[r*cols + c] = the bf16 rounding of x[r*ld + c]: a stored matrix, packed. */
CPU_CLONES static void round_packed(int rows, int cols, const float *x, int ld, float *out) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) out[(int64_t)r * cols + c] = fs_bf16_round(x[(int64_t)r * ld + c]);
}

void cpu_gemm(fs_precision precision, bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a,
              int lda, const float *b, int ldb, float beta, float *c, int ldc) {
  float *rounded = NULL;
  if (precision == FS_BF16 && m > 0 && n > 0 && k > 0) {
    /* A is stored [M,K] ([K,M] transposed) and B [K,N] ([N,K]); the copies keep the layout */
    int a_rows = trans_a ? k : m, a_cols = trans_a ? m : k, b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
    rounded = fs_malloc(sizeof(float) * ((size_t)a_rows * a_cols + (size_t)b_rows * b_cols));
    float *ra = rounded, *rb = rounded + (size_t)a_rows * a_cols;
    round_packed(a_rows, a_cols, a, lda, ra);
    round_packed(b_rows, b_cols, b, ldb, rb);
    a = ra, lda = a_cols, b = rb, ldb = b_cols;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha,
              a, lda, b, ldb, beta, c, ldc);
  free(rounded);
}

/* OpenBLAS 0.3.21 (Debian 12) has no strided-batched sgemm, so the batch is a loop of sgemm
 * calls; each call is threaded by OpenBLAS itself. Attention matrices are small (T x T per head),
 * which is why the loop, not the call, is what a profile should watch. */
void cpu_gemm_batched(fs_precision precision, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                      const float *a, int lda, int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta,
                      float *c, int ldc, int64_t stride_c, int batch) {
  for (int i = 0; i < batch; i++)
    cpu_gemm(precision, trans_a, trans_b, m, n, k, alpha, a + i * stride_a, lda, b + i * stride_b, ldb, beta,
             c + i * stride_c, ldc);
}
