/* Helpers shared by the op files (not part of the public op API). */
#ifndef FLOWSEQ_OPS_INTERNAL_H
#define FLOWSEQ_OPS_INTERNAL_H

#include "ops/engine.h"

/* Returns NULL from the calling op when the engine has failed or an input is missing. */
#define FS_OPS_GUARD(e, ...)                                                                            \
  do {                                                                                                  \
    if ((e)->status != FS_OK) return NULL;                                                              \
    fs_tensor *const guard_inputs_[] = {__VA_ARGS__};                                                   \
    for (size_t gi_ = 0; gi_ < sizeof guard_inputs_ / sizeof *guard_inputs_; gi_++)                     \
      if (!guard_inputs_[gi_]) return fs_fail((e), FS_ERR_ARG, "%s: input %zu is NULL", __func__, gi_); \
  } while (0)

/* Adds `src` (contiguous, 4-d shape src_shape4) into t's gradient, summing over the axes along
 * which t was broadcast to src_shape4 (t's own shape, right-aligned, has 1 or nothing there). */
void fs_grad_add_reduced(fs_engine *e, fs_tensor *t, const float *src, const int src_shape4[4]);

/* Normalises a possibly negative axis for a rank-ndim tensor; -1 if out of range. */
int fs_axis(int axis, int ndim);

#endif
