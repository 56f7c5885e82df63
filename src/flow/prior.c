/* The multi-scale flow prior p(z|x): the implementation; flow/prior.h describes the interface. */
#include "flow/prior.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- building the layer lists ---- */

typedef struct {
  flow_prior *f;
  fs_params *p;
  const flow_prior_config *cfg;
  int level;
  flow_layer *layers;
  int count, capacity;
  char prefix[FS_PARAM_NAME_MAX - 16]; /* room for ".<layer index>" */
} level_builder;

static flow_layer *next_layer(level_builder *b, flow_layer_kind kind, char *name) {
  if (b->count == b->capacity) {
    int cap = b->capacity ? 2 * b->capacity : 64;
    flow_layer *grown = realloc(b->layers, sizeof *grown * cap);
    if (!grown) return NULL;
    b->layers = grown;
    b->capacity = cap;
  }
  flow_layer *l = &b->layers[b->count];
  memset(l, 0, sizeof *l);
  l->kind = kind;
  snprintf(name, FS_PARAM_NAME_MAX, "%s.%d", b->prefix, b->count++);
  return l;
}

static fs_status add_actnorm(level_builder *b) {
  char name[FS_PARAM_NAME_MAX];
  flow_layer *l = next_layer(b, FLOW_LAYER_ACTNORM, name);
  return l ? flow_actnorm_declare(&l->actnorm, b->p, name, b->cfg->features)
           : fs_error(FS_ERR_MEMORY, "flow: out of memory");
}

static fs_status add_mhlinear(level_builder *b, bool strided) {
  char name[FS_PARAM_NAME_MAX];
  flow_layer *l = next_layer(b, FLOW_LAYER_MHLINEAR, name);
  return l ? flow_mhlinear_declare(&l->mhlinear, b->p, name, b->cfg->features, strided)
           : fs_error(FS_ERR_MEMORY, "flow: out of memory");
}

static fs_status add_coupling(level_builder *b, flow_split split, bool up, bool attention) {
  char name[FS_PARAM_NAME_MAX];
  flow_layer *l = next_layer(b, FLOW_LAYER_COUPLING, name);
  if (!l) return fs_error(FS_ERR_MEMORY, "flow: out of memory");
  const nn_positions *pos = split == FLOW_SPLIT_TIME ? &b->f->positions_full : &b->f->positions_half;
  return flow_coupling_declare(&l->coupling, b->p, name, b->cfg->features, split, up, attention, &b->cfg->coupling,
                               pos);
}

static fs_status add_unit(level_builder *b, bool with_time) {
  FS_TRY(add_coupling(b, FLOW_SPLIT_HALVES, true, false));
  FS_TRY(add_coupling(b, FLOW_SPLIT_HALVES, false, false));
  FS_TRY(add_actnorm(b));
  FS_TRY(add_coupling(b, FLOW_SPLIT_FEATURES, true, false));
  FS_TRY(add_coupling(b, FLOW_SPLIT_FEATURES, false, false));
  if (!with_time) return FS_OK;
  FS_TRY(add_actnorm(b));
  FS_TRY(add_coupling(b, FLOW_SPLIT_TIME, true, false));
  return add_coupling(b, FLOW_SPLIT_TIME, false, false);
}

static fs_status add_step(level_builder *b, bool with_time) {
  FS_TRY(add_actnorm(b));
  FS_TRY(add_mhlinear(b, false));
  FS_TRY(add_unit(b, with_time));
  FS_TRY(add_actnorm(b));
  FS_TRY(add_mhlinear(b, true));
  return add_unit(b, with_time);
}

static fs_status add_block(level_builder *b) {
  bool last = b->level == b->cfg->levels - 1;
  FS_TRY(add_actnorm(b));
  FS_TRY(add_coupling(b, FLOW_SPLIT_HALVES, true, true));
  FS_TRY(add_coupling(b, FLOW_SPLIT_HALVES, false, false));
  for (int s = 0; s < b->cfg->steps[b->level]; s++) FS_TRY(add_step(b, !last));
  return last ? FS_OK : add_coupling(b, FLOW_SPLIT_HALVES, true, false); /* split prior */
}

fs_status flow_prior_declare(flow_prior *f, fs_params *p, const char *name, const flow_prior_config *cfg,
                             const fs_backend *be) {
  memset(f, 0, sizeof *f);
  if (cfg->levels < 1 || cfg->levels > FLOW_MAX_LEVELS)
    return fs_error(FS_ERR_ARG, "flow: %d levels, expected 1..%d", cfg->levels, FLOW_MAX_LEVELS);
  f->features = cfg->features;
  f->levels = cfg->levels;
  f->be = be;
  FS_TRY(nn_positions_create(&f->positions_half, be, cfg->features / 2, cfg->max_length));
  FS_TRY(nn_positions_create(&f->positions_full, be, cfg->features, cfg->max_length));
  for (int k = 0; k < cfg->levels; k++) {
    f->steps[k] = cfg->steps[k];
    level_builder b = {.f = f, .p = p, .cfg = cfg, .level = k};
    snprintf(b.prefix, sizeof b.prefix, "%s.level%d", name, k);
    fs_status s = add_block(&b);
    f->layers[k] = b.layers;
    f->n_layers[k] = b.count;
    if (s != FS_OK) return s;
  }
  return FS_OK;
}

