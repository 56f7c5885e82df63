/* What every flow layer needs to know about the current resolution besides its input:
 * the implementation; flow/level.h describes the interface. */
#include "flow/level.h"

#include <stdlib.h>

void flow_squeeze_host_mask(int batch, int length, const float *mask, float *out) {
  int half = length / 2;
  for (int b = 0; b < batch; b++)
    for (int t = 0; t < half; t++) {
      float m0 = mask[b * length + 2 * t], m1 = mask[b * length + 2 * t + 1];
      out[b * half + t] = m0 > m1 ? m0 : m1;
    }
}

/* Uploads mask [B, L] as a [B, L] tensor (and as [B, L, 1] when m3 is not NULL), and its
 * position ids. */
static fs_status upload_mask(fs_engine *e, int batch, int length, const float *mask, fs_tensor **m2, fs_tensor **m3,
                             fs_ids **positions) {
  int32_t *ids = malloc(sizeof(int32_t) * (size_t)batch * length);
  if (!ids) return fs_error(FS_ERR_MEMORY, "flow level: out of memory");
  for (int i = 0; i < batch * length; i++) ids[i] = mask[i] != 0.0f ? i % length + 1 : 0;
  *m2 = fs_tensor_from_host(e, 2, (int[]){batch, length}, mask);
  if (m3) *m3 = fs_tensor_from_host(e, 3, (int[]){batch, length, 1}, mask);
  *positions = fs_ids_from_host(e, ids, (int64_t)batch * length);
  free(ids);
  return fs_engine_status(e);
}

fs_status flow_level_build(fs_engine *e, int batch, int length, const float *host_mask, flow_level *lvl) {
  lvl->batch = batch;
  lvl->length = length;
  float *counts = malloc(sizeof(float) * batch);
  float *even = malloc(sizeof(float) * (size_t)batch * (length / 2 + 1));
  if (!counts || !even) {
    free(counts);
    free(even);
    return fs_error(FS_ERR_MEMORY, "flow level: out of memory");
  }
  for (int b = 0; b < batch; b++) {
    counts[b] = 0.0f;
    for (int t = 0; t < length; t++) counts[b] += host_mask[b * length + t];
  }
  fs_status s = upload_mask(e, batch, length, host_mask, &lvl->mask, &lvl->mask3, &lvl->positions);
  lvl->n_valid = fs_tensor_from_host(e, 1, (int[]){batch}, counts);
  lvl->half_mask = NULL;
  lvl->half_positions = NULL;
  if (s == FS_OK && length % 2 == 0) {
    int half = length / 2;
    for (int b = 0; b < batch; b++)
      for (int t = 0; t < half; t++) even[b * half + t] = host_mask[b * length + 2 * t];
    s = upload_mask(e, batch, half, even, &lvl->half_mask, NULL, &lvl->half_positions);
  }
  free(counts);
  free(even);
  return s == FS_OK ? fs_engine_status(e) : s;
}
