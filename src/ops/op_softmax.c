/* Softmax and log-softmax over the last axis, with an optional {0,1} mask. */
#include "ops/op_internal.h"
#include "ops/ops.h"

typedef struct {
  fs_tensor *y;
  fs_tensor *x;
  bool log;
} softmax_record;

static void softmax_backward(fs_engine *e, void *rec) {
  softmax_record *r = rec;
  float *dx = fs_grad(e, r->x);
  if (!dx) return;
  int cols = r->x->shape[r->x->ndim - 1];
  int64_t rows = r->x->numel / cols;
  if (r->log) e->be->log_softmax_backward(rows, cols, r->y->data, r->y->grad, dx);
  else e->be->softmax_backward(rows, cols, r->y->data, r->y->grad, dx);
}

static fs_tensor *softmax(fs_engine *e, fs_tensor *x, fs_tensor *mask, int64_t mask_group, bool log) {
  FS_OPS_GUARD(e, x);
  int cols = x->shape[x->ndim - 1];
  int64_t rows = cols ? x->numel / cols : 0;
  if (mask) {
    char sx[64], sm[64];
    if (mask_group < 1 || rows % mask_group || mask->numel != rows / mask_group * cols)
      return fs_fail(e, FS_ERR_ARG, "%s: mask %s does not cover %s in groups of %lld rows",
                     log ? "log_softmax" : "softmax", fs_shape_str(mask, sm, 64), fs_shape_str(x, sx, 64),
                     (long long)mask_group);
  }
  fs_tensor *y = fs_tensor_like(e, x);
  if (!y) return NULL;
  const float *m = mask ? mask->data : NULL;
  if (log) e->be->log_softmax(rows, cols, x->data, m, mask_group, y->data);
  else e->be->softmax(rows, cols, x->data, m, mask_group, y->data);
  if (fs_needs_grad(e, 1, &x)) {
    softmax_record *r = fs_host_alloc(e, sizeof *r);
    if (!r) return NULL;
    *r = (softmax_record){y, x, log};
    fs_tape_push(e, y, softmax_backward, r);
  }
  return y;
}

fs_tensor *fs_softmax(fs_engine *e, fs_tensor *x, fs_tensor *mask, int64_t mask_group) {
  return softmax(e, x, mask, mask_group, false);
}

fs_tensor *fs_log_softmax(fs_engine *e, fs_tensor *x, fs_tensor *mask, int64_t mask_group) {
  return softmax(e, x, mask, mask_group, true);
}
