/* flowseq bleu: sacreBLEU-compatible BLEU / chrF / chrF++ with sacreBLEU's command line
 * (references first, then -i systems), signatures, text or JSON output, sentence level, and
 * paired bootstrap resampling between systems. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli_args.h"
#include "cli/cli_outputs.h"
#include "cli/commands.h"
#include "core/alloc.h"
#include "core/fileio.h"
#include "eval/bootstrap.h"
#include "eval/json.h"
#include "eval/lines.h"
#include "eval/metric.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: flowseq bleu REF [REF ...] [-i HYP [HYP ...]] [options]\n\n"
          "Scores hypotheses against references exactly as sacreBLEU 2.6 does (without Python).\n"
          "Without -i the hypotheses are read from standard input, one system per TAB-separated\n"
          "column. Line counts must match.\n\n"
          "  -i, --input FILE...       system outputs (the first is the baseline in paired tests;\n"
          "                            several systems without a paired test give a score table)\n"
          "  -m, --metrics M...        bleu, chrf (default: bleu)\n"
          "  -f, --format text|json    output format (default: json, as sacreBLEU 2.x)\n"
          "  -b, --score-only          print the score only\n"
          "  -w, --width N             decimals of the score (default 1)\n"
          "  -sh, --short              abbreviated signature (text output)\n"
          "  -q, --quiet               accepted for sacreBLEU compatibility (flowseq bleu logs nothing)\n"
          "  -e, --encoding ENC        input encoding: utf-8 only\n"
          "  -sl, --sentence-level     one score per line (one metric, one system)\n"
          "  -lc                       lowercase (BLEU)\n"
          "  -tok, --tokenize 13a|none BLEU tokenizer (default 13a)\n"
          "  -s, --smooth-method exp|none|floor|add-k   BLEU smoothing (default exp)\n"
          "  -sv, --smooth-value X     value for floor (0.1) / add-k (1)\n"
          "  --effective-order         BLEU effective order (default on at sentence level only;\n"
          "                            not a sacreBLEU CLI option: it is its Python API's)\n"
          "  -cc, --chrf-char-order N  (6)    -cw, --chrf-word-order N (0; 2 = chrF++)\n"
          "  --chrf-beta N (2)  --chrf-whitespace  --chrf-lowercase  --chrf-eps-smoothing\n"
          "  --paired-bs               paired bootstrap resampling against the first system\n"
          "  --paired-bs-n N           resamples (default 1000)\n"
          "  --seed S                  resampling seed (default: $SACREBLEU_SEED, else 12345).\n"
          "                            Results match sacreBLEU statistically, not bit for bit\n"
          "                            (a different random number generator).\n");
}

typedef struct {
  const char *refs[64], *hyps[64];
  int n_refs, n_hyps;
  fs_metric metrics[2];
  int n_metrics;
  bool json, score_only, sentence_level, paired_bs, effective_order_set, short_signature;
  int width, bs_n;
  unsigned long long seed;
} bleu_args;

static int fail(const char *msg, const char *arg) {
  fprintf(stderr, "flowseq bleu: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
  return 2;
}

/* Returns 0 when parsed, else the exit code (2 for a usage error, -1 after --help). */
static int parse(int argc, char **argv, bleu_args *a) {
  fs_bleu_options bleu = fs_bleu_defaults();
  fs_chrf_options chrf = fs_chrf_defaults();
  const char *wanted[2] = {"bleu", NULL};
  int n_wanted = 1;
  bool reading_hyps = false;
  a->width = 1;
  a->json = true;
  a->bs_n = 1000;
  const char *env_seed = getenv("SACREBLEU_SEED");
  a->seed = env_seed && *env_seed ? strtoull(env_seed, NULL, 10) : 12345;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
#define VALUE() (next ? argv[++i] : (fail("missing value after", o), (char *)NULL))
    if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
      usage(stdout);
      return -1;
    } else if (!strcmp(o, "-i") || !strcmp(o, "--input")) {
      reading_hyps = true;
    } else if (!strcmp(o, "-m") || !strcmp(o, "--metrics")) {
      n_wanted = 0;
      while (i + 1 < argc && argv[i + 1][0] != '-' && n_wanted < 2) wanted[n_wanted++] = argv[++i];
      if (!n_wanted) return fail("-m needs bleu and/or chrf", NULL);
    } else if (!strcmp(o, "-f") || !strcmp(o, "--format")) {
      const char *v = VALUE();
      if (!v || (strcmp(v, "text") && strcmp(v, "json"))) return fail("-f expects text or json", v);
      a->json = !strcmp(v, "json");
    } else if (!strcmp(o, "-b") || !strcmp(o, "--score-only")) {
      a->score_only = true;
    } else if (!strcmp(o, "-w") || !strcmp(o, "--width")) {
      const char *v = VALUE();
      if (!v || !cli_int("bleu", o, v, 0, 16, &a->width)) return 2;
    } else if (!strcmp(o, "-sl") || !strcmp(o, "--sentence-level")) {
      a->sentence_level = true;
    } else if (!strcmp(o, "-lc") || !strcmp(o, "--lowercase")) {
      bleu.lowercase = true;
    } else if (!strcmp(o, "-tok") || !strcmp(o, "--tokenize")) {
      const char *v = VALUE();
      if (!v || (strcmp(v, "13a") && strcmp(v, "none"))) return fail("-tok supports 13a and none", v);
      bleu.tokenize = strcmp(v, "13a") ? FS_TOKENIZE_NONE : FS_TOKENIZE_13A;
    } else if (!strcmp(o, "-s") || !strcmp(o, "--smooth-method")) {
      const char *v = VALUE(), *names[] = {"none", "floor", "add-k", "exp"};
      int k = 0;
      while (v && k < 4 && strcmp(v, names[k])) k++;
      if (!v || k == 4) return fail("-s expects exp, none, floor or add-k", v);
      bleu.smooth = (fs_smooth)k;
    } else if (!strcmp(o, "-sv") || !strcmp(o, "--smooth-value")) {
      const char *v = VALUE();
      if (!v || !cli_double("bleu", o, v, 0, 1e9, &bleu.smooth_value)) return 2;
    } else if (!strcmp(o, "-sh") || !strcmp(o, "--short")) {
      a->short_signature = true;
    } else if (!strcmp(o, "-q") || !strcmp(o, "--quiet")) {
      /* nothing to silence */
    } else if (!strcmp(o, "-e") || !strcmp(o, "--encoding")) {
      const char *v = VALUE();
      if (!v || (strcasecmp(v, "utf-8") && strcasecmp(v, "utf8"))) return fail("only UTF-8 input is supported", v);
    } else if (!strcmp(o, "--effective-order")) {
      bleu.effective_order = a->effective_order_set = true;
    } else if (!strcmp(o, "-cc") || !strcmp(o, "--chrf-char-order") || !strcmp(o, "-cw") ||
               !strcmp(o, "--chrf-word-order") || !strcmp(o, "--chrf-beta")) {
      const char *v = VALUE();
      if (!v) return 2;
      bool beta = strstr(o, "beta"), chars = !strcmp(o, "-cc") || strstr(o, "char");
      int *field = beta ? &chrf.beta : chars ? &chrf.char_order : &chrf.word_order;
      /* the character order is at least 1 (0 scores every system 0.0); beta weighs recall (>= 1 only
       * in sacreBLEU's use, but 0 is a valid F-measure weight) */
      if (!cli_int("bleu", o, v, beta ? 0 : chars ? 1 : 0, beta ? 100 : FS_CHRF_MAX_ORDER, field)) return 2;
      if (chrf.char_order + chrf.word_order > FS_CHRF_MAX_ORDER)
        return fail("chrF orders out of range (character + word order at most 16)", v);
    } else if (!strcmp(o, "--chrf-whitespace")) {
      chrf.whitespace = true;
    } else if (!strcmp(o, "--chrf-lowercase")) {
      chrf.lowercase = true;
    } else if (!strcmp(o, "--chrf-eps-smoothing")) {
      chrf.eps_smoothing = true;
    } else if (!strcmp(o, "--paired-bs")) {
      a->paired_bs = true;
    } else if (!strcmp(o, "--paired-bs-n")) {
      const char *v = VALUE();
      if (!v || !cli_int("bleu", o, v, 1, 1000000, &a->bs_n)) return 2;
    } else if (!strcmp(o, "--seed")) {
      const char *v = VALUE();
      if (!v || !cli_u64("bleu", o, v, &a->seed)) return 2;
    } else if (o[0] == '-' && o[1]) {
      return fail("unknown option (see --help)", o);
    } else if (reading_hyps) {
      if (a->n_hyps == 64) return fail("too many systems", o);
      a->hyps[a->n_hyps++] = o;
    } else {
      if (a->n_refs == 64) return fail("too many references", o);
      a->refs[a->n_refs++] = o;
    }
