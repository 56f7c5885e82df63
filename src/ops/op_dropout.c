/* Random constants from the engine's stream: dropout (multiply by a keep-and-rescale mask, an
 * ordinary constant tensor, so the multiplication's own backward applies it to the gradient)
 * and Gaussian noise. */
#include "ops/op_internal.h"
#include "ops/ops.h"

/* A [mask_numel] keep mask for this step, or NULL when dropout is off. */
static fs_tensor *keep_mask(fs_engine *e, int ndim, const int *shape, float p) {
  fs_tensor *mask = fs_tensor_new(e, ndim, shape);
  if (mask) e->be->dropout_mask(mask->numel, p, e->seed, fs_rng_take(e, mask->numel), mask->data);
  return mask;
}

static bool dropout_active(const fs_engine *e, float p) { return e->training && p > 0.0f; }

fs_tensor *fs_dropout(fs_engine *e, fs_tensor *x, float p) {
  FS_OPS_GUARD(e, x);
  if (p < 0.0f || p >= 1.0f) return fs_fail(e, FS_ERR_ARG, "dropout: rate %g not in [0, 1)", p);
  if (!dropout_active(e, p)) return x;
  return fs_mul(e, x, keep_mask(e, x->ndim, x->shape, p));
}

fs_tensor *fs_dropout_tokens(fs_engine *e, fs_tensor *x, float p) {
  FS_OPS_GUARD(e, x);
  if (x->ndim != 3) {
    char sx[64];
    return fs_fail(e, FS_ERR_ARG, "dropout_tokens: expected [B, T, d], got %s", fs_shape_str(x, sx, 64));
  }
  if (p < 0.0f || p >= 1.0f) return fs_fail(e, FS_ERR_ARG, "dropout_tokens: rate %g not in [0, 1)", p);
  if (!dropout_active(e, p)) return x;
  return fs_mul(e, x, keep_mask(e, 3, (int[]){x->shape[0], x->shape[1], 1}, p));
}

fs_tensor *fs_normal(fs_engine *e, int ndim, const int *shape) {
  fs_tensor *t = fs_tensor_new(e, ndim, shape);
  if (t) e->be->rand_normal(t->numel, e->seed, fs_rng_take(e, t->numel), t->data);
  return t;
}
