/* Layer norm module (eps 1e-5, learnable gain and bias; docs/model.md#layer-norm). */
#ifndef FLOWSEQ_NN_LAYERNORM_H
#define FLOWSEQ_NN_LAYERNORM_H

#include "nn/init.h"
#include "ops/ops.h"
#include "ops/params.h"

#define NN_LAYERNORM_EPS 1e-5f

typedef struct {
  fs_tensor *gain, *bias; /* [D] each */
} nn_layernorm;

fs_status nn_layernorm_declare(nn_layernorm *n, fs_params *p, const char *name, int dim);
void nn_layernorm_init(nn_layernorm *n, const fs_backend *be);
fs_tensor *nn_layernorm_forward(fs_engine *e, const nn_layernorm *n, fs_tensor *x);

#endif
