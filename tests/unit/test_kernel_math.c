/* The vectorisable exp and log1p of kernel_math.h against double-precision libm, over a dense
 * sweep of the float range (every 61st float): the error bounds stated in kernel_math.h. And the
 * bf16 rounding against bit patterns worked out by hand. */
#include <stdint.h>
#include <string.h>

#include "backend/kernel_math.h"
#include "test.h"

/* Distance from got to the correctly rounded value of `exact`, in units of the float spacing
 * there (ulp). */
static double ulp_error(float got, double exact) {
  float rounded = (float)exact;
  double spacing = (double)nextafterf(fabsf(rounded), INFINITY) - fabsf(rounded);
  return fabs((double)got - exact) / spacing;
}

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static uint32_t to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* Largest ulp error of fs_expf over the floats of [lo, hi] (same sign), step `stride` bit patterns. */
static double exp_sweep(float lo, float hi, uint32_t stride) {
  double worst = 0;
  uint32_t a = to_bits(lo), b = to_bits(hi);
  if (a > b) {
    uint32_t t = a;
    a = b;
    b = t;
  }
  for (uint32_t u = a; u <= b && u >= a; u += stride) {
    float x = from_bits(u);
    double err = ulp_error(fs_expf(x), exp((double)x));
    if (!(err <= worst)) worst = err;
  }
  return worst;
}

/* fs_bf16_round against results derived by hand from the IEEE layout: a float is sign (1 bit),
 * exponent (8), fraction (23); bf16 keeps the top 16 bits, so rounding looks at the low 16 bits
 * (the tie is 0x8000) and the kept part's last bit (even or odd). */
static void test_bf16_round(void) {
  static const struct {
    uint32_t in, out;
    const char *what;
  } table[] = {
      {0x3f800000u, 0x3f800000u, "1 is a bf16 value"},
      {0x40490fdbu, 0x40490000u, "pi: low half 0x0fdb < 0x8000, down to 3.140625"},
      {0x3f807fffu, 0x3f800000u, "just below the tie: down"},
      {0x3f808000u, 0x3f800000u, "1 + 2^-8: tie, kept part 0x3f80 even: down"},
      {0x3f808001u, 0x3f810000u, "just above the tie: up to 1 + 2^-7"},
      {0x3f818000u, 0x3f820000u, "1 + 3*2^-8: tie, kept part 0x3f81 odd: up to even 0x3f82"},
      {0xbf818000u, 0xbf820000u, "the same negative: the sign does not matter"},
      {0x3fffffffu, 0x40000000u, "1.99999988: the carry runs into the exponent, 2"},
      {0x7f7f7fffu, 0x7f7f0000u, "below the tie under the largest bf16: stays finite (3.3895e38)"},
      {0x7f7f8000u, 0x7f800000u, "tie above the largest bf16 (0x7f7f, odd): to even 0x7f80, infinity"},
      {0x7f7fffffu, 0x7f800000u, "FLT_MAX overflows to infinity"},
      {0xff7fffffu, 0xff800000u, "-FLT_MAX to -infinity"},
      {0x7f800000u, 0x7f800000u, "infinity stays"},
      {0xff800000u, 0xff800000u, "-infinity stays"},
      {0x00000000u, 0x00000000u, "+0"},
      {0x80000000u, 0x80000000u, "-0 keeps its sign"},
      {0x00000001u, 0x00000000u, "the smallest subnormal float: down to +0"},
      {0x80000001u, 0x80000000u, "its negative: down to -0"},
      {0x00008000u, 0x00000000u, "subnormal tie, kept part 0 even: down"},
      {0x00008001u, 0x00010000u, "just above: the smallest bf16 subnormal, 2^-133"},
      {0x00018000u, 0x00020000u, "subnormal tie, kept part 1 odd: up to 2"},
      {0x007fffffu, 0x00800000u, "the largest subnormal rounds up to FLT_MIN, a normal"},
  };
  for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
    uint32_t got = to_bits(fs_bf16_round(from_bits(table[i].in)));
    CHECK_MSG(got == table[i].out, "%s: 0x%08x -> 0x%08x, expected 0x%08x", table[i].what, table[i].in, got,
              table[i].out);
  }
  /* NaNs stay NaN, with their sign: a quiet one exactly, a signalling one whose payload is only
   * in the dropped bits (it must not become infinity), and an all-ones one (must not carry) */
  CHECK(to_bits(fs_bf16_round(from_bits(0x7fc00000u))) == 0x7fc00000u);
  float snan = fs_bf16_round(from_bits(0x7f800001u)), ones = fs_bf16_round(from_bits(0xffffffffu));
  CHECK_MSG(isnan(snan) && !signbit(snan), "0x7f800001 -> 0x%08x", to_bits(snan));
  CHECK_MSG(isnan(ones) && signbit(ones), "0xffffffff -> 0x%08x", to_bits(ones));
  /* every result is a bf16 value within half a bf16 spacing of the input: 2^-8 of it at most
   * (7 fraction bits: the spacing above 2^e is 2^(e-7)) */
  double worst = 0;
  long low_bits = 0;
  for (uint32_t u = to_bits(1e-30f); u <= to_bits(1e30f); u += 4099) {
    float x = from_bits(u), r = fs_bf16_round(x);
    low_bits += (to_bits(r) & 0xffffu) != 0;
    worst = fmax(worst, fabs((double)r - x) / x);
  }
  CHECK_MSG(low_bits == 0, "%ld results are not bf16 values", low_bits);
  CHECK_MSG(worst <= 1.0 / 256 && worst > 1.0 / 300, "relative rounding error %g, expected just under 2^-8", worst);
}

int main(void) {
  test_bf16_round();
  double e_pos = exp_sweep(0.0f, 88.7f, 61), e_neg = exp_sweep(-0.0f, -87.3f, 61);
  printf("fs_expf: worst %.3f ulp on [0, 88.7], %.3f ulp on [-87.3, 0]\n", e_pos, e_neg);
  CHECK_MSG(e_pos <= 1.0 && e_neg <= 1.0, "fs_expf error %.3f / %.3f ulp", e_pos, e_neg);
  /* the edges: overflow to +inf, subnormal results close to libm, NaN kept */
  CHECK(fs_expf(88.73f) == INFINITY && fs_expf(1000.0f) == INFINITY && fs_expf(INFINITY) == INFINITY);
  CHECK(fs_expf(88.72f) < INFINITY && fs_expf(88.72f) > 3.3e38f);
  CHECK(fs_expf(-INFINITY) == 0.0f && fs_expf(-200.0f) == 0.0f);
  double sub = 0;
  for (float x = -103.0f; x < -87.4f; x += 0.01f) sub = fmax(sub, fabs(fs_expf(x) - exp((double)x)));
  CHECK_MSG(sub <= 1.2e-38, "fs_expf subnormal error %g", sub);
  CHECK(isnan(fs_expf(NAN)));
  CHECK(fs_expf(0.0f) == 1.0f);

  double l_worst = 0;
  uint32_t a = to_bits(1e-30f), b = to_bits(1e30f);
  for (uint32_t u = a; u <= b; u += 61) {
    float t = from_bits(u);
    double err = ulp_error(fs_log1pf(t), log1p((double)t));
    if (!(err <= l_worst)) l_worst = err;
  }
  printf("fs_log1pf: worst %.3f ulp on [1e-30, 1e30]\n", l_worst);
  CHECK_MSG(l_worst <= 2.5, "fs_log1pf error %.3f ulp", l_worst);
  CHECK(fs_log1pf(0.0f) == 0.0f);
  return test_summary();
}
