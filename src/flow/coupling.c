/* Affine coupling layer: the implementation; flow/coupling.h describes the interface. */
#include "flow/coupling.h"

#include "flow/logdet.h"

int flow_coupling_in_dim(flow_split split, int features) { return split == FLOW_SPLIT_TIME ? features : features / 2; }

fs_status flow_coupling_declare(flow_coupling *c, fs_params *p, const char *name, int features, flow_split split,
                                bool up, bool attention_mixing, const flow_coupling_config *cfg,
                                const nn_positions *positions) {
  char buf[FS_PARAM_NAME_MAX];
  c->split = split;
  c->up = up;
  c->attention_mixing = attention_mixing;
  c->features = features;
  c->in_dim = flow_coupling_in_dim(split, features);
  c->out_dim = 2 * (split == FLOW_SPLIT_TIME ? features : features / 2);
  c->positions = positions;
  if (positions->dim != c->in_dim)
    return fs_error(FS_ERR_INTERNAL, "%s: position table width %d, coupling net width %d", name, positions->dim,
                    c->in_dim);
  c->project_source = cfg->source_dim != c->in_dim;
  if (c->project_source)
    FS_TRY(nn_linear_declare(&c->source_proj, p, nn_name(buf, name, "source_proj"), cfg->source_dim, c->in_dim, false));
  if (attention_mixing)
    FS_TRY(nn_attention_declare(&c->positional, p, nn_name(buf, name, "pos_attn"), c->in_dim, cfg->heads, 0.0f));
  FS_TRY(nn_decoder_layer_declare(&c->layer, p, nn_name(buf, name, "layer"), c->in_dim, cfg->heads, cfg->hidden, 0.0f));
  return nn_wnlinear_declare(&c->out, p, nn_name(buf, name, "out"), c->in_dim, c->out_dim);
}

fs_status flow_coupling_init(flow_coupling *c, nn_init_rng *r) {
  if (c->project_source) FS_TRY(nn_linear_init(&c->source_proj, r));
  if (c->attention_mixing) FS_TRY(nn_attention_init(&c->positional, r));
  FS_TRY(nn_decoder_layer_init(&c->layer, r));
  return nn_wnlinear_init(&c->out, r);
}

/* ---- splitting and re-assembling ---- */

/* The conditioning part is *a, the transformed part *b. */
static void split(fs_engine *e, const flow_coupling *c, fs_tensor *x, fs_tensor **a, fs_tensor **b) {
  fs_tensor *first, *second;
  if (c->split == FLOW_SPLIT_HALVES) {
    int f = x->shape[2];
    first = fs_slice(e, x, 2, 0, f / 2, 1);
    second = fs_slice(e, x, 2, f / 2, f, 1);
  } else {
    int axis = c->split == FLOW_SPLIT_TIME ? 1 : 2, n = x->shape[axis];
    first = fs_slice(e, x, axis, 0, n, 2);
    second = fs_slice(e, x, axis, 1, n, 2);
  }
  *a = c->up ? first : second;
  *b = c->up ? second : first;
}

/* Inverse of split(): puts the parts back in their original feature / position order. */
static fs_tensor *join(fs_engine *e, const flow_coupling *c, fs_tensor *a, fs_tensor *b) {
  fs_tensor *parts[2] = {c->up ? a : b, c->up ? b : a};
  if (!a || !b) return NULL;
  if (c->split == FLOW_SPLIT_HALVES) return fs_concat(e, 2, parts, 2);
  int batch = a->shape[0], length = a->shape[1], f = a->shape[2];
  if (c->split == FLOW_SPLIT_TIME) /* [B, L/2, 2, F] → [B, L, F] interleaves the positions */
    return fs_reshape(e, fs_stack(e, 2, parts, 2), 3, (int[]){batch, 2 * length, f});
  return fs_reshape(e, fs_stack(e, 2, parts, 3), 3, (int[]){batch, length, 2 * f});
}

/* ---- the coupling net ---- */

typedef struct {
  fs_tensor *mask; /* [B, T] of both parts (a time split halves T for both) */
  const fs_ids *positions;
} part_masks;

static part_masks masks_of(const flow_coupling *c, const flow_level *lvl) {
  if (c->split == FLOW_SPLIT_TIME) return (part_masks){lvl->half_mask, lvl->half_positions};
  return (part_masks){lvl->mask, lvl->positions};
}

/* Hidden state u of the net before its output layer. */
static fs_tensor *net_hidden(fs_engine *e, const flow_coupling *c, fs_tensor *xa, const part_masks *m, fs_tensor *src,
                             fs_tensor *src_mask) {
  if (!xa) return NULL;
  fs_tensor *source = c->project_source ? nn_linear_forward(e, &c->source_proj, src) : src;
  fs_tensor *pos = nn_positions_lookup(e, c->positions, m->positions, xa->shape[0], xa->shape[1]);
  fs_tensor *u =
      c->attention_mixing ? nn_attention_forward(e, &c->positional, pos, xa, xa, m->mask) : fs_add(e, xa, pos);
  return nn_decoder_layer_forward(e, &c->layer, u, m->mask, source, src_mask);
}

/* θ = (μ | a) of the coupling net; the affine step itself (scale σ(a + 2), shift μ, log-det) is
 * the fused fs_affine_coupling. */
static fs_tensor *net(fs_engine *e, const flow_coupling *c, fs_tensor *xa, const part_masks *m, fs_tensor *src,
                      fs_tensor *src_mask) {
  return nn_wnlinear_forward(e, &c->out, net_hidden(e, c, xa, m, src, src_mask));
}

fs_tensor *flow_coupling_normalise(fs_engine *e, const flow_coupling *c, fs_tensor *x, const flow_level *lvl,
                                   fs_tensor *src, fs_tensor *src_mask, fs_tensor **logdet) {
  fs_tensor *xa, *xb, *ld;
  part_masks m = masks_of(c, lvl);
  split(e, c, x, &xa, &xb);
  fs_tensor *yb = fs_affine_coupling(e, xb, net(e, c, xa, &m, src, src_mask), m.mask, false, &ld);
  if (ld) flow_logdet_add(e, logdet, ld);
  return join(e, c, xa, yb);
}

fs_tensor *flow_coupling_generate(fs_engine *e, const flow_coupling *c, fs_tensor *y, const flow_level *lvl,
                                  fs_tensor *src, fs_tensor *src_mask, fs_tensor **logdet) {
  fs_tensor *ya, *yb, *ld;
  part_masks m = masks_of(c, lvl);
  split(e, c, y, &ya, &yb);
  fs_tensor *xb = fs_affine_coupling(e, yb, net(e, c, ya, &m, src, src_mask), m.mask, true, &ld);
  if (ld) flow_logdet_add(e, logdet, ld);
  return join(e, c, ya, xb);
}

fs_status flow_coupling_init_data(fs_engine *e, flow_coupling *c, fs_tensor *x, const flow_level *lvl, fs_tensor *src,
                                  fs_tensor *src_mask) {
  fs_tensor *xa, *xb;
  part_masks m = masks_of(c, lvl);
  split(e, c, x, &xa, &xb);
  fs_tensor *u = net_hidden(e, c, xa, &m, src, src_mask);
  return u ? nn_wnlinear_init_data(e, &c->out, u, 0.0f) : fs_engine_status(e);
}
