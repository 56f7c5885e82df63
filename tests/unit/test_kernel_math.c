/* The vectorisable exp and log1p of kernel_math.h against double-precision libm, over a dense
 * sweep of the float range (every 61st float): the error bounds stated in kernel_math.h. */
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

int main(void) {
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