#undef VALUE
  }
  if (!a->n_refs) return fail("no reference file given (references come before -i)", NULL);
  /* sentence-level BLEU uses effective order, as sacreBLEU's CLI does */
  if (a->sentence_level && !a->effective_order_set) bleu.effective_order = true;
  for (int k = 0; k < n_wanted; k++) {
    if (!strcmp(wanted[k], "bleu")) a->metrics[a->n_metrics++] = (fs_metric){FS_METRIC_BLEU, bleu, chrf};
    else if (!strcmp(wanted[k], "chrf")) a->metrics[a->n_metrics++] = (fs_metric){FS_METRIC_CHRF, bleu, chrf};
    else return fail("unknown metric (bleu, chrf)", wanted[k]);
  }
  /* sacreBLEU reports metrics sorted by name: bleu before chrf */
  if (a->n_metrics == 2 && a->metrics[0].kind == FS_METRIC_CHRF) {
    fs_metric t = a->metrics[0];
    a->metrics[0] = a->metrics[1];
    a->metrics[1] = t;
  }
  if (a->sentence_level && (a->n_metrics > 1 || a->n_hyps > 1 || a->paired_bs))
    return fail("sentence level takes one metric and one system, without paired tests", NULL);
  if (a->paired_bs && a->n_hyps == 1) return fail("--paired-bs needs at least two systems after -i", NULL);
  return 0;
}

