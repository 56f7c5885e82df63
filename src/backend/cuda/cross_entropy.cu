// Label-smoothed cross-entropy from logits: one block per row.
#include "backend/cuda/cuda_common.cuh"

__global__ void cross_entropy_kernel(int vocab, float eps, const float *logits, const int32_t *target, float *loss,
                                     float *logsumexp) {
  __shared__ float fscratch[kThreads / 32];
  __shared__ double dscratch[kThreads / 32];
  int64_t r = blockIdx.x;
  const float *z = logits + r * vocab;
  float local_max = -INFINITY;
  for (int v = threadIdx.x; v < vocab; v += kThreads) local_max = fmaxf(local_max, z[v]);
  float max = block_max(local_max, fscratch);
  double sum = 0.0, sum_z = 0.0;
  for (int v = threadIdx.x; v < vocab; v += kThreads) {
    sum += exp((double)z[v] - max);
    sum_z += z[v];
  }
  sum = block_sum(sum, dscratch);
  sum_z = block_sum(sum_z, dscratch);
  if (threadIdx.x == 0) {
    double lse = max + log(sum);
    loss[r] = fs_smoothed_nll(lse, sum_z, z[target[r]], vocab, eps);
    logsumexp[r] = (float)lse;
  }
}

void cuda_cross_entropy(int64_t rows, int vocab, float eps, const float *logits, const int32_t *target, float *loss,
                        float *logsumexp) {
  if (rows <= 0) return;
  cross_entropy_kernel<<<(unsigned)rows, kThreads>>>(vocab, eps, logits, target, loss, logsumexp);
  CUDA_CHECK_LAUNCH("cross_entropy");
}

// d loss / d z_v = softmax_v − (1 − eps)[v == target] − eps / V
__global__ void cross_entropy_backward_kernel(int vocab, float eps, const float *logits, const int32_t *target,
                                              const float *logsumexp, const float *dloss, float *dlogits,
                                              bool accumulate) {
  int64_t r = blockIdx.x;
  const float *z = logits + r * vocab;
  float *dz = dlogits + r * vocab, g = dloss[r], uniform = eps / vocab;
  // the same two roundings as the CPU: the softmax term first, then the target's correction
  for (int v = threadIdx.x; v < vocab; v += kThreads) {
    float d = (accumulate ? dz[v] : 0.0f) + g * (expf(z[v] - logsumexp[r]) - uniform);
    dz[v] = v == target[r] ? d - g * (1.0f - eps) : d;
  }
}

void cuda_cross_entropy_backward(int64_t rows, int vocab, float eps, const float *logits, const int32_t *target,
                                 const float *logsumexp, const float *dloss, float *dlogits, bool accumulate) {
  if (rows <= 0) return;
  cross_entropy_backward_kernel<<<(unsigned)rows, kThreads>>>(vocab, eps, logits, target, logsumexp, dloss, dlogits,
                                                              accumulate);
  CUDA_CHECK_LAUNCH("cross_entropy backward");
}
