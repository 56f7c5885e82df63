// Elementwise kernels: fill, broadcasting binary ops, unary activations and their derivatives.
#include "backend/cuda/cuda_common.cuh"

__global__ void fill_kernel(float *x, int64_t n, float value) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i < n) x[i] = value;
}

void cuda_fill(float *x, int64_t n, float value) {
  if (n <= 0) return;
  fill_kernel<<<cuda_blocks(n), kThreads>>>(x, n, value);
  CUDA_CHECK_LAUNCH("fill");
}

__global__ void binary_kernel(fs_binop op, Shape4 shape, int64_t n, float *out, const float *a, Strides4 a_str,
                              const float *b, Strides4 b_str) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i >= n) return;
  Index4 idx = unravel(i, shape);
  out[i] = fs_apply_binary(op, a[offset_of(idx, a_str)], b[offset_of(idx, b_str)]);
}

void cuda_binary(fs_binop op, const int shape[4], float *out, const float *a, const int64_t a_str[4], const float *b,
                 const int64_t b_str[4]) {
  Shape4 s;
  int64_t n = pack_shape(shape, &s);
  if (n <= 0) return;
  binary_kernel<<<cuda_blocks(n), kThreads>>>(op, s, n, out, a, pack_strides(a_str), b, pack_strides(b_str));
  CUDA_CHECK_LAUNCH("binary");
}

__global__ void unary_kernel(fs_unop op, int64_t n, float alpha, const float *x, float *y) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i < n) y[i] = fs_apply_unary(op, x[i], alpha);
}

__global__ void unary_backward_kernel(fs_unop op, int64_t n, float alpha, const float *x, const float *y,
                                      const float *dy, float *dx, bool accumulate) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i < n) dx[i] = (accumulate ? dx[i] : 0.0f) + dy[i] * fs_unary_derivative(op, x[i], y[i], alpha);
}

void cuda_unary(fs_unop op, int64_t n, float alpha, const float *x, float *y) {
  if (n <= 0) return;
  unary_kernel<<<cuda_blocks(n), kThreads>>>(op, n, alpha, x, y);
  CUDA_CHECK_LAUNCH("unary");
}

void cuda_unary_backward(fs_unop op, int64_t n, float alpha, const float *x, const float *y, const float *dy, float *dx,
                         bool accumulate) {
  if (n <= 0) return;
  unary_backward_kernel<<<cuda_blocks(n), kThreads>>>(op, n, alpha, x, y, dy, dx, accumulate);
  CUDA_CHECK_LAUNCH("unary backward");
}
