/* The metrics file of a training run (docs/formats.md#metrics-tsv): a TSV with one row per log line and one per
 * validation, flushed as written so a plot or `tail -f` sees it live. scripts/plot-metrics.sh
 * finds its columns by these header names. Absent values (the validation columns of a training
 * row and vice versa) are empty fields. */
#ifndef FLOWSEQ_TRAIN_METRICS_H
#define FLOWSEQ_TRAIN_METRICS_H

#include <stdio.h>

#include "core/status.h"

#define FS_METRICS_HEADER \
  "update\tepoch\tphase\trecon\tkl\tlength\tkl_weight\tlr\tgrad_norm\ttok_per_s\tvalid_nll\tvalid_ppl\tvalid_bleu"

typedef struct {
  long update; /* over all phases */
  int epoch;
  const char *phase; /* "pretrain", "main" or "valid" */
  /* training rows: loss parts per sentence, averaged over the log window */
  double recon, kl, length, kl_weight, lr, grad_norm, tok_per_s;
  /* validation rows */
  double valid_nll, valid_ppl, valid_bleu;
} fs_metrics_row;

/* A row with every number absent (NAN), to fill in. */
fs_metrics_row fs_metrics_row_empty(long update, int epoch, const char *phase);

typedef struct {
  FILE *file;
  char *path;
} fs_metrics;

/* Opens `path` for appending (a resumed run continues its file); writes the header into a new or
 * empty file and refuses a file with another header. Rows of updates after `last_update` (the
 * checkpoint resumed from; 0 for a fresh start) are dropped first: a run killed after logging
 * them logs them again, and the file keeps one row per update. */
fs_status fs_metrics_open(fs_metrics *m, const char *path, long last_update);
fs_status fs_metrics_append(fs_metrics *m, const fs_metrics_row *row);
void fs_metrics_close(fs_metrics *m);

#endif
