#include "nn/init.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/philox.h"
#include "ops/params.h"

const char *nn_name(char *buf, const char *prefix, const char *suffix) {
  snprintf(buf, FS_PARAM_NAME_MAX, "%s.%s", prefix, suffix);
  return buf;
}

/* Fills n host values from the stream and uploads them at dst. */
static fs_status upload_random(nn_init_rng *r, float *dst, int64_t n, float scale, bool normal) {
  float *host = malloc(sizeof(float) * (n ? n : 1));
  if (!host) return fs_error(FS_ERR_MEMORY, "parameter init: out of memory");
  for (int64_t i = 0; i < n; i++) {
    uint64_t k = r->stream++;
    host[i] = normal ? scale * fs_rand_normal(r->seed, k) : scale * (2.0f * fs_rand_uniform(r->seed, k) - 1.0f);
  }
  r->be->upload(dst, host, sizeof(float) * n);
  free(host);
  return FS_OK;
}

fs_status nn_init_uniform(nn_init_rng *r, fs_tensor *t, float bound) {
  return upload_random(r, t->data, t->numel, bound, false);
}

fs_status nn_init_normal(nn_init_rng *r, fs_tensor *t, float std) {
  return upload_random(r, t->data, t->numel, std, true);
}

fs_status nn_init_xavier_rows(nn_init_rng *r, fs_tensor *t, int row0, int rows) {
  int cols = t->shape[1];
  return upload_random(r, t->data + (int64_t)row0 * cols, (int64_t)rows * cols, sqrtf(6.0f / (rows + cols)), false);
}

void nn_init_const(const fs_backend *be, fs_tensor *t, float value) { be->fill(t->data, t->numel, value); }
