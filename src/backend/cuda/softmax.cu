// Row-wise (masked) softmax and log-softmax: one block of kThreads threads per row.
#include "backend/cuda/cuda_common.cuh"

__global__ void softmax_kernel(int cols, const float *x, const float *mask, int64_t mask_group, float *y,
                               bool want_log) {
  __shared__ float fscratch[kThreads / 32];
  __shared__ double dscratch[kThreads / 32];
  int64_t r = blockIdx.x;
  const float *xr = x + r * cols;
  const float *m = mask ? mask + (r / mask_group) * cols : nullptr;
  float *yr = y + r * cols;
  float local_max = -INFINITY;
  for (int j = threadIdx.x; j < cols; j += kThreads)
    if (!m || m[j] != 0.0f) local_max = fmaxf(local_max, xr[j]);
  float max = block_max(local_max, fscratch);
  if (max == -INFINITY) { // nothing unmasked: all zeros, as on the CPU
    for (int j = threadIdx.x; j < cols; j += kThreads) yr[j] = 0.0f;
    return;
  }
  // As on the CPU: one expf per element, summed in double; softmax keeps the unnormalised weights
  // in y (each thread rescales only the entries it wrote) and multiplies by 1/sum.
  double local_sum = 0.0;
  for (int j = threadIdx.x; j < cols; j += kThreads) {
    float w = !m || m[j] != 0.0f ? expf(xr[j] - max) : 0.0f;
    if (!want_log) yr[j] = w;
    local_sum += w;
  }
  double sum = block_sum(local_sum, dscratch);
  if (want_log) {
    float log_sum = (float)log(sum);
    for (int j = threadIdx.x; j < cols; j += kThreads) yr[j] = !m || m[j] != 0.0f ? xr[j] - max - log_sum : -INFINITY;
  } else {
    float inv = (float)(1.0 / sum);
    for (int j = threadIdx.x; j < cols; j += kThreads) yr[j] *= inv;
  }
}

void cuda_softmax(int64_t rows, int cols, const float *x, const float *mask, int64_t mask_group, float *y) {
  if (rows <= 0) return;
  softmax_kernel<<<(unsigned)rows, kThreads>>>(cols, x, mask, mask_group, y, false);
  CUDA_CHECK_LAUNCH("softmax");
}

void cuda_log_softmax(int64_t rows, int cols, const float *x, const float *mask, int64_t mask_group, float *y) {
  if (rows <= 0) return;
  softmax_kernel<<<(unsigned)rows, kThreads>>>(cols, x, mask, mask_group, y, true);
  CUDA_CHECK_LAUNCH("log_softmax");
}

// softmax: dx += y (dy − <dy, y>);  log-softmax: dx += dy − e^y Σdy over unmasked (finite) entries
__global__ void softmax_backward_kernel(int cols, const float *y, const float *dy, float *dx, bool from_log) {
  __shared__ double scratch[kThreads / 32];
  int64_t r = blockIdx.x;
  const float *yr = y + r * cols, *dyr = dy + r * cols;
  double local = 0.0;
  for (int j = threadIdx.x; j < cols; j += kThreads) {
    if (from_log) local += yr[j] != -INFINITY ? dyr[j] : 0.0f;
    else local += (double)dyr[j] * yr[j];
  }
  float total = (float)block_sum(local, scratch);
  for (int j = threadIdx.x; j < cols; j += kThreads) {
    if (from_log) {
      if (yr[j] != -INFINITY) dx[r * cols + j] += dyr[j] - expf(yr[j]) * total;
    } else {
      dx[r * cols + j] += yr[j] * (dyr[j] - total);
    }
  }
}

void cuda_softmax_backward(int64_t rows, int cols, const float *y, const float *dy, float *dx) {
  if (rows <= 0) return;
  softmax_backward_kernel<<<(unsigned)rows, kThreads>>>(cols, y, dy, dx, false);
  CUDA_CHECK_LAUNCH("softmax backward");
}

void cuda_log_softmax_backward(int64_t rows, int cols, const float *y, const float *dy, float *dx) {
  if (rows <= 0) return;
  softmax_backward_kernel<<<(unsigned)rows, kThreads>>>(cols, y, dy, dx, true);
  CUDA_CHECK_LAUNCH("log_softmax backward");
}
