/* Invertible multi-head linear: the implementation; flow/mhlinear.h describes the interface. */
#include "flow/mhlinear.h"

#include <stdio.h>
#include <string.h>

#include "flow/logdet.h"

int flow_mhlinear_head_dim(int features) {
  const int widths[] = {32, 16, 8};
  for (int i = 0; i < 3; i++)
    if (features % widths[i] == 0) return widths[i];
  return 0;
}

fs_status flow_mhlinear_declare(flow_mhlinear *m, fs_params *p, const char *name, int features, bool strided) {
  memset(m, 0, sizeof *m);
  m->features = features;
  m->head_dim = flow_mhlinear_head_dim(features);
  if (!m->head_dim)
    return fs_error(FS_ERR_ARG, "%s: %d features cannot be cut into heads of 32, 16 or 8", name, features);
  m->heads = features / m->head_dim;
  m->strided = strided;
  char buf[FS_PARAM_NAME_MAX];
  snprintf(buf, sizeof buf, "%s.weight", name);
  m->weight = fs_param_add(p, buf, 2, (int[]){m->head_dim, m->head_dim});
  return m->weight ? FS_OK : FS_ERR_ARG;
}

fs_status flow_mhlinear_init(flow_mhlinear *m, nn_init_rng *r) {
  FS_TRY(nn_init_orthogonal(r, m->weight));
  return flow_mhlinear_sync(m, r->be);
}

fs_status flow_mhlinear_sync(flow_mhlinear *m, const fs_backend *be) {
  int n = m->head_dim;
  /* allocated by the first sync, after the random init or a weight load, whichever comes */
  if (!m->inverse.data) {
    m->inverse.ndim = 2;
    m->inverse.shape[0] = m->inverse.shape[1] = n;
    m->inverse.numel = (int64_t)n * n;
    /* one extra float holds log|det W| as computed on the device */
    m->inverse.data = be->alloc(sizeof(float) * (n * n + 1));
    if (!m->inverse.data) return fs_error(FS_ERR_MEMORY, "multi-head linear: cannot allocate W⁻¹");
  }
  float *logdet_dev = m->inverse.data + n * n;
  if (!be->inverse_logdet(n, m->weight->data, m->inverse.data, logdet_dev))
    return fs_error(FS_ERR_ARG, "multi-head linear: W became singular");
  be->download(&m->logabsdet, logdet_dev, sizeof(float));
  return be->last_status();
}

void flow_mhlinear_free(flow_mhlinear *m, const fs_backend *be) {
  if (m->inverse.data) be->free(m->inverse.data);
  m->inverse.data = NULL;
}

/* Applies `w` to every head of x [B, L, F]. Contiguous heads are the rows of a [B, L, h, 32]
 * view, so one GEMM against wᵀ does it. Strided heads are the columns of a [B, L, 32, h] view:
 * X_headsᵀ · wᵀ = (w · X_heads)ᵀ gives them in contiguous order, and a permute restores the
 * strided order. */
static fs_tensor *apply_heads(fs_engine *e, const flow_mhlinear *m, fs_tensor *x, fs_tensor *w) {
  int b = x->shape[0], l = x->shape[1];
  if (!m->strided) {
    fs_tensor *heads = fs_reshape(e, x, 4, (int[]){b, l, m->heads, m->head_dim});
    return fs_reshape(e, fs_matmul(e, heads, w, false, true), 3, (int[]){b, l, m->features});
  }
  fs_tensor *cols = fs_reshape(e, x, 4, (int[]){b, l, m->head_dim, m->heads});
  fs_tensor *rows = fs_matmul(e, cols, w, true, true); /* [B, L, h, 32] */
  return fs_reshape(e, fs_permute(e, rows, (int[]){0, 1, 3, 2}), 3, (int[]){b, l, m->features});
}

fs_tensor *flow_mhlinear_normalise(fs_engine *e, const flow_mhlinear *m, fs_tensor *x, const flow_level *lvl,
                                   fs_tensor **logdet) {
  fs_tensor *y = apply_heads(e, m, x, m->weight);
  fs_tensor *per_position = fs_scale(e, fs_logabsdet(e, m->weight), (float)m->heads);
  flow_logdet_add(e, logdet, fs_mul(e, lvl->n_valid, per_position));
  return y;
}

fs_tensor *flow_mhlinear_generate(fs_engine *e, const flow_mhlinear *m, fs_tensor *y, const flow_level *lvl,
                                  fs_tensor **logdet) {
  fs_tensor *x = apply_heads(e, m, y, (fs_tensor *)&m->inverse);
  flow_logdet_add(e, logdet, fs_scale(e, lvl->n_valid, -(float)m->heads * m->logabsdet));
  return x;
}
