/* BLEU and chrF behind one interface, for everything that treats metrics alike: corpus scoring
 * of several metrics, sentence-level scoring, bootstrap resampling, text and JSON output. A
 * segment's statistics are a vector of doubles that sums over segments. */
#ifndef FLOWSEQ_EVAL_METRIC_H
#define FLOWSEQ_EVAL_METRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "eval/bleu.h"
#include "eval/chrf.h"

typedef enum { FS_METRIC_BLEU, FS_METRIC_CHRF } fs_metric_kind;

typedef struct {
  fs_metric_kind kind;
  fs_bleu_options bleu;
  fs_chrf_options chrf;
} fs_metric;

int fs_metric_width(const fs_metric *m);
void fs_metric_segment(const fs_metric *m, const char *hyp, const char *const *refs, int n_refs, double *stats);
/* Score from summed statistics (signature fits fs_metric_stats.score). */
double fs_metric_score(const void *metric, const double *summed);
void fs_metric_name(const fs_metric *m, char *buf, size_t size);
void fs_metric_signature(const fs_metric *m, const fs_signature_test *test, char *buf, size_t size);
/* sacreBLEU's text line for summed statistics ("NAME|sig = score [details]"), or the score only. */
void fs_metric_format(const fs_metric *m, const double *summed, const char *signature, int width, bool score_only,
                      char *buf, size_t size);
/* sacreBLEU's JSON object (indent 1) for summed statistics. */
void fs_metric_json(FILE *out, const fs_metric *m, const double *summed, int n_refs, int width);

#endif
