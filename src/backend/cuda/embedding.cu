// Embedding lookup and its scatter-add backward. The backward uses atomicAdd: repeated ids in a
// batch add into the same row, and float atomics make their summation order (and so the last
// bits of the gradient) vary from run to run; parity tests compare with a tolerance.
#include "backend/cuda/cuda_common.cuh"

__global__ void embedding_kernel(int64_t n, int dim, const int32_t *ids, const float *table, float *out) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i < n * dim) out[i] = table[(int64_t)ids[i / dim] * dim + i % dim];
}

__global__ void embedding_backward_kernel(int64_t n, int dim, const int32_t *ids, const float *dout, float *dtable) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i < n * dim) atomicAdd(&dtable[(int64_t)ids[i / dim] * dim + i % dim], dout[i]);
}

void cuda_embedding(int64_t n, int dim, const int32_t *ids, const float *table, float *out) {
  if (n * dim <= 0) return;
  embedding_kernel<<<cuda_blocks(n * dim), kThreads>>>(n, dim, ids, table, out);
  CUDA_CHECK_LAUNCH("embedding");
}

void cuda_embedding_backward(int64_t n, int dim, const int32_t *ids, const float *dout, float *dtable) {
  if (n * dim <= 0) return;
  embedding_backward_kernel<<<cuda_blocks(n * dim), kThreads>>>(n, dim, ids, dout, dtable);
  CUDA_CHECK_LAUNCH("embedding backward");
}
