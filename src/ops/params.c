/* Parameter storage: the implementation; ops/params.h describes the interface. */
#include "ops/params.h"

#include <stdlib.h>
#include <string.h>

void fs_params_init(fs_params *p, const fs_backend *be) {
  memset(p, 0, sizeof *p);
  p->be = be;
}

void fs_params_free(fs_params *p) {
  for (int i = 0; i < p->count; i++) free(p->items[i]);
  free(p->items);
  if (p->block) p->be->free(p->block);
  memset(p, 0, sizeof *p);
}

fs_param *fs_params_find(const fs_params *p, const char *name) {
  for (int i = 0; i < p->count; i++)
    if (!strcmp(p->items[i]->name, name)) return p->items[i];
  return NULL;
}

fs_tensor *fs_param_add(fs_params *p, const char *name, int ndim, const int *shape) {
  if (strlen(name) >= FS_PARAM_NAME_MAX) {
    fs_error(FS_ERR_ARG, "parameter name too long: %s", name);
    return NULL;
  }
  if (ndim < 1 || ndim > FS_MAX_DIMS) {
    fs_error(FS_ERR_ARG, "parameter %s: rank %d not in 1..4", name, ndim);
    return NULL;
  }
  if (fs_params_find(p, name)) {
    fs_error(FS_ERR_ARG, "parameter %s declared twice", name);
    return NULL;
  }
  if (p->block) {
    fs_error(FS_ERR_INTERNAL, "parameter %s declared after allocation", name);
    return NULL;
  }
  if (p->count == p->capacity) {
    int cap = p->capacity ? 2 * p->capacity : 64;
    fs_param **items = realloc(p->items, sizeof *items * cap);
    if (!items) {
      fs_error(FS_ERR_MEMORY, "out of memory declaring parameter %s", name);
      return NULL;
    }
    p->items = items;
    p->capacity = cap;
  }
  fs_param *prm = calloc(1, sizeof *prm);
  if (!prm) {
    fs_error(FS_ERR_MEMORY, "out of memory declaring parameter %s", name);
    return NULL;
  }
  strcpy(prm->name, name);
  prm->tensor.ndim = ndim;
  memcpy(prm->tensor.shape, shape, sizeof(int) * ndim);
  prm->tensor.numel = fs_shape_numel(ndim, shape);
  prm->tensor.requires_grad = true;
  /* Offsets rounded to 16 floats (64 bytes) so every parameter starts aligned. */
  prm->offset = p->total;
  p->total += (prm->tensor.numel + 15) & ~(int64_t)15;
  p->items[p->count++] = prm;
  return &prm->tensor;
}

fs_status fs_params_allocate(fs_params *p, int n_optimizer_slots) {
  p->n_slots = n_optimizer_slots == FS_PARAMS_NO_GRADIENTS ? 1 : 2 + n_optimizer_slots;
  size_t bytes = sizeof(float) * (size_t)p->total * p->n_slots;
  p->block = p->be->alloc(bytes ? bytes : 64);
  if (!p->block)
    return fs_error(FS_ERR_MEMORY, "cannot allocate %.1f MiB of parameter storage on %s", bytes / 1048576.0,
                    p->be->name);
  p->be->fill(p->block, p->total * p->n_slots, 0.0f);
  for (int i = 0; i < p->count; i++) {
    p->items[i]->tensor.data = fs_params_slot(p, 0) + p->items[i]->offset;
    p->items[i]->tensor.grad = p->n_slots > 1 ? fs_params_slot(p, 1) + p->items[i]->offset : NULL;
  }
  return FS_OK;
}

float *fs_params_slot(const fs_params *p, int slot) { return p->block + (int64_t)slot * p->total; }

void fs_params_zero_grad(fs_params *p) {
  if (p->n_slots > 1) p->be->fill(fs_params_slot(p, 1), p->total, 0.0f);
}
