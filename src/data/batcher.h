/* Token-based, length-bucketed batches over an encoded corpus.
 *
 * One epoch's plan is a pure function of (seed, epoch): the pairs are shuffled, sorted by length
 * within windows of 100 batches' worth of pairs (so batches hold similar lengths without a global
 * sort), cut into batches of at most `max_tokens` padded target tokens (B · T), and the batch
 * order is shuffled. A training position is therefore just (epoch, next batch): saving those two
 * numbers with a checkpoint resumes the data stream exactly. */
#ifndef FLOWSEQ_DATA_BATCHER_H
#define FLOWSEQ_DATA_BATCHER_H

#include <stdint.h>

#include "data/pairs.h"
#include "model/batch.h"

typedef struct {
  int max_tokens;    /* B · T_padded per batch (a single longer pair still makes a batch) */
  int max_sentences; /* 0 = no limit */
  int unit;          /* target lengths padded to a multiple (FlowSeq: 2^(levels−1), ≥ 2) */
  int pad_id, eos_id;
  uint64_t seed;
  bool shuffle; /* false: corpus order, no bucketing (evaluation) */
} fs_batcher_options;

typedef struct {
  int epoch, next_batch;
} fs_data_position;

typedef struct {
  fs_batcher_options o;
  const fs_pairs *pairs;
  int epoch;
  int n_batches;
  int *order;       /* pair indices in batch order */
  int *batch_start; /* n_batches + 1 offsets into order */
  /* buffers of the batch handed out last */
  int32_t *src, *tgt;
  float *src_mask, *tgt_mask;
  int *indices;
  int capacity_src, capacity_tgt, capacity_rows;
} fs_batcher;

/* `tokens` rounded up to the next multiple of unit. Every caller passes the piece count + 1, so a
 * target always gets at least one EOS filler (docs/model.md#departures-from-the-original-code: the
 * original code adds none to a piece count that already is a multiple). */
int fs_padded_target_length(int tokens, int unit);

fs_status fs_batcher_init(fs_batcher *b, const fs_pairs *pairs, const fs_batcher_options *o, int epoch);
/* Re-plans for another epoch. */
void fs_batcher_set_epoch(fs_batcher *b, int epoch);
/* Fills batch k of the current epoch; *indices (if not NULL) receives the pair index of each row. */
void fs_batcher_get(fs_batcher *b, int k, fs_batch *out, const int **indices);
void fs_batcher_free(fs_batcher *b);

#endif
