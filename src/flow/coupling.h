/* Affine coupling layer (docs/model.md#affine-coupling). The input is split into a conditioning part x_a,
 * passed through unchanged, and a transformed part x_b:
 *   normalise  y_b = (sc ⊙ x_b + μ) ⊙ mask,           logdet += Σ_valid ln sc
 *   generate   x_b = ((y_b − μ) / (sc + 1e-12)) ⊙ mask, logdet −= Σ_valid ln sc
 * with (μ, a) = NN(x_a, source) and sc = σ(a + 2) ∈ (0, 1). Because μ and sc depend on x_a only,
 * the inverse is exact.
 *
 * Split patterns: feature halves, alternate (even/odd) features, alternate positions; "up" makes
 * the first half / even elements the conditioning part, "down" the second / odd. The coupling net
 * adds positions (or attends to x_a from the positions: the "attn" mixing), runs one decoder-style
 * layer over x_a with cross-attention to the (projected) source, and ends in a weight-normalised
 * linear whose data-dependent init with κ = 0 makes it output zeros. */
#ifndef FLOWSEQ_FLOW_COUPLING_H
#define FLOWSEQ_FLOW_COUPLING_H

#include <stdbool.h>

#include "flow/level.h"
#include "nn/layers.h"
#include "nn/linear.h"
#include "nn/positions.h"

typedef enum {
  FLOW_SPLIT_HALVES,   /* features [0, F/2) vs [F/2, F) */
  FLOW_SPLIT_FEATURES, /* even vs odd features */
  FLOW_SPLIT_TIME,     /* even vs odd positions */
} flow_split;

typedef struct {
  flow_split split;
  bool up;               /* x_a = first half / even elements */
  bool attention_mixing; /* "attn" position mixing instead of "add" */
  int features, in_dim, out_dim;
  bool project_source;     /* source width differs from in_dim */
  nn_linear source_proj;   /* [in_dim, d], no bias */
  nn_attention positional; /* only with attention_mixing */
  nn_decoder_layer layer;
  nn_wnlinear out;               /* in_dim -> 2 · width(x_b) */
  const nn_positions *positions; /* table of width in_dim, owned by the prior */
} flow_coupling;

/* Hyper-parameters shared by every coupling of a flow. */
typedef struct {
  int source_dim; /* d of the encoder output */
  int heads;      /* attention heads of the coupling nets */
  int hidden;     /* FFN hidden size of the coupling nets */
} flow_coupling_config;

fs_status flow_coupling_declare(flow_coupling *c, fs_params *p, const char *name, int features, flow_split split,
                                bool up, bool attention_mixing, const flow_coupling_config *cfg,
                                const nn_positions *positions);
fs_status flow_coupling_init(flow_coupling *c, nn_init_rng *r);

fs_tensor *flow_coupling_normalise(fs_engine *e, const flow_coupling *c, fs_tensor *x, const flow_level *lvl,
                                   fs_tensor *src, fs_tensor *src_mask, fs_tensor **logdet);
fs_tensor *flow_coupling_generate(fs_engine *e, const flow_coupling *c, fs_tensor *y, const flow_level *lvl,
                                  fs_tensor *src, fs_tensor *src_mask, fs_tensor **logdet);
/* Data-dependent init of the output layer with κ = 0 on input x (docs/model.md#training-procedure); the layer then
 * outputs zeros, so μ = 0 and sc = σ(2). */
fs_status flow_coupling_init_data(fs_engine *e, flow_coupling *c, fs_tensor *x, const flow_level *lvl, fs_tensor *src,
                                  fs_tensor *src_mask);

/* Width of the conditioning part for this split of F features. */
int flow_coupling_in_dim(flow_split split, int features);

#endif
