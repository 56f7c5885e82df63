/* Counter-based random streams (core/philox.h): element i of a call is element offset+i of the
 * stream, so results do not depend on threading or on the device. */
#include "backend/cpu/cpu_kernels.h"
#include "core/philox.h"

/* One Philox block gives the four consecutive uniform elements 4c..4c+3 of the stream:
 * out[i] = u(offset + i) for i in [lo, hi), each block computed once (fs_rand_uniform per
 * element would compute it four times). Same values as fs_rand_uniform, bit for bit. */
CPU_CLONES static void uniform_range(uint64_t seed, uint64_t offset, int64_t lo, int64_t hi, float *out) {
  int64_t i = lo;
  while (i < hi) {
    uint64_t k = offset + (uint64_t)i;
    uint32_t r[4];
    fs_philox4x32(seed, k >> 2, r);
    for (int lane = (int)(k & 3); lane < 4 && i < hi; lane++, i++) out[i] = fs_u32_to_unit(r[lane]);
  }
}

static void uniform(uint64_t seed, uint64_t offset, int64_t n, float *out) {
#pragma omp parallel if (n > 32768)
  {
    int64_t lo, hi;
    cpu_thread_range(n, &lo, &hi);
    uniform_range(seed, offset, lo, hi, out);
  }
}

void cpu_rand_uniform(int64_t n, uint64_t seed, uint64_t offset, float *out) { uniform(seed, offset, n, out); }

void cpu_rand_normal(int64_t n, uint64_t seed, uint64_t offset, float *out) {
#pragma omp parallel for schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; i++) out[i] = fs_rand_normal(seed, offset + (uint64_t)i);
}

void cpu_dropout_mask(int64_t n, float p, uint64_t seed, uint64_t offset, float *out) {
  float keep_scale = 1.0f / (1.0f - p);
  uniform(seed, offset, n, out);
#pragma omp parallel for schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; i++) out[i] = out[i] < p ? 0.0f : keep_scale;
}
