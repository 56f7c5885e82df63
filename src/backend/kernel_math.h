/* Scalar formulas shared by the CPU and CUDA kernels (compiled as host code by the C compiler and
 * as device code by nvcc), so both backends compute exactly the same functions. */
#ifndef FLOWSEQ_BACKEND_KERNEL_MATH_H
#define FLOWSEQ_BACKEND_KERNEL_MATH_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "backend/backend.h"
#include "core/philox.h" /* FS_HD */

/* ---- exp and log1p that vectorise ----
 * libm's expf / log1pf are a call per element, which keeps every loop around them scalar; these
 * are branch-free (selects only), so the compiler turns a loop over them into vector code, and
 * the CUDA kernels use the same functions so both backends agree. Accuracy, checked against
 * double-precision libm over every float of the range in test_kernel_math:
 *   fs_expf(x):    within 1 ulp for normal results (x in [-87.3, 88.7]); subnormal results
 *                  within the smallest normal of libm's; +inf above 88.7228; NaN stays NaN.
 *   fs_log1pf(t):  within 2.5 ulp for t in [0, 1e30] (the domain softplus and log-sigmoid use).
 * Method (Cephes, Moshier): exp reduces x = n ln2 + r, |r| <= ln2/2, evaluates a degree-6
 * polynomial and multiplies by 2^n in two normal halves (so no step overflows or flushes);
 * log splits u = m 2^e with m in [sqrt(1/2), sqrt(2)) and evaluates a degree-9 polynomial in
 * m - 1; log1p(t) = log(u) t / (u - 1) with u = 1 + t recovers the bits of t lost in 1 + t. */
/* Bit casts: memcpy is what GCC's vectoriser sees through (a union access stops it). */
FS_HD float fs_bits_to_float(int32_t i) {
#ifdef __CUDA_ARCH__
  return __int_as_float(i);
#else
  float f;
  memcpy(&f, &i, sizeof f);
  return f;
#endif
}

FS_HD int32_t fs_float_to_bits(float f) {
#ifdef __CUDA_ARCH__
  return __float_as_int(f);
#else
  int32_t i;
  memcpy(&i, &f, sizeof i);
  return i;
#endif
}

FS_HD float fs_pow2i(int32_t n) { return fs_bits_to_float((n + 127) << 23); } /* 2^n, n in [-126, 127] */

