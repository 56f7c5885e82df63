/* The safetensors format (readable by Python's safetensors / numpy): 8-byte little-endian header
 * length, a JSON header {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
 * ..., "__metadata__": {...}} padded with spaces to 8 bytes, then the raw little-endian data.
 * flowseq writes F32 tensors; reading checks names, dtype, shapes, offsets and the file size. */
#ifndef FLOWSEQ_TRAIN_SAFETENSORS_H
#define FLOWSEQ_TRAIN_SAFETENSORS_H

#include <stdint.h>

#include "core/status.h"

typedef struct {
  const char *name;
  int ndim;
  const int *shape;
  const float *data; /* host */
} fs_st_tensor;

/* Writes the tensors (and string metadata pairs, may be 0) atomically. */
fs_status fs_safetensors_write(const char *path, const fs_st_tensor *tensors, int n, const char *const *metadata,
                               int n_metadata);

/* An opened file: the header parsed, the data read. */
typedef struct fs_safetensors fs_safetensors;
fs_status fs_safetensors_open(const char *path, fs_safetensors **out);
/* Copies tensor `name` into host `dst` after checking it is F32 of exactly this shape. */
fs_status fs_safetensors_get(const fs_safetensors *f, const char *name, int ndim, const int *shape, float *dst);
/* Metadata value of `key`, or NULL. */
const char *fs_safetensors_metadata(const fs_safetensors *f, const char *key);
void fs_safetensors_close(fs_safetensors *f);

#endif
