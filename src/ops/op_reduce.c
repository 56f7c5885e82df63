/* Sums and means over one axis or over everything. */
#include "ops/op_internal.h"
#include "ops/ops.h"

typedef struct {
  fs_tensor *x, *out;
  int x4[4];   /* x in 4-d form */
  int out4[4]; /* the same with 1 on the reduced axes */
} sum_record;

/* Broadcasts dout back over the reduced axes: a strided copy whose source stride is 0 there. */
static void sum_backward(fs_engine *e, void *rec) {
  sum_record *r = rec;
  float *dx = fs_grad(e, r->x);
  if (!dx) return;
  int64_t dx_str[4], dout_str[4], s = 1, so = 1;
  for (int i = 3; i >= 0; i--) {
    dx_str[i] = s;
    s *= r->x4[i];
    dout_str[i] = r->out4[i] == 1 ? 0 : so;
    so *= r->out4[i];
  }
  e->be->copy_strided(r->x4, dx, dx_str, r->out->grad, dout_str, true);
}

static fs_tensor *reduce(fs_engine *e, fs_tensor *x, const int out4[4], int ndim, const int *shape) {
  fs_tensor *out = fs_tensor_new(e, ndim, shape);
  if (!out) return NULL;
  int x4[4];
  int64_t unused[4];
  fs_shape4(x, x4, unused);
  e->be->reduce_sum(x4, x->data, out4, out->data, false);
  if (fs_needs_grad(e, 1, &x)) {
    sum_record *r = fs_host_alloc(e, sizeof *r);
    if (!r) return NULL;
    r->x = x;
    r->out = out;
    for (int i = 0; i < 4; i++) {
      r->x4[i] = x4[i];
      r->out4[i] = out4[i];
    }
    fs_tape_push(e, out, sum_backward, r);
  }
  return out;
}

fs_tensor *fs_sum(fs_engine *e, fs_tensor *x, int axis, bool keepdim) {
  FS_OPS_GUARD(e, x);
  int ax = fs_axis(axis, x->ndim);
  if (ax < 0) return fs_fail(e, FS_ERR_ARG, "sum: axis %d out of range for rank %d", axis, x->ndim);
  int out4[4];
  int64_t unused[4];
  fs_shape4(x, out4, unused);
  out4[4 - x->ndim + ax] = 1;
  int shape[FS_MAX_DIMS], ndim = 0;
  for (int i = 0; i < x->ndim; i++)
    if (i != ax || keepdim) shape[ndim++] = i == ax ? 1 : x->shape[i];
  if (ndim == 0) shape[ndim++] = 1; /* summing a vector gives [1] */
  return reduce(e, x, out4, ndim, shape);
}

fs_tensor *fs_sum_all(fs_engine *e, fs_tensor *x) {
  FS_OPS_GUARD(e, x);
  return reduce(e, x, (int[]){1, 1, 1, 1}, 1, (int[]){1});
}

fs_tensor *fs_mean(fs_engine *e, fs_tensor *x, int axis, bool keepdim) {
  FS_OPS_GUARD(e, x);
  int ax = fs_axis(axis, x->ndim);
  if (ax < 0) return fs_fail(e, FS_ERR_ARG, "mean: axis %d out of range for rank %d", axis, x->ndim);
  return fs_scale(e, fs_sum(e, x, ax, keepdim), 1.0f / (float)x->shape[ax]);
}

fs_tensor *fs_mean_all(fs_engine *e, fs_tensor *x) {
  FS_OPS_GUARD(e, x);
  return fs_scale(e, fs_sum_all(e, x), 1.0f / (float)(x->numel ? x->numel : 1));
}
