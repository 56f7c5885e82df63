// The flow's fused affine coupling step (backend.h `affine_coupling`): forward is one block per
// sentence (its log-det is a block sum in a fixed order, so deterministic), backward one thread
// per element. The per-element formulas are kernel_math.h's, shared with the CPU.
#include "backend/cuda/cuda_common.cuh"

__global__ void coupling_kernel(bool inverse, int h, int rows_per_batch, const float *x, const float *theta,
                                const float *mask, float *out, float *logdet) {
  __shared__ double scratch[kThreads / 32];
  int64_t b = blockIdx.x, first = b * rows_per_batch * (int64_t)h, n = (int64_t)rows_per_batch * h;
  double sum = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) {
    int64_t e = first + i, r = e / h;
    int j = (int)(e % h);
    float m_log_scale;
    out[e] = fs_coupling_element(inverse, x[e], theta[r * 2 * h + j], theta[r * 2 * h + h + j], mask[r], &m_log_scale);
    sum += m_log_scale;
  }
  double total = block_sum(sum, scratch);
  if (threadIdx.x == 0) logdet[b] = (float)(inverse ? -total : total);
}

void cuda_affine_coupling(bool inverse, int64_t rows, int h, int rows_per_batch, const float *x, const float *theta,
                          const float *mask, float *out, float *logdet) {
  int64_t batch = rows_per_batch ? rows / rows_per_batch : 0;
  if (batch <= 0) return;
  coupling_kernel<<<(unsigned)batch, kThreads>>>(inverse, h, rows_per_batch, x, theta, mask, out, logdet);
  CUDA_CHECK_LAUNCH("affine_coupling");
}

__global__ void coupling_backward_kernel(bool inverse, int64_t n, int h, int rows_per_batch, const float *x,
                                         const float *theta, const float *mask, const float *dout, const float *dlogdet,
                                         float *dx, float *dtheta, bool accumulate) {
  int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (e >= n) return;
  int64_t r = e / h;
  int j = (int)(e % h);
  float gx, gmu, ga;
  fs_coupling_element_backward(inverse, x[e], theta[r * 2 * h + j], theta[r * 2 * h + h + j], mask[r],
                               dout ? dout[e] : 0.0f, dlogdet ? dlogdet[r / rows_per_batch] : 0.0f, &gx, &gmu, &ga);
  if (dx) dx[e] = accumulate ? dx[e] + gx : gx;
  if (dtheta) {
    float *dmu = dtheta + r * 2 * h + j, *da = dmu + h;
    *dmu = accumulate ? *dmu + gmu : gmu;
    *da = accumulate ? *da + ga : ga;
  }
}

void cuda_affine_coupling_backward(bool inverse, int64_t rows, int h, int rows_per_batch, const float *x,
                                   const float *theta, const float *mask, const float *dout, const float *dlogdet,
                                   float *dx, float *dtheta, bool accumulate) {
  int64_t n = rows * h;
  if (n <= 0) return;
  coupling_backward_kernel<<<cuda_blocks(n), kThreads>>>(inverse, n, h, rows_per_batch, x, theta, mask, dout, dlogdet,
                                                         dx, dtheta, accumulate);
  CUDA_CHECK_LAUNCH("affine_coupling_backward");
}
