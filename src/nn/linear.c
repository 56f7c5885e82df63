/* Dense layers: the implementation; nn/linear.h describes the interface. */
#include "nn/linear.h"

#include <math.h>

fs_status nn_linear_declare(nn_linear *l, fs_params *p, const char *name, int in, int out, bool bias) {
  char buf[FS_PARAM_NAME_MAX];
  l->in = in;
  l->out = out;
  l->weight = fs_param_add(p, nn_name(buf, name, "weight"), 2, (int[]){out, in});
  l->bias = bias ? fs_param_add(p, nn_name(buf, name, "bias"), 1, (int[]){out}) : NULL;
  return l->weight && (!bias || l->bias) ? FS_OK : FS_ERR_ARG;
}

fs_status nn_linear_init(nn_linear *l, nn_init_rng *r) {
  float bound = 1.0f / sqrtf((float)l->in);
  FS_TRY(nn_init_uniform(r, l->weight, bound));
  return l->bias ? nn_init_uniform(r, l->bias, bound) : FS_OK;
}

fs_tensor *nn_linear_forward(fs_engine *e, const nn_linear *l, fs_tensor *x) {
  return fs_linear(e, x, l->weight, l->bias);
}
