// Inverse and log|det| of a small matrix (n <= 32, the flow's W) on the device: one block of n
// threads, Gauss-Jordan with partial pivoting in double in shared memory; thread i owns row i.
#include "backend/cuda/cuda_common.cuh"

constexpr int kMaxN = 32;

__global__ void inverse_logdet_kernel(int n, const float *a, float *inv, float *logabsdet, int *singular) {
  __shared__ double m[kMaxN][2 * kMaxN];
  __shared__ int pivot;
  __shared__ double log_det;
  int i = threadIdx.x, w = 2 * n;
  for (int j = 0; j < w; j++) m[i][j] = j < n ? a[i * n + j] : (j - n == i);
  if (i == 0) {
    log_det = 0.0;
    *singular = 0;
  }
  __syncthreads();
  for (int col = 0; col < n; col++) {
    if (i == 0) {
      pivot = col;
      for (int r = col + 1; r < n; r++)
        if (fabs(m[r][col]) > fabs(m[pivot][col])) pivot = r;
      if (m[pivot][col] == 0.0) *singular = 1;
      else log_det += log(fabs(m[pivot][col]));
    }
    __syncthreads();
    if (*singular) return;
    if (pivot != col && i < w / 2) // swap rows col and pivot, split across threads by column
      for (int j = i; j < w; j += n) {
        double t = m[col][j];
        m[col][j] = m[pivot][j];
        m[pivot][j] = t;
      }
    __syncthreads();
    double p = m[col][col];
    __syncthreads();
    if (i == col)
      for (int j = 0; j < w; j++) m[col][j] /= p;
    __syncthreads();
    if (i != col) {
      double f = m[i][col];
      for (int j = 0; j < w; j++) m[i][j] -= f * m[col][j];
    }
    __syncthreads();
  }
  for (int j = 0; j < n; j++) inv[i * n + j] = (float)m[i][n + j];
  if (i == 0) *logabsdet = (float)log_det;
}

bool cuda_inverse_logdet(int n, const float *a, float *inv, float *logabsdet) {
  if (n < 1 || n > kMaxN) {
    cuda_record(cudaErrorInvalidValue, "inverse_logdet (n > 32)");
    return false;
  }
  int *singular = nullptr, host_singular = 1;
  cuda_record(cudaMalloc(&singular, sizeof(int)), "inverse_logdet alloc");
  inverse_logdet_kernel<<<1, n>>>(n, a, inv, logabsdet, singular);
  CUDA_CHECK_LAUNCH("inverse_logdet");
  cuda_record(cudaMemcpy(&host_singular, singular, sizeof(int), cudaMemcpyDeviceToHost), "inverse_logdet flag");
  cudaFree(singular);
  return host_singular == 0;
}
