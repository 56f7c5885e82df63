/* Matrix products: every one goes to the backend's GEMM, with operands of the engine's precision. */
#include "ops/op_internal.h"
#include "ops/ops.h"

typedef struct {
  fs_tensor *a, *b, *c;
  bool ta, tb;
  int m, n, k, batch;
  bool shared_b; /* b is one [K,N] matrix used by every batch entry */
} matmul_record;

/* Row-major leading dimension of a stored matrix whose logical op() shape is rows x cols. */
static int ld(bool trans, int rows, int cols) { return trans ? rows : cols; }

/* Gradients of C = op_a(A) · op_b(B), accumulated with beta = 1 (assigned, beta = 0, into a
 * gradient this is the first to write):
 *   dA = dC · op_b(B)ᵀ (stored transposed when ta),  dB = op_a(A)ᵀ · dC (likewise when tb).
 * A shared B with an untransposed A (fs_linear's x · Wᵀ) is the forward's folded case: the batch
 * entries of A and dC are consecutive rows, so dA can be one GEMM over batch·m rows and dB one
 * GEMM whose inner dimension runs over every row of the batch, instead of `batch` calls with an
 * inner dimension of one sentence that each read and write the whole of dB. Single-threaded
 * OpenBLAS (Cooperlake kernel), 30 sentences of 20 tokens, dB 256×256: 186 GFLOP/s folded, 59 per
 * sentence. Below 128 rows or columns the per-entry small-matrix kernels win (dB 64×64: 80
 * folded, 130 per entry; the flow's 32×32 heads: 38 against 89), so those stay per entry. */
static void matmul_backward(fs_engine *e, void *rec) {
  matmul_record *r = rec;
  const fs_backend *be = e->be;
  const int m = r->m, n = r->n, k = r->k;
  const int lda = ld(r->ta, m, k), ldb = ld(r->tb, k, n);
  const int64_t sa = (int64_t)m * k, sb = r->shared_b ? 0 : (int64_t)k * n, sc = (int64_t)m * n;
  const float *dc = r->c->grad;
  const bool folded = r->shared_b && !r->ta && k >= 128 && n >= 128;
  double flops = 2.0 * m * n * k * r->batch;
  e->gemm_flops += flops * (r->a->requires_grad + r->b->requires_grad);
  bool accumulate;
  if (r->a->requires_grad) {
    float *da = fs_grad_for_write(e, r->a, &accumulate);
    if (!da) return;
    float beta = accumulate ? 1.0f : 0.0f;
    if (folded) be->gemm(e->precision, false, !r->tb, r->batch * m, k, n, 1.0f, dc, n, r->b->data, ldb, beta, da, k);
    else if (!r->ta)
      be->gemm_batched(e->precision, false, !r->tb, m, k, n, 1.0f, dc, n, sc, r->b->data, ldb, sb, beta, da, k, sa,
                       r->batch);
    else
      be->gemm_batched(e->precision, r->tb, true, k, m, n, 1.0f, r->b->data, ldb, sb, dc, n, sc, beta, da, m, sa,
                       r->batch);
  }
  if (r->b->requires_grad) {
    float *db = fs_grad_for_write(e, r->b, &accumulate);
    if (!db) return;
    float beta = accumulate ? 1.0f : 0.0f;
    if (folded) {
      if (!r->tb) be->gemm(e->precision, true, false, k, n, r->batch * m, 1.0f, r->a->data, k, dc, n, beta, db, n);
      else be->gemm(e->precision, true, false, n, k, r->batch * m, 1.0f, dc, n, r->a->data, k, beta, db, k);
      return;
    }
    /* A shared B collects the gradient of every batch entry: one call per entry keeps the
     * accumulation race-free on every backend (the first assigns when db is new). */
    int calls = r->shared_b ? r->batch : 1, per_call = r->shared_b ? 1 : r->batch;
    for (int i = 0; i < calls; i++, beta = 1.0f) {
      const float *a = r->a->data + i * sa, *dci = dc + i * sc;
      if (!r->tb)
        be->gemm_batched(e->precision, !r->ta, false, k, n, m, 1.0f, a, lda, sa, dci, n, sc, beta, db, n, sb, per_call);
      else
        be->gemm_batched(e->precision, true, r->ta, n, k, m, 1.0f, dci, n, sc, a, lda, sa, beta, db, k, sb, per_call);
    }
  }
}

