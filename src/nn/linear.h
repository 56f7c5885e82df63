/* Dense layers: the plain linear map and the weight-normalised one (docs/model.md#weight-normalised-linear). */
#ifndef FLOWSEQ_NN_LINEAR_H
#define FLOWSEQ_NN_LINEAR_H

#include "nn/init.h"
#include "ops/ops.h"
#include "ops/params.h"

typedef struct {
  int in, out;
  fs_tensor *weight; /* [out, in] */
  fs_tensor *bias;   /* [out], or NULL */
} nn_linear;

fs_status nn_linear_declare(nn_linear *l, fs_params *p, const char *name, int in, int out, bool bias);
/* PyTorch's nn.Linear default: weight and bias U(±1/√in) (docs/model.md#initialisation). */
fs_status nn_linear_init(nn_linear *l, nn_init_rng *r);
/* x [..., in] -> [..., out] */
fs_tensor *nn_linear_forward(fs_engine *e, const nn_linear *l, fs_tensor *x);

/* Weight-normalised linear: weight row i = g_i · v_i / ‖v_i‖. v, g and b are separate parameters,
 * as the spec asks, so the optimiser sees the same dynamics as the original. */
typedef struct {
  int in, out;
  fs_tensor *v; /* [out, in] */
  fs_tensor *g; /* [out] */
  fs_tensor *b; /* [out] */
} nn_wnlinear;

fs_status nn_wnlinear_declare(nn_wnlinear *l, fs_params *p, const char *name, int in, int out);
/* v ~ N(0, 0.05²), g = ‖v_i‖ (the effective weight starts equal to v), b = 0. */
fs_status nn_wnlinear_init(nn_wnlinear *l, nn_init_rng *r);
fs_tensor *nn_wnlinear_forward(fs_engine *e, const nn_wnlinear *l, fs_tensor *x);
/* Data-dependent init with scale kappa on inputs x (every row, pads included, docs/model.md#weight-normalised-linear): per
 * output unit mean m and unbiased std s of the current outputs, then g ← g·κ/(s+1e-6),
 * b ← (b − m)·κ/(s+1e-6). κ = 0 makes the layer output exactly zero. */
fs_status nn_wnlinear_init_data(fs_engine *e, nn_wnlinear *l, fs_tensor *x, float kappa);

#endif
