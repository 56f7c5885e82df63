/* Double-precision references for the model and decoding tests, written from the definitions in
 * docs/model.md on host arrays rather than through the library's own loss and scoring code: the
 * posterior's Gaussian log-density, the standard normal's, log-softmax and the label-smoothed
 * cross-entropy of one position, and the training class of a target length. */
#ifndef FLOWSEQ_TESTS_MODEL_REFERENCE_H
#define FLOWSEQ_TESTS_MODEL_REFERENCE_H

#include <math.h>

/* log q(z|y,x) of one sentence, the diagonal Gaussian N(μ, e^λ) over its first n positions of
 * width d: Σ_t Σ_j −½ ((z − μ)² / e^λ + λ + ln 2π) (docs/model.md#posterior). */
static inline double ref_log_q(const float *z, const float *mu, const float *logvar, int n, int d) {
  double sum = 0.0;
  for (int i = 0; i < n * d; i++) {
    double diff = (double)z[i] - mu[i];
    sum += -0.5 * (diff * diff / exp(logvar[i]) + logvar[i] + log(2.0 * M_PI));
  }
  return sum;
}

/* log N(v; 0, I) over the first n positions of width d: Σ −½ (v² + ln 2π) (docs/model.md#flow-prior). */
static inline double ref_log_normal(const float *v, int n, int d) {
  double sum = 0.0;
  for (int i = 0; i < n * d; i++) sum += -0.5 * ((double)v[i] * v[i] + log(2.0 * M_PI));
  return sum;
}

/* ℓ = log_softmax(logits) of one row of V, written into out[V]. */
static inline void ref_log_softmax(const float *logits, int V, double *out) {
  double max = logits[0], sum = 0.0;
  for (int v = 1; v < V; v++) max = logits[v] > max ? logits[v] : max;
  for (int v = 0; v < V; v++) sum += exp(logits[v] - max);
  for (int v = 0; v < V; v++) out[v] = logits[v] - max - log(sum);
}

/* One position's label-smoothed cross-entropy, (1 − ε)(−ℓ_y) + (ε / V) Σ_v (−ℓ_v)
 * (docs/model.md#decoder); ε = 0 gives the plain −log p(y). V at most 4096. */
static inline double ref_smoothed_nll(const float *logits, int V, int y, double eps) {
  double l[4096], all = 0.0;
  ref_log_softmax(logits, V, l);
  for (int v = 0; v < V; v++) all -= l[v];
  return (1.0 - eps) * -l[y] + eps / V * all;
}

/* The length predictor's training class for source length S and padded target length T, range R
 * and unit u (docs/model.md#length-predictor): T₁ = max(T, S − R) rounded up to a multiple of u,
 * T₂ = min(T₁, S + R) rounded down to one, class T₂ − S + R. */
static inline int ref_length_class(int S, int T, int R, int u) {
  int t1 = T > S - R ? T : S - R;
  t1 = (int)ceil((double)t1 / u) * u;
  int t2 = t1 < S + R ? t1 : S + R;
  t2 = (int)floor((double)t2 / u) * u;
  return t2 - S + R;
}

#endif