/* The signature as the chosen output prints it: the short form only in text output (paired
 * tests always print text). */
static void signature(const bleu_args *a, const fs_metric *m, const fs_signature_test *test, char *buf, size_t size) {
  char full[256];
  fs_metric_signature(m, test, full, sizeof full);
  if (a->short_signature && (!a->json || a->paired_bs)) fs_signature_short(full, buf, size);
  else snprintf(buf, size, "%s", full);
}

/* Per-segment statistics of system `hyp` for metric m: n * width doubles, malloc'd. */
static double *segment_stats(const fs_metric *m, const fs_lines *hyp, const fs_lines *refs, int n_refs) {
  int width = fs_metric_width(m);
  double *stats = fs_malloc(sizeof(double) * width * hyp->count);
  const char *line_refs[64];
  for (int i = 0; i < hyp->count; i++) {
    for (int r = 0; r < n_refs; r++) line_refs[r] = refs[r].lines[i];
    fs_metric_segment(m, hyp->lines[i], line_refs, n_refs, stats + (size_t)i * width);
  }
  return stats;
}

static void summed(const double *stats, int n, int width, double *sum) {
  memset(sum, 0, sizeof(double) * width);
  for (int i = 0; i < n; i++)
    for (int k = 0; k < width; k++) sum[k] += stats[(size_t)i * width + k];
}

