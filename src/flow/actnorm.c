#include "flow/actnorm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/philox.h"
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

fs_status flow_actnorm_init(flow_actnorm *a, const fs_backend *be, uint64_t seed, uint64_t *stream) {
  int f = a->features;
  float *host = malloc(sizeof(float) * f);
  if (!host) return fs_error(FS_ERR_MEMORY, "actnorm init: out of memory");
  for (int j = 0; j < f; j++) host[j] = 0.05f * fs_rand_normal(seed, (*stream)++);
  be->upload(a->log_scale->data, host, sizeof(float) * f);
  be->fill(a->bias->data, f, 0.0f);
  free(host);
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
  int64_t rows = y->numel / f;
  float *out = malloc(sizeof(float) * y->numel), *s = malloc(sizeof(float) * f), *b = malloc(sizeof(float) * f);
  if (!out || !s || !b) {
    free(out);
    free(s);
    free(b);
    return fs_fail(e, FS_ERR_MEMORY, "actnorm init: out of memory");
  }
  fs_tensor_to_host(e, y, out);
  e->be->download(s, a->log_scale->data, sizeof(float) * f);
  e->be->download(b, a->bias->data, sizeof(float) * f);
  for (int j = 0; j < f; j++) {
    double sum = 0.0, sq = 0.0;
    for (int64_t r = 0; r < rows; r++) sum += out[r * f + j];
    double mean = sum / rows;
    for (int64_t r = 0; r < rows; r++) sq += (out[r * f + j] - mean) * (out[r * f + j] - mean);
    double sd = rows > 1 ? sqrt(sq / (rows - 1)) : 0.0; /* unbiased, as torch.std */
    s[j] += (float)log(1.0 / (sd + 1e-6));
    b[j] = (float)((b[j] - mean) / (sd + 1e-6));
  }
  e->be->upload(a->log_scale->data, s, sizeof(float) * f);
  e->be->upload(a->bias->data, b, sizeof(float) * f);
  free(out);
  free(s);
  free(b);
  return flow_actnorm_normalise(e, a, x, lvl, &unused);
}
