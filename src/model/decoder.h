/* The decoder p(y|z,x) (docs/model.md#decoder): positional attention of the slot positions over z,
 * decoder-style layers with cross-attention to the source, and the output projection; every
 * target token is predicted independently given z. */
#ifndef FLOWSEQ_MODEL_DECODER_H
#define FLOWSEQ_MODEL_DECODER_H

#include "model/encoder.h"

typedef struct {
  nn_attention positional;
  int layers;
  nn_decoder_layer layer[FS_MAX_LAYERS];
} fs_decoder;

fs_status fs_decoder_declare(fs_decoder *dec, fs_params *p, const fs_hparams *h);
fs_status fs_decoder_init(fs_decoder *dec, nn_init_rng *r);
/* logits [B, T, V] = h · out_weightᵀ + out_bias */
fs_tensor *fs_decoder_forward(fs_engine *e, const fs_decoder *dec, fs_tensor *z, const nn_positions *pos,
                              const fs_inputs *in, fs_tensor *src_enc, fs_tensor *out_weight, fs_tensor *out_bias);

#endif
