/* BLEU and chrF behind one interface, for everything that treats metrics alike:
 * the implementation; eval/metric.h describes the interface. */
#include "eval/metric.h"

#include <math.h>
#include <string.h>

int fs_metric_width(const fs_metric *m) {
  return m->kind == FS_METRIC_BLEU ? 2 + 2 * FS_BLEU_ORDER : 3 * (m->chrf.char_order + m->chrf.word_order);
}

/* BLEU statistics as a vector: sys_len, ref_len, correct[4], total[4]. */
static void bleu_to_vector(const fs_bleu_stats *s, double *v) {
  v[0] = (double)s->sys_len;
  v[1] = (double)s->ref_len;
  for (int n = 0; n < FS_BLEU_ORDER; n++) {
    v[2 + n] = (double)s->correct[n];
    v[2 + FS_BLEU_ORDER + n] = (double)s->total[n];
  }
}

static fs_bleu_stats bleu_from_vector(const double *v) {
  fs_bleu_stats s;
  s.sys_len = llround(v[0]);
  s.ref_len = llround(v[1]);
  for (int n = 0; n < FS_BLEU_ORDER; n++) {
    s.correct[n] = llround(v[2 + n]);
    s.total[n] = llround(v[2 + FS_BLEU_ORDER + n]);
  }
  return s;
}

static fs_chrf_stats chrf_from_vector(const fs_chrf_options *o, const double *v) {
  fs_chrf_stats s = {0};
  for (int n = 0; n < o->char_order + o->word_order; n++)
    for (int k = 0; k < 3; k++) s.counts[n][k] = llround(v[3 * n + k]);
  return s;
}

void fs_metric_segment(const fs_metric *m, const char *hyp, const char *const *refs, int n_refs, double *stats) {
  if (m->kind == FS_METRIC_BLEU) {
    fs_bleu_stats s;
    fs_bleu_segment(&m->bleu, hyp, refs, n_refs, &s);
    bleu_to_vector(&s, stats);
    return;
  }
  fs_chrf_stats s;
  fs_chrf_segment(&m->chrf, hyp, refs, n_refs, &s);
  for (int n = 0; n < m->chrf.char_order + m->chrf.word_order; n++)
    for (int k = 0; k < 3; k++) stats[3 * n + k] = (double)s.counts[n][k];
}

double fs_metric_score(const void *metric, const double *summed) {
  const fs_metric *m = metric;
  if (m->kind == FS_METRIC_BLEU) {
    fs_bleu_stats s = bleu_from_vector(summed);
    return fs_bleu_score_of(&m->bleu, &s).score;
  }
  fs_chrf_stats s = chrf_from_vector(&m->chrf, summed);
  return fs_chrf_score_of(&m->chrf, &s);
}

void fs_metric_name(const fs_metric *m, char *buf, size_t size) {
  if (m->kind == FS_METRIC_BLEU) snprintf(buf, size, "BLEU");
  else fs_chrf_name(&m->chrf, buf, size);
}

void fs_metric_signature(const fs_metric *m, const fs_signature_test *test, char *buf, size_t size) {
  char fields[128];
  if (m->kind == FS_METRIC_BLEU) fs_bleu_signature_fields(&m->bleu, fields, sizeof fields);
  else fs_chrf_signature_fields(&m->chrf, fields, sizeof fields);
  fs_signature_compose(test, fields, buf, size);
}

void fs_metric_format(const fs_metric *m, const double *summed, const char *signature, int width, bool score_only,
                      char *buf, size_t size) {
  if (m->kind == FS_METRIC_BLEU) {
    fs_bleu_stats s = bleu_from_vector(summed);
    fs_bleu_score score = fs_bleu_score_of(&m->bleu, &s);
    fs_bleu_format(&score, signature, width, score_only, buf, size);
  } else {
    fs_chrf_format(&m->chrf, fs_metric_score(m, summed), signature, width, score_only, buf, size);
  }
}

/* Python's repr of float(f"{x:.{width}f}"): the rounded value without trailing zeros ("27.30" → "27.3"). */
static void python_float(double x, int width, char *buf, size_t size) {
  snprintf(buf, size, "%.*f", width, x);
  char *dot = strchr(buf, '.');
  if (!dot) {
    strncat(buf, ".0", size - strlen(buf) - 1);
    return;
  }
  char *end = buf + strlen(buf) - 1;
  while (end > dot + 1 && *end == '0') *end-- = '\0';
}

void fs_metric_json(FILE *out, const fs_metric *m, const double *summed, int n_refs, int width) {
  char name[32], sig[256], line[512], score[64];
  fs_metric_name(m, name, sizeof name);
  fs_metric_signature(m, &(fs_signature_test){.n_refs = n_refs}, sig, sizeof sig);
  python_float(fs_metric_score(m, summed), width, score, sizeof score);
  fprintf(out, "{\n \"name\": \"%s\",\n \"score\": %s,\n \"signature\": \"%s\",\n", name, score, sig);
  if (m->kind == FS_METRIC_BLEU) {
    fs_metric_format(m, summed, "", width, false, line, sizeof line);
    const char *verbose = strchr(line, '=') + 2; /* after "BLEU = <score> " */
    verbose = strchr(verbose, ' ') + 1;
    fprintf(out, " \"verbose_score\": \"%s\",\n", verbose);
  }
  /* every signature field, as strings, in signature order */
  for (char *field = strtok(sig, "|"); field; field = strtok(NULL, "|")) {
    char *colon = strchr(field, ':');
    *colon = '\0';
    fprintf(out, " \"%s\": \"%s\"%s\n", field, colon + 1, strcmp(field, "version") ? "," : "");
  }
  fprintf(out, "}");
}
