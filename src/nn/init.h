/* Parameter initialisers (docs/model.md#initialisation). Values are drawn on the host from the Philox
 * stream (seed, *stream), which each call advances, then uploaded: the same seed gives the same
 * model on every backend. */
#ifndef FLOWSEQ_NN_INIT_H
#define FLOWSEQ_NN_INIT_H

#include "backend/backend.h"
#include "core/tensor.h"
#include "ops/engine.h"

typedef struct {
  const fs_backend *be;
  uint64_t seed;
  uint64_t stream; /* next unused element of the stream */
} nn_init_rng;

/* U(-bound, bound) over the whole tensor. */
fs_status nn_init_uniform(nn_init_rng *r, fs_tensor *t, float bound);
/* N(0, std²) over the whole tensor. */
fs_status nn_init_normal(nn_init_rng *r, fs_tensor *t, float std);
/* Xavier-uniform on rows [row0, row0+rows) of a 2-d tensor, treating them as a rows x cols
 * matrix: U(±sqrt(6 / (rows + cols))). */
fs_status nn_init_xavier_rows(nn_init_rng *r, fs_tensor *t, int row0, int rows);
/* A random orthogonal n x n matrix for a square 2-d tensor (docs/model.md#initialisation, the flow's multi-head
 * linear): Gram-Schmidt in double on the rows of a Gaussian matrix. */
fs_status nn_init_orthogonal(nn_init_rng *r, fs_tensor *t);
/* A token embedding table [V, d]: U(±0.1) with the PAD row zeroed (docs/model.md#initialisation). */
fs_status nn_init_embedding(nn_init_rng *r, fs_tensor *t, int pad_id);
/* Every element = value. */
void nn_init_const(const fs_backend *be, fs_tensor *t, float value);

/* Statistics for data-dependent initialisation (docs/model.md#weight-normalised-linear, docs/model.md#actnorm): per feature
 * (last axis) of y, over all its rows, the mean and the unbiased standard deviation (as torch.std;
 * 0 when there is one row). mean and std hold y->shape[last] values each. */
fs_status nn_feature_stats(fs_engine *e, const fs_tensor *y, double *mean, double *std);

/* Builds "prefix.suffix" into buf (FS_PARAM_NAME_MAX bytes). */
const char *nn_name(char *buf, const char *prefix, const char *suffix);

#endif
