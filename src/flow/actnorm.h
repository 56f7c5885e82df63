/* ActNorm (docs/model.md#actnorm): a per-feature affine map with log-scale s and bias b,
 * initialised from data so that its first outputs have zero mean and unit variance per feature. */
#ifndef FLOWSEQ_FLOW_ACTNORM_H
#define FLOWSEQ_FLOW_ACTNORM_H

#include "flow/level.h"
#include "nn/init.h"
#include "ops/params.h"

typedef struct {
  int features;
  fs_tensor *log_scale; /* s [F] */
  fs_tensor *bias;      /* b [F] */
} flow_actnorm;

fs_status flow_actnorm_declare(flow_actnorm *a, fs_params *p, const char *name, int features);
/* s ~ N(0, 0.05²), b = 0 (docs/model.md#initialisation). */
fs_status flow_actnorm_init(flow_actnorm *a, nn_init_rng *r);

/* normalise z -> v: y = (x ⊙ e^s + b) ⊙ mask, logdet += n_valid · Σ s */
fs_tensor *flow_actnorm_normalise(fs_engine *e, const flow_actnorm *a, fs_tensor *x, const flow_level *lvl,
                                  fs_tensor **logdet);
/* generate v -> z: x = ((y − b) ⊙ mask) / (e^s + 1e-8), logdet −= n_valid · Σ s */
fs_tensor *flow_actnorm_generate(fs_engine *e, const flow_actnorm *a, fs_tensor *y, const flow_level *lvl,
                                 fs_tensor **logdet);

/* Data-dependent initialisation on input x (gradients off): sets s and b from the statistics of
 * the current output over all B·L rows, pads included as zeros (docs/model.md#actnorm), and returns the
 * re-initialised layer's output so the next layer can initialise on it (docs/model.md#actnorm). */
fs_tensor *flow_actnorm_init_data(fs_engine *e, flow_actnorm *a, fs_tensor *x, const flow_level *lvl);

#endif
