/* The autoregressive Transformer: the implementation; model/transformer.h describes the interface. */
#include "model/transformer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "nn/losses.h"

static fs_status declare(fs_transformer *m) {
  const fs_hparams *h = &m->h;
  int d = h->d;
  FS_TRY(fs_embeddings_declare(&m->embed, &m->params, h));
  FS_TRY(fs_encoder_declare(&m->encoder, &m->params, h));
  if (h->decoder_layers > FS_MAX_LAYERS) return fs_error(FS_ERR_ARG, "at most %d decoder layers", FS_MAX_LAYERS);
  m->layers = h->decoder_layers;
  char name[FS_PARAM_NAME_MAX];
  for (int i = 0; i < m->layers; i++) {
    snprintf(name, sizeof name, "decoder.layers.%d", i);
    FS_TRY(nn_decoder_layer_declare(&m->layer[i], &m->params, name, d, h->decoder_heads, h->ffn_hidden,
                                    h->decoder_dropout));
    m->layer[i].self.causal = true;
  }
  return FS_OK;
}

fs_status fs_transformer_alloc(fs_transformer *m, const fs_hparams *h, const fs_backend *be, int n_optimizer_slots) {
  memset(m, 0, sizeof *m);
  m->h = *h;
  m->be = be;
  if (h->vocab < 4) return fs_error(FS_ERR_ARG, "model: need a vocabulary of at least 4");
  fs_params_init(&m->params, be);
  FS_TRY(nn_positions_create(&m->positions, be, h->d, h->max_length));
  FS_TRY(declare(m));
  return fs_params_allocate(&m->params, n_optimizer_slots);
}

fs_status fs_transformer_init_random(fs_transformer *m, uint64_t seed) {
  nn_init_rng r = {m->be, seed, 0};
  FS_TRY(fs_embeddings_init(&m->embed, &r, &m->h));
  FS_TRY(fs_encoder_init(&m->encoder, &r));
  for (int i = 0; i < m->layers; i++) FS_TRY(nn_decoder_layer_init(&m->layer[i], &r));
  return FS_OK;
}

fs_status fs_transformer_create(fs_transformer *m, const fs_hparams *h, const fs_backend *be, uint64_t seed,
                                int n_optimizer_slots) {
  FS_TRY(fs_transformer_alloc(m, h, be, n_optimizer_slots));
  return fs_transformer_init_random(m, seed);
}

void fs_transformer_free(fs_transformer *m) {
  nn_positions_free(&m->positions, m->be);
  fs_params_free(&m->params);
}

/* The decoder's input: the target shifted right by one, EOS in front (as fairseq does), PAD where
 * the target pads. */
static fs_ids *shifted_target(fs_engine *e, const fs_batch *b, int eos) {
  int B = b->batch, T = b->tgt_len;
  int32_t *in = fs_malloc(sizeof(int32_t) * B * T);
  for (int r = 0; r < B; r++)
    for (int t = 0; t < T; t++)
      in[r * T + t] = b->tgt_mask[r * T + t] == 0.0f ? b->tgt[r * T + t] : t == 0 ? eos : b->tgt[r * T + t - 1];
  fs_ids *ids = fs_ids_from_host(e, in, (int64_t)B * T);
  free(in);
  return ids;
}

/* The embedded decoder input: √d·E[ids] + PE, dropout as the decoder's. */
static fs_tensor *embed_target(fs_engine *e, fs_transformer *m, const fs_ids *ids, const fs_ids *positions, int batch,
                               int length) {
  fs_tensor *x = fs_add(e, fs_embed(e, m->embed.tgt, ids, batch, length),
                        nn_positions_lookup(e, &m->positions, positions, batch, length));
  return fs_dropout(e, x, m->h.decoder_dropout);
}

