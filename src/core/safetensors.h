/* The safetensors format (readable by Python's safetensors / numpy): 8-byte little-endian header
 * length, a JSON header {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
 * ..., "__metadata__": {"key": "value", ...}} padded with spaces to 8 bytes, then the raw
 * little-endian data, which the tensors cover exactly, without holes or overlaps. flowseq writes
 * F32 weights and I64 counters, and F16 weights where a model is stored at half the size
 * (fs_safetensors_store_f16); reading converts F16 to F32. Opening checks the header, dtypes,
 * shapes against byte counts, offsets and the file size, so a truncated or corrupted file is
 * rejected before any use. */
#ifndef FLOWSEQ_CORE_SAFETENSORS_H
#define FLOWSEQ_CORE_SAFETENSORS_H

#include <stdint.h>

#include "core/status.h"

typedef enum { FS_ST_F32, FS_ST_I64, FS_ST_F16 } fs_st_dtype;

#define FS_ST_MAX_DIMS 8

typedef struct {
  const char *name;
  fs_st_dtype dtype;
  int ndim;
  const int *shape;
  const void *data; /* host, ndim-product elements of dtype */
} fs_st_tensor;

/* Writes the tensors (and n_metadata key/value string pairs, flattened) atomically. */
fs_status fs_safetensors_write(const char *path, const fs_st_tensor *tensors, int n, const char *const *metadata,
                               int n_metadata);

/* An opened, validated file with its data in memory. */
typedef struct fs_safetensors fs_safetensors;
fs_status fs_safetensors_open(const char *path, fs_safetensors **out);
/* Copies tensor `name` into host `dst` after checking its dtype and exact shape; an F16 tensor
 * is accepted for FS_ST_F32 and converted. */
fs_status fs_safetensors_get(const fs_safetensors *f, const char *name, fs_st_dtype dtype, int ndim, const int *shape,
                             void *dst);
int fs_safetensors_count(const fs_safetensors *f);
const char *fs_safetensors_name(const fs_safetensors *f, int i);
/* Metadata value of `key`, or NULL. */
const char *fs_safetensors_metadata(const fs_safetensors *f, const char *key);
void fs_safetensors_close(fs_safetensors *f);

/* Rewrites the file at `path` with its F32 tensors as F16 (rounded to nearest even; the other
 * tensors and the metadata as they were), atomically: half the size on disk for model weights,
 * whose translations an fp16 rounding leaves as good (docs/formats.md). */
fs_status fs_safetensors_store_f16(const char *path);

#endif
