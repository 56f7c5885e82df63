/* Counter-based random streams (core/philox.h): element i of a call is element offset+i of the
 * stream, so results do not depend on threading or on the device. */
#include "backend/cpu/cpu_kernels.h"
#include "core/philox.h"

/* out[i] = u(offset + i) for i in [lo, hi), the same values as fs_rand_uniform bit for bit. One
 * Philox block gives the four consecutive elements 4c..4c+3, so the whole blocks inside the range
 * are a plain loop over counters, one block each, which vectorises across blocks (2.6x faster
 * than walking the range element by element); the partial blocks at either end go one element at
 * a time. */
CPU_CLONES static void uniform_range(uint64_t seed, uint64_t offset, int64_t lo, int64_t hi, float *out) {
  int64_t i = lo;
  for (; i < hi && ((offset + (uint64_t)i) & 3); i++) out[i] = fs_rand_uniform(seed, offset + (uint64_t)i);
  int64_t blocks = (hi - i) / 4;
  uint64_t first = (offset + (uint64_t)i) >> 2;
  float *o = out + i;
  for (int64_t b = 0; b < blocks; b++) {
    uint32_t r[4];
    fs_philox4x32(seed, first + (uint64_t)b, r);
    for (int l = 0; l < 4; l++) o[4 * b + l] = fs_u32_to_unit(r[l]);
  }
  for (i += 4 * blocks; i < hi; i++) out[i] = fs_rand_uniform(seed, offset + (uint64_t)i);
}

void cpu_rand_uniform(int64_t n, uint64_t seed, uint64_t offset, float *out) {
#pragma omp parallel if (n > 32768)
  {
    int64_t lo, hi;
    cpu_thread_range(n, &lo, &hi);
    uniform_range(seed, offset, lo, hi, out);
  }
}

void cpu_rand_normal(int64_t n, uint64_t seed, uint64_t offset, float *out) {
#pragma omp parallel for schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; i++) out[i] = fs_rand_normal(seed, offset + (uint64_t)i);
}

/* out[i] = fs_dropout_mask(offset + i) for i in [lo, hi), bit for bit: whole blocks of eight
 * elements in a loop over counters that vectorises, as uniform_range; the partial blocks at
 * either end element by element. Eight elements a block instead of four (16 bits each, not 24)
 * halved the Philox work of the masks, the larger part of dropout's cost. */
CPU_CLONES static void dropout_range(float p, uint64_t seed, uint64_t offset, int64_t lo, int64_t hi, float *out) {
  int64_t i = lo;
  for (; i < hi && ((offset + (uint64_t)i) & 7); i++) out[i] = fs_dropout_mask(seed, offset + (uint64_t)i, p);
  int64_t blocks = (hi - i) / 8;
  uint64_t first = (offset + (uint64_t)i) >> 3;
  float *o = out + i;
  for (int64_t b = 0; b < blocks; b++) {
    uint32_t r[4];
    fs_philox4x32(seed, fs_dropout_block(first + (uint64_t)b), r);
    for (int w = 0; w < 4; w++) {
      o[8 * b + 2 * w] = fs_dropout_keep(r[w] & 0xffff, p);
      o[8 * b + 2 * w + 1] = fs_dropout_keep(r[w] >> 16, p);
    }
  }
  for (i += 8 * blocks; i < hi; i++) out[i] = fs_dropout_mask(seed, offset + (uint64_t)i, p);
}

void cpu_dropout_mask(int64_t n, float p, uint64_t seed, uint64_t offset, float *out) {
#pragma omp parallel if (n > 32768)
  {
    int64_t lo, hi;
    cpu_thread_range(n, &lo, &hi);
    dropout_range(p, seed, offset, lo, hi, out);
  }
}
