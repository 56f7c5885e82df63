/* The tensor: the implementation; core/tensor.h describes the interface. */
#include "core/tensor.h"

#include <stdio.h>

int64_t fs_shape_numel(int ndim, const int *shape) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= shape[i];
  return n;
}

const char *fs_shape_str(const fs_tensor *t, char *buf, int buflen) {
  int off = snprintf(buf, buflen, "[");
  for (int i = 0; i < t->ndim && off < buflen; i++)
    off += snprintf(buf + off, buflen - off, i ? ", %d" : "%d", t->shape[i]);
  if (off < buflen) snprintf(buf + off, buflen - off, "]");
  return buf;
}

bool fs_same_shape(const fs_tensor *a, const fs_tensor *b) {
  if (a->ndim != b->ndim) return false;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) return false;
  return true;
}

void fs_shape4(const fs_tensor *t, int shape4[4], int64_t strides4[4]) {
  int pad = FS_MAX_DIMS - t->ndim;
  for (int i = 0; i < FS_MAX_DIMS; i++) shape4[i] = i < pad ? 1 : t->shape[i - pad];
  int64_t s = 1;
  for (int i = FS_MAX_DIMS - 1; i >= 0; i--) {
    strides4[i] = s;
    s *= shape4[i];
  }
}