fs_tensor *fs_matmul(fs_engine *e, fs_tensor *a, fs_tensor *b, bool trans_a, bool trans_b) {
  FS_OPS_GUARD(e, a, b);
  char sa[64], sb[64];
  if (a->ndim < 2 || b->ndim < 2)
    return fs_fail(e, FS_ERR_ARG, "matmul needs matrices, got %s and %s", fs_shape_str(a, sa, 64),
                   fs_shape_str(b, sb, 64));
  int m = a->shape[a->ndim - (trans_a ? 1 : 2)], k = a->shape[a->ndim - (trans_a ? 2 : 1)];
  int kb = b->shape[b->ndim - (trans_b ? 1 : 2)], n = b->shape[b->ndim - (trans_b ? 2 : 1)];
  int batch = (int)(a->numel / ((int64_t)m * k));
  bool shared_b = b->ndim == 2;
  bool lead_ok = shared_b || b->ndim == a->ndim;
  for (int i = 0; lead_ok && !shared_b && i < a->ndim - 2; i++) lead_ok = a->shape[i] == b->shape[i];
  if (k != kb || !lead_ok)
    return fs_fail(e, FS_ERR_ARG, "matmul shapes do not match: %s%s x %s%s", fs_shape_str(a, sa, 64),
                   trans_a ? "ᵀ" : "", fs_shape_str(b, sb, 64), trans_b ? "ᵀ" : "");
  int shape[FS_MAX_DIMS];
  for (int i = 0; i < a->ndim - 2; i++) shape[i] = a->shape[i];
  shape[a->ndim - 2] = m;
  shape[a->ndim - 1] = n;
  fs_tensor *c = fs_tensor_new(e, a->ndim, shape);
  if (!c) return NULL;
  const int lda = ld(trans_a, m, k), ldb = ld(trans_b, k, n);
  e->gemm_flops += 2.0 * m * n * k * batch;
  if (shared_b && !trans_a) /* fold the batch into M: one large GEMM */
    e->be->gemm(e->precision, false, trans_b, batch * m, n, k, 1.0f, a->data, lda, b->data, ldb, 0.0f, c->data, n);
  else
    e->be->gemm_batched(e->precision, trans_a, trans_b, m, n, k, 1.0f, a->data, lda, (int64_t)m * k, b->data, ldb,
                        shared_b ? 0 : (int64_t)k * n, 0.0f, c->data, n, (int64_t)m * n, batch);
  fs_tensor *inputs[] = {a, b};
  if (fs_needs_grad(e, 2, inputs)) {
    matmul_record *r = fs_host_alloc(e, sizeof *r);
    if (!r) return NULL;
    *r = (matmul_record){a, b, c, trans_a, trans_b, m, n, k, batch, shared_b};
    fs_tape_push(e, c, matmul_backward, r);
  }
  return c;
}

/* ---- the bias of fs_linear, added in place ----
 * Adding it into the product's own buffer saves a second activation and, in backward, that
 * activation's gradient buffer (zeroed, then accumulated): the product's backward does not
 * read its output, so overwriting it is safe. Its tape entry shares the product's output and
 * runs before the product's (the tape is walked backwards): db += column sums of dY. */

typedef struct {
  fs_tensor *bias, *y;
} bias_record;

static void bias_backward(fs_engine *e, void *rec) {
  bias_record *r = rec;
  int n = r->bias->numel;
  fs_grad_add_reduced(e, r->bias, r->y->grad, (int[]){1, 1, (int)(r->y->numel / n), n});
}

static fs_tensor *add_bias_in_place(fs_engine *e, fs_tensor *y, fs_tensor *bias) {
  FS_OPS_GUARD(e, y, bias);
  int n = y->shape[y->ndim - 1];
  if (bias->numel != n) {
    char sy[64], sb[64];
    return fs_fail(e, FS_ERR_ARG, "linear: bias %s does not fit the output %s", fs_shape_str(bias, sb, 64),
                   fs_shape_str(y, sy, 64));
  }
  int shape4[4] = {1, 1, (int)(y->numel / n), n};
  e->be->binary(FS_BIN_ADD, shape4, y->data, y->data, (int64_t[]){0, 0, n, 1}, bias->data, (int64_t[]){0, 0, 0, 1});
  if (fs_needs_grad(e, 1, &bias)) {
    bias_record *r = fs_host_alloc(e, sizeof *r);
    if (!r) return NULL;
    *r = (bias_record){bias, y};
    fs_tape_push(e, y, bias_backward, r);
  }
  return y;
}

fs_tensor *fs_linear(fs_engine *e, fs_tensor *x, fs_tensor *w, fs_tensor *bias) {
  fs_tensor *y = fs_matmul(e, x, w, false, true);
  return bias ? add_bias_in_place(e, y, bias) : y;
}
