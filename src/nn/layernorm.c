/* Layer norm module: the implementation; nn/layernorm.h describes the interface. */
#include "nn/layernorm.h"

fs_status nn_layernorm_declare(nn_layernorm *n, fs_params *p, const char *name, int dim) {
  char buf[FS_PARAM_NAME_MAX];
  n->gain = fs_param_add(p, nn_name(buf, name, "gain"), 1, (int[]){dim});
  n->bias = fs_param_add(p, nn_name(buf, name, "bias"), 1, (int[]){dim});
  return n->gain && n->bias ? FS_OK : FS_ERR_ARG;
}

void nn_layernorm_init(nn_layernorm *n, const fs_backend *be) {
  nn_init_const(be, n->gain, 1.0f);
  nn_init_const(be, n->bias, 0.0f);
}

fs_tensor *nn_layernorm_forward(fs_engine *e, const nn_layernorm *n, fs_tensor *x) {
  return fs_layernorm(e, x, n->gain, n->bias, NN_LAYERNORM_EPS);
}
