/* The decoder p(y|z,x) (docs/model.md#decoder): positional attention of the slot positions over z,
 * decoder-style layers with cross-attention to the source, and the output projection; every
 * target token is predicted independently given z. */
#ifndef FLOWSEQ_MODEL_DECODER_H
#define FLOWSEQ_MODEL_DECODER_H

#include "model/encoder.h"

typedef struct {
  nn_attention positional;
  int layers;
  nn_decoder_layer layer[FLOWSEQ_MAX_LAYERS];
} flowseq_decoder;

fs_status flowseq_decoder_declare(flowseq_decoder *dec, fs_params *p, const flowseq_hparams *h);
fs_status flowseq_decoder_init(flowseq_decoder *dec, nn_init_rng *r);
/* logits [B, T, V] = h · out_weightᵀ + out_bias */
fs_tensor *flowseq_decoder_forward(fs_engine *e, const flowseq_decoder *dec, fs_tensor *z, const nn_positions *pos,
                                   const flowseq_inputs *in, fs_tensor *src_enc, fs_tensor *out_weight,
                                   fs_tensor *out_bias);

#endif
