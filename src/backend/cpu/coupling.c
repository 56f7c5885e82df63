/* The flow's fused affine coupling step (backend.h `affine_coupling`): one pass each way instead
 * of a dozen elementwise ops, each with its own output and gradient buffer. */
#include <stdlib.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/kernel_math.h"
#include "core/alloc.h"

/* One row; `inverse` is a literal at each call, so the loop has no branch and vectorises. The
 * row's log-det terms are returned summed in double, in fixed lanes (kernel_math.h; one running
 * sum made each row wait on a chain of h dependent additions). */
static inline __attribute__((always_inline)) double forward_row(bool inverse, int h, const float *x, const float *mu,
                                                                const float *a, float m, float *y, float *terms) {
  for (int j = 0; j < h; j++) y[j] = fs_coupling_element(inverse, x[j], mu[j], a[j], m, &terms[j]);
  return fs_sum_lanes(h, terms);
}

/* Sentences [lo, hi): each sentence's log-det is summed in row order by one thread, so the
 * result does not depend on the thread count. */
CPU_CLONES static void forward_sentences(bool inverse, int64_t lo, int64_t hi, int h, int rows_per_batch,
                                         const float *x, const float *theta, const float *mask, float *out,
                                         float *logdet, float *terms) {
  for (int64_t b = lo; b < hi; b++) {
    double sum = 0.0;
    for (int64_t r = b * rows_per_batch; r < (b + 1) * rows_per_batch; r++) {
      const float *mu = theta + r * 2 * h;
      sum += inverse ? forward_row(true, h, x + r * h, mu, mu + h, mask[r], out + r * h, terms)
                     : forward_row(false, h, x + r * h, mu, mu + h, mask[r], out + r * h, terms);
    }
    logdet[b] = (float)(inverse ? -sum : sum);
  }
}

void cpu_affine_coupling(bool inverse, int64_t rows, int h, int rows_per_batch, const float *x, const float *theta,
                         const float *mask, float *out, float *logdet) {
  int64_t batch = rows_per_batch ? rows / rows_per_batch : 0;
#pragma omp parallel if (rows * h > 32768)
  {
    int64_t lo, hi;
    float *terms = fs_malloc(sizeof(float) * (h > 0 ? h : 1)); /* a row's log-det terms */
    cpu_thread_range(batch, &lo, &hi);
    if (terms) forward_sentences(inverse, lo, hi, h, rows_per_batch, x, theta, mask, out, logdet, terms);
    free(terms);
  }
}

/* The common case, every gradient present, with `inverse` and `accumulate` literals: branch-free,
 * vectorised (the arrays are restrict in the caller; without it the loop stayed scalar). */
static inline __attribute__((always_inline)) void backward_row(bool inverse, bool accumulate, int h, const float *x,
                                                               const float *mu, const float *a, float m,
                                                               const float *dout, float dld, float *dx, float *dmu,
                                                               float *da) {
  for (int j = 0; j < h; j++) {
    float gx, gmu, ga;
    fs_coupling_element_backward(inverse, x[j], mu[j], a[j], m, dout[j], dld, &gx, &gmu, &ga);
    if (accumulate) dx[j] += gx, dmu[j] += gmu, da[j] += ga;
    else dx[j] = gx, dmu[j] = gmu, da[j] = ga;
  }
}

CPU_CLONES static void backward_rows(bool inverse, bool accumulate, int64_t lo, int64_t hi, int h, int rows_per_batch,
                                     const float *restrict x, const float *restrict theta, const float *restrict mask,
                                     const float *restrict dout, const float *restrict dlogdet, float *restrict dx,
                                     float *restrict dtheta) {
  if (dout && dlogdet && dx && dtheta) {
    for (int64_t r = lo; r < hi; r++) {
      const float *mu = theta + r * 2 * h;
      float *dmu = dtheta + r * 2 * h, dld = dlogdet[r / rows_per_batch], m = mask[r];
      const float *xr = x + r * h, *dr = dout + r * h;
      float *dxr = dx + r * h;
      if (inverse && accumulate) backward_row(true, true, h, xr, mu, mu + h, m, dr, dld, dxr, dmu, dmu + h);
      else if (inverse) backward_row(true, false, h, xr, mu, mu + h, m, dr, dld, dxr, dmu, dmu + h);
      else if (accumulate) backward_row(false, true, h, xr, mu, mu + h, m, dr, dld, dxr, dmu, dmu + h);
      else backward_row(false, false, h, xr, mu, mu + h, m, dr, dld, dxr, dmu, dmu + h);
    }
    return;
  }
  for (int64_t r = lo; r < hi; r++) { /* some gradient missing: the general loop */
    const float *xr = x + r * h, *mu = theta + r * 2 * h, *a = mu + h;
    float m = mask[r], dld = dlogdet ? dlogdet[r / rows_per_batch] : 0.0f;
    for (int j = 0; j < h; j++) {
      float gx, gmu, ga;
      fs_coupling_element_backward(inverse, xr[j], mu[j], a[j], m, dout ? dout[r * h + j] : 0.0f, dld, &gx, &gmu, &ga);
      if (dx) dx[r * h + j] = accumulate ? dx[r * h + j] + gx : gx;
      if (dtheta) {
        float *dmu = dtheta + r * 2 * h + j, *da = dmu + h;
        *dmu = accumulate ? *dmu + gmu : gmu;
        *da = accumulate ? *da + ga : ga;
      }
    }
  }
}

void cpu_affine_coupling_backward(bool inverse, int64_t rows, int h, int rows_per_batch, const float *x,
                                  const float *theta, const float *mask, const float *dout, const float *dlogdet,
                                  float *dx, float *dtheta, bool accumulate) {
#pragma omp parallel if (rows * h > 32768)
  {
    int64_t lo, hi;
    cpu_thread_range(rows, &lo, &hi);
    backward_rows(inverse, accumulate, lo, hi, h, rows_per_batch, x, theta, mask, dout, dlogdet, dx, dtheta);
  }
}
