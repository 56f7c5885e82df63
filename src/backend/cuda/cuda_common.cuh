// Shared by the CUDA backend's files: error recording, launch geometry, block reductions, and
// the host entry points of every kernel family (backend/backend.h documents their contracts).
#ifndef FLOWSEQ_BACKEND_CUDA_COMMON_CUH
#define FLOWSEQ_BACKEND_CUDA_COMMON_CUH

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "backend/backend.h"
#include "backend/kernel_math.h"

// Records the first CUDA / cuBLAS failure; last_status() reports and clears it.
void cuda_record(cudaError_t err, const char *what);
void cublas_record(cublasStatus_t status, const char *what);
#define CUDA_CHECK_LAUNCH(what) cuda_record(cudaGetLastError(), what)

cublasHandle_t cuda_cublas(void);

constexpr int kThreads = 256;
inline int cuda_blocks(int64_t n) { return (int)((n + kThreads - 1) / kThreads); }

// Sum over a block of kThreads threads (every thread gets the result). `scratch` holds kThreads/32.
template <typename T>
__device__ T block_sum(T v, T *scratch) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
  __syncthreads();
  T total = 0;
  for (int i = 0; i < kThreads / 32; i++) total += scratch[i];
  __syncthreads();
  return total;
}

__device__ inline float block_max(float v, float *scratch) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
  __syncthreads();
  float m = -INFINITY;
  for (int i = 0; i < kThreads / 32; i++) m = fmaxf(m, scratch[i]);
  __syncthreads();
  return m;
}

// Kernel arguments by value (small structs of arrays travel as kernel parameters).
struct Shape4 {
  int v[4];
};
struct Strides4 {
  int64_t v[4];
};

// The 4-d index of linear element i of `shape` (row-major), computed once per element and then
// dotted with each operand's strides.
struct Index4 {
  int64_t v[4];
};
__device__ inline Index4 unravel(int64_t i, const Shape4 &shape) {
  Index4 idx;
  for (int d = 3; d >= 0; d--) {
    idx.v[d] = i % shape.v[d];
    i /= shape.v[d];
  }
  return idx;
}
__device__ inline int64_t offset_of(const Index4 &idx, const Strides4 &stride) {
  return idx.v[0] * stride.v[0] + idx.v[1] * stride.v[1] + idx.v[2] * stride.v[2] + idx.v[3] * stride.v[3];
}

// Host side: copies the table's int[4] / int64_t[4] arguments into kernel parameters and returns
// the element count.
inline int64_t pack_shape(const int shape[4], Shape4 *out) {
  int64_t n = 1;
  for (int d = 0; d < 4; d++) {
    out->v[d] = shape[d];
    n *= shape[d];
  }
  return n;
}
inline Strides4 pack_strides(const int64_t stride[4]) {
  Strides4 s;
  for (int d = 0; d < 4; d++) s.v[d] = stride[d];
  return s;
}

// ---- entry points, one family per file ----
void cuda_gemm(fs_precision precision, bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a,
               int lda, const float *b, int ldb, float beta, float *c, int ldc);
void cuda_gemm_batched(fs_precision precision, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                       const float *a, int lda, int64_t stride_a, const float *b, int ldb, int64_t stride_b, float beta,
                       float *c, int ldc, int64_t stride_c, int batch);
void cuda_fill(float *x, int64_t n, float value);
void cuda_binary(fs_binop op, const int shape[4], float *out, const float *a, const int64_t a_str[4], const float *b,
                 const int64_t b_str[4]);
void cuda_unary(fs_unop op, int64_t n, float alpha, const float *x, float *y);
void cuda_unary_backward(fs_unop op, int64_t n, float alpha, const float *x, const float *y, const float *dy, float *dx,
                         bool accumulate);
void cuda_copy_strided(const int shape[4], float *dst, const int64_t dst_str[4], const float *src,
                       const int64_t src_str[4], bool accumulate);
void cuda_reduce_sum(const int src_shape[4], const float *src, const int dst_shape[4], float *dst, bool accumulate);
void cuda_softmax(int64_t rows, int cols, const float *x, const float *mask, int64_t mask_group, float *y);
void cuda_softmax_backward(int64_t rows, int cols, const float *y, const float *dy, float *dx);
void cuda_log_softmax(int64_t rows, int cols, const float *x, const float *mask, int64_t mask_group, float *y);
void cuda_log_softmax_backward(int64_t rows, int cols, const float *y, const float *dy, float *dx);
void cuda_layernorm(int64_t rows, int cols, float eps, const float *x, const float *gamma, const float *beta, float *y,
                    float *mean, float *rstd);
void cuda_layernorm_backward(int64_t rows, int cols, const float *x, const float *gamma, const float *mean,
                             const float *rstd, const float *dy, float *dx, float *dgamma, float *dbeta,
                             bool accumulate);
void cuda_embedding(int64_t n, int dim, const int32_t *ids, const float *table, float *out);
void cuda_embedding_backward(int64_t n, int dim, const int32_t *ids, const float *dout, float *dtable);
void cuda_cross_entropy(int64_t rows, int vocab, float eps, const float *logits, const int32_t *target, float *loss,
                        float *logsumexp);
void cuda_cross_entropy_backward(int64_t rows, int vocab, float eps, const float *logits, const int32_t *target,
                                 const float *logsumexp, const float *dloss, float *dlogits, bool accumulate);
void cuda_attention(fs_precision precision, int batch, int heads, int tq, int tk, int dh, float scale, const float *q,
                    int q_ld, const float *k, int k_ld, const float *v, int v_ld, const float *key_mask, bool causal,
                    float *probs, float *ctx);
void cuda_attention_backward(fs_precision precision, int batch, int heads, int tq, int tk, int dh, float scale,
                             const float *q, int q_ld, const float *k, int k_ld, const float *v, int v_ld,
                             const float *probs, const float *dctx, float *scratch, float *dq, float *dk, float *dv);
void cuda_affine_coupling(bool inverse, int64_t rows, int h, int rows_per_batch, const float *x, const float *theta,
                          const float *mask, float *out, float *logdet);
void cuda_affine_coupling_backward(bool inverse, int64_t rows, int h, int rows_per_batch, const float *x,
                                   const float *theta, const float *mask, const float *dout, const float *dlogdet,
                                   float *dx, float *dtheta, bool accumulate);
void cuda_rand_uniform(int64_t n, uint64_t seed, uint64_t offset, float *out);
void cuda_rand_normal(int64_t n, uint64_t seed, uint64_t offset, float *out);
void cuda_dropout_mask(int64_t n, float p, uint64_t seed, uint64_t offset, float *out);
bool cuda_inverse_logdet(int n, const float *a, float *inv, float *logabsdet);
double cuda_sum_squares(int64_t n, const float *x);
void cuda_adamw(int64_t n, float *p, const float *g, float *m, float *u, float *umax, float grad_scale, float lr,
                float beta1, float beta2, float eps, float weight_decay, float step_size);

// An error of an entry that returns its status (the collectives): recorded by the program, returned.
fs_status cuda_error(const char *message);
#ifdef FLOWSEQ_HAVE_NCCL
// Fills the table's collectives with NCCL's (nccl.cu).
void cuda_add_collectives(fs_backend *table);
#endif

#endif
