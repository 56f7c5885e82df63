/* What every flow layer needs to know about the current resolution besides its input: the
 * masks and per-sentence valid counts, built once per batch on the host (masks are data, not
 * activations: they carry no gradient) and shared by all layers of a level.
 *
 * At level k of the multi-scale flow the length is T / 2^k and a position is valid when either of
 * the two positions it was squeezed from is (docs/model.md#squeeze-and-split). Because every target length is
 * a multiple of 4 (docs/model.md#conventions), the valid positions of a sentence stay a prefix at every level and
 * the even positions of a level hold exactly half of its valid count (used by time couplings). */
#ifndef FLOWSEQ_FLOW_LEVEL_H
#define FLOWSEQ_FLOW_LEVEL_H

#include "ops/engine.h"

typedef struct {
  int batch, length;
  fs_tensor *mask;    /* [B, L] */
  fs_tensor *mask3;   /* [B, L, 1]: multiplies [B, L, F] activations */
  fs_tensor *n_valid; /* [B]: valid positions per sentence */
  fs_ids *positions;  /* [B*L]: position ids t+1 on valid positions, 0 on pads (docs/model.md#positions) */
  /* the same for the even positions (time couplings operate on [B, L/2, F] halves) */
  fs_tensor *half_mask;
  fs_ids *half_positions;
} flow_level;

/* Builds the level from a host mask [B, L] of {0,1} (valid prefix per row). L must be even
 * unless it is the last level (then the half fields are NULL). */
fs_status flow_level_build(fs_engine *e, int batch, int length, const float *host_mask, flow_level *lvl);

/* Host mask of the next level (squeezed): out[b, t] = max(m[b, 2t], m[b, 2t+1]); out is [B, L/2]. */
void flow_squeeze_host_mask(int batch, int length, const float *mask, float *out);

#endif
