/* An encoded parallel corpus in memory (ids without EOS), with the cleaning filters applied while
 * encoding and their counts reported. */
#ifndef FLOWSEQ_DATA_PAIRS_H
#define FLOWSEQ_DATA_PAIRS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "text/corpus.h"
#include "text/spm.h"

typedef struct {
  int count;
  int32_t **src, **tgt;
  int *src_len, *tgt_len;
  int *line;     /* 1-based line of each kept pair in the input */
  void *mapping; /* set when the ids live in a memory-mapped dataset (fs_dataset_load) */
  size_t mapping_size;
} fs_pairs;

typedef struct {
  int max_length;   /* tokens per side (0 = no limit) */
  double max_ratio; /* longer/shorter side in tokens (0 = no limit) */
  bool dedupe;      /* drop exact repeats of a (source, target) pair */
} fs_clean_options;

typedef struct {
  int read, kept, empty, too_long, bad_ratio, duplicates;
} fs_clean_counts;

/* Encodes both sides with the tokenizer (both cores), dropping pairs the filters reject. */
fs_status fs_pairs_encode(const fs_spm *spm, const fs_text *src, const fs_text *tgt, const fs_clean_options *o,
                          fs_pairs *out, fs_clean_counts *counts);
void fs_pairs_free(fs_pairs *p);

/* 64-bit FNV-1a of a pair's ids (duplicate detection). */
uint64_t fs_pair_hash(const int32_t *src, int n_src, const int32_t *tgt, int n_tgt);

#endif