fs_tensor *fs_transformer_logits(fs_engine *e, fs_transformer *m, const fs_batch *b) {
  fs_inputs in;
  if (fs_inputs_build(e, b, &in) != FS_OK) return NULL;
  fs_tensor *ctx = NULL;
  fs_tensor *src_enc = fs_encoder_forward(e, &m->encoder, m->embed.src, &m->positions, &in, &ctx);
  fs_ids *ids = shifted_target(e, b, m->h.eos_id);
  if (!ids) return NULL;
  fs_tensor *x = embed_target(e, m, ids, in.tgt_positions, b->batch, b->tgt_len);
  for (int i = 0; i < m->layers; i++)
    x = nn_decoder_layer_forward(e, &m->layer[i], x, in.tgt_mask, src_enc, in.src_mask);
  return fs_linear(e, x, m->embed.out_weight, m->embed.out_bias);
}

fs_status fs_transformer_loss(fs_engine *e, fs_transformer *m, const fs_batch *b, fs_flowseq_losses *out) {
  memset(out, 0, sizeof *out);
  fs_tensor *logits = fs_transformer_logits(e, m, b);
  if (!logits) return fs_engine_status(e);
  fs_ids *targets = fs_ids_from_host(e, b->tgt, (int64_t)b->batch * b->tgt_len);
  fs_tensor *mask = fs_tensor_from_host(e, 2, (int[]){b->batch, b->tgt_len}, b->tgt_mask);
  out->recon = nn_sentence_cross_entropy(e, logits, targets, mask, m->h.label_smoothing);
  out->loss = fs_scale(e, fs_sum_all(e, out->recon), 1.0f / (float)b->batch);
  return fs_engine_status(e);
}

fs_status fs_transformer_encode(fs_engine *e, fs_transformer *m, const int32_t *src, const float *src_mask, int batch,
                                int src_len, fs_transformer_source *out) {
  if (e->grad_enabled) return fs_error(FS_ERR_ARG, "fs_transformer_encode: decoding runs with gradients off");
  memset(out, 0, sizeof *out);
  /* the encoder reads only the source side of the inputs: a one-position empty target */
  float *dummy_mask = fs_calloc((size_t)batch, sizeof(float));
  int32_t *dummy = fs_calloc((size_t)batch, sizeof(int32_t));
  fs_batch b = {batch, src_len, 1, src, dummy, src_mask, dummy_mask};
  fs_inputs in;
  fs_status s = fs_inputs_build(e, &b, &in);
  if (s == FS_OK) {
    fs_tensor *ctx = NULL;
    fs_tensor *src_enc = fs_encoder_forward(e, &m->encoder, m->embed.src, &m->positions, &in, &ctx);
    out->rows = batch;
    out->src_mask = in.src_mask;
    for (int i = 0; i < m->layers; i++) out->src_kv[i] = nn_attention_memory(e, &m->layer[i].cross, src_enc);
    s = fs_engine_status(e);
  }
  free(dummy_mask);
  free(dummy);
  return s;
}

fs_status fs_transformer_source_rows(fs_engine *e, const fs_transformer *m, const fs_transformer_source *in,
                                     const int32_t *sentence, int rows, fs_transformer_source *out) {
  fs_ids *ids = fs_ids_from_host(e, sentence, rows);
  fs_transformer_source picked = {rows, fs_take_rows(e, in->src_mask, ids), {0}};
  for (int i = 0; i < m->layers; i++) picked.src_kv[i] = fs_take_rows(e, in->src_kv[i], ids);
  *out = picked;
  return fs_engine_status(e);
}

