/* Elementwise ops: broadcasting binary arithmetic and unary activations. */
#include <string.h>

#include "ops/op_internal.h"
#include "ops/ops.h"

int fs_axis(int axis, int ndim) {
  if (axis < 0) axis += ndim;
  return axis >= 0 && axis < ndim ? axis : -1;
}

void fs_grad_add_reduced(fs_engine *e, fs_tensor *t, const float *src, const int src_shape4[4]) {
  bool accumulate;
  float *g = fs_grad_for_write(e, t, &accumulate);
  if (!g) return;
  int t_shape4[4];
  int64_t unused[4];
  fs_shape4(t, t_shape4, unused);
  e->be->reduce_sum(src_shape4, src, t_shape4, g, accumulate);
}

/* ---- binary ---- */

typedef struct {
  fs_binop op;
  fs_tensor *a, *b, *out;
  int shape4[4];
} binary_record;

/* Strides of t when read over the 4-d index space `shape4` (0 along broadcast axes). */
static void broadcast_strides(const fs_tensor *t, const int shape4[4], int64_t str[4]) {
  int t4[4];
  fs_shape4(t, t4, str);
  for (int i = 0; i < 4; i++)
    if (t4[i] == 1 && shape4[i] != 1) str[i] = 0;
}

/* dout * other (mul), dout / other (div numerator), or -dout * out / b (div denominator),
 * then reduced into the input's gradient. An addend of the output's shape whose gradient is
 * still to come takes dout's buffer itself (fs_grad_adopt): the residual connections' copies. */
static void binary_backward(fs_engine *e, void *rec) {
  binary_record *r = rec;
  const fs_backend *be = e->be;
  int64_t full_str[4], s = 1;
  for (int i = 3; i >= 0; i--) {
    full_str[i] = s;
    s *= r->shape4[i];
  }
  float *tmp = fs_scratch(e, s);
  if (!tmp) return;
  int64_t a_str[4], b_str[4];
  broadcast_strides(r->a, r->shape4, a_str);
  broadcast_strides(r->b, r->shape4, b_str);
  float *dout = r->out->grad;
  bool adopted = false; /* dout's buffer went to a: b must not take it too */
  if (r->a->requires_grad) {
    switch (r->op) {
      case FS_BIN_ADD:
      case FS_BIN_SUB:
        adopted = r->a->numel == s && fs_grad_adopt(e, r->a, dout);
        if (!adopted) fs_grad_add_reduced(e, r->a, dout, r->shape4);
        break;
      case FS_BIN_MUL:
        be->binary(FS_BIN_MUL, r->shape4, tmp, dout, full_str, r->b->data, b_str);
        fs_grad_add_reduced(e, r->a, tmp, r->shape4);
        break;
      case FS_BIN_DIV:
        be->binary(FS_BIN_DIV, r->shape4, tmp, dout, full_str, r->b->data, b_str);
        fs_grad_add_reduced(e, r->a, tmp, r->shape4);
        break;
    }
  }
  if (r->b->requires_grad) {
    switch (r->op) {
      case FS_BIN_ADD:
        if (adopted || r->b->numel != s || !fs_grad_adopt(e, r->b, dout)) fs_grad_add_reduced(e, r->b, dout, r->shape4);
        break;
      case FS_BIN_SUB:
        be->unary(FS_UN_SCALE, s, -1.0f, dout, tmp);
        fs_grad_add_reduced(e, r->b, tmp, r->shape4);
        break;
      case FS_BIN_MUL:
        be->binary(FS_BIN_MUL, r->shape4, tmp, dout, full_str, r->a->data, a_str);
        fs_grad_add_reduced(e, r->b, tmp, r->shape4);
        break;
      case FS_BIN_DIV: /* d(a/b)/db = -(a/b)/b = -out/b */
        be->binary(FS_BIN_MUL, r->shape4, tmp, dout, full_str, r->out->data, full_str);
        be->binary(FS_BIN_DIV, r->shape4, tmp, tmp, full_str, r->b->data, b_str);
        be->unary(FS_UN_SCALE, s, -1.0f, tmp, tmp);
        fs_grad_add_reduced(e, r->b, tmp, r->shape4);
        break;
    }
  }
}

