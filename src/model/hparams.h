/* A model's architecture hyper-parameters (docs/model.md#presets): everything needed to rebuild
 * the network; the YAML config's `model:` section maps onto it. `type` says which network:
 * FlowSeq (the default) or the autoregressive Transformer (docs/transformer.md), which uses the
 * vocabulary, width, encoder, decoder, label-smoothing, length and embedding fields and ignores
 * the posterior, length-predictor and flow ones. */
#ifndef FLOWSEQ_MODEL_HPARAMS_H
#define FLOWSEQ_MODEL_HPARAMS_H

#include <stdbool.h>

#include "flow/prior.h"

typedef enum { FS_MODEL_FLOWSEQ, FS_MODEL_TRANSFORMER } fs_model_type;

typedef struct {
  fs_model_type type; /* model.type: flowseq | transformer */
  int vocab;          /* joint source/target vocabulary (SentencePiece) */
  int pad_id, eos_id; /* docs/model.md#conventions: PAD 0, EOS 2 */
  int d;              /* embedding = latent = model width */
  int ffn_hidden;
  int encoder_layers, encoder_heads;
  float encoder_dropout;
  int posterior_layers, posterior_heads;
  float posterior_dropout, posterior_token_dropout;
  int decoder_layers, decoder_heads;
  float decoder_dropout;
  float label_smoothing;
  int length_range; /* R: length classes T − S in [−R, R] */
  float length_dropout;
  int flow_levels, flow_steps[FLOW_MAX_LEVELS], flow_hidden, flow_heads;
  int max_length;   /* longest sequence the position tables cover */
  bool share_embed; /* one embedding for source and target (joint vocabulary) */
  bool tie_weights; /* output projection = target embedding */
} fs_hparams;

/* The length unit: FlowSeq's target lengths are multiples of 2^(levels−1), at least 2
 * (docs/model.md#conventions); the Transformer's are any length (1). */
int fs_length_unit(const fs_hparams *h);

#endif
