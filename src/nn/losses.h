/* Sentence-level losses built on the per-row cross-entropy op (docs/model.md#decoder). */
#ifndef FLOWSEQ_NN_LOSSES_H
#define FLOWSEQ_NN_LOSSES_H

#include "ops/ops.h"

/* Per-sentence sum over valid positions of the label-smoothed cross-entropy:
 *   out[b] = Σ_t mask[b,t] · LS_CE(logits[b,t], targets[b·T + t]; eps)
 * logits [B, T, V], targets B·T ids (pads may hold any valid id, e.g. PAD = 0), mask [B, T] of
 * {0,1}. eps = 0.1 gives the training reconstruction loss, eps = 0 the plain NLL used in
 * evaluation and importance-weighted decoding. Returns [B]. */
fs_tensor *nn_sentence_cross_entropy(fs_engine *e, fs_tensor *logits, const fs_ids *targets, fs_tensor *mask,
                                     float eps);

#endif
