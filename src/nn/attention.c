#include "nn/attention.h"

#include <math.h>

fs_status nn_attention_declare(nn_attention *a, fs_params *p, const char *name, int dim, int heads, float dropout) {
  if (heads < 1 || dim % heads)
    return fs_error(FS_ERR_ARG, "%s: width %d is not divisible by %d heads", name, dim, heads);
  char buf[FS_PARAM_NAME_MAX];
  a->dim = dim;
  a->heads = heads;
  a->dropout = dropout;
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

/* Projects x [B, T, D] with `count` consecutive D-row blocks of the packed projection, starting
 * at block `first` (0 = Q, 1 = K, 2 = V), in one GEMM, and splits every block into heads:
 * out[i] is [B, n, T, D/n]. Self-attention projects Q, K and V at once, cross-attention K and V. */
static void project_heads(fs_engine *e, const nn_attention *a, fs_tensor *x, int first, int count, fs_tensor **out) {
  int d = a->dim, n = a->heads;
  bool whole = first == 0 && count == 3;
  fs_tensor *w = whole ? a->w_in : fs_slice(e, a->w_in, 0, first * d, (first + count) * d, 1);
  fs_tensor *b = whole ? a->b_in : fs_slice(e, a->b_in, 0, first * d, (first + count) * d, 1);
  fs_tensor *y = fs_linear(e, x, w, b);
  if (!y) return; /* out[] stays NULL, the engine holds the error */
  fs_tensor *split = fs_reshape(e, y, 4, (int[]){x->shape[0], x->shape[1], count * n, d / n});
  fs_tensor *heads = fs_permute(e, split, (int[]){0, 2, 1, 3}); /* [B, count·n, T, D/n] */
  if (count == 1) out[0] = heads;
  else fs_split(e, heads, 1, count, (int[]){n, n, n}, out);
}

fs_tensor *nn_attention_forward(fs_engine *e, const nn_attention *a, fs_tensor *query, fs_tensor *key,
                                fs_tensor *value, fs_tensor *key_mask) {
  if (e->status != FS_OK || !query || !key || !value || !key_mask)
    return fs_fail(e, FS_ERR_ARG, "attention: missing input");
  int batch = query->shape[0], tq = query->shape[1], tk = key->shape[1];
  if (query->ndim != 3 || query->shape[2] != a->dim || key->ndim != 3 || key->shape[2] != a->dim || key->shape[0] != batch ||
      !fs_same_shape(key, value) || key_mask->numel != (int64_t)batch * tk) {
    char sq[64], sk[64], sm[64];
    return fs_fail(e, FS_ERR_ARG, "attention (D=%d): query %s, key %s and key mask %s do not fit", a->dim,
                   fs_shape_str(query, sq, 64), fs_shape_str(key, sk, 64), fs_shape_str(key_mask, sm, 64));
  }
  float scale = 1.0f / sqrtf((float)(a->dim / a->heads));
  fs_tensor *qkv[3] = {NULL}; /* [B, n, T, D/n] each */
  if (query == key && key == value) project_heads(e, a, query, 0, 3, qkv);
  else {
    project_heads(e, a, query, 0, 1, qkv);
    if (key == value) project_heads(e, a, key, 1, 2, qkv + 1);
    else {
      project_heads(e, a, key, 1, 1, qkv + 1);
      project_heads(e, a, value, 2, 1, qkv + 2);
    }
  }
  fs_tensor *q = fs_scale(e, qkv[0], scale), *k = qkv[1], *v = qkv[2];
  fs_tensor *scores = fs_matmul(e, q, k, false, true); /* [B, n, Tq, Tk] */
  /* every (head, query) row of sentence b uses key mask row b */
  fs_tensor *probs = fs_softmax(e, scores, key_mask, (int64_t)a->heads * tq);
  fs_tensor *ctx = fs_matmul(e, probs, v, false, false); /* [B, n, Tq, D/n] */
  fs_tensor *joined = fs_reshape(e, fs_permute(e, ctx, (int[]){0, 2, 1, 3}), 3, (int[]){batch, tq, a->dim});
  return nn_layernorm_forward(e, &a->norm, fs_add(e, fs_dropout(e, joined, a->dropout), query));
}
