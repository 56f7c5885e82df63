/* The tensor: f32, contiguous, row-major, up to 4 dims, living on the engine's device.
 *
 * A tensor does not own its memory: activations point into the step arena, parameters into the
 * model's single parameter block. `grad` has the same shape and is NULL until backward needs it
 * (activations) or points into the gradient block (parameters). A reshape is a view: it shares
 * `data` and, through `view_of`, the gradient of the tensor it reshapes. Integer token ids are not
 * tensors; they travel as fs_ids (see ops/engine.h). */
#ifndef FLOWSEQ_CORE_TENSOR_H
#define FLOWSEQ_CORE_TENSOR_H

#include <stdbool.h>
#include <stdint.h>

#define FS_MAX_DIMS 4

typedef struct fs_tensor {
  float *data;
  float *grad;
  int ndim;
  int shape[FS_MAX_DIMS];
  int64_t numel;
  bool requires_grad;        /* set on parameters and on anything computed from them */
  struct fs_tensor *view_of; /* a reshape's base tensor (never itself a view), else NULL */
} fs_tensor;

/* Number of elements of a shape. */
int64_t fs_shape_numel(int ndim, const int *shape);

/* "[2, 3, 4]" into buf (for error messages). Returns buf. */
const char *fs_shape_str(const fs_tensor *t, char *buf, int buflen);

/* True when both tensors have the same ndim and shape. */
bool fs_same_shape(const fs_tensor *a, const fs_tensor *b);

/* Row-major strides (in elements) of t's shape, right-aligned to 4 dims: a [3,5] tensor gives
 * shape4 {1,1,3,5} and strides {15,15,5,1}. Kernels work on this 4-d form. */
void fs_shape4(const fs_tensor *t, int shape4[4], int64_t strides4[4]);

#endif
