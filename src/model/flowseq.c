/* The FlowSeq model: the implementation; model/flowseq.h describes the interface. */
#include "model/flowseq.h"

#include "core/alloc.h"
#include "nn/losses.h"

#include <stdlib.h>
#include <string.h>

int fs_length_unit(const fs_hparams *h) {
  if (h->type == FS_MODEL_TRANSFORMER) return 1;
  int unit = 1 << (h->flow_levels - 1);
  return unit < 2 ? 2 : unit;
}

static fs_status declare(fs_flowseq *m) {
  const fs_hparams *h = &m->h;
  int d = h->d;
  FS_TRY(fs_embeddings_declare(&m->embed, &m->params, h));
  FS_TRY(fs_encoder_declare(&m->encoder, &m->params, h));
  FS_TRY(fs_posterior_declare(&m->posterior, &m->params, h));
  FS_TRY(fs_decoder_declare(&m->decoder, &m->params, h));
  FS_TRY(fs_length_declare(&m->length, &m->params, h));
  flow_prior_config flow = {d, h->flow_levels, h->flow_steps, h->max_length, {d, h->flow_heads, h->flow_hidden}};
  return flow_prior_declare(&m->prior, &m->params, "prior", &flow, m->be);
}

fs_status fs_flowseq_alloc(fs_flowseq *m, const fs_hparams *h, const fs_backend *be, int n_optimizer_slots) {
  memset(m, 0, sizeof *m);
  m->h = *h;
  m->be = be;
  if (h->d % 2 || h->vocab < 4 || h->flow_levels < 1)
    return fs_error(FS_ERR_ARG, "model: need an even width, a vocabulary of at least 4 and at least one flow level");
  fs_params_init(&m->params, be);
  FS_TRY(nn_positions_create(&m->positions, be, h->d, h->max_length));
  FS_TRY(declare(m));
  return fs_params_allocate(&m->params, n_optimizer_slots);
}

fs_status fs_flowseq_init_random(fs_flowseq *m, uint64_t seed) {
  nn_init_rng r = {m->be, seed, 0};
  FS_TRY(fs_embeddings_init(&m->embed, &r, &m->h));
  FS_TRY(fs_encoder_init(&m->encoder, &r));
  FS_TRY(fs_posterior_init(&m->posterior, &r));
  FS_TRY(fs_decoder_init(&m->decoder, &r));
  FS_TRY(fs_length_init(&m->length, &r));
  return flow_prior_init(&m->prior, &r);
}

fs_status fs_flowseq_create(fs_flowseq *m, const fs_hparams *h, const fs_backend *be, uint64_t seed,
                            int n_optimizer_slots) {
  FS_TRY(fs_flowseq_alloc(m, h, be, n_optimizer_slots));
  return fs_flowseq_init_random(m, seed);
}

void fs_flowseq_free(fs_flowseq *m) {
  flow_prior_free(&m->prior);
  nn_positions_free(&m->positions, m->be);
  fs_params_free(&m->params);
}

/* Per-sentence source and (padded) target lengths from the host masks. */
static void lengths(const fs_batch *b, int *src, int *tgt) {
  for (int r = 0; r < b->batch; r++) {
    src[r] = tgt[r] = 0;
    for (int t = 0; t < b->src_len; t++) src[r] += b->src_mask[r * b->src_len + t] != 0.0f;
    for (int t = 0; t < b->tgt_len; t++) tgt[r] += b->tgt_mask[r * b->tgt_len + t] != 0.0f;
  }
}

