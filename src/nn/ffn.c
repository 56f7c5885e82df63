/* Position-wise feed-forward block: the implementation; nn/ffn.h describes the interface. */
#include "nn/ffn.h"

fs_status nn_ffn_declare(nn_ffn *f, fs_params *p, const char *name, int dim, int hidden, float dropout) {
  char buf[FS_PARAM_NAME_MAX];
  f->dropout = dropout;
  FS_TRY(nn_linear_declare(&f->in, p, nn_name(buf, name, "in"), dim, hidden, true));
  FS_TRY(nn_linear_declare(&f->out, p, nn_name(buf, name, "out"), hidden, dim, true));
  return nn_layernorm_declare(&f->norm, p, nn_name(buf, name, "norm"), dim);
}

fs_status nn_ffn_init(nn_ffn *f, nn_init_rng *r) {
  FS_TRY(nn_linear_init(&f->in, r));
  FS_TRY(nn_linear_init(&f->out, r));
  nn_layernorm_init(&f->norm, r->be);
  return FS_OK;
}

fs_tensor *nn_ffn_forward(fs_engine *e, const nn_ffn *f, fs_tensor *x) {
  fs_tensor *h = fs_dropout(e, fs_relu(e, nn_linear_forward(e, &f->in, x)), f->dropout);
  fs_tensor *y = fs_dropout(e, nn_linear_forward(e, &f->out, h), f->dropout);
  return nn_layernorm_forward(e, &f->norm, fs_add(e, x, y));
}
