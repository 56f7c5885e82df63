// Matrix products through cuBLAS. Row-major C = op(A)·op(B) is computed as the column-major
// product Cᵀ = op(B)ᵀ·op(A)ᵀ: cuBLAS reads our row-major matrices as their transposes, so the
// operands swap places and keep their own transpose flags.
//
// bf16 operands (fs_precision): A and B are converted into packed bf16 copies in a scratch
// buffer and multiplied by cublasGemmStridedBatchedEx (a single product is a batch of one) with
// fp32 accumulation (CUBLAS_COMPUTE_32F) into the fp32 C, on the tensor cores.
#include <cuda_bf16.h>

#include "backend/cuda/cuda_common.cuh"

static cublasOperation_t op(bool trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }

// out[(e*rows + r)*cols + c] = bf16(x[e*stride + r*ld + c]) for e < count: `count` stored
// matrices, packed.
__global__ void to_bf16_kernel(int64_t n, int rows, int cols, const float *x, int ld, int64_t stride,
                               __nv_bfloat16 *out) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t per = (int64_t)rows * cols, e = i / per, r = i % per / cols, c = i % cols;
    out[i] = __float2bfloat16_rn(x[e * stride + r * ld + c]);
  }
}

// The scratch for the bf16 copies: grown, never shrunk. Kernels and cuBLAS share the default
// stream, so a product has finished reading it before the next conversion writes it.
static __nv_bfloat16 *bf16_scratch(size_t elements) {
  static __nv_bfloat16 *buffer;
  static size_t capacity;
  if (elements > capacity) {
    if (buffer) cuda_record(cudaFree(buffer), "free bf16 scratch");
    buffer = nullptr, capacity = 0;
    cuda_record(cudaMalloc(&buffer, elements * sizeof *buffer), "allocate bf16 scratch");
    if (buffer) capacity = elements;
  }
  return buffer;
}

// Converts `count` stored rows x cols matrices (row stride ld, `stride` apart) into out.
static void to_bf16(int count, int rows, int cols, const float *x, int ld, int64_t stride, __nv_bfloat16 *out) {
  int64_t n = (int64_t)count * rows * cols;
  int blocks = cuda_blocks(n) < 65536 ? cuda_blocks(n) : 65536;
  to_bf16_kernel<<<blocks, kThreads>>>(n, rows, cols, x, ld, stride, out);
  CUDA_CHECK_LAUNCH("to_bf16");
}

// The product in bf16 (m, n, k, batch > 0). A shared operand (stride 0) is converted once and read
// with stride 0.
static void gemm_bf16(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                      int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta, float *c, int ldc,
                      int64_t stride_c, int batch) {
  int a_rows = trans_a ? k : m, a_cols = trans_a ? m : k, b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
  int a_count = stride_a ? batch : 1, b_count = stride_b ? batch : 1;
  size_t a_size = (size_t)a_count * a_rows * a_cols, b_size = (size_t)b_count * b_rows * b_cols;
  a_size = (a_size + 7) & ~(size_t)7; // B's copy starts 16-byte aligned, as the tensor cores read best
  __nv_bfloat16 *scratch = bf16_scratch(a_size + b_size);
  if (!scratch) return; // the allocation failure is recorded
  to_bf16(a_count, a_rows, a_cols, a, lda, stride_a, scratch);
  to_bf16(b_count, b_rows, b_cols, b, ldb, stride_b, scratch + a_size);
  long long sa = stride_a ? (long long)a_rows * a_cols : 0, sb = stride_b ? (long long)b_rows * b_cols : 0;
  cublas_record(cublasGemmStridedBatchedEx(cuda_cublas(), op(trans_b), op(trans_a), n, m, k, &alpha, scratch + a_size,
                                           CUDA_R_16BF, b_cols, sb, scratch, CUDA_R_16BF, a_cols, sa, &beta, c,
                                           CUDA_R_32F, ldc, stride_c, batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                "bf16 gemm strided batched");
}

void cuda_gemm(fs_precision precision, bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a,
               int lda, const float *b, int ldb, float beta, float *c, int ldc) {
  if (precision == FS_BF16 && m > 0 && n > 0 && k > 0) {
    gemm_bf16(trans_a, trans_b, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
    return;
  }
  cublas_record(cublasSgemm(cuda_cublas(), op(trans_b), op(trans_a), n, m, k, &alpha, b, ldb, a, lda, &beta, c, ldc),
                "sgemm");
}

void cuda_gemm_batched(fs_precision precision, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                       const float *a, int lda, int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta,
                       float *c, int ldc, int64_t stride_c, int batch) {
  if (precision == FS_BF16 && m > 0 && n > 0 && k > 0 && batch > 0) {
    gemm_bf16(trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c, batch);
    return;
  }
  cublas_record(cublasSgemmStridedBatched(cuda_cublas(), op(trans_b), op(trans_a), n, m, k, &alpha, b, ldb, stride_b, a,
                                          lda, stride_a, &beta, c, ldc, stride_c, batch),
                "sgemm strided batched");
}
