/* Label-smoothed cross-entropy straight from logits (log-softmax fused in). */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"

void cpu_cross_entropy(int64_t rows, int vocab, float eps, const float *logits, const int32_t *target,
                       float *loss, float *logsumexp) {
#pragma omp parallel for schedule(static) if (rows * vocab > 32768)
  for (int64_t r = 0; r < rows; r++) {
    const float *z = logits + r * vocab;
    float max = -INFINITY;
    for (int v = 0; v < vocab; v++)
      if (z[v] > max) max = z[v];
    double sum = 0.0, sum_z = 0.0;
    for (int v = 0; v < vocab; v++) {
      sum += exp((double)z[v] - max);
      sum_z += z[v];
    }
    double lse = max + log(sum);
    /* -sum_v logp_v = V * lse - sum_v z_v */
    double nll = lse - z[target[r]], smooth = (vocab * lse - sum_z) / vocab;
    loss[r] = (float)((1.0 - eps) * nll + eps * smooth);
    logsumexp[r] = (float)lse;
  }
}

/* d loss / d z_v = softmax_v - (1 - eps) [v == target] - eps / V */
void cpu_cross_entropy_backward(int64_t rows, int vocab, float eps, const float *logits,
                                const int32_t *target, const float *logsumexp, const float *dloss,
                                float *dlogits) {
#pragma omp parallel for schedule(static) if (rows * vocab > 32768)
  for (int64_t r = 0; r < rows; r++) {
    const float *z = logits + r * vocab;
    float *dz = dlogits + r * vocab, g = dloss[r], uniform = eps / vocab;
    for (int v = 0; v < vocab; v++) dz[v] += g * (expf(z[v] - logsumexp[r]) - uniform);
    dz[target[r]] -= g * (1.0f - eps);
  }
}
