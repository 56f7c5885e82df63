/* Label-smoothed cross-entropy straight from logits (log-softmax fused in). */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/kernel_math.h"

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
    loss[r] = fs_smoothed_nll(lse, sum_z, z[target[r]], vocab, eps);
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
