// Philox streams (core/philox.h): the same functions as the CPU's, so the numbers match exactly.
#include "backend/cuda/cuda_common.cuh"

enum class Draw { uniform, normal, dropout };

__global__ void random_kernel(Draw what, int64_t n, float p, uint64_t seed, uint64_t offset, float *out) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i >= n) return;
  uint64_t k = offset + (uint64_t)i;
  if (what == Draw::normal) out[i] = fs_rand_normal(seed, k);
  else if (what == Draw::uniform) out[i] = fs_rand_uniform(seed, k);
  else out[i] = fs_dropout_mask(seed, k, p);
}

static void draw(Draw what, int64_t n, float p, uint64_t seed, uint64_t offset, float *out) {
  if (n <= 0) return;
  random_kernel<<<cuda_blocks(n), kThreads>>>(what, n, p, seed, offset, out);
  CUDA_CHECK_LAUNCH("random");
}

void cuda_rand_uniform(int64_t n, uint64_t seed, uint64_t offset, float *out) {
  draw(Draw::uniform, n, 0, seed, offset, out);
}
void cuda_rand_normal(int64_t n, uint64_t seed, uint64_t offset, float *out) {
  draw(Draw::normal, n, 0, seed, offset, out);
}
void cuda_dropout_mask(int64_t n, float p, uint64_t seed, uint64_t offset, float *out) {
  draw(Draw::dropout, n, p, seed, offset, out);
}
