/* The two transformer layers FlowSeq is built from (docs/model.md#transformer-layers):
 *   encoder layer:        x ← MHA(x, x, x, self mask); x ← FFN(x)
 *   decoder-style layer:  x ← MHA(x, x, x, self mask); x ← MHA(x, src, src, src mask); x ← FFN(x)
 * The decoder-style layer serves the posterior, the decoder and every flow coupling net (self-
 * attention not causal), and the autoregressive Transformer's decoder (self.causal set). */
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

fs_status nn_encoder_layer_declare(nn_encoder_layer *l, fs_params *p, const char *name, int dim, int heads, int hidden,
                                   float dropout);
fs_status nn_encoder_layer_init(nn_encoder_layer *l, nn_init_rng *r);
fs_tensor *nn_encoder_layer_forward(fs_engine *e, const nn_encoder_layer *l, fs_tensor *x, fs_tensor *mask);

fs_status nn_decoder_layer_declare(nn_decoder_layer *l, fs_params *p, const char *name, int dim, int heads, int hidden,
                                   float dropout);
fs_status nn_decoder_layer_init(nn_decoder_layer *l, nn_init_rng *r);
fs_tensor *nn_decoder_layer_forward(fs_engine *e, const nn_decoder_layer *l, fs_tensor *x, fs_tensor *mask,
                                    fs_tensor *src, fs_tensor *src_mask);
/* nn_decoder_layer_forward with the source side given as src_kv = nn_attention_memory(&l->cross,
 * src): teacher-forced scoring projects each source once for all the rows that share it. */
fs_tensor *nn_decoder_layer_forward_memory(fs_engine *e, const nn_decoder_layer *l, fs_tensor *x, fs_tensor *mask,
                                           fs_tensor *src_kv, fs_tensor *src_mask);
/* One position of a causal decoder layer (incremental decoding): x [B, 1, D], *self_cache as
 * nn_attention_forward_step, src_kv = nn_attention_memory(&l->cross, src). */
fs_tensor *nn_decoder_layer_step(fs_engine *e, const nn_decoder_layer *l, fs_tensor *x, fs_tensor **self_cache,
                                 fs_tensor *src_kv, fs_tensor *src_mask);

#endif
