/* Sinusoidal position table (docs/model.md#positions): for width D, h = D/2 and
 * ω_i = exp(−i·ln(10000)/(h−1)), row p = [sin(p·ω_0..h−1), cos(p·ω_0..h−1)] (all sines, then all
 * cosines), row 0 all zeros, max_length + 1 rows.
 *
 * The spec's two indexing modes coincide for right-padded batches: "token mode" gives a real
 * token its 1-based count of real tokens so far, "slot mode" gives slot t the row t+1 and zeroes
 * pads; with every pad after every real token both are t+1 on real positions and row 0 (zeros)
 * on pads (slot mode's "multiply by the mask" turns a pad's row into row 0's zeros). So one
 * lookup by position ids serves both; nn_position_ids builds them from a host mask. */
#ifndef FLOWSEQ_NN_POSITIONS_H
#define FLOWSEQ_NN_POSITIONS_H

#include "ops/ops.h"

typedef struct {
  int dim, max_length;
  fs_tensor table; /* [max_length + 1, dim], device memory owned here, no gradient */
} nn_positions;

fs_status nn_positions_create(nn_positions *p, const fs_backend *be, int dim, int max_length);
void nn_positions_free(nn_positions *p, const fs_backend *be);
/* Token-mode position ids [B·T] from a host mask [B, T] of {0,1}: a real token gets its 1-based
 * count of real tokens so far, a pad 0. With right padding this is t + 1 / 0 (see above). */
fs_ids *nn_position_ids(fs_engine *e, const float *mask, int batch, int length);
/* Rows of the table for position ids [B·T] → [B, T, dim]. Ids above max_length are an error. */
fs_tensor *nn_positions_lookup(fs_engine *e, const nn_positions *p, const fs_ids *ids, int batch, int length);

#endif