/* Text lines aligned on their '=' as sacreBLEU aligns several metrics. */
static void print_aligned(fs_output *out, char lines[][1024], int n) {
  int w = 0;
  for (int k = 0; k < n; k++) {
    char *eq = strchr(lines[k], '=');
    if (eq && eq - lines[k] - 1 > w) w = (int)(eq - lines[k] - 1);
  }
  for (int k = 0; k < n; k++) {
    char *eq = strchr(lines[k], '=');
    int left = eq ? (int)(eq - lines[k] - 1) : 0;
    fs_output_printf(out, "%*s%.*s%s\n", n > 1 && eq ? w - left : 0, "", left, lines[k], lines[k] + left);
  }
}

static fs_status report_single(fs_output *out, const bleu_args *a, const fs_lines *sys, const fs_lines *refs) {
  char lines[2][1024], sig[256];
  double sum[3 * FS_CHRF_MAX_ORDER];
  for (int k = 0; k < a->n_metrics; k++) {
    const fs_metric *m = &a->metrics[k];
    double *stats = segment_stats(m, sys, refs, a->n_refs);
    summed(stats, sys->count, fs_metric_width(m), sum);
    free(stats);
    bool as_list = a->json && a->n_metrics > 1; /* sacreBLEU wraps several metrics in a list */
    if (as_list && k == 0) fs_output_printf(out, "[\n");
    if (a->json && !a->score_only) fs_metric_json(out->file, m, sum, a->n_refs, a->width);
    signature(a, m, &(fs_signature_test){.n_refs = a->n_refs}, sig, sizeof sig);
    fs_metric_format(m, sum, sig, a->width, a->score_only, lines[k], sizeof lines[k]);
    if (a->json && a->score_only) fs_output_printf(out, "%s", lines[k]); /* -b wins over JSON, as in sacreBLEU */
    if (a->json) fs_output_printf(out, k + 1 < a->n_metrics ? ",\n" : as_list ? "\n]\n" : "\n");
    FS_TRY(fs_output_check(out)); /* also what fs_metric_json wrote */
  }
  if (!a->json) print_aligned(out, lines, a->n_metrics);
  return fs_output_check(out);
}

static fs_status report_sentences(fs_output *out, const bleu_args *a, const fs_lines *sys, const fs_lines *refs) {
  const fs_metric *m = &a->metrics[0];
  int width = fs_metric_width(m);
  double *stats = segment_stats(m, sys, refs, a->n_refs);
  char sig[256], line[1024];
  signature(a, m, &(fs_signature_test){.n_refs = a->n_refs}, sig, sizeof sig);
  fs_status s = FS_OK;
  for (int i = 0; s == FS_OK && i < sys->count; i++) {
    fs_metric_format(m, stats + (size_t)i * width, sig, a->width, a->score_only, line, sizeof line);
    s = fs_output_printf(out, "%s\n", line);
  }
  free(stats);
  return s;
}

/* Several systems without a paired test: one row of scores per system. JSON is sacreBLEU's list
 * of {"system", <metric name>: "<score>"} objects; text is a plain table (sacreBLEU draws a box
 * grid) followed by the signatures. */
