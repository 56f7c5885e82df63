/* Label-smoothed cross-entropy from logits (docs/model.md#decoder item 7). */
#include "ops/op_internal.h"
#include "ops/ops.h"

typedef struct {
  fs_tensor *logits, *loss;
  const fs_ids *targets;
  float eps;
  float *logsumexp;
} ce_record;

static void ce_backward(fs_engine *e, void *rec) {
  ce_record *r = rec;
  bool accumulate;
  float *dz = fs_grad_for_write(e, r->logits, &accumulate);
  if (dz)
    e->be->cross_entropy_backward(r->loss->numel, r->logits->shape[1], r->eps, r->logits->data, r->targets->data,
                                  r->logsumexp, r->loss->grad, dz, accumulate);
}

fs_tensor *fs_cross_entropy(fs_engine *e, fs_tensor *logits, const fs_ids *targets, float eps) {
  FS_OPS_GUARD(e, logits);
  char sl[64];
  if (!targets || logits->ndim != 2 || targets->n != logits->shape[0])
    return fs_fail(e, FS_ERR_ARG, "cross_entropy: logits %s need [N, V] with one target per row (%lld targets)",
                   fs_shape_str(logits, sl, 64), targets ? (long long)targets->n : 0LL);
  int rows = logits->shape[0];
  fs_tensor *loss = fs_tensor_new(e, 1, (int[]){rows});
  float *lse = fs_scratch(e, rows);
  if (!loss || !lse) return NULL;
  e->be->cross_entropy(rows, logits->shape[1], eps, logits->data, targets->data, loss->data, lse);
  if (fs_needs_grad(e, 1, &logits)) {
    ce_record *r = fs_host_alloc(e, sizeof *r);
    if (!r) return NULL;
    *r = (ce_record){logits, loss, targets, eps, lse};
    fs_tape_push(e, loss, ce_backward, r);
  }
  return loss;
}