FS_HD float fs_expf(float x) {
  float c = x < -104.0f ? -104.0f : x; /* selects, not fminf/fmaxf: those do not vectorise */
  c = c > 88.7229f ? 88.7229f : c;
  float n = (c * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* round to nearest */
  float r = c - n * 0.693359375f - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t e = (int32_t)n, half = e >> 1;
  float y = p * fs_pow2i(half) * fs_pow2i(e - half);
  y = x > 88.72283905f ? INFINITY : y;
  return x != x ? x : y;
}

FS_HD float fs_logf_normal(float u) { /* log u for a positive, normal, finite u */
  int32_t bits = fs_float_to_bits(u), e = ((bits >> 23) & 0xff) - 126;
  float f = fs_bits_to_float((bits & 0x807fffff) | 0x3f000000); /* the mantissa as f in [0.5, 1) */
  bool small = f < 0.707106781186547524f;                       /* then use 2f and e - 1: m in [sqrt(1/2), sqrt(2)) */
  float m = small ? f + f - 1.0f : f - 1.0f;
  float ef = small ? (float)e - 1.0f : (float)e; /* a float select: an int one kept loops scalar */
  float z = m * m, p = 7.0376836292e-2f;
  p = p * m - 1.1514610310e-1f;
  p = p * m + 1.1676998740e-1f;
  p = p * m - 1.2420140846e-1f;
  p = p * m + 1.4249322787e-1f;
  p = p * m - 1.6668057665e-1f;
  p = p * m + 2.0000714765e-1f;
  p = p * m - 2.4999993993e-1f;
  p = p * m + 3.3333331174e-1f;
  float y = p * m * z + ef * -2.12194440e-4f - 0.5f * z;
  return m + y + ef * 0.693359375f;
}

/* Both arms are computed and one selected: a division inside a conditional arm cannot be
 * if-converted (it might trap), which would keep loops over this scalar. */
FS_HD float fs_log1pf(float t) {
  float u = 1.0f + t, d = u - 1.0f, ratio = t / (d == 0.0f ? 1.0f : d);
  float log1p = fs_logf_normal(u) * ratio;
  return d == 0.0f ? t : log1p;
}

/* ---- bfloat16 (backend.h fs_precision) ----
 * x rounded to the nearest bfloat16 (the top 16 bits of a float: same sign and exponent, 7
 * fraction bits), ties to even, returned as the float of that value. Adding 0x7fff plus the
 * lowest kept bit carries into the kept bits exactly when the dropped half is above the tie, or
 * at the tie with an odd kept part; the carry runs on into the exponent as it should (1.99... to
 * 2, the largest finite values to infinity) and works unchanged for subnormals and signed zeros.
 * A NaN would carry into infinity or lose its payload's low bits, so it gets the quiet bit and
 * stays NaN. The CUDA backend's conversions (__float2bfloat16_rn) round the same way. */
FS_HD float fs_bf16_round(float x) {
  uint32_t u = (uint32_t)fs_float_to_bits(x);
  uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  uint32_t nan = (u | 0x00400000u) & 0xffff0000u;
  return fs_bits_to_float((int32_t)((u & 0x7fffffffu) > 0x7f800000u ? nan : rounded));
}

FS_HD float fs_apply_binary(fs_binop op, float a, float b) {
  switch (op) {
    case FS_BIN_ADD:
      return a + b;
    case FS_BIN_SUB:
      return a - b;
    case FS_BIN_MUL:
      return a * b;
    case FS_BIN_DIV:
      return a / b;
  }
  return 0.0f;
}

FS_HD float fs_apply_unary(fs_unop op, float x, float alpha) {
  switch (op) {
    case FS_UN_RELU:
      return x > 0.0f ? x : 0.0f;
    case FS_UN_ELU:
      return x > 0.0f ? x : expm1f(x);
    case FS_UN_SIGMOID:
      return 1.0f / (1.0f + fs_expf(-x));
    case FS_UN_EXP:
      return fs_expf(x);
    case FS_UN_LOG:
      return logf(x);
    case FS_UN_SOFTPLUS: { /* exact to f32 above 20; both arms computed, see fs_log1pf */
      float soft = fs_log1pf(fs_expf(x));
      return x > 20.0f ? x : soft;
    }
    case FS_UN_SQRT:
      return sqrtf(x);
    case FS_UN_SQUARE:
      return x * x;
    case FS_UN_SCALE:
      return alpha * x;
    case FS_UN_ADD_CONST:
      return x + alpha;
  }
  return 0.0f;
}

/* d f(x) / dx written with whichever of x or y = f(x) is cheaper or more accurate. */
FS_HD float fs_unary_derivative(fs_unop op, float x, float y, float alpha) {
  switch (op) {
    case FS_UN_RELU:
      return x > 0.0f ? 1.0f : 0.0f;
    case FS_UN_ELU:
      return x > 0.0f ? 1.0f : y + 1.0f;
    case FS_UN_SIGMOID:
      return y * (1.0f - y);
    case FS_UN_EXP:
      return y;
    case FS_UN_LOG:
      return 1.0f / x;
    case FS_UN_SOFTPLUS:
      return 1.0f / (1.0f + fs_expf(-x));
    case FS_UN_SQRT:
      return 0.5f / y;
    case FS_UN_SQUARE:
      return 2.0f * x;
    case FS_UN_SCALE:
      return alpha;
    case FS_UN_ADD_CONST:
      return 1.0f;
  }
  return 0.0f;
}

/* sum_i e^(z[i] - shift) in double, from fs_expf, in 8 fixed lanes: the loop vectorises and the
 * order (so the result) does not depend on the vector width. */
FS_HD double fs_sum_exp(int n, const float *z, float shift) {
  enum { LANES = 8 };
  double lane[LANES] = {0}, sum = 0.0;
  int i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int l = 0; l < LANES; l++) lane[l] += fs_expf(z[i + l] - shift);
  for (; i < n; i++) sum += fs_expf(z[i] - shift);
  for (int l = 0; l < LANES; l++) sum += lane[l];
  return sum;
}

/* ---- attention (backend.h `attention`) ----
 * Keys query i of tq may see: all tk, or with `causal` the first i + 1 + tk - tq (the queries are
 * the newest tq positions of a sequence whose first tk the keys hold). */
FS_HD int fs_visible_keys(bool causal, int i, int tq, int tk) {
  int n = i + 1 + tk - tq;
  return !causal ? tk : n < 0 ? 0 : n > tk ? tk : n;
}

/* sum_i x[i] in double, in 8 fixed lanes (vectorises; the order does not depend on the width). */
FS_HD double fs_sum_lanes(int n, const float *x) {
  enum { LANES = 8 };
  double lane[LANES] = {0}, sum = 0.0;
  int i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int l = 0; l < LANES; l++) lane[l] += x[i + l];
  for (; i < n; i++) sum += x[i];
  for (int l = 0; l < LANES; l++) sum += lane[l];
  return sum;
}

/* sum_i a[i] b[i] in double, in 8 fixed lanes, as fs_sum_lanes. */
FS_HD double fs_dot_lanes(int n, const float *a, const float *b) {
  enum { LANES = 8 };
  double lane[LANES] = {0}, sum = 0.0;
  int i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int l = 0; l < LANES; l++) lane[l] += (double)a[i + l] * b[i + l];
  for (; i < n; i++) sum += (double)a[i] * b[i];
  for (int l = 0; l < LANES; l++) sum += lane[l];
  return sum;
}

