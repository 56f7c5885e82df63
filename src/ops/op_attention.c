/* Multi-head attention as one op (see fs_attention in ops.h): the backend's fused kernels read
 * the heads in place from column ranges of the projections and keep the attention weights for
 * backward. */
#include <math.h>

#include "ops/op_internal.h"
#include "ops/ops.h"

typedef struct {
  fs_tensor *q, *k, *v, *ctx;
  int q_col, k_col, v_col, heads, dh;
  float scale, *probs;
} attention_record;

/* Column `col` of t's gradient, or NULL when t takes none. */
static float *grad_at(fs_engine *e, fs_tensor *t, int col) {
  float *g = t->requires_grad ? fs_grad(e, t) : NULL;
  return g ? g + col : NULL;
}

static void attention_backward(fs_engine *e, void *rec) {
  attention_record *r = rec;
  int batch = r->q->shape[0], tq = r->q->shape[1], tk = r->k->shape[1];
  float *scratch = fs_scratch(e, (int64_t)batch * r->heads * tq * tk);
  float *dq = grad_at(e, r->q, r->q_col), *dk = grad_at(e, r->k, r->k_col), *dv = grad_at(e, r->v, r->v_col);
  if (e->status != FS_OK) return;
  e->gemm_flops += 4.0 * 2.0 * batch * r->heads * tq * tk * r->dh; /* dP, dq, dk, dv: matrix products */
  e->be->attention_backward(e->precision, batch, r->heads, tq, tk, r->dh, r->scale, r->q->data + r->q_col,
                            r->q->shape[2], r->k->data + r->k_col, r->k->shape[2], r->v->data + r->v_col,
                            r->v->shape[2], r->probs, r->ctx->grad, scratch, dq, dk, dv);
}

fs_tensor *fs_attention(fs_engine *e, fs_tensor *q, int q_col, fs_tensor *k, int k_col, fs_tensor *v, int v_col,
                        int dim, int heads, fs_tensor *key_mask, bool causal) {
  FS_OPS_GUARD(e, q, k, v, key_mask);
  char sq[64], sk[64], sv[64], sm[64];
  bool shapes_ok = q->ndim == 3 && k->ndim == 3 && v->ndim == 3 && k->shape[0] == q->shape[0] &&
                   v->shape[0] == q->shape[0] && v->shape[1] == k->shape[1] && heads > 0 && dim % heads == 0 &&
                   q_col >= 0 && q_col + dim <= q->shape[2] && k_col >= 0 && k_col + dim <= k->shape[2] && v_col >= 0 &&
                   v_col + dim <= v->shape[2] && key_mask->numel == (int64_t)k->shape[0] * k->shape[1];
  if (!shapes_ok)
    return fs_fail(e, FS_ERR_ARG,
                   "attention (%d heads of %d columns at q %d, k %d, v %d): query %s, key %s, value %s and key mask "
                   "%s do not fit",
                   heads, dim, q_col, k_col, v_col, fs_shape_str(q, sq, 64), fs_shape_str(k, sk, 64),
                   fs_shape_str(v, sv, 64), fs_shape_str(key_mask, sm, 64));
  int batch = q->shape[0], tq = q->shape[1], tk = k->shape[1], dh = dim / heads;
  float scale = 1.0f / sqrtf((float)dh);
  fs_tensor *ctx = fs_tensor_new(e, 3, (int[]){batch, tq, dim});
  float *probs = fs_scratch(e, (int64_t)batch * heads * tq * tk);
  if (!ctx || !probs) return NULL;
  e->gemm_flops += 2.0 * 2.0 * batch * heads * tq * tk * dh; /* scores and context, counted as GEMM */
  e->be->attention(e->precision, batch, heads, tq, tk, dh, scale, q->data + q_col, q->shape[2], k->data + k_col,
                   k->shape[2], v->data + v_col, v->shape[2], key_mask->data, causal, probs, ctx->data);
  fs_tensor *inputs[] = {q, k, v};
  if (fs_needs_grad(e, 3, inputs)) {
    attention_record *r = fs_host_alloc(e, sizeof *r);
    if (!r) return NULL;
    *r = (attention_record){q, k, v, ctx, q_col, k_col, v_col, heads, dh, scale, probs};
    fs_tape_push(e, ctx, attention_backward, r);
  }
  return ctx;
}
