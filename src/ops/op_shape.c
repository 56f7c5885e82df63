/* Shape and data-movement ops. All of them are one backend kernel, copy_strided, with different
 * strides: a permute reads the input with permuted strides, a slice with an offset and a
 * multiplied stride, a concat writes each input into an offset window of the output. Backward is
 * the same copy in the other direction, accumulating. */
#include <string.h>

#include "ops/op_internal.h"
#include "ops/ops.h"

/* A strided window over a tensor's memory in 4-d form (see fs_shape4). */
typedef struct {
  int shape[4];
  int64_t offset;    /* elements from the tensor's start */
  int64_t stride[4]; /* elements */
} window;

/* The whole of t, contiguous. */
static window whole(const fs_tensor *t) {
  window w = {.offset = 0};
  fs_shape4(t, w.shape, w.stride);
  return w;
}

/* Axis index of a rank-ndim axis in the 4-d form. */
static int axis4(int axis, int ndim) { return FS_MAX_DIMS - ndim + axis; }

/* ---- generic record: out is a strided window `src_win` of x (gather) ---- */

typedef struct {
  fs_tensor *x, *out;
  window src_win; /* where out's elements live in x */
} gather_record;

/* A window covers all of x once when it has x's size and no broadcast (stride-0) axis: a
 * permute, not a slice or an odd/even pick. Its backward may then assign a new gradient. */
static bool covers_once(const window *w, const fs_tensor *x) {
  for (int i = 0; i < 4; i++)
    if (w->shape[i] > 1 && w->stride[i] == 0) return false;
  return (int64_t)w->shape[0] * w->shape[1] * w->shape[2] * w->shape[3] == x->numel;
}

static void gather_backward(fs_engine *e, void *rec) {
  gather_record *r = rec;
  bool accumulate = true;
  float *dx = covers_once(&r->src_win, r->x) ? fs_grad_for_write(e, r->x, &accumulate) : fs_grad(e, r->x);
  if (!dx) return;
  window dst = whole(r->out);
  e->be->copy_strided(r->src_win.shape, dx + r->src_win.offset, r->src_win.stride, r->out->grad, dst.stride,
                      accumulate);
}

/* out (new, of the given shape) = the elements of x seen through src_win, in order. */
static fs_tensor *gather(fs_engine *e, fs_tensor *x, int ndim, const int *shape, const window *src_win) {
  fs_tensor *out = fs_tensor_new(e, ndim, shape);
  if (!out) return NULL;
  window dst = whole(out);
  e->be->copy_strided(src_win->shape, out->data, dst.stride, x->data + src_win->offset, src_win->stride, false);
  if (fs_needs_grad(e, 1, &x)) {
    gather_record *r = fs_host_alloc(e, sizeof *r);
    if (!r) return NULL;
    *r = (gather_record){x, out, *src_win};
    fs_tape_push(e, out, gather_backward, r);
  }
  return out;
}

/* ---- reshape: a view ---- */

/* The view shares x's data and its gradient (fs_grad of a view is the base's buffer: the same
 * elements in the same order), so it needs no tape record and backward no pass of its own. */
fs_tensor *fs_reshape(fs_engine *e, fs_tensor *x, int ndim, const int *shape) {
  FS_OPS_GUARD(e, x);
  char sx[64];
  if (ndim < 1 || ndim > FS_MAX_DIMS) return fs_fail(e, FS_ERR_ARG, "reshape: rank %d not in 1..4", ndim);
  int resolved[FS_MAX_DIMS], infer = -1;
  int64_t known = 1;
  for (int i = 0; i < ndim; i++) {
    resolved[i] = shape[i];
    if (shape[i] == -1 && infer < 0) infer = i;
    else if (shape[i] < 0) return fs_fail(e, FS_ERR_ARG, "reshape: bad dimension %d", shape[i]);
    else known *= shape[i];
  }
  if (infer >= 0) resolved[infer] = known ? (int)(x->numel / known) : 0;
  if (fs_shape_numel(ndim, resolved) != x->numel)
    return fs_fail(e, FS_ERR_ARG, "reshape: cannot view %s (%lld elements) with another element count",
                   fs_shape_str(x, sx, 64), (long long)x->numel);
  fs_tensor *out = fs_host_alloc(e, sizeof *out);
  if (!out) return NULL;
  memset(out, 0, sizeof *out);
  out->data = x->data;
  out->ndim = ndim;
  memcpy(out->shape, resolved, sizeof(int) * ndim);
  out->numel = x->numel;
  out->view_of = x->view_of ? x->view_of : x;
  out->requires_grad = fs_needs_grad(e, 1, &x);
  return out;
}