fs_status fs_transformer_score(fs_engine *e, fs_transformer *m, const fs_transformer_source *source,
                               const int32_t *const *tgt, const int *tgt_len, double *logprob, int *n_tokens) {
  int B = source->rows, T = 1;
  for (int b = 0; b < B; b++) T = tgt_len[b] + 1 > T ? tgt_len[b] + 1 : T;
  int32_t *ids = fs_calloc((size_t)B * T, sizeof(int32_t)), *positions = fs_calloc((size_t)B * T, sizeof(int32_t));
  float *mask = fs_calloc((size_t)B * T, sizeof(float));
  for (int b = 0; b < B; b++) {
    for (int t = 0; t <= tgt_len[b]; t++) {
      ids[b * T + t] = t < tgt_len[b] ? tgt[b][t] : m->h.eos_id;
      mask[b * T + t] = 1.0f;
      positions[b * T + t] = t + 1; /* 1-based: row 0 of the table is the pads' zeros */
    }
    for (int t = tgt_len[b] + 1; t < T; t++) ids[b * T + t] = m->h.pad_id;
    if (n_tokens) n_tokens[b] = tgt_len[b] + 1;
  }
  fs_batch targets = {B, 0, T, NULL, ids, NULL, mask};
  fs_tensor *tgt_mask = fs_tensor_from_host(e, 2, (int[]){B, T}, mask);
  fs_tensor *x = embed_target(e, m, shifted_target(e, &targets, m->h.eos_id),
                              fs_ids_from_host(e, positions, (int64_t)B * T), B, T);
  for (int i = 0; i < m->layers; i++)
    x = nn_decoder_layer_forward_memory(e, &m->layer[i], x, tgt_mask, source->src_kv[i], source->src_mask);
  fs_tensor *logits = fs_linear(e, x, m->embed.out_weight, m->embed.out_bias);
  fs_tensor *nll = nn_sentence_cross_entropy(e, logits, fs_ids_from_host(e, ids, (int64_t)B * T), tgt_mask, 0.0f);
  float *host = fs_malloc(sizeof(float) * (B ? B : 1));
  fs_status s = nll ? fs_tensor_to_host(e, nll, host) : fs_engine_status(e);
  for (int b = 0; s == FS_OK && b < B; b++) logprob[b] = -host[b];
  free(host);
  free(ids);
  free(positions);
  free(mask);
  return s;
}

fs_status fs_transformer_start(fs_engine *e, fs_transformer *m, const int32_t *src, const float *src_mask, int batch,
                               int src_len, int copies, fs_transformer_state *st) {
  memset(st, 0, sizeof *st);
  fs_status s = fs_transformer_encode(e, m, src, src_mask, batch, src_len, &st->source);
  if (s == FS_OK && copies > 1) {
    int rows = batch * copies;
    int32_t *sentence = fs_malloc(sizeof(int32_t) * rows);
    for (int r = 0; r < rows; r++) sentence[r] = r / copies;
    s = fs_transformer_source_rows(e, m, &st->source, sentence, rows, &st->source);
    free(sentence);
  }
  st->rows = st->source.rows;
  st->mark = fs_engine_mark_now(e);
  return s;
}

fs_status fs_transformer_step(fs_engine *e, fs_transformer *m, fs_transformer_state *st, const int32_t *prev,
                              const int32_t *parent, float *log_probs) {
  int rows = st->rows, V = m->h.vocab;
  if (st->steps + 1 > m->h.max_length)
    return fs_error(FS_ERR_ARG, "decoding: position %d is beyond model.max_length = %d", st->steps + 1,
                    m->h.max_length);
  fs_ids *ids = fs_ids_from_host(e, prev, rows), *parents = parent ? fs_ids_from_host(e, parent, rows) : NULL;
  int32_t *pos = fs_malloc(sizeof(int32_t) * rows);
  for (int r = 0; r < rows; r++) pos[r] = st->steps + 1; /* 1-based: row 0 of the table is the pads' zeros */
  fs_ids *positions = fs_ids_from_host(e, pos, rows);
  free(pos);
  fs_tensor *x = embed_target(e, m, ids, positions, rows, 1);
  for (int i = 0; i < m->layers; i++) {
    fs_tensor **cache = &st->self_kv[i];
    if (*cache && parents) *cache = fs_take_rows(e, *cache, parents); /* each row continues its parent's prefix */
    x = nn_decoder_layer_step(e, &m->layer[i], x, cache, st->source.src_kv[i], st->source.src_mask);
  }
  fs_tensor *lp = fs_log_softmax(
      e, fs_reshape(e, fs_linear(e, x, m->embed.out_weight, m->embed.out_bias), 2, (int[]){rows, V}), NULL, 1);
  if (lp) fs_tensor_to_host(e, lp, log_probs);
  FS_TRY(fs_engine_status(e));
  fs_engine_release(e, st->mark, m->layers, st->self_kv);
  st->steps++;
  return fs_engine_status(e);
}
