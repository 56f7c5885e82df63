/* libflowseq's public interface (include/flowseq.h) on top of the decode layer: a translator is a
 * model directory opened by decode/runner.h, plus an optional teacher for rescoring; public options
 * become the decode layer's search options, and candidates become hypotheses with text. Every
 * argument is checked here, before the layers below see it: they trust their callers. Also the
 * flowseq program's streaming translation (api/stream.h). */
#include "flowseq.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/stream.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/utf8.h"
#include "decode/rescore.h"
#include "decode/runner.h"

struct flowseq_translator {
  fs_runner model;
  fs_runner teacher;
  bool has_teacher;
  fs_teacher_rescorer rescorer;
};

const char *flowseq_version(void) { return FLOWSEQ_VERSION; }

const char *flowseq_last_error(void) { return fs_last_error(); }

/* The library is silent unless asked; the flowseq program asks for the log before opening. */
static bool logging_chosen;

void flowseq_set_logging(int level) {
  logging_chosen = true;
  fs_log_set_level(level == FLOWSEQ_LOG_OFF        ? FS_LOG_SILENT
                   : level == FLOWSEQ_LOG_WARNINGS ? FS_LOG_WARNINGS
                                                   : FS_LOG_ALL);
}

/* ---- checking arguments ----------------------------------------------------------------------- */

