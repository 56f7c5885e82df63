/* Binarized datasets (docs/formats.md#binarized-dataset): a parallel corpus encoded once by `flowseq prep` and
 * memory-mapped for training.
 *
 * Layout (little-endian): a 64-byte header {magic "FSQDATA1", version, tokenizer checksum,
 * body checksum, pairs, source tokens, target tokens}, then the source lengths (u32 per pair),
 * the target lengths, all source ids (i32), all target ids (EOS not stored). Preparation streams:
 * sentences are read, encoded (both cores) and written chunk by chunk, so memory does not grow
 * with the corpus (deduplication keeps 8 bytes per pair). Loading checks the magic, the version,
 * the sizes, the body checksum (a truncated or corrupted file is rejected), that the dataset
 * was made with the given tokenizer, that the pair lengths add up and that every id is below
 * vocab (the tokenizer's vocabulary size): the checksums do not stop a crafted file. */
#ifndef FLOWSEQ_DATA_DATASET_H
#define FLOWSEQ_DATA_DATASET_H

#include "data/pairs.h"

/* 64-bit FNV-1a of a file's bytes (the tokenizer checksum). */
fs_status fs_file_checksum(const char *path, uint64_t *out);

fs_status fs_dataset_prep(const char *spm_path, const char *src_spec, const char *tgt_spec, const fs_clean_options *o,
                          const char *out_path, fs_clean_counts *counts);
fs_status fs_dataset_load(const char *path, const char *spm_path, int vocab, fs_pairs *out);

#endif