fs_status flow_prior_init(flow_prior *f, nn_init_rng *r) {
  for (int k = 0; k < f->levels; k++)
    for (int i = 0; i < f->n_layers[k]; i++) {
      flow_layer *l = &f->layers[k][i];
      switch (l->kind) {
        case FLOW_LAYER_ACTNORM:
          FS_TRY(flow_actnorm_init(&l->actnorm, r));
          break;
        case FLOW_LAYER_MHLINEAR:
          FS_TRY(flow_mhlinear_init(&l->mhlinear, r));
          break;
        case FLOW_LAYER_COUPLING:
          FS_TRY(flow_coupling_init(&l->coupling, r));
          break;
      }
    }
  return FS_OK;
}

void flow_prior_free(flow_prior *f) {
  for (int k = 0; k < f->levels; k++) {
    for (int i = 0; i < f->n_layers[k]; i++)
      if (f->layers[k][i].kind == FLOW_LAYER_MHLINEAR) flow_mhlinear_free(&f->layers[k][i].mhlinear, f->be);
    free(f->layers[k]);
  }
  if (f->be) {
    nn_positions_free(&f->positions_half, f->be);
    nn_positions_free(&f->positions_full, f->be);
  }
  memset(f, 0, sizeof *f);
}

fs_status flow_prior_sync(flow_prior *f) {
  for (int k = 0; k < f->levels; k++)
    for (int i = 0; i < f->n_layers[k]; i++)
      if (f->layers[k][i].kind == FLOW_LAYER_MHLINEAR) FS_TRY(flow_mhlinear_sync(&f->layers[k][i].mhlinear, f->be));
  return FS_OK;
}

/* ---- running the levels ---- */

/* Masks of every level, squeezed from the batch's host mask. */
static fs_status build_levels(fs_engine *e, const flow_prior *f, const flow_input *in, flow_level *lvls) {
  int unit = 1 << (f->levels - 1);
  if (in->length % unit)
    return fs_error(FS_ERR_ARG, "flow: target length %d is not a multiple of %d (docs/model.md#conventions)",
                    in->length, unit);
  float *mask = malloc(sizeof(float) * in->batch * in->length), *next = malloc(sizeof(float) * in->batch * in->length);
  if (!mask || !next) {
    free(mask);
    free(next);
    return fs_error(FS_ERR_MEMORY, "flow: out of memory");
  }
  memcpy(mask, in->host_mask, sizeof(float) * in->batch * in->length);
  fs_status s = FS_OK;
  for (int k = 0, len = in->length; k < f->levels && s == FS_OK; k++, len /= 2) {
    s = flow_level_build(e, in->batch, len, mask, &lvls[k]);
    flow_squeeze_host_mask(in->batch, len, mask, next);
    memcpy(mask, next, sizeof(float) * in->batch * (len / 2));
  }
  free(mask);
  free(next);
  return s;
}

static fs_tensor *run_layer(fs_engine *e, const flow_layer *l, fs_tensor *x, const flow_level *lvl,
                            const flow_input *in, bool normalise, fs_tensor **logdet) {
  if (!x) return NULL; /* an earlier op failed: the engine holds why */
  switch (l->kind) {
    case FLOW_LAYER_ACTNORM:
      return normalise ? flow_actnorm_normalise(e, &l->actnorm, x, lvl, logdet)
                       : flow_actnorm_generate(e, &l->actnorm, x, lvl, logdet);
    case FLOW_LAYER_MHLINEAR:
      return normalise ? flow_mhlinear_normalise(e, &l->mhlinear, x, lvl, logdet)
                       : flow_mhlinear_generate(e, &l->mhlinear, x, lvl, logdet);
    case FLOW_LAYER_COUPLING:
      return normalise ? flow_coupling_normalise(e, &l->coupling, x, lvl, in->src, in->src_mask, logdet)
                       : flow_coupling_generate(e, &l->coupling, x, lvl, in->src, in->src_mask, logdet);
  }
  return NULL;
}

/* One layer whose intermediates are released at once when there are no gradients (decoding):
 * only its output and the running log-determinant survive. */
static fs_tensor *run_layer_lean(fs_engine *e, const flow_layer *l, fs_tensor *x, const flow_level *lvl,
                                 const flow_input *in, bool normalise, fs_tensor **logdet) {
  fs_engine_mark mark = fs_engine_mark_now(e);
  fs_tensor *keep[2] = {run_layer(e, l, x, lvl, in, normalise, logdet), *logdet};
  fs_engine_release(e, mark, 2, keep);
  *logdet = keep[1];
  return keep[0];
}

