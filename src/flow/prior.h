/* The multi-scale flow prior p(z|x) (docs/model.md#flow-prior): z = f(v; x) with v ~ N(0, I).
 *
 * Each level is a flat list of layers in normalise order (z → v), built from the spec's nesting:
 *   block(level k) = ActNorm, Coupling C-up ("attn" mixing), Coupling C-down,
 *                    steps × Step(with_time = k is not the last level),
 *                    and, except on the last level, the split-prior Coupling C-up;
 *   Step = ActNorm, MH-linear (contiguous), Unit, ActNorm, MH-linear (strided), Unit;
 *   Unit = C-up, C-down, ActNorm, E-up, E-down, [ActNorm, T-up, T-down if with_time].
 * The generate direction runs the same list backwards, inverting each layer. Between levels the
 * second half of the features is set aside and the first half squeezed: [B, L, F/2] viewed as
 * [B, L/2, F] (docs/model.md#squeeze-and-split, docs/model.md#levels). */
#ifndef FLOWSEQ_FLOW_PRIOR_H
#define FLOWSEQ_FLOW_PRIOR_H

#include "flow/actnorm.h"
#include "flow/coupling.h"
#include "flow/mhlinear.h"

#define FLOW_MAX_LEVELS 4

typedef enum { FLOW_LAYER_ACTNORM, FLOW_LAYER_MHLINEAR, FLOW_LAYER_COUPLING } flow_layer_kind;

typedef struct {
  flow_layer_kind kind;
  union {
    flow_actnorm actnorm;
    flow_mhlinear mhlinear;
    flow_coupling coupling;
  };
} flow_layer;

typedef struct {
  int features; /* F = d */
  int levels;
  int steps[FLOW_MAX_LEVELS];
  int n_layers[FLOW_MAX_LEVELS];
  flow_layer *layers[FLOW_MAX_LEVELS];
  nn_positions positions_half; /* width F/2: couplings on feature splits */
  nn_positions positions_full; /* width F: couplings on time splits */
  const fs_backend *be;
} flow_prior;

typedef struct {
  int features, levels;
  const int *steps; /* [levels] */
  int max_length;   /* longest target (positional tables) */
  flow_coupling_config coupling;
} flow_prior_config;

fs_status flow_prior_declare(flow_prior *f, fs_params *p, const char *name, const flow_prior_config *cfg,
                             const fs_backend *be);
fs_status flow_prior_init(flow_prior *f, nn_init_rng *r);
void flow_prior_free(flow_prior *f);
/* Refreshes every multi-head linear's cached inverse (before decoding, docs/model.md#multi-head-linear). */
fs_status flow_prior_sync(flow_prior *f);

/* The batch as the flow sees it: host mask [B, T] (T a multiple of 2^(levels−1)) and the source. */
typedef struct {
  int batch, length;
  const float *host_mask;
  fs_tensor *src, *src_mask; /* [B, S, d], [B, S] */
} flow_input;

/* z → v (differentiable); *logdet receives Σ of the normalise log-determinants per sentence [B]. */
fs_tensor *flow_prior_normalise(fs_engine *e, const flow_prior *f, fs_tensor *z, const flow_input *in,
                                fs_tensor **logdet);
/* v → z; *logdet receives Σ of the generate log-determinants per sentence [B]. */
fs_tensor *flow_prior_generate(fs_engine *e, const flow_prior *f, fs_tensor *v, const flow_input *in,
                               fs_tensor **logdet);
/* log p(z|x) per sentence [B] = Σ_valid (−½ v² − ½ ln 2π) + normalise log-det (docs/model.md#flow-prior). */
fs_tensor *flow_prior_log_density(fs_engine *e, const flow_prior *f, fs_tensor *z, const flow_input *in);
/* log N(v; 0, I) over the valid positions per sentence [B]; mask3 [B, T, 1], n_valid [B]. */
fs_tensor *flow_gaussian_log_density(fs_engine *e, fs_tensor *v, fs_tensor *mask3, fs_tensor *n_valid);
/* Data-dependent init (docs/model.md#training-procedure) on posterior samples z, in evaluation mode: every ActNorm from
 * its input statistics and every coupling's output layer to zero, layer by layer in order. */
fs_status flow_prior_init_data(fs_engine *e, flow_prior *f, fs_tensor *z, const flow_input *in);

#endif
