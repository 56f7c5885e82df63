/* Embedding lookup. Token ids come from the batcher, which maps every token through the
 * tokenizer's vocabulary, so they are in range by construction; the op checks the count only
 * (ids live on the device, and a per-step download just to re-check them would cost a sync). */
#include <string.h>

#include "ops/op_internal.h"
#include "ops/ops.h"

typedef struct {
  fs_tensor *table, *out;
  const fs_ids *ids;
} embedding_record;

static void embedding_backward(fs_engine *e, void *rec) {
  embedding_record *r = rec;
  float *dt = fs_grad(e, r->table);
  if (dt) e->be->embedding_backward(r->ids->n, r->table->shape[1], r->ids->data, r->out->grad, dt);
}

fs_tensor *fs_embedding(fs_engine *e, fs_tensor *table, const fs_ids *ids) {
  FS_OPS_GUARD(e, table);
  if (!ids) return fs_fail(e, FS_ERR_ARG, "embedding: ids are NULL");
  if (table->ndim != 2) {
    char st[64];
    return fs_fail(e, FS_ERR_ARG, "embedding: table must be [V, d], got %s", fs_shape_str(table, st, 64));
  }
  int dim = table->shape[1];
  fs_tensor *out = fs_tensor_new(e, 2, (int[]){(int)ids->n, dim});
  if (!out) return NULL;
  e->be->embedding(ids->n, dim, ids->data, table->data, out->data);
  if (fs_needs_grad(e, 1, &table)) {
    embedding_record *r = fs_host_alloc(e, sizeof *r);
    if (!r) return NULL;
    *r = (embedding_record){table, out, ids};
    fs_tape_push(e, out, embedding_backward, r);
  }
  return out;
}

fs_tensor *fs_take_rows(fs_engine *e, fs_tensor *x, const fs_ids *rows) {
  FS_OPS_GUARD(e, x);
  if (!rows) return fs_fail(e, FS_ERR_ARG, "take_rows: rows are NULL");
  int n = x->shape[0], width = (int)(x->numel / (n ? n : 1));
  fs_tensor *picked = fs_embedding(e, fs_reshape(e, x, 2, (int[]){n, width}), rows);
  if (!picked) return NULL;
  int shape[FS_MAX_DIMS];
  memcpy(shape, x->shape, sizeof shape);
  shape[0] = (int)rows->n;
  return fs_reshape(e, picked, x->ndim, shape);
}
