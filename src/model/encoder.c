/* Source encoder: the implementation; model/encoder.h describes the interface. */
#include "model/encoder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"

fs_status fs_inputs_build(fs_engine *e, const fs_batch *b, fs_inputs *in) {
  int B = b->batch, S = b->src_len, T = b->tgt_len;
  in->batch = B;
  in->src_len = S;
  in->tgt_len = T;
  in->host_tgt_mask = b->tgt_mask;
  int32_t *src_pos = fs_malloc(sizeof(int32_t) * B * S), *tgt_pos = fs_malloc(sizeof(int32_t) * B * T);
  int32_t *last = fs_malloc(sizeof(int32_t) * B);
  float *count = fs_malloc(sizeof(float) * B);
  for (int i = 0; i < B * S; i++) src_pos[i] = b->src_mask[i] != 0.0f ? i % S + 1 : 0;
  for (int i = 0; i < B * T; i++) tgt_pos[i] = b->tgt_mask[i] != 0.0f ? i % T + 1 : 0;
  fs_status s = FS_OK;
  for (int r = 0; r < B && s == FS_OK; r++) {
    int len = 0;
    count[r] = 0.0f;
    for (int t = 0; t < S; t++) len += b->src_mask[r * S + t] != 0.0f;
    for (int t = 0; t < T; t++) count[r] += b->tgt_mask[r * T + t];
    if (len == 0) s = fs_error(FS_ERR_ARG, "batch row %d has an empty source (it needs at least the EOS)", r);
    last[r] = r * S + len - 1;
  }
  if (s == FS_OK) {
    in->src_ids = fs_ids_from_host(e, b->src, (int64_t)B * S);
    in->tgt_ids = fs_ids_from_host(e, b->tgt, (int64_t)B * T);
    in->src_positions = fs_ids_from_host(e, src_pos, (int64_t)B * S);
    in->tgt_positions = fs_ids_from_host(e, tgt_pos, (int64_t)B * T);
    in->src_last = fs_ids_from_host(e, last, B);
    in->src_mask = fs_tensor_from_host(e, 2, (int[]){B, S}, b->src_mask);
    in->tgt_mask = fs_tensor_from_host(e, 2, (int[]){B, T}, b->tgt_mask);
    in->tgt_mask3 = fs_tensor_from_host(e, 3, (int[]){B, T, 1}, b->tgt_mask);
    in->tgt_count = fs_tensor_from_host(e, 1, (int[]){B}, count);
    s = fs_engine_status(e);
  }
  free(src_pos);
  free(tgt_pos);
  free(last);
  free(count);
  return s;
}

fs_status fs_encoder_declare(fs_encoder *enc, fs_params *p, const fs_hparams *h) {
  if (h->encoder_layers > FS_MAX_LAYERS) return fs_error(FS_ERR_ARG, "at most %d encoder layers", FS_MAX_LAYERS);
  enc->layers = h->encoder_layers;
  char name[FS_PARAM_NAME_MAX];
  for (int i = 0; i < enc->layers; i++) {
    snprintf(name, sizeof name, "encoder.layers.%d", i);
    FS_TRY(
        nn_encoder_layer_declare(&enc->layer[i], p, name, h->d, h->encoder_heads, h->ffn_hidden, h->encoder_dropout));
  }
  return FS_OK;
}

fs_status fs_encoder_init(fs_encoder *enc, nn_init_rng *r) {
  for (int i = 0; i < enc->layers; i++) FS_TRY(nn_encoder_layer_init(&enc->layer[i], r));
  return FS_OK;
}

fs_tensor *fs_embed(fs_engine *e, fs_tensor *embedding, const fs_ids *ids, int batch, int length) {
  if (!embedding) return NULL;
  int d = embedding->shape[1];
  fs_tensor *x = fs_scale(e, fs_embedding(e, embedding, ids), sqrtf((float)d));
  return fs_reshape(e, x, 3, (int[]){batch, length, d});
}

fs_tensor *fs_encoder_forward(fs_engine *e, const fs_encoder *enc, fs_tensor *embedding, const nn_positions *pos,
                              const fs_inputs *in, fs_tensor **ctx) {
  int B = in->batch, S = in->src_len;
  fs_tensor *x =
      fs_add(e, fs_embed(e, embedding, in->src_ids, B, S), nn_positions_lookup(e, pos, in->src_positions, B, S));
  x = fs_dropout(e, x, FS_EMBED_DROPOUT);
  for (int i = 0; i < enc->layers; i++) x = nn_encoder_layer_forward(e, &enc->layer[i], x, in->src_mask);
  fs_tensor *src_mask3 = fs_reshape(e, in->src_mask, 3, (int[]){B, S, 1});
  fs_tensor *src_enc = fs_mul(e, x, src_mask3);
  /* the EOS state of each sentence: a row gather, written as an embedding lookup into src_enc */
  if (src_enc) *ctx = fs_embedding(e, fs_reshape(e, src_enc, 2, (int[]){B * S, src_enc->shape[2]}), in->src_last);
  return src_enc;
}
