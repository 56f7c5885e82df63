/* ActNorm: the implementation; flow/actnorm.h describes the interface. */
#include "flow/actnorm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "flow/logdet.h"

fs_status flow_actnorm_declare(flow_actnorm *a, fs_params *p, const char *name, int features) {
  char buf[FS_PARAM_NAME_MAX];
  a->features = features;
  snprintf(buf, sizeof buf, "%s.log_scale", name);
  a->log_scale = fs_param_add(p, buf, 1, (int[]){features});
  snprintf(buf, sizeof buf, "%s.bias", name);
  a->bias = fs_param_add(p, buf, 1, (int[]){features});
  return a->log_scale && a->bias ? FS_OK : FS_ERR_ARG;
}

fs_status flow_actnorm_init(flow_actnorm *a, nn_init_rng *r) {
  FS_TRY(nn_init_normal(r, a->log_scale, 0.05f));
  nn_init_const(r->be, a->bias, 0.0f);
  return FS_OK;
}

/* n_valid · Σ_j s_j per sentence, [B] */
static fs_tensor *actnorm_logdet(fs_engine *e, const flow_actnorm *a, const flow_level *lvl) {
  return fs_mul(e, lvl->n_valid, fs_sum_all(e, a->log_scale));
}

fs_tensor *flow_actnorm_normalise(fs_engine *e, const flow_actnorm *a, fs_tensor *x, const flow_level *lvl,
                                  fs_tensor **logdet) {
  fs_tensor *y = fs_mul(e, fs_add(e, fs_mul(e, x, fs_exp(e, a->log_scale)), a->bias), lvl->mask3);
  flow_logdet_add(e, logdet, actnorm_logdet(e, a, lvl));
  return y;
}

fs_tensor *flow_actnorm_generate(fs_engine *e, const flow_actnorm *a, fs_tensor *y, const flow_level *lvl,
                                 fs_tensor **logdet) {
  fs_tensor *scale = fs_add_scalar(e, fs_exp(e, a->log_scale), 1e-8f);
  fs_tensor *x = fs_div(e, fs_mul(e, fs_sub(e, y, a->bias), lvl->mask3), scale);
  flow_logdet_add(e, logdet, fs_scale(e, actnorm_logdet(e, a, lvl), -1.0f));
  return x;
}

fs_tensor *flow_actnorm_init_data(fs_engine *e, flow_actnorm *a, fs_tensor *x, const flow_level *lvl) {
  fs_tensor *unused = NULL;
  fs_tensor *y = flow_actnorm_normalise(e, a, x, lvl, &unused);
  if (!y) return NULL;
  int f = a->features;
  double *mean = malloc(sizeof(double) * f), *sd = malloc(sizeof(double) * f);
  float *s = malloc(sizeof(float) * f), *b = malloc(sizeof(float) * f);
  fs_status st =
      mean && sd && s && b ? nn_feature_stats(e, y, mean, sd) : fs_error(FS_ERR_MEMORY, "actnorm init: out of memory");
  if (st == FS_OK) {
    e->be->download(s, a->log_scale->data, sizeof(float) * f);
    e->be->download(b, a->bias->data, sizeof(float) * f);
    for (int j = 0; j < f; j++) {
      s[j] += (float)log(1.0 / (sd[j] + 1e-6));
      b[j] = (float)((b[j] - mean[j]) / (sd[j] + 1e-6));
    }
    e->be->upload(a->log_scale->data, s, sizeof(float) * f);
    e->be->upload(a->bias->data, b, sizeof(float) * f);
  }
  free(mean);
  free(sd);
  free(s);
  free(b);
  return st == FS_OK ? flow_actnorm_normalise(e, a, x, lvl, &unused) : fs_fail(e, st, "%s", fs_last_error());
}
