/* The two transformer layers FlowSeq is built from (docs/model.md#transformer-layers):
 *   encoder layer:        x ← MHA(x, x, x, self mask); x ← FFN(x)
 *   decoder-style layer:  x ← MHA(x, x, x, self mask) (not causal); x ← MHA(x, src, src, src mask);
 *                         x ← FFN(x)
 * The decoder-style layer serves the posterior, the decoder and every flow coupling net. */
#ifndef FLOWSEQ_NN_LAYERS_H
#define FLOWSEQ_NN_LAYERS_H

#include "nn/attention.h"
#include "nn/ffn.h"

typedef struct {
  nn_attention self;
  nn_ffn ffn;
} nn_encoder_layer;

typedef struct {
  nn_attention self, cross;
  nn_ffn ffn;
} nn_decoder_layer;

fs_status nn_encoder_layer_declare(nn_encoder_layer *l, fs_params *p, const char *name, int dim, int heads,
                                   int hidden, float dropout);
fs_status nn_encoder_layer_init(nn_encoder_layer *l, nn_init_rng *r);
fs_tensor *nn_encoder_layer_forward(fs_engine *e, const nn_encoder_layer *l, fs_tensor *x, fs_tensor *mask);

fs_status nn_decoder_layer_declare(nn_decoder_layer *l, fs_params *p, const char *name, int dim, int heads,
                                   int hidden, float dropout);
fs_status nn_decoder_layer_init(nn_decoder_layer *l, nn_init_rng *r);
fs_tensor *nn_decoder_layer_forward(fs_engine *e, const nn_decoder_layer *l, fs_tensor *x, fs_tensor *mask,
                                    fs_tensor *src, fs_tensor *src_mask);

#endif
