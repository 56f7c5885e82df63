/* The affine coupling step as one op with two outputs (the transformed half and its per-sentence
 * log-determinant); see fs_affine_coupling in ops.h. */
#include "ops/op_internal.h"
#include "ops/ops.h"

typedef struct {
  fs_tensor *x, *theta, *mask, *out, *logdet;
  bool inverse, done;
} coupling_record;

/* Pushed for both outputs, so it runs when either got a gradient; both entries are pushed
 * together, before any consumer of either output, so when the first of them runs every
 * gradient is complete and one pass serves both. */
static void coupling_backward(fs_engine *e, void *rec) {
  coupling_record *r = rec;
  if (r->done) return;
  r->done = true;
  /* both gradients are written whole: assigned when both are new, else accumulated (a new one
   * is then zero-filled first) */
  bool acc_x = false, acc_theta = false;
  float *dx = r->x->requires_grad ? fs_grad_for_write(e, r->x, &acc_x) : NULL;
  float *dtheta = r->theta->requires_grad ? fs_grad_for_write(e, r->theta, &acc_theta) : NULL;
  if (e->status != FS_OK) return;
  bool accumulate = acc_x || acc_theta;
  if (dx && accumulate && !acc_x) e->be->fill(dx, r->x->numel, 0.0f);
  if (dtheta && accumulate && !acc_theta) e->be->fill(dtheta, r->theta->numel, 0.0f);
  int h = r->x->shape[2], rows_per_batch = r->x->shape[1];
  e->be->affine_coupling_backward(r->inverse, r->x->numel / h, h, rows_per_batch, r->x->data, r->theta->data,
                                  r->mask->data, r->out->grad, r->logdet->grad, dx, dtheta, accumulate);
}

fs_tensor *fs_affine_coupling(fs_engine *e, fs_tensor *x, fs_tensor *theta, fs_tensor *mask, bool inverse,
                              fs_tensor **logdet) {
  *logdet = NULL;
  FS_OPS_GUARD(e, x, theta, mask);
  char sx[64], st[64], sm[64];
  if (x->ndim != 3 || theta->ndim != 3 || theta->shape[0] != x->shape[0] || theta->shape[1] != x->shape[1] ||
      theta->shape[2] != 2 * x->shape[2] || mask->numel != (int64_t)x->shape[0] * x->shape[1])
    return fs_fail(e, FS_ERR_ARG, "affine coupling: x %s, theta %s and mask %s do not fit ([B,T,h], [B,T,2h], [B,T])",
                   fs_shape_str(x, sx, 64), fs_shape_str(theta, st, 64), fs_shape_str(mask, sm, 64));
  int batch = x->shape[0], h = x->shape[2];
  fs_tensor *out = fs_tensor_like(e, x), *ld = fs_tensor_new(e, 1, &batch);
  if (!out || !ld) return NULL;
  e->be->affine_coupling(inverse, x->numel / (h ? h : 1), h, x->shape[1], x->data, theta->data, mask->data, out->data,
                         ld->data);
  fs_tensor *inputs[] = {x, theta};
  if (fs_needs_grad(e, 2, inputs)) {
    coupling_record *r = fs_host_alloc(e, sizeof *r);
    if (!r) return NULL;
    *r = (coupling_record){x, theta, mask, out, ld, inverse, false};
    fs_tape_push(e, out, coupling_backward, r);
    fs_tape_push(e, ld, coupling_backward, r);
  }
  *logdet = ld;
  return out;
}
