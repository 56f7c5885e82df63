/* Parameter initialisers: the implementation; nn/init.h describes the interface. */
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

fs_status nn_init_orthogonal(nn_init_rng *r, fs_tensor *t) {
  int n = t->shape[0];
  if (t->ndim != 2 || t->shape[1] != n) return fs_error(FS_ERR_ARG, "orthogonal init needs a square matrix");
  double *q = malloc(sizeof(double) * n * n);
  float *host = malloc(sizeof(float) * n * n);
  if (!q || !host) {
    free(q);
    free(host);
    return fs_error(FS_ERR_MEMORY, "orthogonal init: out of memory");
  }
  for (int i = 0; i < n * n; i++) q[i] = fs_rand_normal(r->seed, r->stream++);
  /* modified Gram-Schmidt, each row orthogonalised twice: one pass loses orthogonality in
   * float-sized steps when the Gaussian rows are nearly dependent */
  for (int i = 0; i < n; i++) {
    double *row = q + (int64_t)i * n;
    for (int pass = 0; pass < 2; pass++)
      for (int j = 0; j < i; j++) {
        const double *prev = q + (int64_t)j * n;
        double dot = 0.0;
        for (int k = 0; k < n; k++) dot += row[k] * prev[k];
        for (int k = 0; k < n; k++) row[k] -= dot * prev[k];
      }
    double norm = 0.0;
    for (int k = 0; k < n; k++) norm += row[k] * row[k];
    norm = sqrt(norm);
    for (int k = 0; k < n; k++) row[k] /= norm;
  }
  for (int64_t i = 0; i < (int64_t)n * n; i++) host[i] = (float)q[i];
  r->be->upload(t->data, host, sizeof(float) * n * n);
  free(q);
  free(host);
  return FS_OK;
}

fs_status nn_feature_stats(fs_engine *e, const fs_tensor *y, double *mean, double *std) {
  int features = y->shape[y->ndim - 1];
  int64_t rows = y->numel / features;
  float *host = malloc(sizeof(float) * y->numel);
  if (!host) return fs_error(FS_ERR_MEMORY, "feature statistics: out of memory");
  fs_status s = fs_tensor_to_host(e, y, host);
  for (int j = 0; s == FS_OK && j < features; j++) {
    double sum = 0.0, sq = 0.0;
    for (int64_t r = 0; r < rows; r++) sum += host[r * features + j];
    mean[j] = sum / rows;
    for (int64_t r = 0; r < rows; r++) sq += (host[r * features + j] - mean[j]) * (host[r * features + j] - mean[j]);
    std[j] = rows > 1 ? sqrt(sq / (rows - 1)) : 0.0;
  }
  free(host);
  return s;
}

void nn_init_const(const fs_backend *be, fs_tensor *t, float value) { be->fill(t->data, t->numel, value); }

fs_status nn_init_embedding(nn_init_rng *r, fs_tensor *t, int pad_id) {
  FS_TRY(nn_init_uniform(r, t, 0.1f));
  r->be->fill(t->data + (int64_t)pad_id * t->shape[1], t->shape[1], 0.0f);
  return FS_OK;
}
