/* Invertible multi-head linear (docs/model.md#multi-head-linear): the features of every position are cut
 * into h heads of 32 and every head is multiplied by the same dense 32x32 matrix W (a multi-head
 * generalisation of Glow's invertible 1x1 convolution).
 *
 * Two layouts: contiguous heads (head k = features 32k..32k+31) and strided heads (head k =
 * features k, k+h, ..., k+31h). The generate direction uses W⁻¹, cached in a device buffer that
 * flow_mhlinear_sync() refreshes: call it after every parameter update that is followed by
 * decoding (docs/model.md#multi-head-linear — a stale inverse decodes silently wrong). */
#ifndef FLOWSEQ_FLOW_MHLINEAR_H
#define FLOWSEQ_FLOW_MHLINEAR_H

#include <stdbool.h>

#include "flow/level.h"
#include "nn/init.h"
#include "ops/params.h"

#define FLOW_HEAD_DIM_MAX 32

typedef struct {
  int features, head_dim, heads;
  bool strided;      /* type B layout */
  fs_tensor *weight; /* W [head_dim, head_dim], a parameter */
  fs_tensor inverse; /* W⁻¹, device buffer owned by the layer (not a parameter) */
  float logabsdet;   /* log|det W| at the last sync */
} flow_mhlinear;

/* Head width: the first of 32, 16, 8 dividing `features` (docs/model.md#multi-head-linear); 0 if none. */
int flow_mhlinear_head_dim(int features);

fs_status flow_mhlinear_declare(flow_mhlinear *m, fs_params *p, const char *name, int features, bool strided);
/* W = random orthogonal (docs/model.md#initialisation), then synced. */
fs_status flow_mhlinear_init(flow_mhlinear *m, nn_init_rng *r);
/* Recomputes W⁻¹ and log|det W| from the current W, allocating the inverse buffer the first time. */
fs_status flow_mhlinear_sync(flow_mhlinear *m, const fs_backend *be);
void flow_mhlinear_free(flow_mhlinear *m, const fs_backend *be);

/* normalise: y_head = W·x_head, logdet += h · n_valid · log|det W| (differentiable in W) */
fs_tensor *flow_mhlinear_normalise(fs_engine *e, const flow_mhlinear *m, fs_tensor *x, const flow_level *lvl,
                                   fs_tensor **logdet);
/* generate: x_head = W⁻¹·y_head, logdet −= h · n_valid · log|det W| (cached inverse) */
fs_tensor *flow_mhlinear_generate(fs_engine *e, const flow_mhlinear *m, fs_tensor *y, const flow_level *lvl,
                                  fs_tensor **logdet);

#endif