/* ---- permute / transpose ---- */

fs_tensor *fs_permute(fs_engine *e, fs_tensor *x, const int *perm) {
  FS_OPS_GUARD(e, x);
  int seen = 0, shape[FS_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++) {
    if (perm[i] < 0 || perm[i] >= x->ndim || (seen >> perm[i]) & 1)
      return fs_fail(e, FS_ERR_ARG, "permute: not a permutation of %d axes (axis %d = %d)", x->ndim, i, perm[i]);
    seen |= 1 << perm[i];
    shape[i] = x->shape[perm[i]];
  }
  window src = whole(x), win = {.offset = 0};
  int pad = FS_MAX_DIMS - x->ndim;
  for (int i = 0; i < FS_MAX_DIMS; i++) {
    int from = i < pad ? i : pad + perm[i - pad];
    win.shape[i] = src.shape[from];
    win.stride[i] = src.stride[from];
  }
  return gather(e, x, x->ndim, shape, &win);
}

fs_tensor *fs_transpose(fs_engine *e, fs_tensor *x, int axis0, int axis1) {
  FS_OPS_GUARD(e, x);
  int a = fs_axis(axis0, x->ndim), b = fs_axis(axis1, x->ndim);
  if (a < 0 || b < 0)
    return fs_fail(e, FS_ERR_ARG, "transpose: axes %d, %d out of range for rank %d", axis0, axis1, x->ndim);
  int perm[FS_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++) perm[i] = i;
  perm[a] = b;
  perm[b] = a;
  return fs_permute(e, x, perm);
}

/* ---- slice ---- */

fs_tensor *fs_slice(fs_engine *e, fs_tensor *x, int axis, int start, int stop, int step) {
  FS_OPS_GUARD(e, x);
  char sx[64];
  int ax = fs_axis(axis, x->ndim);
  if (ax < 0) return fs_fail(e, FS_ERR_ARG, "slice: axis %d out of range for %s", axis, fs_shape_str(x, sx, 64));
  if (step < 1 || start < 0 || stop > x->shape[ax] || start >= stop)
    return fs_fail(e, FS_ERR_ARG, "slice: [%d:%d:%d] is not a non-empty range of axis %d of %s", start, stop, step,
                   axis, fs_shape_str(x, sx, 64));
  int shape[FS_MAX_DIMS];
  memcpy(shape, x->shape, sizeof(int) * x->ndim);
  shape[ax] = (stop - start + step - 1) / step;
  window win = whole(x);
  int a4 = axis4(ax, x->ndim);
  win.offset = start * win.stride[a4];
  win.stride[a4] *= step;
  win.shape[a4] = shape[ax];
  return gather(e, x, x->ndim, shape, &win);
}

fs_status fs_split(fs_engine *e, fs_tensor *x, int axis, int n, const int *sizes, fs_tensor **out) {
  if (e->status != FS_OK) return e->status;
  if (!x) return (fs_fail(e, FS_ERR_ARG, "split: input is NULL"), e->status);
  int ax = fs_axis(axis, x->ndim), total = 0;
  for (int i = 0; i < n; i++) total += sizes[i];
  if (ax < 0 || total != x->shape[ax]) {
    char sx[64];
    fs_fail(e, FS_ERR_ARG, "split: sizes summing to %d do not cut axis %d of %s", total, axis, fs_shape_str(x, sx, 64));
    return e->status;
  }
  for (int i = 0, start = 0; i < n; start += sizes[i++]) out[i] = fs_slice(e, x, ax, start, start + sizes[i], 1);
  return e->status;
}

/* ---- concat / stack ---- */

typedef struct {
  int n;
  fs_tensor **xs, *out;
  int a4; /* concatenation axis in 4-d form */
} concat_record;