/* Row p [tk] of scores in, attention weights out: softmax over the first `visible` keys with
 * mask[j] != 0, exactly 0 elsewhere, all 0 when no key is valid. The CUDA kernel's form, a
 * thread per query; the CPU runs the same softmax down the columns of transposed scores
 * (cpu/attention.c). Max, exponentials and sum are separate loops without a loop-carried
 * scalar, and the sum is in fixed double lanes. */
FS_HD void fs_masked_softmax_row(int tk, int visible, const float *mask, float *p) {
  enum { LANES = 8 };
  float lane[LANES], max = -INFINITY;
  for (int l = 0; l < LANES; l++) lane[l] = -INFINITY;
  int j = 0;
  for (; j + LANES <= visible; j += LANES)
    for (int l = 0; l < LANES; l++) {
      float v = mask[j + l] != 0.0f ? p[j + l] : -INFINITY;
      lane[l] = v > lane[l] ? v : lane[l];
    }
  for (; j < visible; j++) {
    float v = mask[j] != 0.0f ? p[j] : -INFINITY;
    max = v > max ? v : max;
  }
  for (int l = 0; l < LANES; l++) max = lane[l] > max ? lane[l] : max;
  for (j = visible; j < tk; j++) p[j] = 0.0f;
  if (max == -INFINITY) {
    for (j = 0; j < visible; j++) p[j] = 0.0f;
    return;
  }
  for (j = 0; j < visible; j++) p[j] = mask[j] != 0.0f ? fs_expf(p[j] - max) : 0.0f;
  float inv = (float)(1.0 / fs_sum_lanes(visible, p));
  for (j = 0; j < visible; j++) p[j] *= inv;
}

/* ---- the affine coupling (backend.h `affine_coupling`) ----
 * With z = -(a + 2) and t = e^z: s = sigmoid(a + 2) = 1 / (1 + t) and log s = -log1p(t), or
 * -z once z > 20 (FS_UN_SOFTPLUS's branch); d log s / da = 1 - s and ds / da = s (1 - s). */
FS_HD float fs_coupling_scale(float a) { return 1.0f / (1.0f + fs_expf(-(a + 2.0f))); }

/* One element of the forward (or inverse) step; *m_log_scale gets m * log s for the log-det. */
FS_HD float fs_coupling_element(bool inverse, float x, float mu, float a, float m, float *m_log_scale) {
  float z = -(a + 2.0f), t = fs_expf(z), s = 1.0f / (1.0f + t), soft = fs_log1pf(t);
  *m_log_scale = m * -(z > 20.0f ? z : soft);
  return inverse ? (x - mu) / (s + 1e-12f) * m : (s * x + mu) * m;
}

/* Gradients of one element given dout and the sentence's dlogdet: *dx, *dmu, *da are set. */
FS_HD void fs_coupling_element_backward(bool inverse, float x, float mu, float a, float m, float dout, float dlogdet,
                                        float *dx, float *dmu, float *da) {
  float s = fs_coupling_scale(a), g = dout * m, dlog_s = (1.0f - s) * m * (inverse ? -dlogdet : dlogdet);
  if (inverse) {
    float denom = s + 1e-12f;
    *dx = g / denom;
    *dmu = -g / denom;
    *da = -g * (x - mu) / (denom * denom) * s * (1.0f - s) + dlog_s;
  } else {
    *dx = g * s;
    *dmu = g;
    *da = g * x * s * (1.0f - s) + dlog_s;
  }
}

/* One AdamW element (backend.h `adamw`): updates the moments m and u in place, and AMSGrad's running
 * maximum of u when umax is not NULL, and returns the new parameter. */
FS_HD float fs_adamw_element(float p, float g, float *m, float *u, float *umax, float lr, float beta1, float beta2,
                             float eps, float weight_decay, float step_size) {
  float mi = beta1 * *m + (1.0f - beta1) * g, ui = beta2 * *u + (1.0f - beta2) * g * g, denom = ui;
  *m = mi;
  *u = ui;
  if (umax) { /* AMSGrad: the running maximum, stored unconditionally (a conditional store kept loops scalar) */
    denom = ui > *umax ? ui : *umax;
    *umax = denom;
  }
  p -= lr * weight_decay * p;
  return p - step_size * mi / (sqrtf(denom) + eps);
}

/* Label-smoothed cross-entropy of one row given its log-sum-exp, the sum of its logits and the
 * target's logit (backend.h `cross_entropy`). */
FS_HD float fs_smoothed_nll(double lse, double sum_logits, float target_logit, int vocab, float eps) {
  double nll = lse - target_logit, smooth = (vocab * lse - sum_logits) / vocab;
  return (float)((1.0 - eps) * nll + eps * smooth);
}

#endif
