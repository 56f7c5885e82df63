/* Parameter slots in safetensors files: the implementation; model/param_file.h describes the interface. */
#include "model/param_file.h"

#include <stdlib.h>

#include "core/alloc.h"

fs_status fs_param_file_write(const char *path, const fs_params *p, int first_slot, int n_slots,
                              const char *const *suffixes, const fs_st_tensor *extra, int n_extra,
                              const char *const *metadata, int n_metadata) {
  int n_params = n_slots * p->count;
  fs_st_tensor *t = fs_calloc((size_t)n_params + n_extra, sizeof *t);
  char **names = fs_calloc((size_t)n_params, sizeof *names);
  float *host = fs_malloc(sizeof(float) * n_slots * (size_t)p->total);
  for (int k = 0; k < n_slots; k++) {
    float *slot = host + (size_t)k * p->total;
    p->be->download(slot, fs_params_slot(p, first_slot + k), sizeof(float) * p->total);
    for (int i = 0; i < p->count; i++) {
      const fs_param *prm = p->items[i];
      int j = k * p->count + i;
      names[j] = fs_concat(prm->name, "", suffixes[k]);
      t[j] = (fs_st_tensor){names[j], FS_ST_F32, prm->tensor.ndim, prm->tensor.shape, slot + prm->offset};
    }
  }
  for (int i = 0; i < n_extra; i++) t[n_params + i] = extra[i];
  fs_status s = fs_safetensors_write(path, t, n_params + n_extra, metadata, n_metadata);
  for (int j = 0; j < n_params; j++) free(names[j]);
  free(names);
  free(t);
  free(host);
  return s;
}

fs_status fs_param_file_open(const char *path, int expected, fs_safetensors **f) {
  FS_TRY(fs_safetensors_open(path, f));
  if (fs_safetensors_count(*f) == expected) return FS_OK;
  fs_status s = fs_error(FS_ERR_FORMAT, "%s: %d tensors, expected %d (written for another config?)", path,
                         fs_safetensors_count(*f), expected);
  fs_safetensors_close(*f);
  return s;
}

fs_status fs_param_file_read_slot(const fs_safetensors *f, fs_params *p, int slot, const char *suffix) {
  float *host = fs_calloc((size_t)p->total, sizeof(float));
  fs_status s = FS_OK;
  for (int i = 0; s == FS_OK && i < p->count; i++) {
    const fs_param *prm = p->items[i];
    char *name = fs_concat(prm->name, "", suffix);
    s = fs_safetensors_get(f, name, FS_ST_F32, prm->tensor.ndim, prm->tensor.shape, host + prm->offset);
    free(name);
  }
  if (s == FS_OK) p->be->upload(fs_params_slot(p, slot), host, sizeof(float) * p->total);
  free(host);
  return s;
}
