/* sacreBLEU-exact BLEU: the implementation; eval/bleu.h describes the interface. */
#include "eval/bleu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "eval/ngrams.h"
#include "eval/pytext.h"
#include "eval/tok13a.h"

fs_bleu_options fs_bleu_defaults(void) { return (fs_bleu_options){FS_TOKENIZE_13A, false, FS_SMOOTH_EXP, -1.0, false}; }

/* What BLEU counts: lowercase (optionally), rstrip, tokenize. Malloc'd. */
static char *preprocess(const fs_bleu_options *o, const char *line) {
  char *s = o->lowercase ? py_lower(line) : fs_strdup(line);
  py_rstrip(s);
  if (o->tokenize == FS_TOKENIZE_NONE) return s;
  char *t = fs_tok13a(s);
  free(s);
  return t;
}

/* A segment's tokens and its n-gram sets of orders 1..4. */
typedef struct {
  char *text;
  fs_piece *tokens;
  int length;
  fs_ngram_set ngrams[FS_BLEU_ORDER];
} segment;

static void segment_init(segment *s, const fs_bleu_options *o, const char *line) {
  s->text = preprocess(o, line);
  s->length = fs_pieces_tokens(s->text, &s->tokens);
  for (int n = 0; n < FS_BLEU_ORDER; n++) fs_ngrams_build(&s->ngrams[n], s->tokens, s->length, n + 1);
}

static void segment_free(segment *s) {
  for (int n = 0; n < FS_BLEU_ORDER; n++) fs_ngrams_free(&s->ngrams[n]);
  free(s->tokens);
  free(s->text);
}

void fs_bleu_segment(const fs_bleu_options *o, const char *hyp, const char *const *refs, int n_refs,
                     fs_bleu_stats *out) {
  segment h, *r = fs_malloc(sizeof *r * n_refs);
  segment_init(&h, o, hyp);
  memset(out, 0, sizeof *out);
  out->sys_len = h.length;
  /* the closest reference length, the shorter one on ties */
  int64_t best_diff = -1;
  for (int k = 0; k < n_refs; k++) {
    segment_init(&r[k], o, refs[k]);
    int64_t diff = llabs((long long)r[k].length - h.length);
    if (best_diff < 0 || diff < best_diff || (diff == best_diff && r[k].length < out->ref_len)) {
      best_diff = diff;
      out->ref_len = r[k].length;
    }
  }
  fs_ngram_set *per_ref = fs_malloc(sizeof *per_ref * n_refs);
  for (int n = 0; n < FS_BLEU_ORDER; n++) {
    for (int k = 0; k < n_refs; k++) per_ref[k] = r[k].ngrams[n];
    out->correct[n] = fs_ngrams_clipped_matches(&h.ngrams[n], per_ref, n_refs);
    out->total[n] = h.length - n > 0 ? h.length - n : 0;
  }
  free(per_ref);
  for (int k = 0; k < n_refs; k++) segment_free(&r[k]);
  segment_free(&h);
  free(r);
}

void fs_bleu_add(fs_bleu_stats *total, const fs_bleu_stats *s) {
  total->sys_len += s->sys_len;
  total->ref_len += s->ref_len;
  for (int n = 0; n < FS_BLEU_ORDER; n++) {
    total->correct[n] += s->correct[n];
    total->total[n] += s->total[n];
  }
}

static double smooth_value(const fs_bleu_options *o) {
  if (o->smooth_value >= 0) return o->smooth_value;
  return o->smooth == FS_SMOOTH_FLOOR ? 0.1 : o->smooth == FS_SMOOTH_ADD_K ? 1.0 : 0.0;
}

/* log with sacreBLEU's convention log(0) = -9999999999 */
static double safe_log(double x) { return x == 0.0 ? -9999999999.0 : log(x); }

