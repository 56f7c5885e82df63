/* Sinusoidal position table: the implementation; nn/positions.h describes the interface. */
#include "nn/positions.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

fs_status nn_positions_create(nn_positions *p, const fs_backend *be, int dim, int max_length) {
  if (dim < 4 || dim % 2) return fs_error(FS_ERR_ARG, "position table: width %d must be even and >= 4", dim);
  memset(p, 0, sizeof *p);
  p->dim = dim;
  p->max_length = max_length;
  int rows = max_length + 1, half = dim / 2;
  float *host = malloc(sizeof(float) * rows * dim);
  p->table.data = be->alloc(sizeof(float) * rows * dim);
  if (!host || !p->table.data) {
    free(host);
    return fs_error(FS_ERR_MEMORY, "position table: out of memory");
  }
  for (int pos = 0; pos < rows; pos++)
    for (int i = 0; i < half; i++) {
      double angle = pos * exp(-i * log(10000.0) / (half - 1));
      host[pos * dim + i] = pos ? (float)sin(angle) : 0.0f;
      host[pos * dim + half + i] = pos ? (float)cos(angle) : 0.0f;
    }
  be->upload(p->table.data, host, sizeof(float) * rows * dim);
  free(host);
  p->table.ndim = 2;
  p->table.shape[0] = rows;
  p->table.shape[1] = dim;
  p->table.numel = (int64_t)rows * dim;
  return FS_OK;
}

void nn_positions_free(nn_positions *p, const fs_backend *be) {
  if (p->table.data) be->free(p->table.data);
  p->table.data = NULL;
}

fs_tensor *nn_positions_lookup(fs_engine *e, const nn_positions *p, const fs_ids *ids, int batch, int length) {
  if (length > p->max_length)
    return fs_fail(e, FS_ERR_ARG,
                   "sequence of %d positions is longer than the position table (%d): raise "
                   "model.max_length",
                   length, p->max_length);
  return fs_reshape(e, fs_embedding(e, (fs_tensor *)&p->table, ids), 3, (int[]){batch, length, p->dim});
}

fs_ids *nn_position_ids(fs_engine *e, const float *mask, int batch, int length) {
  int32_t *ids = fs_host_alloc(e, sizeof(int32_t) * (size_t)batch * length);
  if (!ids) return NULL;
  for (int b = 0; b < batch; b++) {
    int32_t count = 0;
    for (int t = 0; t < length; t++) {
      bool real = mask[(int64_t)b * length + t] != 0.0f;
      count += real;
      ids[(int64_t)b * length + t] = real ? count : 0;
    }
  }
  return fs_ids_from_host(e, ids, (int64_t)batch * length);
}
