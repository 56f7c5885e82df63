/* The decoder p(y|z,x): the implementation; model/decoder.h describes the interface. */
#include "model/decoder.h"

#include <stdio.h>

fs_status fs_decoder_declare(fs_decoder *dec, fs_params *p, const fs_hparams *h) {
  if (h->decoder_layers > FS_MAX_LAYERS) return fs_error(FS_ERR_ARG, "at most %d decoder layers", FS_MAX_LAYERS);
  dec->layers = h->decoder_layers;
  FS_TRY(nn_attention_declare(&dec->positional, p, "decoder.pos_attn", h->d, h->decoder_heads, h->decoder_dropout));
  char name[FS_PARAM_NAME_MAX];
  for (int i = 0; i < dec->layers; i++) {
    snprintf(name, sizeof name, "decoder.layers.%d", i);
    FS_TRY(
        nn_decoder_layer_declare(&dec->layer[i], p, name, h->d, h->decoder_heads, h->ffn_hidden, h->decoder_dropout));
  }
  return FS_OK;
}

fs_status fs_decoder_init(fs_decoder *dec, nn_init_rng *r) {
  FS_TRY(nn_attention_init(&dec->positional, r));
  for (int i = 0; i < dec->layers; i++) FS_TRY(nn_decoder_layer_init(&dec->layer[i], r));
  return FS_OK;
}

fs_tensor *fs_decoder_forward(fs_engine *e, const fs_decoder *dec, fs_tensor *z, const nn_positions *pos,
                              const fs_inputs *in, fs_tensor *src_enc, fs_tensor *out_weight, fs_tensor *out_bias) {
  int B = in->batch, T = in->tgt_len;
  fs_tensor *slots = nn_positions_lookup(e, pos, in->tgt_positions, B, T); /* zero on pads */
  fs_tensor *h = nn_attention_forward(e, &dec->positional, slots, z, z, in->tgt_mask);
  for (int i = 0; i < dec->layers; i++)
    h = nn_decoder_layer_forward(e, &dec->layer[i], h, in->tgt_mask, src_enc, in->src_mask);
  return fs_linear(e, h, out_weight, out_bias);
}
