/* Finite-difference gradient checks for ops and layers, on any backend.
 *
 * gradcheck() builds leaf tensors from host values, runs `forward`, reduces its output to the
 * scalar L = sum_i w_i * out_i with fixed pseudo-random weights w (so every output element's
 * gradient matters), back-propagates, and compares each input's analytic gradient with the
 * central difference (L(x + h) - L(x - h)) / 2h computed element by element. Inputs marked
 * `constant` are passed through without gradients (masks, for example). */
#ifndef FLOWSEQ_TESTS_GRADCHECK_H
#define FLOWSEQ_TESTS_GRADCHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/engine.h"
#include "ops/ops.h"

typedef fs_tensor *(*gradcheck_fn)(fs_engine *e, fs_tensor **inputs, void *ctx);

typedef struct {
  int ndim;
  int shape[FS_MAX_DIMS];
  float *values; /* host, numel elements; perturbed in place during the check and restored */
  int constant;  /* 1: no gradient checked or recorded */
} gradcheck_input;

#define GRADCHECK_MAX_INPUTS 24

/* Deterministic values in [lo, hi) for tests (a small LCG: tests must not depend on libc rand). */
static inline void test_fill_uniform(float *x, int64_t n, float lo, float hi, unsigned seed) {
  unsigned s = seed * 2654435761u + 12345u;
  for (int64_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    x[i] = lo + (hi - lo) * (float)((s >> 8) & 0xFFFFFF) / 16777216.0f;
  }
}

/* log|det| of the n x n matrix m (overwritten) by LU with partial pivoting, in double: the
 * reference for small-matrix and Jacobian checks. */
static inline double test_logabsdet_lu(int n, double *m) {
  double logdet = 0.0;
  for (int c = 0; c < n; c++) {
    int p = c;
    for (int r = c + 1; r < n; r++)
      if (fabs(m[r * n + c]) > fabs(m[p * n + c])) p = r;
    for (int j = 0; j < n; j++) {
      double t = m[c * n + j];
      m[c * n + j] = m[p * n + j];
      m[p * n + j] = t;
    }
    logdet += log(fabs(m[c * n + c]));
    for (int r = c + 1; r < n; r++) {
      double f = m[r * n + c] / m[c * n + c];
      for (int j = c; j < n; j++) m[r * n + j] -= f * m[c * n + j];
    }
  }
  return logdet;
}

/* Runs forward and returns L = sum w*out in double (and leaves tensors in `ts`). */
static inline double gradcheck_loss(fs_engine *e, gradcheck_fn fwd, void *ctx, int n, gradcheck_input *in,
                                    fs_tensor **ts, fs_tensor **out_t, bool with_grad) {
  fs_engine_reset(e);
  e->grad_enabled = with_grad;
  for (int i = 0; i < n; i++) {
    ts[i] = fs_tensor_from_host(e, in[i].ndim, in[i].shape, in[i].values);
    if (ts[i]) ts[i]->requires_grad = !in[i].constant;
  }
  fs_tensor *out = fwd(e, ts, ctx);
  *out_t = out;
  if (!out) return NAN;
  float *host = malloc(sizeof(float) * out->numel), *w = malloc(sizeof(float) * out->numel);
  fs_tensor_to_host(e, out, host);
  test_fill_uniform(w, out->numel, -1.0f, 1.0f, 99);
  double loss = 0.0;
  for (int64_t i = 0; i < out->numel; i++) loss += (double)w[i] * host[i];
  if (with_grad) {
    fs_tensor *wt = fs_tensor_from_host(e, out->ndim, out->shape, w);
    fs_tensor *l = fs_sum_all(e, fs_mul(e, out, wt));
    fs_backward(e, l);
  }
  free(host);
  free(w);
  return loss;
}

/* Returns the number of mismatching gradient elements (0 = pass); prints the first few. */
static inline int gradcheck(fs_engine *e, const char *name, gradcheck_fn fwd, void *ctx, int n, gradcheck_input *in,
                            double h, double atol, double rtol) {
  fs_tensor *ts[GRADCHECK_MAX_INPUTS], *out;
  gradcheck_loss(e, fwd, ctx, n, in, ts, &out, true);
  if (fs_engine_status(e) != FS_OK || !out) {
    fprintf(stderr, "%s: forward/backward failed: %s\n", name, fs_last_error());
    return 1;
  }
  float *analytic[GRADCHECK_MAX_INPUTS] = {0};
  for (int i = 0; i < n; i++) {
    if (in[i].constant) continue;
    int64_t numel = ts[i]->numel;
    analytic[i] = calloc(numel, sizeof(float));
    if (ts[i]->grad) e->be->download(analytic[i], ts[i]->grad, sizeof(float) * numel);
  }
  int bad = 0;
  for (int i = 0; i < n; i++) {
    if (in[i].constant) continue;
    int64_t numel = fs_shape_numel(in[i].ndim, in[i].shape);
    for (int64_t j = 0; j < numel; j++) {
      float saved = in[i].values[j];
      in[i].values[j] = saved + (float)h;
      double lp = gradcheck_loss(e, fwd, ctx, n, in, ts, &out, false);
      in[i].values[j] = saved - (float)h;
      double lm = gradcheck_loss(e, fwd, ctx, n, in, ts, &out, false);
      in[i].values[j] = saved;
      double numeric = (lp - lm) / (2.0 * h), got = analytic[i][j];
      if (!(fabs(got - numeric) <= atol + rtol * fabs(numeric))) {
        if (bad < 5)
          fprintf(stderr, "%s: input %d element %lld: analytic %.6g, numeric %.6g\n", name, i, (long long)j, got,
                  numeric);
        bad++;
      }
    }
    free(analytic[i]);
  }
  e->grad_enabled = true;
  return bad;
}

#endif
