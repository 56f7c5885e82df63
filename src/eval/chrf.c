/* sacreBLEU-exact chrF / chrF++: the implementation; eval/chrf.h describes the interface. */
#include "eval/chrf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "eval/ngrams.h"
#include "eval/pytext.h"

fs_chrf_options fs_chrf_defaults(void) { return (fs_chrf_options){6, 0, 2, false, false, false}; }

static int order_count(const fs_chrf_options *o) { return o->char_order + o->word_order; }

/* chrF's word splitting: a word longer than one character loses a trailing punctuation mark,
 * or else a leading one, as a separate word (so "(hi)" gives "(hi" and ")", as in sacreBLEU). */
static bool is_punct(char c) { return c && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) != NULL; }

static int chrf_words(const char *text, fs_piece **words) {
  fs_piece *tokens;
  int n = fs_pieces_tokens(text, &tokens), count = 0;
  *words = fs_malloc(sizeof **words * (2 * n + 1));
  for (int i = 0; i < n; i++) {
    fs_piece t = tokens[i];
    int cps = fs_utf8_code_points(t.text, t.len, NULL);
    if (cps > 1 && is_punct(t.text[t.len - 1])) {
      (*words)[count++] = (fs_piece){t.text, t.len - 1};
      (*words)[count++] = (fs_piece){t.text + t.len - 1, 1};
    } else if (cps > 1 && is_punct(t.text[0])) {
      (*words)[count++] = (fs_piece){t.text, 1};
      (*words)[count++] = (fs_piece){t.text + 1, t.len - 1};
    } else (*words)[count++] = t;
  }
  free(tokens);
  return count;
}

/* A segment's n-gram sets of every order (characters, then words). */
typedef struct {
  char *text, *chars_text;
  fs_piece *chars, *words;
  fs_ngram_set sets[FS_CHRF_MAX_ORDER];
} segment;

static void segment_init(segment *s, const fs_chrf_options *o, const char *line) {
  s->text = o->lowercase ? py_lower(line) : fs_strdup(line);
  s->chars_text = o->whitespace ? fs_strdup(s->text) : py_strip_all_space(s->text);
  int n_chars = fs_pieces_chars(s->chars_text, &s->chars);
  int n_words = o->word_order ? chrf_words(s->text, &s->words) : 0;
  if (!o->word_order) s->words = NULL;
  for (int n = 0; n < o->char_order; n++) fs_ngrams_build(&s->sets[n], s->chars, n_chars, n + 1);
  for (int n = 0; n < o->word_order; n++) fs_ngrams_build(&s->sets[o->char_order + n], s->words, n_words, n + 1);
}

static void segment_free(segment *s, const fs_chrf_options *o) {
  for (int n = 0; n < order_count(o); n++) fs_ngrams_free(&s->sets[n]);
  free(s->chars);
  free(s->words);
  free(s->chars_text);
  free(s->text);
}

void fs_chrf_segment(const fs_chrf_options *o, const char *hyp, const char *const *refs, int n_refs,
                     fs_chrf_stats *out) {
  segment h, r;
  segment_init(&h, o, hyp);
  double best = -1.0;
  memset(out, 0, sizeof *out);
  for (int k = 0; k < n_refs; k++) {
    segment_init(&r, o, refs[k]);
    fs_chrf_stats st = {0};
    for (int n = 0; n < order_count(o); n++) {
      /* a hypothesis n-gram counts only when the reference has n-grams of that order */
      st.counts[n][0] = r.sets[n].count ? h.sets[n].count : 0;
      st.counts[n][1] = r.sets[n].count;
      st.counts[n][2] = fs_ngrams_clipped_matches(&h.sets[n], &r.sets[n], 1);
    }
    double f = fs_chrf_score_of(o, &st);
    if (f > best) {
      best = f;
      *out = st;
    }
    segment_free(&r, o);
  }
  segment_free(&h, o);
}

void fs_chrf_add(const fs_chrf_options *o, fs_chrf_stats *total, const fs_chrf_stats *s) {
  for (int n = 0; n < order_count(o); n++)
    for (int k = 0; k < 3; k++) total->counts[n][k] += s->counts[n][k];
}

double fs_chrf_score_of(const fs_chrf_options *o, const fs_chrf_stats *st) {
  const double eps = 1e-16, factor = (double)o->beta * o->beta;
  double score = 0.0, avg_prec = 0.0, avg_rec = 0.0;
  int effective = 0;
  for (int n = 0; n < order_count(o); n++) {
    int64_t hyp = st->counts[n][0], ref = st->counts[n][1], match = st->counts[n][2];
    double prec = hyp > 0 ? (double)match / hyp : eps, rec = ref > 0 ? (double)match / ref : eps;
    double denom = factor * prec + rec;
    score += denom > 0 ? (1 + factor) * prec * rec / denom : eps;
    if (hyp > 0 && ref > 0) {
      avg_prec += prec;
      avg_rec += rec;
      effective++;
    }
  }
  if (o->eps_smoothing) return 100.0 * score / order_count(o);
  if (effective == 0) return 0.0;
  avg_prec /= effective;
  avg_rec /= effective;
  if (avg_prec + avg_rec == 0.0) return 0.0;
  /* sacreBLEU's operation order, so that the last bits (and every printed digit) agree */
  double f = (1 + factor) * avg_prec * avg_rec;
  f /= factor * avg_prec + avg_rec;
  return 100 * f;
}

double fs_chrf_corpus(const fs_chrf_options *o, const char *const *hyps, const char *const *const *refs, int n_refs,
                      int n) {
  fs_chrf_stats total = {0}, seg;
  const char **line_refs = fs_malloc(sizeof *line_refs * n_refs);
  for (int i = 0; i < n; i++) {
    for (int r = 0; r < n_refs; r++) line_refs[r] = refs[r][i];
    fs_chrf_segment(o, hyps[i], line_refs, n_refs, &seg);
    fs_chrf_add(o, &total, &seg);
  }
  free(line_refs);
  return fs_chrf_score_of(o, &total);
}

void fs_chrf_name(const fs_chrf_options *o, char *buf, size_t size) {
  int n = snprintf(buf, size, "chrF%d", o->beta); /* one '+' per word order, as sacreBLEU names it */
  for (int i = 0; i < o->word_order && n + 1 < (int)size; i++) buf[n++] = '+';
  buf[n] = '\0';
}

void fs_chrf_signature_fields(const fs_chrf_options *o, char *buf, size_t size) {
  snprintf(buf, size, "case:%s|eff:%s|nc:%d|nw:%d|space:%s", o->lowercase ? "lc" : "mixed",
           o->eps_smoothing ? "no" : "yes", o->char_order, o->word_order, o->whitespace ? "yes" : "no");
}

void fs_chrf_signature(const fs_chrf_options *o, int n_refs, char *buf, size_t size) {
  char fields[128];
  fs_chrf_signature_fields(o, fields, sizeof fields);
  fs_signature_compose(&(fs_signature_test){.n_refs = n_refs}, fields, buf, size);
}

void fs_chrf_format(const fs_chrf_options *o, double score, const char *signature, int width, bool score_only,
                    char *buf, size_t size) {
  char name[32];
  fs_chrf_name(o, name, sizeof name);
  if (score_only) snprintf(buf, size, "%.*f", width, score);
  else
    snprintf(buf, size, "%s%s%s = %.*f", name, signature && *signature ? "|" : "", signature ? signature : "", width,
             score);
}
