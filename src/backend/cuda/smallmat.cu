// Inverse and log|det| of a small matrix (n <= 64; the flow's W is 32x32) on the device: one
// block of n threads, Gauss-Jordan with partial pivoting in double on [A | I] in shared memory,
// thread i owning row i. The steps and their order are the CPU's (backend/cpu/smallmat.c).
#include "backend/cuda/cuda_common.cuh"

constexpr int kMaxN = 64;

__global__ void inverse_logdet_kernel(int n, const float *a, float *inv, float *logabsdet, int *singular) {
  extern __shared__ double m[]; // [n][2n], row-major
  __shared__ int pivot, is_singular;
  __shared__ double log_det;
  int i = threadIdx.x, w = 2 * n;
  double *row = m + i * w;
  for (int j = 0; j < w; j++) row[j] = j < n ? a[i * n + j] : (j - n == i);
  if (i == 0) {
    log_det = 0.0;
    is_singular = 0;
  }
  __syncthreads();
  for (int col = 0; col < n; col++) {
    if (i == 0) {
      pivot = col;
      for (int r = col + 1; r < n; r++)
        if (fabs(m[r * w + col]) > fabs(m[pivot * w + col])) pivot = r;
      if (m[pivot * w + col] == 0.0) is_singular = 1;
      else log_det += log(fabs(m[pivot * w + col]));
    }
    __syncthreads();
    if (is_singular) break; // block-uniform
    if (pivot != col)       // swap rows col and pivot, the columns split across the threads
      for (int j = i; j < w; j += n) {
        double t = m[col * w + j];
        m[col * w + j] = m[pivot * w + j];
        m[pivot * w + j] = t;
      }
    __syncthreads();
    if (i == col) {
      double p = row[col];
      for (int j = 0; j < w; j++) row[j] /= p;
    }
    __syncthreads();
    double f = row[col];
    if (i != col && f != 0.0)
      for (int j = 0; j < w; j++) row[j] -= f * m[col * w + j];
    __syncthreads();
  }
  if (i == 0) *singular = is_singular;
  if (is_singular) return;
  for (int j = 0; j < n; j++) inv[i * n + j] = (float)row[n + j];
  if (i == 0) *logabsdet = (float)log_det;
}

bool cuda_inverse_logdet(int n, const float *a, float *inv, float *logabsdet) {
  if (n < 1 || n > kMaxN) {
    cuda_record(cudaErrorInvalidValue, "inverse_logdet (n must be 1..64)");
    return false;
  }
  size_t shared = sizeof(double) * 2 * n * n; // 64 KiB at n = 64: above the 48 KiB default
  static bool opted_in;
  if (!opted_in) {
    cuda_record(cudaFuncSetAttribute(inverse_logdet_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                     (int)(sizeof(double) * 2 * kMaxN * kMaxN)),
                "inverse_logdet shared memory");
    opted_in = true;
  }
  int *singular = nullptr, host_singular = 1;
  cuda_record(cudaMalloc(&singular, sizeof(int)), "inverse_logdet alloc");
  inverse_logdet_kernel<<<1, n, shared>>>(n, a, inv, logabsdet, singular);
  CUDA_CHECK_LAUNCH("inverse_logdet");
  cuda_record(cudaMemcpy(&host_singular, singular, sizeof(int), cudaMemcpyDeviceToHost), "inverse_logdet flag");
  cudaFree(singular);
  return host_singular == 0;
}
