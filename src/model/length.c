/* The length predictor P(T|x): the implementation; model/length.h describes the interface. */
#include "model/length.h"

#include <stdlib.h>

#include "core/alloc.h"

fs_status fs_length_declare(fs_length *l, fs_params *p, const fs_hparams *h) {
  l->range = h->length_range;
  l->unit = fs_length_unit(h);
  l->dropout = h->length_dropout;
  FS_TRY(nn_linear_declare(&l->hidden1, p, "length.hidden1", h->d, h->d, true));
  FS_TRY(nn_linear_declare(&l->hidden2, p, "length.hidden2", h->d, h->d, true));
  return nn_linear_declare(&l->out, p, "length.out", h->d, 2 * h->length_range + 1, true);
}

fs_status fs_length_init(fs_length *l, nn_init_rng *r) {
  FS_TRY(nn_linear_init(&l->hidden1, r));
  FS_TRY(nn_linear_init(&l->hidden2, r));
  nn_init_const(r->be, l->hidden1.bias, 0.0f);
  nn_init_const(r->be, l->hidden2.bias, 0.0f);
  FS_TRY(nn_init_uniform(r, l->out.weight, 0.1f));
  nn_init_const(r->be, l->out.bias, 0.0f);
  return FS_OK;
}

/* C's % keeps the sign, as the original's remainder does, so lengths 0 and −4 count as
 * admissible inside the loss (docs/model.md#length-predictor). */
static bool admissible(const fs_length *l, int length) { return length % l->unit == 0; }

fs_tensor *fs_length_log_probs(fs_engine *e, const fs_length *l, fs_tensor *ctx, const int *src_lengths) {
  if (!ctx) return NULL;
  int B = ctx->shape[0], classes = 2 * l->range + 1;
  float *bias = fs_malloc(sizeof(float) * B * classes);
  for (int b = 0; b < B; b++)
    for (int k = 0; k < classes; k++)
      bias[b * classes + k] = admissible(l, src_lengths[b] + k - l->range) ? 0.0f : -1e9f;
  fs_tensor *inadmissible = fs_tensor_from_host(e, 2, (int[]){B, classes}, bias);
  free(bias);
  fs_tensor *a = fs_elu(e, nn_linear_forward(e, &l->hidden2, fs_elu(e, nn_linear_forward(e, &l->hidden1, ctx))));
  fs_tensor *logits = nn_linear_forward(e, &l->out, fs_dropout(e, a, l->dropout));
  return fs_log_softmax(e, fs_add(e, logits, inadmissible), NULL, 1);
}

/* Both lengths are positive, so t1 >= T > 0 and t2 <= S + R with t2 > 0: integer division
 * rounds as intended. */
int fs_length_class(const fs_length *l, int src_length, int tgt_length) {
  int u = l->unit, lo = src_length - l->range, hi = src_length + l->range;
  int t1 = tgt_length > lo ? tgt_length : lo;
  t1 = (t1 + u - 1) / u * u;            /* up to a multiple of the unit */
  int t2 = (t1 < hi ? t1 : hi) / u * u; /* down to a multiple of the unit */
  return t2 - src_length + l->range;
}

fs_tensor *fs_length_loss(fs_engine *e, const fs_length *l, fs_tensor *log_probs, const int *src_lengths,
                          const int *tgt_lengths, float eps) {
  if (!log_probs) return NULL;
  int B = log_probs->shape[0], classes = 2 * l->range + 1;
  float *weights = fs_calloc((size_t)B * classes, sizeof(float));
  for (int b = 0; b < B; b++) {
    int admissible_count = 0;
    for (int k = 0; k < classes; k++) admissible_count += admissible(l, src_lengths[b] + k - l->range);
    for (int k = 0; k < classes; k++)
      if (admissible(l, src_lengths[b] + k - l->range)) weights[b * classes + k] = eps / admissible_count;
    weights[b * classes + fs_length_class(l, src_lengths[b], tgt_lengths[b])] += 1.0f - eps;
  }
  fs_tensor *w = fs_tensor_from_host(e, 2, (int[]){B, classes}, weights);
  free(weights);
  return fs_scale(e, fs_sum(e, fs_mul(e, log_probs, w), 1, false), -1.0f);
}
