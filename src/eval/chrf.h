/* sacreBLEU-exact chrF / chrF++ (docs/evaluation.md#chrf): character n-grams of orders 1..6 over
 * the text without whitespace, optional word n-grams (chrF++: 2), β = 2, effective-order
 * averaging by default (or chrF++.py's epsilon smoothing), best reference per segment by F. */
#ifndef FLOWSEQ_EVAL_CHRF_H
#define FLOWSEQ_EVAL_CHRF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eval/signature.h"

#define FS_CHRF_MAX_ORDER 16

typedef struct {
  int char_order, word_order, beta;
  bool lowercase, whitespace, eps_smoothing;
} fs_chrf_options;

/* [hyp, ref, match] counts per order (characters first, then words); they add up over segments. */
typedef struct {
  int64_t counts[FS_CHRF_MAX_ORDER][3];
} fs_chrf_stats;

fs_chrf_options fs_chrf_defaults(void); /* chrF2: 6 char orders, 0 word orders */

void fs_chrf_segment(const fs_chrf_options *o, const char *hyp, const char *const *refs, int n_refs,
                     fs_chrf_stats *out);
void fs_chrf_add(const fs_chrf_options *o, fs_chrf_stats *total, const fs_chrf_stats *segment);
double fs_chrf_score_of(const fs_chrf_options *o, const fs_chrf_stats *stats);
double fs_chrf_corpus(const fs_chrf_options *o, const char *const *hyps, const char *const *const *refs, int n_refs,
                      int n);

/* "chrF2" or "chrF2++" */
void fs_chrf_name(const fs_chrf_options *o, char *buf, size_t size);
/* "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0" */
void fs_chrf_signature(const fs_chrf_options *o, int n_refs, char *buf, size_t size);
/* The chrF-specific part: "case:mixed|eff:yes|nc:6|nw:0|space:no" (see eval/signature.h). */
void fs_chrf_signature_fields(const fs_chrf_options *o, char *buf, size_t size);
void fs_chrf_format(const fs_chrf_options *o, double score, const char *signature, int width, bool score_only,
                    char *buf, size_t size);

#endif