static fs_status report_table(fs_output *out, const bleu_args *a, const fs_lines *systems, const fs_lines *refs) {
  char names[2][32], score[64];
  double sum[3 * FS_CHRF_MAX_ORDER];
  for (int k = 0; k < a->n_metrics; k++) fs_metric_name(&a->metrics[k], names[k], sizeof names[k]);
  int name_width = 6; /* "System" */
  for (int s = 0; s < a->n_hyps; s++)
    if ((int)strlen(systems[s].path) > name_width) name_width = (int)strlen(systems[s].path);
  if (a->json) fs_output_printf(out, "[\n");
  else {
    fs_output_printf(out, "%*s", name_width, "System");
    for (int k = 0; k < a->n_metrics; k++) fs_output_printf(out, "  %8s", names[k]);
    fs_output_printf(out, "\n");
  }
  for (int s = 0; s < a->n_hyps; s++) {
    if (a->json) {
      fs_output_printf(out, "    {\n        \"system\": ");
      fs_json_string(out->file, systems[s].path);
    } else fs_output_printf(out, "%*s", name_width, systems[s].path);
    for (int k = 0; k < a->n_metrics; k++) {
      double *stats = segment_stats(&a->metrics[k], &systems[s], refs, a->n_refs);
      summed(stats, systems[s].count, fs_metric_width(&a->metrics[k]), sum);
      free(stats);
      fs_metric_format(&a->metrics[k], sum, NULL, a->width, true, score, sizeof score);
      if (a->json) fs_output_printf(out, ",\n        \"%s\": \"%s\"", names[k], score);
      else fs_output_printf(out, "  %8s", score);
    }
    fs_output_printf(out, a->json ? "\n    }%s\n" : "\n", s + 1 < a->n_hyps ? "," : "");
    FS_TRY(fs_output_check(out)); /* also what fs_json_string wrote */
  }
  if (a->json) return fs_output_printf(out, "]\n");
  fs_output_printf(out, "\n-----------------\nMetric signatures\n-----------------\n");
  for (int k = 0; k < a->n_metrics; k++) {
    char sig[256];
    signature(a, &a->metrics[k], &(fs_signature_test){.n_refs = a->n_refs}, sig, sizeof sig);
    fs_output_printf(out, " - %-10s %s\n", names[k], sig);
  }
  return fs_output_check(out);
}

static fs_status report_paired(fs_output *out, const bleu_args *a, const fs_lines *systems, const fs_lines *refs) {
  fs_output_printf(out,
                   "Paired bootstrap resampling: %d resamples, seed %llu; mean ± 95%% CI per system,\n"
                   "p-value against the baseline (the first system); * marks p < 0.05.\n"
                   "Means, CIs and p-values agree with sacreBLEU's statistically, not digit for digit\n"
                   "(the resamples come from a different random number generator).\n",
                   a->bs_n, a->seed);
  fs_signature_test test = {a->n_refs, a->bs_n, a->seed};
  for (int k = 0; k < a->n_metrics; k++) {
    const fs_metric *m = &a->metrics[k];
    char name[32], sig[256];
    fs_metric_name(m, name, sizeof name);
    signature(a, m, &test, sig, sizeof sig);
    double **stats = fs_malloc(sizeof *stats * a->n_hyps);
    for (int s = 0; s < a->n_hyps; s++) stats[s] = segment_stats(m, &systems[s], refs, a->n_refs);
    fs_bootstrap_result *res = fs_malloc(sizeof *res * a->n_hyps);
    fs_metric_stats ms = {fs_metric_width(m), fs_metric_score, m};
    fs_paired_bootstrap(&ms, (const double *const *)stats, a->n_hyps, systems[0].count, a->bs_n, a->seed, res);
    fs_output_printf(out, "\n%s|%s\n", name, sig);
    for (int s = 0; s < a->n_hyps; s++) {
      fs_output_printf(out, "  %-10s %-30s %*.*f (μ = %.*f ± %.*f)", s ? "" : "baseline:", systems[s].path,
                       a->width + 4, a->width, res[s].score, a->width, res[s].mean, a->width, res[s].ci);
      if (s) fs_output_printf(out, "  p = %.4f%s", res[s].p_value, res[s].p_value < 0.05 ? " *" : "");
      fs_output_printf(out, "\n");
      free(stats[s]);
    }
    free(stats);
    free(res);
    FS_TRY(fs_output_check(out)); /* before the next metric's resampling */
  }
  return FS_OK;
}

