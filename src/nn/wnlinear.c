/* Weight-normalised linear (docs/model.md#weight-normalised-linear); declared in nn/linear.h next to the plain one. */
#include "nn/linear.h"

#include <math.h>
#include <stdlib.h>

fs_status nn_wnlinear_declare(nn_wnlinear *l, fs_params *p, const char *name, int in, int out) {
  char buf[FS_PARAM_NAME_MAX];
  l->in = in;
  l->out = out;
  l->v = fs_param_add(p, nn_name(buf, name, "v"), 2, (int[]){out, in});
  l->g = fs_param_add(p, nn_name(buf, name, "g"), 1, (int[]){out});
  l->b = fs_param_add(p, nn_name(buf, name, "b"), 1, (int[]){out});
  return l->v && l->g && l->b ? FS_OK : FS_ERR_ARG;
}

fs_status nn_wnlinear_init(nn_wnlinear *l, nn_init_rng *r) {
  FS_TRY(nn_init_normal(r, l->v, 0.05f));
  float *v = malloc(sizeof(float) * l->v->numel), *g = malloc(sizeof(float) * l->out);
  if (!v || !g) {
    free(v);
    free(g);
    return fs_error(FS_ERR_MEMORY, "weight-norm init: out of memory");
  }
  r->be->download(v, l->v->data, sizeof(float) * l->v->numel);
  for (int i = 0; i < l->out; i++) {
    double n = 0.0;
    for (int j = 0; j < l->in; j++) n += (double)v[i * l->in + j] * v[i * l->in + j];
    g[i] = (float)sqrt(n);
  }
  r->be->upload(l->g->data, g, sizeof(float) * l->out);
  nn_init_const(r->be, l->b, 0.0f);
  free(v);
  free(g);
  return FS_OK;
}

fs_tensor *nn_wnlinear_forward(fs_engine *e, const nn_wnlinear *l, fs_tensor *x) {
  return fs_linear(e, x, fs_weight_norm(e, l->v, l->g), l->b);
}

fs_status nn_wnlinear_init_data(fs_engine *e, nn_wnlinear *l, fs_tensor *x, float kappa) {
  fs_engine_mode previous = fs_engine_enter(e, fs_engine_eval());
  fs_tensor *y = nn_wnlinear_forward(e, l, x);
  fs_engine_restore(e, previous);
  if (!y) return fs_engine_status(e);
  int out = l->out;
  double *stats = malloc(sizeof(double) * 2 * out);
  float *g = malloc(sizeof(float) * out), *b = malloc(sizeof(float) * out);
  fs_status s = stats && g && b ? FS_OK : fs_error(FS_ERR_MEMORY, "weight-norm data init: out of memory");
  if (s == FS_OK) s = nn_feature_stats(e, y, stats, stats + out);
  if (s == FS_OK) {
    e->be->download(g, l->g->data, sizeof(float) * out);
    e->be->download(b, l->b->data, sizeof(float) * out);
    for (int i = 0; i < out; i++) {
      double factor = kappa / (stats[out + i] + 1e-6);
      g[i] = (float)(g[i] * factor);
      b[i] = (float)((b[i] - stats[i]) * factor);
    }
    e->be->upload(l->g->data, g, sizeof(float) * out);
    e->be->upload(l->b->data, b, sizeof(float) * out);
  }
  free(stats);
  free(g);
  free(b);
  return s;
}