/* [B, L, F/2] ↔ [B, L/2, F] */
static fs_tensor *squeeze(fs_engine *e, fs_tensor *x) {
  return x ? fs_reshape(e, x, 3, (int[]){x->shape[0], x->shape[1] / 2, x->shape[2] * 2}) : NULL;
}
static fs_tensor *unsqueeze(fs_engine *e, fs_tensor *x) {
  return x ? fs_reshape(e, x, 3, (int[]){x->shape[0], x->shape[1] * 2, x->shape[2] / 2}) : NULL;
}

/* First / second feature half. */
static fs_tensor *half(fs_engine *e, fs_tensor *x, int which) {
  if (!x) return NULL;
  int f = x->shape[2];
  return fs_slice(e, x, 2, which * f / 2, (which + 1) * f / 2, 1);
}

fs_tensor *flow_prior_normalise(fs_engine *e, const flow_prior *f, fs_tensor *z, const flow_input *in,
                                fs_tensor **logdet) {
  flow_level lvls[FLOW_MAX_LEVELS];
  fs_tensor *set_aside[FLOW_MAX_LEVELS];
  if (build_levels(e, f, in, lvls) != FS_OK) return fs_fail(e, FS_ERR_ARG, "%s", fs_last_error());
  fs_tensor *x = z;
  for (int k = 0; k < f->levels; k++) {
    for (int i = 0; i < f->n_layers[k]; i++) x = run_layer_lean(e, &f->layers[k][i], x, &lvls[k], in, true, logdet);
    if (k == f->levels - 1) break;
    set_aside[k] = half(e, x, 1);
    x = squeeze(e, half(e, x, 0));
  }
  for (int k = f->levels - 2; k >= 0; k--) x = fs_concat(e, 2, (fs_tensor *[]){unsqueeze(e, x), set_aside[k]}, 2);
  return x;
}

fs_tensor *flow_prior_generate(fs_engine *e, const flow_prior *f, fs_tensor *v, const flow_input *in,
                               fs_tensor **logdet) {
  flow_level lvls[FLOW_MAX_LEVELS];
  fs_tensor *set_aside[FLOW_MAX_LEVELS];
  if (build_levels(e, f, in, lvls) != FS_OK) return fs_fail(e, FS_ERR_ARG, "%s", fs_last_error());
  fs_tensor *x = v;
  for (int k = 0; k < f->levels - 1; k++) {
    set_aside[k] = half(e, x, 1);
    x = squeeze(e, half(e, x, 0));
  }
  for (int k = f->levels - 1; k >= 0; k--) {
    if (k < f->levels - 1) x = fs_concat(e, 2, (fs_tensor *[]){unsqueeze(e, x), set_aside[k]}, 2);
    for (int i = f->n_layers[k] - 1; i >= 0; i--)
      x = run_layer_lean(e, &f->layers[k][i], x, &lvls[k], in, false, logdet);
  }
  return x;
}

fs_tensor *flow_gaussian_log_density(fs_engine *e, fs_tensor *v, fs_tensor *mask3, fs_tensor *n_valid) {
  if (!v) return NULL;
  fs_tensor *sq = fs_sum(e, fs_sum(e, fs_mul(e, fs_square(e, v), mask3), 2, false), 1, false);
  float per_position = -0.5f * (float)v->shape[2] * logf(2.0f * (float)M_PI);
  return fs_add(e, fs_scale(e, sq, -0.5f), fs_scale(e, n_valid, per_position));
}

fs_tensor *flow_prior_log_density(fs_engine *e, const flow_prior *f, fs_tensor *z, const flow_input *in) {
  fs_tensor *logdet = NULL;
  fs_tensor *v = flow_prior_normalise(e, f, z, in, &logdet);
  flow_level lvl0;
  if (flow_level_build(e, in->batch, in->length, in->host_mask, &lvl0) != FS_OK) return NULL;
  return fs_add(e, flow_gaussian_log_density(e, v, lvl0.mask3, lvl0.n_valid), logdet);
}

fs_status flow_prior_init_data(fs_engine *e, flow_prior *f, fs_tensor *z, const flow_input *in) {
  flow_level lvls[FLOW_MAX_LEVELS];
  FS_TRY(build_levels(e, f, in, lvls));
  fs_engine_mode previous = fs_engine_enter(e, fs_engine_eval());
  fs_tensor *x = z, *unused = NULL;
  for (int k = 0; k < f->levels && x; k++) {
    for (int i = 0; i < f->n_layers[k] && x; i++) {
      flow_layer *l = &f->layers[k][i];
      if (l->kind == FLOW_LAYER_ACTNORM) {
        x = flow_actnorm_init_data(e, &l->actnorm, x, &lvls[k]);
        continue;
      }
      if (l->kind == FLOW_LAYER_COUPLING &&
          flow_coupling_init_data(e, &l->coupling, x, &lvls[k], in->src, in->src_mask) != FS_OK)
        break;
      x = run_layer(e, l, x, &lvls[k], in, true, &unused);
    }
    if (k < f->levels - 1) x = squeeze(e, half(e, x, 0));
  }
  fs_engine_restore(e, previous);
  return fs_engine_status(e);
}
