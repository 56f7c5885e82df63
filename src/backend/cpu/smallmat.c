/* Inverse and log|det| of a small square matrix (the flow's shared 32x32 W) by Gauss-Jordan
 * elimination with partial pivoting, in double precision. */
#include <math.h>
#include <stdlib.h>

#include "backend/cpu/cpu_kernels.h"

bool cpu_inverse_logdet(int n, const float *a, float *inv, float *logabsdet) {
  double *m = malloc(sizeof(double) * 2 * n * n); /* [A | I], reduced in place to [I | A^-1] */
  if (!m) return false;
  int w = 2 * n;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < w; j++) m[i * w + j] = j < n ? a[i * n + j] : (j - n == i);
  double log_det = 0.0;
  bool ok = true;
  for (int col = 0; col < n && ok; col++) {
    int pivot = col;
    for (int r = col + 1; r < n; r++)
      if (fabs(m[r * w + col]) > fabs(m[pivot * w + col])) pivot = r;
    if (m[pivot * w + col] == 0.0) {
      ok = false;
      break;
    }
    if (pivot != col)
      for (int j = 0; j < w; j++) {
        double t = m[col * w + j];
        m[col * w + j] = m[pivot * w + j];
        m[pivot * w + j] = t;
      }
    double p = m[col * w + col];
    log_det += log(fabs(p));
    for (int j = 0; j < w; j++) m[col * w + j] /= p;
    for (int r = 0; r < n; r++) {
      if (r == col || m[r * w + col] == 0.0) continue;
      double f = m[r * w + col];
      for (int j = 0; j < w; j++) m[r * w + j] -= f * m[col * w + j];
    }
  }
  if (ok) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) inv[i * n + j] = (float)m[i * w + n + j];
    *logabsdet = (float)log_det;
  }
  free(m);
  return ok;
}