/* The window of out that input i occupies (same shape as xs[i], offset along the axis). */
static window concat_window(const fs_tensor *out, fs_tensor *const *xs, int i, int a4) {
  window w = whole(out);
  int64_t offset = 0;
  for (int j = 0; j < i; j++) {
    int shape4[4];
    int64_t unused[4];
    fs_shape4(xs[j], shape4, unused);
    offset += shape4[a4];
  }
  int64_t unused[4];
  fs_shape4(xs[i], w.shape, unused);
  w.offset = offset * w.stride[a4];
  return w;
}

static void concat_backward(fs_engine *e, void *rec) {
  concat_record *r = rec;
  for (int i = 0; i < r->n; i++) {
    if (!r->xs[i]->requires_grad) continue;
    bool accumulate;
    float *dx = fs_grad_for_write(e, r->xs[i], &accumulate);
    if (!dx) return;
    window w = concat_window(r->out, r->xs, i, r->a4), dst = whole(r->xs[i]);
    e->be->copy_strided(w.shape, dx, dst.stride, r->out->grad + w.offset, w.stride, accumulate);
  }
}

fs_tensor *fs_concat(fs_engine *e, int n, fs_tensor *const *xs, int axis) {
  if (e->status != FS_OK) return NULL;
  if (n < 1) return fs_fail(e, FS_ERR_ARG, "concat: no inputs");
  for (int i = 0; i < n; i++)
    if (!xs[i]) return fs_fail(e, FS_ERR_ARG, "concat: input %d is NULL", i);
  int ax = fs_axis(axis, xs[0]->ndim);
  if (ax < 0) return fs_fail(e, FS_ERR_ARG, "concat: axis %d out of range for rank %d", axis, xs[0]->ndim);
  int shape[FS_MAX_DIMS];
  memcpy(shape, xs[0]->shape, sizeof shape);
  for (int i = 1; i < n; i++) {
    bool ok = xs[i]->ndim == xs[0]->ndim;
    for (int d = 0; ok && d < xs[0]->ndim; d++) ok = d == ax || xs[i]->shape[d] == xs[0]->shape[d];
    if (!ok) {
      char s0[64], si[64];
      return fs_fail(e, FS_ERR_ARG, "concat: %s and %s differ outside axis %d", fs_shape_str(xs[0], s0, 64),
                     fs_shape_str(xs[i], si, 64), axis);
    }
    shape[ax] += xs[i]->shape[ax];
  }
  fs_tensor *out = fs_tensor_new(e, xs[0]->ndim, shape);
  if (!out) return NULL;
  int a4 = axis4(ax, out->ndim);
  for (int i = 0; i < n; i++) {
    window w = concat_window(out, xs, i, a4), src = whole(xs[i]);
    e->be->copy_strided(w.shape, out->data + w.offset, w.stride, xs[i]->data, src.stride, false);
  }
  if (fs_needs_grad(e, n, xs)) {
    concat_record *r = fs_host_alloc(e, sizeof *r);
    fs_tensor **copy = fs_host_alloc(e, sizeof *copy * n);
    if (!r || !copy) return NULL;
    memcpy(copy, xs, sizeof *copy * n);
    *r = (concat_record){n, copy, out, a4};
    fs_tape_push(e, out, concat_backward, r);
  }
  return out;
}

/* Stacking is concatenation of the inputs viewed with a new axis of size 1. */
fs_tensor *fs_stack(fs_engine *e, int n, fs_tensor *const *xs, int axis) {
  if (e->status != FS_OK) return NULL;
  if (n < 1 || !xs[0]) return fs_fail(e, FS_ERR_ARG, "stack: no inputs");
  int ndim = xs[0]->ndim + 1;
  int ax = fs_axis(axis, ndim);
  if (ndim > FS_MAX_DIMS || ax < 0)
    return fs_fail(e, FS_ERR_ARG, "stack: axis %d invalid for rank %d inputs", axis, ndim - 1);
  fs_tensor **views = fs_host_alloc(e, sizeof *views * n);
  if (!views) return NULL;
  for (int i = 0; i < n; i++) {
    if (!xs[i] || !fs_same_shape(xs[i], xs[0]))
      return fs_fail(e, FS_ERR_ARG, "stack: input %d is missing or differs in shape from input 0", i);
    int shape[FS_MAX_DIMS];
    for (int d = 0, s = 0; d < ndim; d++) shape[d] = d == ax ? 1 : xs[i]->shape[s++];
    views[i] = fs_reshape(e, xs[i], ndim, shape);
  }
  return fs_concat(e, n, views, ax);
}