fs_status fs_flowseq_loss(fs_engine *e, fs_flowseq *m, const fs_batch *b, fs_loss_phase phase, float kl_weight,
                          fs_flowseq_losses *out) {
  memset(out, 0, sizeof *out);
  fs_inputs in;
  FS_TRY(fs_inputs_build(e, b, &in));
  int *src_len = fs_malloc(sizeof(int) * b->batch), *tgt_len = fs_malloc(sizeof(int) * b->batch);
  lengths(b, src_len, tgt_len);
  fs_tensor *ctx = NULL;
  fs_tensor *src_enc = fs_encoder_forward(e, &m->encoder, m->embed.src, &m->positions, &in, &ctx);
  out->length = fs_length_loss(e, &m->length, fs_length_log_probs(e, &m->length, ctx, src_len), src_len, tgt_len,
                               m->h.label_smoothing);
  fs_tensor *mu = NULL, *logvar = NULL, *log_q = NULL;
  fs_tensor *hidden = fs_posterior_hidden(e, &m->posterior, m->embed.tgt, &m->positions, &in, src_enc);
  if (hidden) fs_posterior_heads(e, &m->posterior, hidden, &in, &mu, &logvar);
  fs_tensor *z = fs_posterior_sample(e, mu, logvar, &in, phase == FS_LOSS_PRETRAIN, &log_q);
  fs_tensor *logits =
      fs_decoder_forward(e, &m->decoder, z, &m->positions, &in, src_enc, m->embed.out_weight, m->embed.out_bias);
  out->recon = nn_sentence_cross_entropy(e, logits, in.tgt_ids, in.tgt_mask, m->h.label_smoothing);
  fs_tensor *total = fs_add(e, out->recon, out->length);
  if (phase == FS_LOSS_MAIN) {
    flow_input fin = {b->batch, b->tgt_len, b->tgt_mask, src_enc, in.src_mask};
    out->kl = fs_sub(e, log_q, flow_prior_log_density(e, &m->prior, z, &fin));
    total = fs_add(e, total, fs_scale(e, out->kl, kl_weight));
  }
  out->loss = fs_scale(e, fs_sum_all(e, total), 1.0f / (float)b->batch);
  free(src_len);
  free(tgt_len);
  return fs_engine_status(e);
}

/* Encoder and posterior hidden states; the init steps run the model in evaluation mode (their
 * callers enter it). */
static fs_tensor *posterior_hidden(fs_engine *e, fs_flowseq *m, const fs_batch *b, fs_inputs *in, fs_tensor **src_enc) {
  if (fs_inputs_build(e, b, in) != FS_OK) return NULL;
  fs_tensor *ctx = NULL;
  *src_enc = fs_encoder_forward(e, &m->encoder, m->embed.src, &m->positions, in, &ctx);
  return fs_posterior_hidden(e, &m->posterior, m->embed.tgt, &m->positions, in, *src_enc);
}

fs_status fs_flowseq_init_posterior_mean(fs_engine *e, fs_flowseq *m, const fs_batch *b) {
  fs_engine_mode previous = fs_engine_enter(e, fs_engine_eval());
  fs_inputs in;
  fs_tensor *src_enc = NULL;
  fs_tensor *hidden = posterior_hidden(e, m, b, &in, &src_enc);
  fs_status s = hidden ? nn_wnlinear_init_data(e, &m->posterior.mu, hidden, 0.05f) : fs_engine_status(e);
  fs_engine_restore(e, previous);
  return s;
}

/* The log σ² head from the posterior hidden states, then the flow on one posterior sample. */
static fs_status init_logvar_and_flow(fs_engine *e, fs_flowseq *m, const fs_batch *b) {
  fs_inputs in;
  fs_tensor *src_enc = NULL, *mu, *logvar, *log_q;
  fs_tensor *hidden = posterior_hidden(e, m, b, &in, &src_enc);
  FS_TRY(hidden ? nn_wnlinear_init_data(e, &m->posterior.logvar, hidden, 0.05f) : fs_engine_status(e));
  fs_posterior_heads(e, &m->posterior, hidden, &in, &mu, &logvar);
  fs_tensor *z = fs_posterior_sample(e, mu, logvar, &in, false, &log_q);
  flow_input fin = {b->batch, b->tgt_len, b->tgt_mask, src_enc, in.src_mask};
  return z ? flow_prior_init_data(e, &m->prior, z, &fin) : fs_engine_status(e);
}

fs_status fs_flowseq_init_prior(fs_engine *e, fs_flowseq *m, const fs_batch *b) {
  fs_engine_mode previous = fs_engine_enter(e, fs_engine_eval());
  fs_status s = init_logvar_and_flow(e, m, b);
  fs_engine_restore(e, previous);
  return s;
}
