/* IEEE half precision (core/half.h), the storage of fp16 model weights: conversions of values
 * whose bit patterns are derived by hand from the binary16 layout (normals, subnormals, the
 * rounding ties on both sides of even, overflow, NaN, signed zero), every one of the 65536 halves
 * through float and back, and, where the compiler has a 16-bit float type, random floats against
 * its conversion (an independent implementation). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/half.h"
#include "test.h"

static float from_bits(uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

static void test_table(void) {
  struct {
    float x;
    uint16_t half;
  } cases[] = {
      {0.0f, 0x0000},
      {-0.0f, 0x8000},
      {1.0f, 0x3c00},
      {-2.0f, 0xc000},
      {0.5f, 0x3800},
      {65504.0f, 0x7bff},                 /* the largest half */
      {65519.0f, 0x7bff},                 /* below the tie at 65520: down */
      {65520.0f, 0x7c00},                 /* the tie: to even, which is infinity */
      {1e6f, 0x7c00},                     /* overflow */
      {-INFINITY, 0xfc00},                /* */
      {6.103515625e-05f, 0x0400},         /* 2^-14, the smallest normal */
      {5.9604644775390625e-08f, 0x0001},  /* 2^-24, the smallest subnormal */
      {2.98023223876953125e-08f, 0x0000}, /* 2^-25: the tie between 0 and 2^-24 goes to 0 (even) */
      {8.940696716308594e-08f, 0x0002},   /* 1.5 x 2^-24: the tie goes up to 2 (even) */
      {1.0009765625f, 0x3c01},            /* 1 + 2^-10, one step above 1 */
      {1.00048828125f, 0x3c00},           /* 1 + 2^-11: the tie goes to 1 (even) */
      {1.00146484375f, 0x3c02},           /* 1 + 3 x 2^-11: the tie goes to 1 + 2^-9 (even) */
      {1.000732421875f, 0x3c01},          /* above the tie: up */
      {2047.0f / 1024.0f, 0x3fff},        /* 1.9990234375, the largest half below 2 */
      {1.99951171875f, 0x4000},           /* its tie with 2: the carry runs into the exponent */
      {6.1005353927612305e-05f, 0x0400},  /* 1023.5 x 2^-24, the largest subnormal's tie with 2^-14: up */
      {3.14159265f, 0x4248},              /* pi */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint16_t h = fs_half_from_float(cases[i].x);
    CHECK_MSG(h == cases[i].half, "%.10g -> 0x%04x, expected 0x%04x", cases[i].x, h, cases[i].half);
  }
  uint16_t nan = fs_half_from_float(from_bits(0x7f800001u)); /* a signalling NaN stays a NaN */
  CHECK_MSG((nan & 0x7c00) == 0x7c00 && (nan & 0x03ff) != 0, "NaN -> 0x%04x", nan);
  CHECK(isnan(fs_half_to_float(0x7e00)) && fs_half_to_float(0x7c00) == INFINITY);
  CHECK(fs_half_to_float(0x0001) == 5.9604644775390625e-08f && fs_half_to_float(0x3555) == 0.333251953125f);
}

/* Every half is a float: half -> float -> half is the identity (NaNs stay NaNs). */
static void test_round_trip(void) {
  int bad = 0;
  for (uint32_t h = 0; h < 65536; h++) {
    float x = fs_half_to_float((uint16_t)h);
    bool is_nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
    if (is_nan ? !isnan(x) : fs_half_from_float(x) != h) bad++;
  }
  CHECK_MSG(bad == 0, "%d halves do not survive the round trip", bad);
}

#ifdef __FLT16_MAX__
/* Random floats over every magnitude a half spans, against the compiler's _Float16 conversion. */
static void test_against_compiler(void) {
  uint32_t state = 12345;
  int bad = 0;
  for (int i = 0; i < 2000000; i++) {
    state = state * 1664525u + 1013904223u;
    /* exponents 2^-30 .. 2^17 (below subnormals to beyond the largest half), any fraction */
    uint32_t bits = (state & 0x807fffffu) | ((97u + (state >> 8) % 48u) << 23);
    float x = from_bits(bits);
    _Float16 reference = (_Float16)x;
    uint16_t want;
    memcpy(&want, &reference, sizeof want);
    if (fs_half_from_float(x) != want || fs_half_to_float(want) != (float)reference) bad++;
  }
  CHECK_MSG(bad == 0, "%d of 2000000 random floats convert unlike _Float16", bad);
}
#endif

int main(void) {
  test_table();
  test_round_trip();
#ifdef __FLT16_MAX__
  test_against_compiler();
#else
  printf("note: no _Float16 in this compiler: the comparison against it is skipped\n");
#endif
  return test_summary();
}