/* Loads references and systems and checks that they line up; prints the error and returns 1. */
static int load(const bleu_args *a, fs_lines *refs, fs_lines **systems, int *n_systems) {
  for (int k = 0; k < a->n_refs; k++)
    if (fs_lines_read(a->refs[k], &refs[k]) != FS_OK) {
      fprintf(stderr, "flowseq bleu: %s\n", fs_last_error());
      while (k-- > 0) fs_lines_free(&refs[k]);
      return 1;
    }
  fs_status s = FS_OK;
  if (a->n_hyps == 0) s = fs_lines_read_columns(stdin, systems, n_systems);
  else {
    *systems = fs_calloc(a->n_hyps, sizeof **systems);
    for (*n_systems = 0; s == FS_OK && *n_systems < a->n_hyps; ++*n_systems)
      s = fs_lines_read(a->hyps[*n_systems], &(*systems)[*n_systems]);
    if (s != FS_OK) --*n_systems; /* the failed reader cleaned up after itself */
  }
  const char *problem = s != FS_OK ? fs_last_error() : NULL;
  char message[1024];
  for (int k = 1; !problem && k < a->n_refs; k++)
    if (refs[k].count != refs[0].count) {
      snprintf(message, sizeof message, "%s has %d lines but %s has %d", refs[k].path, refs[k].count, refs[0].path,
               refs[0].count);
      problem = message;
    }
  for (int k = 0; !problem && k < *n_systems; k++)
    if ((*systems)[k].count != refs[0].count) {
      snprintf(message, sizeof message, "system %s has %d lines but the references (%s) have %d", (*systems)[k].path,
               (*systems)[k].count, refs[0].path, refs[0].count);
      problem = message;
    } else if (refs[0].count == 0) {
      problem = "the references and systems are empty";
    }
  for (int k = 0; !problem && k < *n_systems; k++)
    for (int j = 0; j < k; j++)
      if (!strcmp((*systems)[k].path, (*systems)[j].path)) {
        snprintf(message, sizeof message, "%s is given twice as a system", (*systems)[k].path);
        problem = message;
      }
  if (!problem) return 0;
  fprintf(stderr, "flowseq bleu: %s\n", problem);
  for (int k = 0; k < a->n_refs; k++) fs_lines_free(&refs[k]);
  for (int k = 0; k < *n_systems; k++) fs_lines_free(&(*systems)[k]);
  free(*systems);
  return 1;
}

int cmd_bleu(int argc, char **argv) {
  bleu_args a = {0};
  int rc = parse(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  cli_inputs inputs = {0}; /* the results go to standard output, which must be none of them */
  for (int k = 0; k < a.n_refs; k++) cli_inputs_add(&inputs, a.refs[k]);
  for (int k = 0; k < a.n_hyps; k++) cli_inputs_add(&inputs, a.hyps[k]);
  if (!a.n_hyps) cli_inputs_add(&inputs, "-");
  rc = cli_inputs_check(&inputs, "bleu", NULL);
  cli_inputs_free(&inputs);
  if (rc) return rc;
  fs_lines refs[64], *systems;
  int n_systems;
  if (load(&a, refs, &systems, &n_systems)) return 1;
  a.n_hyps = n_systems;
  if (a.sentence_level && n_systems > 1) rc = fail("sentence level takes one system", NULL);
  else if (a.paired_bs && n_systems < 2) rc = fail("--paired-bs needs at least two systems", NULL);
  else {
    fs_output out; /* every write checked: a full disk or /dev/full stops here with the cause */
    fs_output_wrap(&out, stdout, "stdout");
    fs_status s = a.sentence_level ? report_sentences(&out, &a, &systems[0], refs)
                  : a.paired_bs    ? report_paired(&out, &a, systems, refs)
                  : n_systems > 1  ? report_table(&out, &a, systems, refs)
                                   : report_single(&out, &a, &systems[0], refs);
    if (s == FS_OK) s = fs_output_close(&out);
    if (s != FS_OK) fprintf(stderr, "flowseq bleu: %s\n", fs_last_error()), rc = 1;
  }
  for (int k = 0; k < a.n_refs; k++) fs_lines_free(&refs[k]);
  for (int s = 0; s < n_systems; s++) fs_lines_free(&systems[s]);
  free(systems);
  return rc;
}
