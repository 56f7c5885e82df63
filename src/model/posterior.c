/* The approximate posterior q(z|y,x): the implementation; model/posterior.h describes the interface. */
#include "model/posterior.h"

#include <math.h>
#include <stdio.h>

fs_status fs_posterior_declare(fs_posterior *q, fs_params *p, const fs_hparams *h) {
  if (h->posterior_layers > FS_MAX_LAYERS) return fs_error(FS_ERR_ARG, "at most %d posterior layers", FS_MAX_LAYERS);
  q->layers = h->posterior_layers;
  q->token_dropout = h->posterior_token_dropout;
  char name[FS_PARAM_NAME_MAX];
  for (int i = 0; i < q->layers; i++) {
    snprintf(name, sizeof name, "posterior.layers.%d", i);
    FS_TRY(
        nn_decoder_layer_declare(&q->layer[i], p, name, h->d, h->posterior_heads, h->ffn_hidden, h->posterior_dropout));
  }
  FS_TRY(nn_wnlinear_declare(&q->mu, p, "posterior.mu", h->d, h->d));
  return nn_wnlinear_declare(&q->logvar, p, "posterior.logvar", h->d, h->d);
}

fs_status fs_posterior_init(fs_posterior *q, nn_init_rng *r) {
  for (int i = 0; i < q->layers; i++) FS_TRY(nn_decoder_layer_init(&q->layer[i], r));
  FS_TRY(nn_wnlinear_init(&q->mu, r));
  return nn_wnlinear_init(&q->logvar, r);
}

fs_tensor *fs_posterior_hidden(fs_engine *e, const fs_posterior *q, fs_tensor *embedding, const nn_positions *pos,
                               const fs_inputs *in, fs_tensor *src_enc) {
  int B = in->batch, T = in->tgt_len;
  /* token dropout before positions are added (docs/model.md#posterior) */
  fs_tensor *x = fs_dropout_tokens(e, fs_embed(e, embedding, in->tgt_ids, B, T), q->token_dropout);
  x = fs_dropout(e, fs_add(e, x, nn_positions_lookup(e, pos, in->tgt_positions, B, T)), FS_EMBED_DROPOUT);
  for (int i = 0; i < q->layers; i++)
    x = nn_decoder_layer_forward(e, &q->layer[i], x, in->tgt_mask, src_enc, in->src_mask);
  return x;
}

void fs_posterior_heads(fs_engine *e, const fs_posterior *q, fs_tensor *hidden, const fs_inputs *in, fs_tensor **mu,
                        fs_tensor **logvar) {
  *mu = fs_mul(e, nn_wnlinear_forward(e, &q->mu, hidden), in->tgt_mask3);
  *logvar = fs_mul(e, nn_wnlinear_forward(e, &q->logvar, hidden), in->tgt_mask3);
}

fs_tensor *fs_posterior_sample(fs_engine *e, fs_tensor *mu, fs_tensor *logvar, const fs_inputs *in, bool mean,
                               fs_tensor **log_q) {
  if (!mu || !logvar) return NULL;
  fs_tensor *noise =
      mean ? fs_tensor_zeros(e, mu->ndim, mu->shape) : fs_mul(e, fs_normal(e, mu->ndim, mu->shape), in->tgt_mask3);
  fs_tensor *z = fs_add(e, mu, fs_mul(e, fs_exp(e, fs_scale(e, logvar, 0.5f)), noise));
  int d = mu->shape[2];
  fs_tensor *sum = fs_sum(e, fs_sum(e, fs_add(e, logvar, fs_square(e, noise)), 2, false), 1, false);
  *log_q = fs_add(e, fs_scale(e, sum, -0.5f), fs_scale(e, in->tgt_count, -0.5f * d * logf(2.0f * (float)M_PI)));
  return z;
}
