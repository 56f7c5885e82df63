/* Per-sentence masked label-smoothed cross-entropy (docs/model.md#decoder step 7) against a
 * double-precision reference, with its gradient check. */
#include "nn/losses.h"
#include "gradcheck.h"
#include "test.h"

enum { B = 2, T = 3, V = 5 };
static fs_engine eng;
static float logits[B * T * V];
static float mask[B * T] = {1, 1, 1, 1, 0, 0};
static int32_t targets[B * T] = {2, 4, 0, 1, 0, 0};

static fs_tensor *loss_forward(fs_engine *e, fs_tensor **x, void *ctx) {
  float eps = *(float *)ctx;
  return nn_sentence_cross_entropy(e, x[0], fs_ids_from_host(e, targets, B * T), x[1], eps);
}

/* Σ_t mask · [(1−ε)(−ℓ_y) + (ε/V) Σ_v (−ℓ_v)] per sentence */
static void ref_loss(float eps, double *out) {
  for (int b = 0; b < B; b++) {
    out[b] = 0;
    for (int t = 0; t < T; t++) {
      const float *row = logits + (b * T + t) * V;
      double max = row[0], sum = 0, all = 0;
      for (int v = 1; v < V; v++) max = fmax(max, row[v]);
      for (int v = 0; v < V; v++) sum += exp(row[v] - max);
      double lse = max + log(sum);
      for (int v = 0; v < V; v++) all += lse - row[v];
      out[b] += mask[b * T + t] * ((1 - eps) * (lse - row[targets[b * T + t]]) + eps / V * all);
    }
  }
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 16 << 20, 4 << 20) != FS_OK) return 1;
  test_fill_uniform(logits, B * T * V, -2, 2, 1);
  gradcheck_input in[] = {{3, {B, T, V}, logits, 0}, {2, {B, T}, mask, 1}};
  float eps_values[] = {0.0f, 0.1f};
  for (int k = 0; k < 2; k++) {
    fs_engine_reset(&eng);
    fs_tensor *x[2] = {fs_tensor_from_host(&eng, 3, in[0].shape, logits),
                       fs_tensor_from_host(&eng, 2, in[1].shape, mask)};
    fs_tensor *y = loss_forward(&eng, x, &eps_values[k]);
    float got[B];
    double want[B];
    CHECK(y && y->ndim == 1 && y->shape[0] == B && fs_tensor_to_host(&eng, y, got) == FS_OK);
    ref_loss(eps_values[k], want);
    for (int b = 0; b < B; b++) CHECK_CLOSE(got[b], want[b], 1e-5, 1e-5);
    CHECK(gradcheck(&eng, "sentence cross-entropy", loss_forward, &eps_values[k], 2, in, 1e-3, 1e-3, 1e-2) == 0);
  }
  fs_engine_reset(&eng);
  fs_tensor *bad = fs_tensor_zeros(&eng, 2, (int[]){B * T, V});
  CHECK(nn_sentence_cross_entropy(&eng, bad, fs_ids_from_host(&eng, targets, B * T), bad, 0.1f) == NULL);
  fs_engine_free(&eng);
  return test_summary();
}
