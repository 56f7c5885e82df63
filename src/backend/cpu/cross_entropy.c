/* Label-smoothed cross-entropy straight from logits (log-softmax fused in).
 * The row loops vectorise: kernel_math.h's fs_expf instead of a double-precision exp per
 * vocabulary entry (a tenth of a training step), and the sums in fixed lanes (a running double
 * sum of the logits alone took 3 % of a step). */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/kernel_math.h"

/* sum_v e^(z[v] - max) and sum_v z[v] over a row in one pass: 16 float lanes within blocks of
 * 256 entries, each block's lanes then added into doubles, in a fixed order (the result does not
 * depend on the vector width). A lane adds 16 terms per block, so the float sums lose next to
 * nothing; double lanes (fs_sum_exp) ran the exponentials at half the vector width and converted
 * every term, and this pass took 2 ns an entry. */
static inline __attribute__((always_inline)) void row_sums(int n, const float *z, float max, double *sum_exp,
                                                           double *sum_z) {
  enum { LANES = 16, BLOCK = 256 };
  double se = 0.0, sz = 0.0;
  int v = 0;
  for (; v + BLOCK <= n; v += BLOCK) {
    float le[LANES] = {0}, lz[LANES] = {0};
    for (int b = v; b < v + BLOCK; b += LANES)
      for (int l = 0; l < LANES; l++) {
        le[l] += fs_expf(z[b + l] - max);
        lz[l] += z[b + l];
      }
    for (int l = 0; l < LANES; l++) se += le[l], sz += lz[l];
  }
  for (; v < n; v++) se += fs_expf(z[v] - max), sz += z[v];
  *sum_exp = se;
  *sum_z = sz;
}

/* loss and log-sum-exp of one row of logits z */
CPU_CLONES static void cross_entropy_row(int vocab, float eps, const float *z, int32_t target, float *loss,
                                         float *logsumexp) {
  float max = -INFINITY;
#pragma omp simd reduction(max : max)
  for (int v = 0; v < vocab; v++) max = z[v] > max ? z[v] : max;
  double sum, sum_z;
  row_sums(vocab, z, max, &sum, &sum_z);
  double lse = max + log(sum);
  *loss = fs_smoothed_nll(lse, sum_z, z[target], vocab, eps);
  *logsumexp = (float)lse;
}

void cpu_cross_entropy(int64_t rows, int vocab, float eps, const float *logits, const int32_t *target, float *loss,
                       float *logsumexp) {
#pragma omp parallel for schedule(static) if (rows * vocab > 32768)
  for (int64_t r = 0; r < rows; r++)
    cross_entropy_row(vocab, eps, logits + r * vocab, target[r], loss + r, logsumexp + r);
}

/* d loss / d z_v = softmax_v - (1 - eps) [v == target] - eps / V */
CPU_CLONES static void cross_entropy_backward_row(int vocab, float eps, const float *z, int32_t target, float lse,
                                                  float g, float *dz, bool accumulate) {
  float uniform = eps / vocab;
  if (accumulate) /* two loops: a select inside kept the loop (and its exponentials) scalar */
    for (int v = 0; v < vocab; v++) dz[v] += g * (fs_expf(z[v] - lse) - uniform);
  else
    for (int v = 0; v < vocab; v++) dz[v] = g * (fs_expf(z[v] - lse) - uniform);
  dz[target] -= g * (1.0f - eps);
}

void cpu_cross_entropy_backward(int64_t rows, int vocab, float eps, const float *logits, const int32_t *target,
                                const float *logsumexp, const float *dloss, float *dlogits, bool accumulate) {
#pragma omp parallel for schedule(static) if (rows * vocab > 32768)
  for (int64_t r = 0; r < rows; r++)
    cross_entropy_backward_row(vocab, eps, logits + r * vocab, target[r], logsumexp[r], dloss[r], dlogits + r * vocab,
                               accumulate);
}