/* Records "FUNCTION: what" as the last error and returns -1. */
static int refuse(const char *function, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(const char *function, const char *fmt, ...) {
  char what[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  fs_error(FS_ERR_ARG, "%s: %s", function, what);
  return -1;
}

/* A directory argument: NULL and "" are refused, and so is anything that exists but is not a
 * directory; a path that does not exist is left to the runner, whose message names the file it
 * looked for. */
static int check_dir(const char *function, const char *name, const char *dir) {
  struct stat st;
  if (!dir) return refuse(function, "%s is NULL", name);
  if (!*dir) return refuse(function, "%s is \"\": name a directory (\".\" for the current one)", name);
  if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
    return refuse(function,
                  "%s %s is not a directory (a model directory holds config.yaml, model.safetensors, "
                  "spm.model)",
                  name, dir);
  return 0;
}

/* N sentences named NAME: N >= 0, the array there unless N is 0, and each sentence a string of
 * valid UTF-8 (the rule of every line of the program's input, text/corpus.c). */
static int check_sentences(const char *function, const char *name, const char *const *s, int n) {
  if (n < 0) return refuse(function, "n is %d: the number of sentences cannot be negative", n);
  if (n > 0 && !s) return refuse(function, "%s is NULL (n = %d)", name, n);
  for (int i = 0; i < n; i++) {
    if (!s[i]) return refuse(function, "%s[%d] is NULL", name, i);
    if (fs_utf8_check(s[i], strlen(s[i]), "%s: %s[%d]", function, name, i) != FS_OK) return -1;
  }
  return 0;
}

/* An int option in [lo, hi]. */
static int check_int(const char *function, const char *field, int v, int lo, int hi) {
  if (v >= lo && v <= hi) return 0;
  return refuse(function, "options->%s is %d: must be in [%d, %d]", field, v, lo, hi);
}

/* A float option in [0, hi] (NaN is not). */
static int check_float(const char *function, const char *field, float v, double hi) {
  if (v >= 0 && v <= hi) return 0;
  return refuse(function, "options->%s is %g: must be in [0, %g]", field, v, hi);
}

/* Every field of the options against the header's limits, whatever the model and mode use. */
static int check_options(const char *function, const flowseq_options *o) {
  if (o->decoding != FLOWSEQ_ARGMAX && o->decoding != FLOWSEQ_NPD && o->decoding != FLOWSEQ_IWD)
    return refuse(function, "options->decoding is %d: must be FLOWSEQ_ARGMAX, FLOWSEQ_NPD or FLOWSEQ_IWD",
                  (int)o->decoding);
  if (check_int(function, "lengths", o->lengths, 1, FLOWSEQ_MAX_LENGTHS) ||
      check_int(function, "samples", o->samples, 1, FLOWSEQ_MAX_SAMPLES) ||
      check_int(function, "iw_samples", o->iw_samples, 1, FLOWSEQ_MAX_SAMPLES) ||
      check_int(function, "beam", o->beam, 1, FLOWSEQ_MAX_BEAM) ||
      check_int(function, "n_best", o->n_best, 1, FLOWSEQ_MAX_BEAM) ||
      check_int(function, "max_tokens", o->max_tokens, 1, FLOWSEQ_MAX_TOKENS) ||
      check_int(function, "max_length", o->max_length, 1, FLOWSEQ_MAX_INPUT_TOKENS) ||
      check_int(function, "max_sentences", o->max_sentences, 0, FLOWSEQ_MAX_ROWS) ||
      check_float(function, "tau", o->tau, FLOWSEQ_MAX_TAU) ||
      check_float(function, "length_penalty", o->length_penalty, FLOWSEQ_MAX_LENGTH_PENALTY) ||
      check_float(function, "max_length_a", o->max_length_a, FLOWSEQ_MAX_LENGTH_A) ||
      check_float(function, "max_length_b", o->max_length_b, FLOWSEQ_MAX_LENGTH_B))
    return -1;
  return 0;
}

/* A product of options (in 64 bits: each factor is an int) against FLOWSEQ_MAX_ROWS. */
static int check_rows(const char *function, const char *what, int64_t rows) {
  if (rows <= FLOWSEQ_MAX_ROWS) return 0;
  return refuse(function, "options->%s = %lld decoder rows: at most FLOWSEQ_MAX_ROWS = %d", what, (long long)rows,
                FLOWSEQ_MAX_ROWS);
}

/* ---- opening -------------------------------------------------------------------------------- */

/* The teacher must be a Transformer with the student's tokenizer, and the student a FlowSeq model. */
static fs_status check_teacher(const flowseq_translator *t, const char *model_dir, const char *teacher_dir) {
  if (t->model.model.type != FS_MODEL_FLOWSEQ)
    return fs_error(FS_ERR_ARG,
                    "teacher %s: a teacher ranks FlowSeq's candidates, and %s is an autoregressive "
                    "Transformer",
                    teacher_dir, model_dir);
  if (t->teacher.model.type != FS_MODEL_TRANSFORMER)
    return fs_error(FS_ERR_ARG,
                    "teacher %s: not an autoregressive Transformer (its config.yaml has no "
                    "model.type: transformer)",
                    teacher_dir);
  char *sp = fs_runner_file(model_dir, "spm.model"), *tp = fs_runner_file(teacher_dir, "spm.model");
  bool same = fs_same_bytes(sp, tp);
  free(sp);
  free(tp);
  if (!same)
    return fs_error(FS_ERR_ARG,
                    "teacher %s: its spm.model differs from %s's: the teacher must share the "
                    "student's vocabulary",
                    teacher_dir, model_dir);
  return FS_OK;
}

/* Backend selection and the CUDA module are set up once per process, on first use. */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

flowseq_translator *flowseq_open(const char *model_dir, const flowseq_open_options *options) {
  const char *function = "flowseq_open";
  flowseq_open_options o = options ? *options : (flowseq_open_options){0};
  if (check_dir(function, "model_dir", model_dir) ||
      (o.teacher_dir && check_dir(function, "options->teacher_dir", o.teacher_dir)))
    return NULL;
  if (o.arena_mb < 0 || o.arena_mb > FLOWSEQ_MAX_ARENA_MB)
    return refuse(function, "options->arena_mb is %d: must be in [0, %d] (0: 4096)", o.arena_mb, FLOWSEQ_MAX_ARENA_MB),
           NULL;
  int arena_mb = o.arena_mb ? o.arena_mb : 4096;
  flowseq_translator *t = calloc(1, sizeof *t);
  if (!t) return fs_error(FS_ERR_MEMORY, "flowseq_open: out of memory"), NULL;
  pthread_mutex_lock(&open_lock);
  if (!logging_chosen) fs_log_set_level(FS_LOG_SILENT);
  fs_status s = fs_runner_open(&t->model, model_dir, arena_mb);
  if (s == FS_OK && o.teacher_dir) {
    s = fs_runner_open(&t->teacher, o.teacher_dir, arena_mb);
    t->has_teacher = s == FS_OK;
    if (s == FS_OK) s = check_teacher(t, model_dir, o.teacher_dir);
    if (s != FS_OK) fs_runner_close(&t->model);
  }
  pthread_mutex_unlock(&open_lock);
  if (s != FS_OK) {
    if (t->has_teacher) fs_runner_close(&t->teacher);
    free(t);
    return NULL;
  }
  t->rescorer = (fs_teacher_rescorer){&t->teacher.engine, &t->teacher.model.transformer, 64};
  return t;
}

void flowseq_close(flowseq_translator *t) {
  if (!t) return;
  fs_runner_close(&t->model);
  if (t->has_teacher) fs_runner_close(&t->teacher);
  free(t);
}

int flowseq_is_autoregressive(const flowseq_translator *t) {
  if (!t) return refuse("flowseq_is_autoregressive", "t is NULL");
  return t->model.model.type == FS_MODEL_TRANSFORMER;
}

/* ---- options -------------------------------------------------------------------------------- */

/* The decode layer's mode for a public one. */
static fs_decode_mode decode_mode(flowseq_decoding decoding) {
  return decoding == FLOWSEQ_NPD ? FS_DECODE_NPD : decoding == FLOWSEQ_IWD ? FS_DECODE_IWD : FS_DECODE_ARGMAX;
}

flowseq_options flowseq_default_options(flowseq_decoding decoding) {
  fs_decode_options d = fs_decode_defaults(decode_mode(decoding));
  fs_beam_options b = fs_beam_defaults();
  return (flowseq_options){.decoding = decoding,
                           .lengths = d.lengths,
                           .samples = d.samples,
                           .tau = d.tau,
                           .iw_samples = d.iw_samples,
                           .seed = d.seed,
                           .beam = b.beam,
                           .length_penalty = b.length_penalty,
                           .max_length_a = b.max_length_a,
                           .max_length_b = b.max_length_b,
                           .n_best = 1,
                           .max_tokens = 1024,
                           .max_length = 250,
                           .collapse_repeats = 1,
                           .substitute_repeats = 1,
                           .progress = 1};
}

/* The decode layer's options for public ones, checked for translating with t. */
static int run_options(const char *function, flowseq_translator *t, const flowseq_options *o, fs_run_options *run) {
  if (check_options(function, o)) return -1;
  if (t->model.model.type == FS_MODEL_FLOWSEQ) {
    int64_t candidates = (int64_t)o->lengths * o->samples;
    if (o->decoding == FLOWSEQ_NPD && check_rows(function, "lengths x samples", candidates)) return -1;
    if (o->decoding == FLOWSEQ_IWD &&
        check_rows(function, "lengths x samples x iw_samples", candidates * o->iw_samples))
      return -1;
  }
  if (o->rescore && !t->has_teacher)
    return refuse(function, "options->rescore needs a teacher: open the model with flowseq_open_options.teacher_dir");
  if (o->rescore && o->decoding == FLOWSEQ_ARGMAX)
    return refuse(function, "options->rescore ranks the candidates of FLOWSEQ_NPD or FLOWSEQ_IWD; argmax has one");
  fs_decode_options *d = &run->search.flowseq;
  *d = fs_decode_defaults(decode_mode(o->decoding));
  d->lengths = o->lengths;
  d->samples = o->samples;
  d->tau = o->tau;
  d->iw_samples = o->iw_samples;
  d->seed = o->seed;
  d->substitute_repeats = o->substitute_repeats;
  d->repeat_is_text = t->model.repeat_is_text;
  if (o->rescore) d->rescore = fs_teacher_rescore, d->rescore_context = &t->rescorer;
  fs_beam_options *b = &run->search.beam;
  *b = fs_beam_defaults();
  b->beam = o->beam > o->n_best ? o->beam : o->n_best;
  b->nbest = o->n_best;
  b->length_penalty = o->length_penalty;
  b->max_length_a = o->max_length_a;
  b->max_length_b = o->max_length_b;
  run->max_tokens = o->max_tokens;
  run->max_sentences = o->max_sentences;
  run->max_length = o->max_length;
  run->quiet = !o->progress;
  run->window_lines = FS_WINDOW_LINES;
  run->window_bytes = FS_WINDOW_BYTES;
  return 0;
}

/* ---- translating ---------------------------------------------------------------------------- */

typedef struct {
  flowseq_translator *t;
  const flowseq_options *o;
  flowseq_result_callback on_result;
  void *user_data;
} result_adapter;

typedef struct {
  const fs_candidate *c;
  int index;
  bool chosen;
} ranked;

/* The decoder's choice first, then by score (lower is better inside), then by position. */
static int by_rank(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if (x->chosen != y->chosen) return y->chosen - x->chosen;
  if (x->c->score != y->c->score) return x->c->score < y->c->score ? -1 : 1;
  return x->index - y->index;
}

/* A fs_result_fn: the sentence's candidates as hypotheses with text, best first. */
static fs_status hand_on(void *ctx, int index, const fs_candidate *c, int n, int best) {
  result_adapter *a = ctx;
  int keep = n < a->o->n_best ? n : a->o->n_best;
  ranked *order = malloc(sizeof *order * (n ? n : 1));
  flowseq_hypothesis *h = calloc(keep ? keep : 1, sizeof *h);
  fs_status s = order && h ? FS_OK : fs_error(FS_ERR_MEMORY, "out of memory for the hypotheses of line %d", index + 1);
  for (int i = 0; s == FS_OK && i < n; i++) order[i] = (ranked){&c[i], i, i == best};
  if (s == FS_OK) qsort(order, n, sizeof *order, by_rank);
  for (int i = 0; s == FS_OK && i < keep; i++) {
    const fs_candidate *x = order[i].c;
    bool collapse = a->o->collapse_repeats && a->t->model.model.type == FS_MODEL_FLOWSEQ;
    char *text = fs_runner_text(&a->t->model, x, collapse);
    if (!text) s = fs_error(FS_ERR_MEMORY, "cannot detokenize the output of line %d", index + 1);
    h[i] = (flowseq_hypothesis){
        text, x->output_length, -x->score, x->length_logprob, x->prior_logprob, x->decoder_logprob};
  }
  if (s == FS_OK && a->on_result(a->user_data, index, h, keep))
    s = fs_error(FS_ERR_ARG, "stopped by the callback at line %d", index + 1);
  for (int i = 0; h && i < keep; i++) free((char *)h[i].text);
  free(h);
  free(order);
  return s;
}

/* flowseq_translate_each, failing in the name of `function`. */
static int translate_each(const char *function, flowseq_translator *t, const char *const *sources, int n,
                          const flowseq_options *options, flowseq_result_callback on_result, void *user_data) {
  flowseq_options o = options ? *options : flowseq_default_options(FLOWSEQ_ARGMAX);
  fs_run_options run;
  if (!t) return refuse(function, "t is NULL");
  if (!on_result) return refuse(function, "on_result is NULL");
  if (check_sentences(function, "sources", sources, n) || run_options(function, t, &o, &run)) return -1;
  result_adapter a = {t, &o, on_result, user_data};
  return fs_runner_decode(&t->model, sources, n, &run, hand_on, &a) == FS_OK ? 0 : -1;
}

int flowseq_translate_each(flowseq_translator *t, const char *const *sources, int n, const flowseq_options *options,
                           flowseq_result_callback on_result, void *user_data) {
  return translate_each("flowseq_translate_each", t, sources, n, options, on_result, user_data);
}

int fs_translate_stream(flowseq_translator *t, fs_translate_next_line next_line, void *line_ctx,
                        const flowseq_options *options, flowseq_result_callback on_result, void *user_data) {
  const char *function = "fs_translate_stream";
  flowseq_options o = options ? *options : flowseq_default_options(FLOWSEQ_ARGMAX);
  fs_run_options run;
  if (!t || !next_line || !on_result) return refuse(function, "needs a translator, a line source and a callback");
  if (run_options(function, t, &o, &run)) return -1;
  result_adapter a = {t, &o, on_result, user_data};
  return fs_runner_decode_stream(&t->model, next_line, line_ctx, &run, hand_on, &a) == FS_OK ? 0 : -1;
}

typedef struct {
  char **translations;
  int done;
} collected;

static int collect(void *user_data, int index, const flowseq_hypothesis *h, int n) {
  collected *c = user_data;
  c->translations[index] = strdup(n ? h[0].text : "");
  if (!c->translations[index]) return 1;
  c->done = index + 1;
  return 0;
}

int flowseq_translate(flowseq_translator *t, const char *const *sources, int n, const flowseq_options *options,
                      char **translations) {
  const char *function = "flowseq_translate";
  if (n > 0 && !translations) return refuse(function, "translations is NULL (n = %d)", n);
  for (int i = 0; i < n; i++) translations[i] = NULL;
  flowseq_options o = options ? *options : flowseq_default_options(FLOWSEQ_ARGMAX);
  if (check_options(function, &o)) return -1; /* n_best too, which one translation a sentence sets to 1 */
  o.n_best = 1;
  collected c = {translations, 0};
  if (translate_each(function, t, sources, n, &o, collect, &c) == 0) return 0;
  for (int i = 0; i < c.done; i++) free(translations[i]), translations[i] = NULL;
  return -1;
}

/* ---- scoring -------------------------------------------------------------------------------- */

/* Scores `rows` encoded pairs into logprob and per_token (either may be NULL). */
static fs_status score_batch(flowseq_translator *t, const fs_source *src, const fs_source *tgt, int rows,
                             const flowseq_options *o, double *logprob, double *per_token) {
  int S = 0, eos = t->model.cfg.model.eos_id;
  for (int k = 0; k < rows; k++) S = src[k].n + 1 > S ? src[k].n + 1 : S;
  int32_t *ids = calloc((size_t)rows * S, sizeof(int32_t));
  float *mask = calloc((size_t)rows * S, sizeof(float));
  const int32_t **targets = malloc(sizeof *targets * rows);
  int *lengths = malloc(sizeof(int) * rows);
  double *lp = malloc(sizeof(double) * rows), *len_lp = calloc(rows, sizeof(double));
  fs_status s = ids && mask && targets && lengths && lp && len_lp
                    ? FS_OK
                    : fs_error(FS_ERR_MEMORY, "out of memory for a scoring batch of %d pairs", rows);
  for (int k = 0; s == FS_OK && k < rows; k++) {
    memcpy(ids + (size_t)k * S, src[k].ids, sizeof(int32_t) * src[k].n);
    ids[(size_t)k * S + src[k].n] = eos;
    for (int i = 0; i <= src[k].n; i++) mask[(size_t)k * S + i] = 1.0f;
    targets[k] = tgt[k].ids;
    lengths[k] = tgt[k].n;
  }
  fs_model *m = &t->model.model;
  if (s == FS_OK && m->type == FS_MODEL_TRANSFORMER)
    s = fs_transformer_score_pairs(&t->model.engine, &m->transformer, ids, mask, rows, S, targets, lengths, lp, NULL);
  else if (s == FS_OK)
    s = fs_score_pairs(&t->model.engine, &m->flowseq, ids, mask, rows, S, targets, lengths, o->iw_samples, o->seed, lp,
                       len_lp);
  for (int k = 0; s == FS_OK && k < rows; k++) {
    if (logprob) logprob[k] = lp[k] + len_lp[k];
    if (per_token) per_token[k] = (lp[k] + len_lp[k]) / (lengths[k] + 1);
  }
  free(ids), free(mask), free(targets), free(lengths), free(lp), free(len_lp);
  return s;
}

int flowseq_score(flowseq_translator *t, const char *const *sources, const char *const *targets, int n,
                  const flowseq_options *options, double *logprob, double *logprob_per_token) {
  const char *function = "flowseq_score";
  flowseq_options o = options ? *options : flowseq_default_options(FLOWSEQ_ARGMAX);
  if (!t) return refuse(function, "t is NULL");
  if (check_sentences(function, "sources", sources, n) || check_sentences(function, "targets", targets, n) ||
      check_options(function, &o))
    return -1;
  /* a FlowSeq batch scores each pair with iw_samples posterior samples */
  int pairs_per_batch = o.max_sentences ? o.max_sentences : 32;
  if (t->model.model.type == FS_MODEL_FLOWSEQ &&
      check_rows(function, "max_sentences x iw_samples", (int64_t)pairs_per_batch * o.iw_samples))
    return -1;
  fs_source *src = calloc(n ? n : 1, sizeof *src), *tgt = calloc(n ? n : 1, sizeof *tgt);
  fs_status s = src && tgt ? FS_OK : fs_error(FS_ERR_MEMORY, "flowseq_score: out of memory for %d pairs", n);
  for (int i = 0; s == FS_OK && i < n; i++) {
    s = fs_spm_encode(t->model.spm, sources[i], &src[i].ids, &src[i].n);
    if (s == FS_OK) s = fs_spm_encode(t->model.spm, targets[i], &tgt[i].ids, &tgt[i].n);
  }
  for (int first = 0, rows = 0; s == FS_OK && first < n; first += rows) { /* first + rows <= n: no overflow */
    rows = n - first < pairs_per_batch ? n - first : pairs_per_batch;
    s = score_batch(t, src + first, tgt + first, rows, &o, logprob ? logprob + first : NULL,
                    logprob_per_token ? logprob_per_token + first : NULL);
  }
  for (int i = 0; i < n && src && tgt; i++) free(src[i].ids), free(tgt[i].ids);
  free(src);
  free(tgt);
  return s == FS_OK ? 0 : -1;
}