fs_bleu_score fs_bleu_score_of(const fs_bleu_options *o, const fs_bleu_stats *st) {
  fs_bleu_score s = {0};
  s.sys_len = st->sys_len;
  s.ref_len = st->ref_len;
  s.bp = 1.0;
  if (st->sys_len < st->ref_len) s.bp = st->sys_len > 0 ? exp(1.0 - (double)st->ref_len / st->sys_len) : 0.0;
  s.ratio = st->ref_len ? (double)st->sys_len / st->ref_len : 0.0;
  bool any = false;
  for (int n = 0; n < FS_BLEU_ORDER; n++) any |= st->correct[n] != 0;
  if (!any) return s; /* no match of any order: 0 at once (sacreBLEU issue #141) */
  double value = smooth_value(o), mteval = 1.0;
  int eff_order = FS_BLEU_ORDER;
  for (int n = 0; n < FS_BLEU_ORDER; n++) {
    double correct = (double)st->correct[n], total = (double)st->total[n];
    if (o->smooth == FS_SMOOTH_ADD_K && n > 0) {
      correct += value;
      total += value;
    }
    if (total == 0.0) break;
    if (o->effective_order) eff_order = n + 1;
    if (correct == 0.0) {
      if (o->smooth == FS_SMOOTH_EXP) {
        mteval *= 2;
        s.precisions[n] = 100.0 / (mteval * total);
      } else if (o->smooth == FS_SMOOTH_FLOOR) {
        s.precisions[n] = 100.0 * value / total;
      }
    } else {
      s.precisions[n] = 100.0 * correct / total;
    }
  }
  double log_sum = 0.0;
  for (int n = 0; n < eff_order; n++) log_sum += safe_log(s.precisions[n]);
  s.score = s.bp * exp(log_sum / eff_order);
  return s;
}

fs_bleu_score fs_bleu_corpus(const fs_bleu_options *o, const char *const *hyps, const char *const *const *refs,
                             int n_refs, int n) {
  fs_bleu_stats total = {0}, seg;
  const char **line_refs = fs_malloc(sizeof *line_refs * n_refs);
  for (int i = 0; i < n; i++) {
    for (int r = 0; r < n_refs; r++) line_refs[r] = refs[r][i];
    fs_bleu_segment(o, hyps[i], line_refs, n_refs, &seg);
    fs_bleu_add(&total, &seg);
  }
  free(line_refs);
  return fs_bleu_score_of(o, &total);
}

void fs_bleu_signature_fields(const fs_bleu_options *o, char *buf, size_t size) {
  static const char *smooth_names[] = {"none", "floor", "add-k", "exp"};
  char smooth[32];
  if (o->smooth == FS_SMOOTH_FLOOR || o->smooth == FS_SMOOTH_ADD_K)
    snprintf(smooth, sizeof smooth, "%s[%.2f]", smooth_names[o->smooth], smooth_value(o));
  else snprintf(smooth, sizeof smooth, "%s", smooth_names[o->smooth]);
  snprintf(buf, size, "case:%s|eff:%s|tok:%s|smooth:%s", o->lowercase ? "lc" : "mixed",
           o->effective_order ? "yes" : "no", o->tokenize == FS_TOKENIZE_13A ? "13a" : "none", smooth);
}

void fs_bleu_signature(const fs_bleu_options *o, int n_refs, char *buf, size_t size) {
  char fields[128];
  fs_bleu_signature_fields(o, fields, sizeof fields);
  fs_signature_compose(&(fs_signature_test){.n_refs = n_refs}, fields, buf, size);
}

void fs_bleu_format(const fs_bleu_score *s, const char *signature, int width, bool score_only, char *buf, size_t size) {
  if (score_only) {
    snprintf(buf, size, "%.*f", width, s->score);
    return;
  }
  snprintf(buf, size, "BLEU%s%s = %.*f %.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f hyp_len = %lld ref_len = %lld)",
           signature && *signature ? "|" : "", signature ? signature : "", width, s->score, s->precisions[0],
           s->precisions[1], s->precisions[2], s->precisions[3], s->bp, s->ratio, (long long)s->sys_len,
           (long long)s->ref_len);
}
