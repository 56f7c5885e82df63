/* Layer normalisation and weight normalisation. */
#include "ops/op_internal.h"
#include "ops/ops.h"

typedef struct {
  fs_tensor *x, *gamma, *beta, *y;
  float *mean, *rstd;
} layernorm_record;

static void layernorm_backward(fs_engine *e, void *rec) {
  layernorm_record *r = rec;
  int cols = r->x->shape[r->x->ndim - 1];
  int64_t rows = r->x->numel / cols;
  /* the kernel produces all three gradients in one pass; inputs without a gradient get scratch */
  bool accumulate = false;
  float *dx = r->x->requires_grad ? fs_grad_for_write(e, r->x, &accumulate) : fs_scratch(e, r->x->numel);
  float *dg = r->gamma->requires_grad ? fs_grad(e, r->gamma) : fs_scratch(e, cols);
  float *db = r->beta->requires_grad ? fs_grad(e, r->beta) : fs_scratch(e, cols);
  if (!dx || !dg || !db) return;
  e->be->layernorm_backward(rows, cols, r->x->data, r->gamma->data, r->mean, r->rstd, r->y->grad, dx, dg, db,
                            accumulate);
}

fs_tensor *fs_layernorm(fs_engine *e, fs_tensor *x, fs_tensor *gamma, fs_tensor *beta, float eps) {
  FS_OPS_GUARD(e, x, gamma, beta);
  int cols = x->shape[x->ndim - 1];
  if (gamma->numel != cols || beta->numel != cols) {
    char sx[64], sg[64];
    return fs_fail(e, FS_ERR_ARG, "layernorm: gain %s / bias do not match the last axis of %s",
                   fs_shape_str(gamma, sg, 64), fs_shape_str(x, sx, 64));
  }
  int64_t rows = x->numel / cols;
  fs_tensor *y = fs_tensor_like(e, x);
  float *mean = fs_scratch(e, rows), *rstd = fs_scratch(e, rows);
  if (!y || !mean || !rstd) return NULL;
  e->be->layernorm(rows, cols, eps, x->data, gamma->data, beta->data, y->data, mean, rstd);
  fs_tensor *inputs[] = {x, gamma, beta};
  if (fs_needs_grad(e, 3, inputs)) {
    layernorm_record *r = fs_host_alloc(e, sizeof *r);
    if (!r) return NULL;
    *r = (layernorm_record){x, gamma, beta, y, mean, rstd};
    fs_tape_push(e, y, layernorm_backward, r);
  }
  return y;
}

/* Composed from differentiable ops so its gradient (through g, and through v both directly and
 * via the norm) needs no code of its own; the weight matrices are small next to the activations
 * they multiply, so the extra passes cost little. */
fs_tensor *fs_weight_norm(fs_engine *e, fs_tensor *v, fs_tensor *g) {
  FS_OPS_GUARD(e, v, g);
  if (v->ndim != 2 || g->numel != v->shape[0]) {
    char sv[64], sg[64];
    return fs_fail(e, FS_ERR_ARG, "weight_norm: gains %s do not match the rows of %s", fs_shape_str(g, sg, 64),
                   fs_shape_str(v, sv, 64));
  }
  fs_tensor *norm = fs_sqrt(e, fs_sum(e, fs_square(e, v), 1, true)); /* [out, 1] */
  fs_tensor *g_col = fs_reshape(e, g, 2, (int[]){v->shape[0], 1});
  return fs_mul(e, v, fs_div(e, g_col, norm));
}
