/* The token embeddings and output projection both model types have (docs/model.md#overview):
 * a source and a target table [V, d] (one table when model.share_embed), the output projection
 * [V, d] (the target table when model.tie_weights) and its bias [V]. */
#ifndef FLOWSEQ_MODEL_EMBEDDINGS_H
#define FLOWSEQ_MODEL_EMBEDDINGS_H

#include "model/hparams.h"
#include "nn/init.h"
#include "ops/params.h"

typedef struct {
  fs_tensor *src, *tgt;             /* the same tensor when share_embed */
  fs_tensor *out_weight, *out_bias; /* out_weight = tgt when tie_weights */
} fs_embeddings;

/* Declares "embed" (or "src_embed" and "tgt_embed"), "decoder.out.weight" unless tied, and
 * "decoder.out.bias". */
fs_status fs_embeddings_declare(fs_embeddings *m, fs_params *p, const fs_hparams *h);
/* Tables U(±0.1) with the PAD row zeroed, an untied projection U(±0.1), bias 0
 * (docs/model.md#initialisation). */
fs_status fs_embeddings_init(fs_embeddings *m, nn_init_rng *r, const fs_hparams *h);

#endif
