/* The flow's fused affine coupling step (backend.h `affine_coupling`): one pass each way instead
 * of a dozen elementwise ops, each with its own output and gradient buffer. */
#include "backend/cpu/cpu_kernels.h"
#include "backend/kernel_math.h"

/* Sentences [lo, hi): each sentence's log-det is summed in row order by one thread, so the
 * result does not depend on the thread count. */
CPU_CLONES static void forward_sentences(bool inverse, int64_t lo, int64_t hi, int h, int rows_per_batch,
                                         const float *x, const float *theta, const float *mask, float *out,
                                         float *logdet) {
  for (int64_t b = lo; b < hi; b++) {
    double sum = 0.0;
    for (int64_t r = b * rows_per_batch; r < (b + 1) * rows_per_batch; r++) {
      const float *xr = x + r * h, *mu = theta + r * 2 * h, *a = mu + h;
      float *yr = out + r * h, m = mask[r], row_sum = 0.0f;
      for (int j = 0; j < h; j++) {
        float m_log_scale;
        yr[j] = fs_coupling_element(inverse, xr[j], mu[j], a[j], m, &m_log_scale);
        row_sum += m_log_scale;
      }
      sum += row_sum;
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
    cpu_thread_range(batch, &lo, &hi);
    forward_sentences(inverse, lo, hi, h, rows_per_batch, x, theta, mask, out, logdet);
  }
}

CPU_CLONES static void backward_rows(bool inverse, int64_t lo, int64_t hi, int h, int rows_per_batch, const float *x,
                                     const float *theta, const float *mask, const float *dout, const float *dlogdet,
                                     float *dx, float *dtheta) {
  for (int64_t r = lo; r < hi; r++) {
    const float *xr = x + r * h, *mu = theta + r * 2 * h, *a = mu + h;
    float m = mask[r], dld = dlogdet ? dlogdet[r / rows_per_batch] : 0.0f;
    for (int j = 0; j < h; j++) {
      float gx, gmu, ga;
      fs_coupling_element_backward(inverse, xr[j], mu[j], a[j], m, dout ? dout[r * h + j] : 0.0f, dld, &gx, &gmu, &ga);
      if (dx) dx[r * h + j] += gx;
      if (dtheta) dtheta[r * 2 * h + j] += gmu, dtheta[r * 2 * h + h + j] += ga;
    }
  }
}

void cpu_affine_coupling_backward(bool inverse, int64_t rows, int h, int rows_per_batch, const float *x,
                                  const float *theta, const float *mask, const float *dout, const float *dlogdet,
                                  float *dx, float *dtheta) {
#pragma omp parallel if (rows * h > 32768)
  {
    int64_t lo, hi;
    cpu_thread_range(rows, &lo, &hi);
    backward_rows(inverse, lo, hi, h, rows_per_batch, x, theta, mask, dout, dlogdet, dx, dtheta);
  }
}
