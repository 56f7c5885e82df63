/* sacreBLEU-exact BLEU (sacrebleu 2.x semantics; docs/evaluation.md#bleu, docs/evaluation.md#signature):
 * corpus and sentence level, several references, 13a or no tokenization, lowercasing, the four
 * smoothing methods, effective order, and the signature and text line as sacreBLEU prints them. */
#ifndef FLOWSEQ_EVAL_BLEU_H
#define FLOWSEQ_EVAL_BLEU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eval/signature.h"

#define FS_BLEU_ORDER 4

typedef enum { FS_SMOOTH_NONE, FS_SMOOTH_FLOOR, FS_SMOOTH_ADD_K, FS_SMOOTH_EXP } fs_smooth;
typedef enum { FS_TOKENIZE_13A, FS_TOKENIZE_NONE } fs_tokenize;

typedef struct {
  fs_tokenize tokenize;
  bool lowercase;
  fs_smooth smooth;
  double smooth_value; /* < 0: the method's default (floor 0.1, add-k 1) */
  bool effective_order;
} fs_bleu_options;

/* Sufficient statistics; they add up over segments. */
typedef struct {
  int64_t sys_len, ref_len;
  int64_t correct[FS_BLEU_ORDER], total[FS_BLEU_ORDER];
} fs_bleu_stats;

typedef struct {
  double score; /* 0..100 */
  double precisions[FS_BLEU_ORDER];
  double bp, ratio;
  int64_t sys_len, ref_len;
} fs_bleu_score;

/* sacreBLEU's defaults: 13a, mixed case, exp smoothing, no effective order. */
fs_bleu_options fs_bleu_defaults(void);

/* Statistics of one hypothesis against n_refs references (raw, untokenized text). */
void fs_bleu_segment(const fs_bleu_options *o, const char *hyp, const char *const *refs, int n_refs,
                     fs_bleu_stats *out);
void fs_bleu_add(fs_bleu_stats *total, const fs_bleu_stats *segment);
fs_bleu_score fs_bleu_score_of(const fs_bleu_options *o, const fs_bleu_stats *stats);

/* Corpus BLEU of n hypotheses; refs[r][i] is reference r of line i. */
fs_bleu_score fs_bleu_corpus(const fs_bleu_options *o, const char *const *hyps, const char *const *const *refs,
                             int n_refs, int n);

/* "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0" */
void fs_bleu_signature(const fs_bleu_options *o, int n_refs, char *buf, size_t size);
/* The BLEU-specific part: "case:mixed|eff:no|tok:13a|smooth:exp" (see eval/signature.h). */
void fs_bleu_signature_fields(const fs_bleu_options *o, char *buf, size_t size);
/* "BLEU|<sig> = 20.8 54.4/26.6/14.9/8.7 (BP = 1.000 ratio = 1.026 hyp_len = 62880 ref_len = 61287)",
 * or the score alone. `width` = decimals of the score. */
void fs_bleu_format(const fs_bleu_score *s, const char *signature, int width, bool score_only, char *buf, size_t size);

#endif
