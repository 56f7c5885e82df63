/* Parameter storage: every parameter of a model in one device allocation, with its gradients and
 * optimizer moments in parallel blocks of the same layout (llm.c style). A parameter's tensor
 * points into the data block and its grad into the gradient block, so an optimizer step or a
 * gradient all-reduce is one loop (one kernel, one collective) over the whole model.
 *
 * Usage: fs_param_add() every parameter (shapes known up front), then fs_params_allocate(). */
#ifndef FLOWSEQ_OPS_PARAMS_H
#define FLOWSEQ_OPS_PARAMS_H

#include "backend/backend.h"
#include "core/tensor.h"

#define FS_PARAM_NAME_MAX 96

typedef struct {
  fs_tensor tensor;
  char name[FS_PARAM_NAME_MAX]; /* dotted path, e.g. "encoder.layers.0.attn.w_in" */
  int64_t offset;               /* element offset inside every block */
} fs_param;

typedef struct {
  const fs_backend *be;
  fs_param **items; /* stable addresses: tensors can be held by the model while more are added */
  int count, capacity;
  int64_t total; /* elements over all parameters */
  float *block;  /* n_slots * total floats: data, grad, then optimizer moments */
  int n_slots;
} fs_params;

void fs_params_init(fs_params *p, const fs_backend *be);
void fs_params_free(fs_params *p);

/* Declares a parameter; returns its tensor (data pointer set by fs_params_allocate). NULL on a
 * duplicate name or out of memory (message recorded). */
fs_tensor *fs_param_add(fs_params *p, const char *name, int ndim, const int *shape);

/* Allocates data + gradient blocks and `n_optimizer_slots` moment blocks (AdamW with AMSGrad
 * needs 3), all zeroed, and points every parameter at its slice. FS_PARAMS_NO_GRADIENTS
 * allocates the data block alone (decoding: a model's worth of memory less), and the
 * parameters' grad pointers stay NULL. */
#define FS_PARAMS_NO_GRADIENTS (-1)
fs_status fs_params_allocate(fs_params *p, int n_optimizer_slots);

/* Block `slot` (0 data, 1 grad, 2.. optimizer moments) as one flat device array of p->total. */
float *fs_params_slot(const fs_params *p, int slot);

void fs_params_zero_grad(fs_params *p);

/* The parameter named `name`, or NULL. */
fs_param *fs_params_find(const fs_params *p, const char *name);

#endif
