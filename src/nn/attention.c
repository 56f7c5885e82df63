/* Multi-head attention block exactly as FlowSeq has it: the implementation; nn/attention.h describes the interface. */
#include "nn/attention.h"

fs_status nn_attention_declare(nn_attention *a, fs_params *p, const char *name, int dim, int heads, float dropout) {
  if (heads < 1 || dim % heads)
    return fs_error(FS_ERR_ARG, "%s: width %d is not divisible by %d heads", name, dim, heads);
  char buf[FS_PARAM_NAME_MAX];
  a->dim = dim;
  a->heads = heads;
  a->dropout = dropout;
  a->causal = false;
  a->w_in = fs_param_add(p, nn_name(buf, name, "w_in"), 2, (int[]){3 * dim, dim});
  a->b_in = fs_param_add(p, nn_name(buf, name, "b_in"), 1, (int[]){3 * dim});
  if (!a->w_in || !a->b_in) return FS_ERR_ARG;
  return nn_layernorm_declare(&a->norm, p, nn_name(buf, name, "norm"), dim);
}

fs_status nn_attention_init(nn_attention *a, nn_init_rng *r) {
  for (int block = 0; block < 3; block++) FS_TRY(nn_init_xavier_rows(r, a->w_in, block * a->dim, a->dim));
  nn_init_const(r->be, a->b_in, 0.0f);
  nn_layernorm_init(&a->norm, r->be);
  return FS_OK;
}

/* x [B, T, D] projected by `count` consecutive D-row blocks of the packed projection starting at
 * block `first` (0 = Q, 1 = K, 2 = V), in one GEMM: [B, T, count*D]. Self-attention projects Q,
 * K and V at once, cross-attention K and V; fs_attention reads the heads from the columns. */
static fs_tensor *project(fs_engine *e, const nn_attention *a, fs_tensor *x, int first, int count) {
  int d = a->dim;
  if (first == 0 && count == 3) return fs_linear(e, x, a->w_in, a->b_in);
  return fs_linear(e, x, fs_slice(e, a->w_in, 0, first * d, (first + count) * d, 1),
                   fs_slice(e, a->b_in, 0, first * d, (first + count) * d, 1));
}

fs_tensor *nn_attention_forward(fs_engine *e, const nn_attention *a, fs_tensor *query, fs_tensor *key, fs_tensor *value,
                                fs_tensor *key_mask) {
  if (e->status != FS_OK || !query || !key || !value || !key_mask)
    return fs_fail(e, FS_ERR_ARG, "attention: missing input");
  int batch = query->shape[0], tk = key->shape[1], d = a->dim, n = a->heads;
  if (query->ndim != 3 || query->shape[2] != d || key->ndim != 3 || key->shape[2] != d || key->shape[0] != batch ||
      !fs_same_shape(key, value) || key_mask->numel != (int64_t)batch * tk) {
    char sq[64], sk[64], sm[64];
    return fs_fail(e, FS_ERR_ARG, "attention (D=%d): query %s, key %s and key mask %s do not fit", d,
                   fs_shape_str(query, sq, 64), fs_shape_str(key, sk, 64), fs_shape_str(key_mask, sm, 64));
  }
  fs_tensor *ctx; /* [B, Tq, D] */
  if (query == key && key == value) {
    fs_tensor *qkv = project(e, a, query, 0, 3);
    ctx = fs_attention(e, qkv, 0, qkv, d, qkv, 2 * d, d, n, key_mask, a->causal);
  } else if (key == value) {
    fs_tensor *q = project(e, a, query, 0, 1), *kv = project(e, a, key, 1, 2);
    ctx = fs_attention(e, q, 0, kv, 0, kv, d, d, n, key_mask, a->causal);
  } else {
    fs_tensor *q = project(e, a, query, 0, 1), *k = project(e, a, key, 1, 1), *v = project(e, a, value, 2, 1);
    ctx = fs_attention(e, q, 0, k, 0, v, 0, d, n, key_mask, a->causal);
  }
  return nn_layernorm_forward(e, &a->norm, fs_add(e, fs_dropout(e, ctx, a->dropout), query));
}

fs_tensor *nn_attention_memory(fs_engine *e, const nn_attention *a, fs_tensor *memory) {
  return project(e, a, memory, 1, 2);
}

fs_tensor *nn_attention_forward_memory(fs_engine *e, const nn_attention *a, fs_tensor *query, fs_tensor *memory_kv,
                                       fs_tensor *key_mask) {
  int d = a->dim;
  fs_tensor *ctx =
      fs_attention(e, project(e, a, query, 0, 1), 0, memory_kv, 0, memory_kv, d, d, a->heads, key_mask, false);
  return nn_layernorm_forward(e, &a->norm, fs_add(e, fs_dropout(e, ctx, a->dropout), query));
}

fs_tensor *nn_attention_forward_step(fs_engine *e, const nn_attention *a, fs_tensor *x, fs_tensor **cache) {
  int d = a->dim;
  fs_tensor *qkv = project(e, a, x, 0, 3); /* [B, 1, 3D] */
  fs_tensor *kv = fs_slice(e, qkv, 2, d, 3 * d, 1);
  *cache = *cache ? fs_concat(e, 2, (fs_tensor *[]){*cache, kv}, 1) : kv;
  if (!*cache) return NULL;
  fs_tensor *all_keys =
      fs_tensor_new(e, 2, (int[]){x->shape[0], (*cache)->shape[1]}); /* every earlier position is real */
  if (!all_keys) return NULL;
  e->be->fill(all_keys->data, all_keys->numel, 1.0f);
  fs_tensor *ctx = fs_attention(e, qkv, 0, *cache, 0, *cache, d, d, a->heads, all_keys, false);
  return nn_layernorm_forward(e, &a->norm, fs_add(e, fs_dropout(e, ctx, a->dropout), x));
}
