/* Philox4x32-10 counter-based random numbers (Salmon et al., SC'11), shared verbatim by the CPU
 * and CUDA backends so both draw identical numbers for the same (seed, index).
 *
 * Element k of a stream is a pure function of (seed, k): no state is carried between calls, so a
 * random op only needs the seed and the offset of its first element, and any element can be
 * regenerated (dropout masks in backward, reproducible sampling on either device). */
#ifndef FLOWSEQ_CORE_PHILOX_H
#define FLOWSEQ_CORE_PHILOX_H

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define FS_HD __host__ __device__ __forceinline__
#else
/* always inlined: a call left in a kernel loop keeps it from vectorising */
#define FS_HD static inline __attribute__((always_inline))
#endif

FS_HD void fs_philox4x32(uint64_t seed, uint64_t counter, uint32_t out[4]) {
  uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int round = 0; round < 10; round++) {
    uint64_t p0 = (uint64_t)0xD2511F53u * c0;
    uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint32_t)p1;
    c3 = (uint32_t)p0;
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/* Element i of the splitmix64 sequence of `seed` (Steele, Lea and Flood, OOPSLA'14): a well-mixed
 * 64-bit value of (seed, i), used as the Philox key of a stream of its own (a training batch, a
 * shard of it). */
FS_HD uint64_t fs_splitmix64(uint64_t seed, uint64_t i) {
  uint64_t z = seed + i * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* 24 random bits mapped to the open interval (0, 1): never 0, so log() is safe. */
FS_HD float fs_u32_to_unit(uint32_t x) { return ((float)(x >> 8) + 0.5f) * (1.0f / 16777216.0f); }

/* Element k of the uniform (0,1) stream of `seed`. */
FS_HD float fs_rand_uniform(uint64_t seed, uint64_t k) {
  uint32_t r[4];
  fs_philox4x32(seed, k >> 2, r);
  return fs_u32_to_unit(r[k & 3]);
}

/* Element k of a dropout mask at rate p: 0 (dropped) or 1/(1-p), from 16 random bits, so one
 * Philox block serves eight elements (element k: block k / 8, bits 16 (k mod 2) of word
 * (k / 2) mod 4), in a counter space of its own (bit 62 set). Rates resolve to 1/65536. */
FS_HD uint64_t fs_dropout_block(uint64_t c) { return c | ((uint64_t)1 << 62); }

FS_HD float fs_dropout_keep(uint32_t bits16, float p) {
  return ((float)bits16 + 0.5f) * (1.0f / 65536.0f) < p ? 0.0f : 1.0f / (1.0f - p);
}

FS_HD float fs_dropout_mask(uint64_t seed, uint64_t k, float p) {
  uint32_t r[4];
  fs_philox4x32(seed, fs_dropout_block(k >> 3), r);
  uint32_t word = r[(k >> 1) & 3];
  return fs_dropout_keep(k & 1 ? word >> 16 : word & 0xffff, p);
}

/* Element k of the standard normal stream of `seed` (Box-Muller on one Philox block half).
 * The normal stream uses counters with the top bit set so it never overlaps the uniform one. */
FS_HD float fs_rand_normal(uint64_t seed, uint64_t k) {
  uint32_t r[4];
  fs_philox4x32(seed, (k >> 1) | ((uint64_t)1 << 63), r);
  int lane = (int)(k & 1) * 2;
  float u1 = fs_u32_to_unit(r[lane]), u2 = fs_u32_to_unit(r[lane + 1]);
  return sqrtf(-2.0f * logf(u1)) * cosf(6.28318530717958647692f * u2);
}

#endif
