// Layer norm: one block per row forward and for dx; the parameter gradients are column sums over
// the rows in a fixed order (deterministic, no atomics).
#include "backend/cuda/cuda_common.cuh"

__global__ void layernorm_kernel(int cols, float eps, const float *x, const float *gamma, const float *beta, float *y,
                                 float *mean, float *rstd) {
  __shared__ double scratch[kThreads / 32];
  int64_t r = blockIdx.x;
  const float *xr = x + r * cols;
  double s = 0.0;
  for (int j = threadIdx.x; j < cols; j += kThreads) s += xr[j];
  double mu = block_sum(s, scratch) / cols;
  double ss = 0.0;
  for (int j = threadIdx.x; j < cols; j += kThreads) ss += (xr[j] - mu) * (xr[j] - mu);
  float rs = (float)(1.0 / sqrt(block_sum(ss, scratch) / cols + eps));
  for (int j = threadIdx.x; j < cols; j += kThreads) y[r * cols + j] = ((float)(xr[j] - mu)) * rs * gamma[j] + beta[j];
  if (threadIdx.x == 0) {
    mean[r] = (float)mu;
    rstd[r] = rs;
  }
}

void cuda_layernorm(int64_t rows, int cols, float eps, const float *x, const float *gamma, const float *beta, float *y,
                    float *mean, float *rstd) {
  if (rows <= 0) return;
  layernorm_kernel<<<(unsigned)rows, kThreads>>>(cols, eps, x, gamma, beta, y, mean, rstd);
  CUDA_CHECK_LAUNCH("layernorm");
}

__global__ void layernorm_dx_kernel(int cols, const float *x, const float *gamma, const float *mean, const float *rstd,
                                    const float *dy, float *dx, bool accumulate) {
  __shared__ double scratch[kThreads / 32];
  int64_t r = blockIdx.x;
  const float *xr = x + r * cols, *dyr = dy + r * cols;
  double mg = 0.0, mgx = 0.0;
  for (int j = threadIdx.x; j < cols; j += kThreads) {
    float xhat = (xr[j] - mean[r]) * rstd[r], g = dyr[j] * gamma[j];
    mg += g;
    mgx += g * xhat;
  }
  float mean_g = (float)(block_sum(mg, scratch) / cols), mean_gx = (float)(block_sum(mgx, scratch) / cols);
  for (int j = threadIdx.x; j < cols; j += kThreads) {
    float xhat = (xr[j] - mean[r]) * rstd[r];
    float *d = dx + r * cols + j;
    *d = (accumulate ? *d : 0.0f) + rstd[r] * (dyr[j] * gamma[j] - mean_g - xhat * mean_gx);
  }
}

// A block of 32 columns x kRowLanes row lanes: lane ty sums rows ty, ty + kRowLanes, ... of its
// column (a warp reads 32 adjacent floats per row), then the lanes' partial sums are added in
// lane order. The order is fixed, so dgamma/dbeta are deterministic without atomics.
constexpr int kRowLanes = 32;

__global__ void layernorm_dparams_kernel(int64_t rows, int cols, const float *x, const float *mean, const float *rstd,
                                         const float *dy, float *dgamma, float *dbeta) {
  __shared__ double part_g[kRowLanes][32], part_b[kRowLanes][32];
  int tx = threadIdx.x, ty = threadIdx.y, j = blockIdx.x * 32 + tx;
  double dg = 0.0, db = 0.0;
  if (j < cols)
    for (int64_t r = ty; r < rows; r += kRowLanes) {
      float d = dy[r * cols + j];
      dg += d * (x[r * cols + j] - mean[r]) * rstd[r];
      db += d;
    }
  part_g[ty][tx] = dg;
  part_b[ty][tx] = db;
  __syncthreads();
  if (ty == 0 && j < cols) {
    for (int l = 1; l < kRowLanes; l++) {
      dg += part_g[l][tx];
      db += part_b[l][tx];
    }
    dgamma[j] += (float)dg;
    dbeta[j] += (float)db;
  }
}

void cuda_layernorm_backward(int64_t rows, int cols, const float *x, const float *gamma, const float *mean,
                             const float *rstd, const float *dy, float *dx, float *dgamma, float *dbeta,
                             bool accumulate) {
  if (rows <= 0) return;
  layernorm_dx_kernel<<<(unsigned)rows, kThreads>>>(cols, x, gamma, mean, rstd, dy, dx, accumulate);
  layernorm_dparams_kernel<<<(cols + 31) / 32, dim3(32, kRowLanes)>>>(rows, cols, x, mean, rstd, dy, dgamma, dbeta);
  CUDA_CHECK_LAUNCH("layernorm backward");
}
