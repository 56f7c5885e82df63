/* Counter-based random streams (core/philox.h): element i of a call is element offset+i of the
 * stream, so results do not depend on threading or on the device. */
#include "backend/cpu/cpu_kernels.h"
#include "core/philox.h"

void cpu_rand_uniform(int64_t n, uint64_t seed, uint64_t offset, float *out) {
#pragma omp parallel for schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; i++) out[i] = fs_rand_uniform(seed, offset + (uint64_t)i);
}

void cpu_rand_normal(int64_t n, uint64_t seed, uint64_t offset, float *out) {
#pragma omp parallel for schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; i++) out[i] = fs_rand_normal(seed, offset + (uint64_t)i);
}

void cpu_dropout_mask(int64_t n, float p, uint64_t seed, uint64_t offset, float *out) {
  float keep_scale = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; i++) out[i] = fs_rand_uniform(seed, offset + (uint64_t)i) < p ? 0.0f : keep_scale;
}
