// Optimizer kernels: the squared norm (fixed grid, partial sums added on the host in order, so
// the result is deterministic) and the fused AdamW + AMSGrad update.
#include <vector>

#include "backend/cuda/cuda_common.cuh"

constexpr int kNormBlocks = 256;

__global__ void sum_squares_kernel(int64_t n, const float *x, double *partial) {
  __shared__ double scratch[kThreads / 32];
  double local = 0.0;
  for (int64_t i = blockIdx.x * (int64_t)kThreads + threadIdx.x; i < n; i += (int64_t)kNormBlocks * kThreads)
    local += (double)x[i] * x[i];
  double total = block_sum(local, scratch);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

double cuda_sum_squares(int64_t n, const float *x) {
  double *partial = nullptr;
  std::vector<double> host(kNormBlocks, 0.0);
  cuda_record(cudaMalloc(&partial, sizeof(double) * kNormBlocks), "sum_squares alloc");
  sum_squares_kernel<<<kNormBlocks, kThreads>>>(n, x, partial);
  CUDA_CHECK_LAUNCH("sum_squares");
  cuda_record(cudaMemcpy(host.data(), partial, sizeof(double) * kNormBlocks, cudaMemcpyDeviceToHost), "sum_squares");
  cudaFree(partial);
  double sum = 0.0;
  for (double v : host) sum += v;
  return sum;
}

__global__ void adamw_kernel(int64_t n, float *p, const float *g, float *m, float *u, float *umax, float grad_scale,
                             float lr, float beta1, float beta2, float eps, float weight_decay, float step_size) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i < n)
    p[i] = fs_adamw_element(p[i], grad_scale * g[i], &m[i], &u[i], umax ? &umax[i] : NULL, lr, beta1, beta2, eps,
                            weight_decay, step_size);
}

void cuda_adamw(int64_t n, float *p, const float *g, float *m, float *u, float *umax, float grad_scale, float lr,
                float beta1, float beta2, float eps, float weight_decay, float step_size) {
  if (n <= 0) return;
  adamw_kernel<<<cuda_blocks(n), kThreads>>>(n, p, g, m, u, umax, grad_scale, lr, beta1, beta2, eps, weight_decay,
                                             step_size);
  CUDA_CHECK_LAUNCH("adamw");
}