static fs_tensor *binary(fs_engine *e, fs_binop op, fs_tensor *a, fs_tensor *b) {
  FS_OPS_GUARD(e, a, b);
  int a4[4], b4[4], out4[4];
  int64_t unused[4];
  fs_shape4(a, a4, unused);
  fs_shape4(b, b4, unused);
  for (int i = 0; i < 4; i++) {
    if (a4[i] != b4[i] && a4[i] != 1 && b4[i] != 1) {
      char sa[64], sb[64];
      return fs_fail(e, FS_ERR_ARG, "cannot broadcast shapes %s and %s", fs_shape_str(a, sa, 64),
                     fs_shape_str(b, sb, 64));
    }
    out4[i] = a4[i] == 1 ? b4[i] : a4[i];
  }
  int ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
  fs_tensor *out = fs_tensor_new(e, ndim, out4 + 4 - ndim);
  if (!out) return NULL;
  int64_t a_str[4], b_str[4];
  broadcast_strides(a, out4, a_str);
  broadcast_strides(b, out4, b_str);
  e->be->binary(op, out4, out->data, a->data, a_str, b->data, b_str);
  fs_tensor *inputs[] = {a, b};
  if (fs_needs_grad(e, 2, inputs)) {
    binary_record *r = fs_host_alloc(e, sizeof *r);
    if (!r) return NULL;
    *r = (binary_record){op, a, b, out, {0}};
    memcpy(r->shape4, out4, sizeof out4);
    fs_tape_push(e, out, binary_backward, r);
  }
  return out;
}

fs_tensor *fs_add(fs_engine *e, fs_tensor *a, fs_tensor *b) { return binary(e, FS_BIN_ADD, a, b); }
fs_tensor *fs_sub(fs_engine *e, fs_tensor *a, fs_tensor *b) { return binary(e, FS_BIN_SUB, a, b); }
fs_tensor *fs_mul(fs_engine *e, fs_tensor *a, fs_tensor *b) { return binary(e, FS_BIN_MUL, a, b); }
fs_tensor *fs_div(fs_engine *e, fs_tensor *a, fs_tensor *b) { return binary(e, FS_BIN_DIV, a, b); }

/* ---- unary ---- */

typedef struct {
  fs_unop op;
  float alpha;
  fs_tensor *x, *y;
} unary_record;

static void unary_backward(fs_engine *e, void *rec) {
  unary_record *r = rec;
  bool accumulate;
  float *dx = fs_grad_for_write(e, r->x, &accumulate);
  if (dx) e->be->unary_backward(r->op, r->x->numel, r->alpha, r->x->data, r->y->data, r->y->grad, dx, accumulate);
}

static fs_tensor *unary(fs_engine *e, fs_unop op, fs_tensor *x, float alpha) {
  FS_OPS_GUARD(e, x);
  fs_tensor *y = fs_tensor_like(e, x);
  if (!y) return NULL;
  e->be->unary(op, x->numel, alpha, x->data, y->data);
  if (fs_needs_grad(e, 1, &x)) {
    unary_record *r = fs_host_alloc(e, sizeof *r);
    if (!r) return NULL;
    *r = (unary_record){op, alpha, x, y};
    fs_tape_push(e, y, unary_backward, r);
  }
  return y;
}

fs_tensor *fs_relu(fs_engine *e, fs_tensor *x) { return unary(e, FS_UN_RELU, x, 0.0f); }
fs_tensor *fs_elu(fs_engine *e, fs_tensor *x) { return unary(e, FS_UN_ELU, x, 0.0f); }
fs_tensor *fs_sigmoid(fs_engine *e, fs_tensor *x) { return unary(e, FS_UN_SIGMOID, x, 0.0f); }
fs_tensor *fs_exp(fs_engine *e, fs_tensor *x) { return unary(e, FS_UN_EXP, x, 0.0f); }
fs_tensor *fs_ln(fs_engine *e, fs_tensor *x) { return unary(e, FS_UN_LOG, x, 0.0f); }
fs_tensor *fs_softplus(fs_engine *e, fs_tensor *x) { return unary(e, FS_UN_SOFTPLUS, x, 0.0f); }
fs_tensor *fs_sqrt(fs_engine *e, fs_tensor *x) { return unary(e, FS_UN_SQRT, x, 0.0f); }
fs_tensor *fs_square(fs_engine *e, fs_tensor *x) { return unary(e, FS_UN_SQUARE, x, 0.0f); }
fs_tensor *fs_scale(fs_engine *e, fs_tensor *x, float alpha) { return unary(e, FS_UN_SCALE, x, alpha); }
fs_tensor *fs_add_scalar(fs_engine *e, fs_tensor *x, float alpha) { return unary(e, FS_UN_ADD_CONST, x, alpha); }
