/* log|det W| and W⁻¹ of a small square matrix (the flow's 32x32 multi-head linear). Their
 * gradients' products are fp32 whatever the engine's precision: the flow's log-determinants stay
 * fp32 under train.precision bf16. */
#include "ops/op_internal.h"
#include "ops/ops.h"

typedef struct {
  fs_tensor *w, *out;
  float *inverse; /* W⁻¹ from the forward pass */
} smallmat_record;

/* Computes W⁻¹ (into a new tensor) and log|det W| (into *logdet_dev, device memory). */
static fs_tensor *invert(fs_engine *e, fs_tensor *w, float *logdet_dev, const char *op) {
  if (w->ndim != 2 || w->shape[0] != w->shape[1]) {
    char sw[64];
    return fs_fail(e, FS_ERR_ARG, "%s: expected a square matrix, got %s", op, fs_shape_str(w, sw, 64));
  }
  fs_tensor *inv = fs_tensor_like(e, w);
  if (!inv) return NULL;
  if (!e->be->inverse_logdet(w->shape[0], w->data, inv->data, logdet_dev))
    return fs_fail(e, FS_ERR_ARG, "%s: the %dx%d matrix is singular", op, w->shape[0], w->shape[0]);
  return inv;
}

/* d log|det W| / dW = W⁻ᵀ, times the upstream gradient g. g is a device scalar: a 1x1 by 1xn²
 * GEMM scales the transposed inverse by it without a round trip to the host. */
static void logabsdet_backward(fs_engine *e, void *rec) {
  smallmat_record *r = rec;
  float *dw = fs_grad(e, r->w);
  float *inv_t = fs_scratch(e, r->w->numel);
  if (!dw || !inv_t) return;
  int n = r->w->shape[0];
  int shape[4] = {1, 1, n, n};
  int64_t t_str[4] = {0, 0, 1, n}, c_str[4] = {0, 0, n, 1};
  e->be->copy_strided(shape, inv_t, c_str, r->inverse, t_str, false);
  e->be->gemm(FS_FP32, false, false, 1, n * n, 1, 1.0f, r->out->grad, 1, inv_t, n * n, 1.0f, dw, n * n);
}

fs_tensor *fs_logabsdet(fs_engine *e, fs_tensor *w) {
  FS_OPS_GUARD(e, w);
  fs_tensor *out = fs_tensor_new(e, 1, (int[]){1});
  if (!out) return NULL;
  fs_tensor *inv = invert(e, w, out->data, "logabsdet");
  if (!inv) return NULL;
  if (fs_needs_grad(e, 1, &w)) {
    smallmat_record *r = fs_host_alloc(e, sizeof *r);
    if (!r) return NULL;
    *r = (smallmat_record){w, out, inv->data};
    fs_tape_push(e, out, logabsdet_backward, r);
  }
  return out;
}

/* Y = W⁻¹: dW += −W⁻ᵀ · dY · W⁻ᵀ */
static void inverse_backward(fs_engine *e, void *rec) {
  smallmat_record *r = rec;
  float *dw = fs_grad(e, r->w);
  float *tmp = fs_scratch(e, r->w->numel);
  if (!dw || !tmp) return;
  int n = r->w->shape[0];
  e->be->gemm(FS_FP32, true, false, n, n, n, 1.0f, r->inverse, n, r->out->grad, n, 0.0f, tmp, n);
  e->be->gemm(FS_FP32, false, true, n, n, n, -1.0f, tmp, n, r->inverse, n, 1.0f, dw, n);
}

fs_tensor *fs_inverse(fs_engine *e, fs_tensor *w) {
  FS_OPS_GUARD(e, w);
  float *logdet = fs_scratch(e, 1);
  if (!logdet) return NULL;
  fs_tensor *inv = invert(e, w, logdet, "inverse");
  if (inv && fs_needs_grad(e, 1, &w)) {
    smallmat_record *r = fs_host_alloc(e, sizeof *r);
    if (!r) return NULL;
    *r = (smallmat_record){w, inv, inv->data};
    fs_tape_push(e, inv, inverse_backward, r);
  }
  return inv;
}
