/* IEEE 754 half precision: the implementation; core/half.h describes the interface. */
#include "core/half.h"

#include <math.h>
#include <string.h>

static uint32_t float_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

uint16_t fs_half_from_float(float x) {
  uint32_t u = float_bits(x), a = u & 0x7fffffffu;
  uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
  if (a > 0x7f800000u) return sign | 0x7e00u | (uint16_t)((a >> 13) & 0x3ffu); /* NaN, quiet */
  if (a >= 0x477ff000u) return sign | 0x7c00u; /* 65520 and up (the tie above 65504) and inf */
  if (a >= 0x38800000u) {                      /* a normal half: 2^-14 and up */
    /* drop 13 fraction bits, rounding to nearest even (a carry may run into the exponent, as it
     * should), then move the exponent from float's bias 127 to half's 15 */
    uint32_t rounded = a + 0x0fffu + ((a >> 13) & 1u);
    return sign | (uint16_t)((rounded - 0x38000000u) >> 13);
  }
  /* a subnormal half counts steps of 2^-24: scaling by 2^24 is exact, and rintf rounds to the
   * nearest integer, ties to even (the default rounding mode); 1024 is the smallest normal */
  return sign | (uint16_t)rintf(fabsf(x) * 16777216.0f);
}

float fs_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exponent = (h >> 10) & 0x1fu, fraction = h & 0x3ffu;
  if (exponent == 0) { /* zero or subnormal: fraction x 2^-24 */
    float magnitude = ldexpf((float)fraction, -24);
    return sign ? -magnitude : magnitude;
  }
  uint32_t u = sign | (exponent == 31 ? 0x7f800000u : (exponent + 112u) << 23) | (fraction << 13);
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}
