/* Bad arguments to every function of include/flowseq.h, on both bundled models (issue 22): NULL for
 * each pointer, negative, zero, huge and overflowing counts and options, NaN, invalid UTF-8, empty
 * strings, an empty model directory name, a directory without config.yaml and a file where a
 * directory belongs. Each call must fail with -1 or NULL and a message naming the function and the
 * argument (or, where the header says so, succeed or do nothing), and never crash: the sanitized
 * build (scripts/test-sanitized.sh) runs this test too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowseq.h"
#include "test.h"

static char student[4096], teacher[4096];

/* The call failed (rc -1) with a message holding each of the NULL-terminated words. */
#define FAILS(rc, ...) check_failure(__FILE__, __LINE__, #rc, (rc) == -1, (const char *[]){__VA_ARGS__, NULL})
#define FAILS_NULL(p, ...) check_failure(__FILE__, __LINE__, #p, (p) == NULL, (const char *[]){__VA_ARGS__, NULL})

static void check_failure(const char *file, int line, const char *call, int failed, const char *const *words) {
  const char *e = flowseq_last_error();
  int ok = failed && e && *e;
  for (int i = 0; ok && words[i]; i++) ok = strstr(e, words[i]) != NULL;
  if (ok) test_passed_++;
  else {
    test_failed_++;
    fprintf(stderr, "%s:%d: %s: %s, message \"%s\"", file, line, call, failed ? "failed" : "did not fail", e ? e : "");
    for (int i = 0; words[i]; i++) fprintf(stderr, "%s\"%s\"", i ? ", " : " lacks one of ", words[i]);
    fputc('\n', stderr);
  }
}

static int count_calls(void *user_data, int index, const flowseq_hypothesis *h, int n) {
  (void)index, (void)h, (void)n;
  ++*(int *)user_data;
  return 0;
}

static char sentinel[] = "not written"; /* what a failing flowseq_translate must overwrite with NULL */
static const char *const good[] = {"Zwei Hunde spielen im Schnee.", "Ein Mann fährt Fahrrad."};
static const char *const with_null[] = {"Zwei Hunde spielen im Schnee.", NULL};
static const char *const bad_utf8[][2] = {
    {"Ein Mann", "ein \xff Hund"},            /* a byte that never occurs in UTF-8 */
    {"Ein Mann", "M\xc3"},                    /* cut in the middle of a character */
    {"Ein Mann", "\xc0\xaf"},                 /* an overlong '/' */
    {"Ein Mann", "Stra\xed\xa0\x80\x65"},     /* a surrogate */
    {"Ein Mann", "\xf4\x90\x80\x80 zu weit"}, /* past U+10FFFF */
    {"Ein Mann", "\x80"},                     /* a lone continuation byte */
};

/* ---- flowseq_open --------------------------------------------------------------------------- */

static void check_open(void) {
  FAILS_NULL(flowseq_open(NULL, NULL), "flowseq_open", "model_dir");
  FAILS_NULL(flowseq_open("", NULL), "flowseq_open", "model_dir");
  FAILS_NULL(flowseq_open("/nonexistent/model", NULL), "/nonexistent/model/config.yaml");
  char empty[] = "/tmp/flowseq_api_args_XXXXXX";
  CHECK(mkdtemp(empty) != NULL);
  FAILS_NULL(flowseq_open(empty, NULL), "config.yaml");
  char file[sizeof student + 16];
  snprintf(file, sizeof file, "%s/config.yaml", student);
  FAILS_NULL(flowseq_open(file, NULL), "flowseq_open", "model_dir", "not a directory");
  flowseq_open_options o = {"", 0};
  FAILS_NULL(flowseq_open(student, &o), "flowseq_open", "teacher_dir");
  o.teacher_dir = file;
  FAILS_NULL(flowseq_open(student, &o), "flowseq_open", "teacher_dir", "not a directory");
  o.teacher_dir = empty;
  FAILS_NULL(flowseq_open(student, &o), "config.yaml");
  rmdir(empty);
  int arenas[] = {-1, -1000, FLOWSEQ_MAX_ARENA_MB + 1, 2147483647, -2147483647 - 1};
  for (int i = 0; i < 5; i++) {
    o = (flowseq_open_options){NULL, arenas[i]};
    FAILS_NULL(flowseq_open(student, &o), "flowseq_open", "arena_mb");
  }
}

/* ---- the options ---------------------------------------------------------------------------- */

typedef struct {
  const char *field;
  void (*set)(flowseq_options *o, double v);
  double values[6];
  int n;
} bad_option;

#define SETTER(name, type) \
  static void set_##name(flowseq_options *o, double v) { o->name = (type)v; }
SETTER(lengths, int)
SETTER(samples, int)
SETTER(iw_samples, int)
SETTER(beam, int)
SETTER(n_best, int)
SETTER(max_tokens, int)
SETTER(max_length, int)
SETTER(max_sentences, int)
SETTER(tau, float)
SETTER(length_penalty, float)
SETTER(max_length_a, float)
SETTER(max_length_b, float)

static const bad_option bad_options[] = {
    {"options->lengths", set_lengths, {0, -1, FLOWSEQ_MAX_LENGTHS + 1, 100000, 2147483647, -2147483647.0 - 1}, 6},
    {"options->samples", set_samples, {0, -5, FLOWSEQ_MAX_SAMPLES + 1, 100000, 2147483647}, 5},
    {"options->iw_samples", set_iw_samples, {0, -1, FLOWSEQ_MAX_SAMPLES + 1, 2147483647}, 4},
    {"options->beam", set_beam, {0, -1, FLOWSEQ_MAX_BEAM + 1, 2147483647}, 4},
    {"options->n_best", set_n_best, {0, -1, FLOWSEQ_MAX_BEAM + 1, 2147483647}, 4},
    {"options->max_tokens", set_max_tokens, {0, -1, (double)FLOWSEQ_MAX_TOKENS + 1, 2147483647}, 4},
    {"options->max_length", set_max_length, {0, -1, (double)FLOWSEQ_MAX_INPUT_TOKENS + 1, 2147483647}, 4},
    {"options->max_sentences", set_max_sentences, {-1, FLOWSEQ_MAX_ROWS + 1, 2147483647}, 3},
    {"options->tau", set_tau, {-0.5, FLOWSEQ_MAX_TAU * 2, NAN, INFINITY, -INFINITY}, 5},
    {"options->length_penalty", set_length_penalty, {-1, FLOWSEQ_MAX_LENGTH_PENALTY * 2, NAN, INFINITY}, 4},
    {"options->max_length_a", set_max_length_a, {-1, FLOWSEQ_MAX_LENGTH_A * 2, NAN, INFINITY}, 4},
    {"options->max_length_b", set_max_length_b, {-1, FLOWSEQ_MAX_LENGTH_B * 2, NAN, 1e30}, 4},
};
enum { N_BAD_OPTIONS = sizeof bad_options / sizeof bad_options[0] };

/* Every way options can be wrong, through every call taking them, on translator t. */
static void check_options(flowseq_translator *t) {
  char *out[2];
  double logprob[2];
  int calls = 0;
  for (int k = 0; k < N_BAD_OPTIONS; k++) {
    const bad_option *b = &bad_options[k];
    for (int i = 0; i < b->n; i++) {
      for (int mode = FLOWSEQ_ARGMAX; mode <= FLOWSEQ_IWD; mode++) {
        flowseq_options o = flowseq_default_options((flowseq_decoding)mode);
        b->set(&o, b->values[i]);
        FAILS(flowseq_translate(t, good, 2, &o, out), "flowseq_translate", b->field);
        FAILS(flowseq_translate_each(t, good, 2, &o, count_calls, &calls), "flowseq_translate_each", b->field);
        FAILS(flowseq_score(t, good, good, 2, &o, logprob, NULL), "flowseq_score", b->field);
      }
    }
  }
  CHECK_MSG(calls == 0, "the callback ran %d times for refused options", calls);
  /* the decoding mode itself */
  int modes[] = {3, -1, 1000};
  for (int i = 0; i < 3; i++) {
    flowseq_options o = flowseq_default_options((flowseq_decoding)modes[i]);
    FAILS(flowseq_translate(t, good, 2, &o, out), "flowseq_translate", "options->decoding");
    FAILS(flowseq_translate_each(t, good, 2, &o, count_calls, &calls), "flowseq_translate_each", "options->decoding");
    FAILS(flowseq_score(t, good, good, 2, &o, logprob, NULL), "flowseq_score", "options->decoding");
  }
  /* products past FLOWSEQ_MAX_ROWS, each factor within its own limit (a FlowSeq model decodes
   * them; a Transformer ignores lengths, samples and iw_samples); 100 x 1000 x 1000 rows is 10^8,
   * and 10^5 sentences x 1000 samples 10^8 too */
  flowseq_options o = flowseq_default_options(FLOWSEQ_IWD);
  o.lengths = FLOWSEQ_MAX_LENGTHS, o.samples = FLOWSEQ_MAX_SAMPLES, o.iw_samples = FLOWSEQ_MAX_SAMPLES;
  if (!flowseq_is_autoregressive(t)) {
    FAILS(flowseq_translate(t, good, 2, &o, out), "flowseq_translate", "iw_samples", "FLOWSEQ_MAX_ROWS");
    FAILS(flowseq_translate_each(t, good, 2, &o, count_calls, &calls), "flowseq_translate_each", "FLOWSEQ_MAX_ROWS");
    o.lengths = 2, o.samples = 251, o.iw_samples = 200; /* 100400 */
    FAILS(flowseq_translate(t, good, 2, &o, out), "flowseq_translate", "iw_samples", "FLOWSEQ_MAX_ROWS");
    o = flowseq_default_options(FLOWSEQ_ARGMAX);
    o.max_sentences = FLOWSEQ_MAX_ROWS, o.iw_samples = FLOWSEQ_MAX_SAMPLES;
    FAILS(flowseq_score(t, good, good, 2, &o, logprob, NULL), "flowseq_score", "max_sentences", "FLOWSEQ_MAX_ROWS");
  }
  /* rescoring without a teacher, or with argmax */
  o = flowseq_default_options(FLOWSEQ_NPD);
  o.rescore = 1;
  FAILS(flowseq_translate(t, good, 2, &o, out), "flowseq_translate", "rescore", "teacher_dir");
  CHECK(calls == 0);
}

/* ---- translating and scoring ---------------------------------------------------------------- */

/* NULL and negative arguments, NULL and invalid sentences, on translator t. */
static void check_calls(flowseq_translator *t) {
  char *out[2];
  double logprob[2], per_token[2];
  int calls = 0;
  flowseq_options argmax = flowseq_default_options(FLOWSEQ_ARGMAX);

  FAILS(flowseq_translate(NULL, good, 2, NULL, out), "flowseq_translate", "t is NULL");
  FAILS(flowseq_translate(t, NULL, 2, NULL, out), "flowseq_translate", "sources is NULL");
  FAILS(flowseq_translate(t, good, 2, NULL, NULL), "flowseq_translate", "translations is NULL");
  FAILS(flowseq_translate(t, good, -1, NULL, out), "flowseq_translate", "n is -1");
  FAILS(flowseq_translate(t, good, -2147483647 - 1, NULL, out), "flowseq_translate", "n is");
  out[0] = out[1] = sentinel; /* must come back NULL */
  FAILS(flowseq_translate(t, with_null, 2, NULL, out), "flowseq_translate", "sources[1] is NULL");
  CHECK(out[0] == NULL && out[1] == NULL);
  for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
    out[0] = out[1] = sentinel;
    FAILS(flowseq_translate(t, bad_utf8[i], 2, &argmax, out), "flowseq_translate", "sources[1]", "UTF-8");
    CHECK(out[0] == NULL && out[1] == NULL);
  }
  CHECK_MSG(flowseq_translate(t, NULL, 0, NULL, NULL) == 0, "n = 0: %s", flowseq_last_error());
  const char *empty[] = {"", ""};
  int rc = flowseq_translate(t, empty, 2, NULL, out);
  CHECK_MSG(rc == 0 && !strcmp(out[0], "") && !strcmp(out[1], ""), "empty sentences: %s", flowseq_last_error());
  if (rc == 0) free(out[0]), free(out[1]);

  FAILS(flowseq_translate_each(NULL, good, 2, NULL, count_calls, &calls), "flowseq_translate_each", "t is NULL");
  FAILS(flowseq_translate_each(t, NULL, 2, NULL, count_calls, &calls), "flowseq_translate_each", "sources is NULL");
  FAILS(flowseq_translate_each(t, good, -3, NULL, count_calls, &calls), "flowseq_translate_each", "n is -3");
  FAILS(flowseq_translate_each(t, good, 2, NULL, NULL, &calls), "flowseq_translate_each", "on_result is NULL");
  FAILS(flowseq_translate_each(t, with_null, 2, NULL, count_calls, &calls), "flowseq_translate_each",
        "sources[1] is NULL");
  for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++)
    FAILS(flowseq_translate_each(t, bad_utf8[i], 2, NULL, count_calls, &calls), "flowseq_translate_each", "sources[1]",
          "UTF-8");
  CHECK_MSG(calls == 0, "the callback ran %d times for refused calls", calls);
  CHECK(flowseq_translate_each(t, NULL, 0, NULL, NULL, NULL) == -1); /* no callback, even for nothing */
  CHECK(flowseq_translate_each(t, NULL, 0, NULL, count_calls, &calls) == 0 && calls == 0);

  FAILS(flowseq_score(NULL, good, good, 2, NULL, logprob, per_token), "flowseq_score", "t is NULL");
  FAILS(flowseq_score(t, NULL, good, 2, NULL, logprob, per_token), "flowseq_score", "sources is NULL");
  FAILS(flowseq_score(t, good, NULL, 2, NULL, logprob, per_token), "flowseq_score", "targets is NULL");
  FAILS(flowseq_score(t, good, good, -1, NULL, logprob, per_token), "flowseq_score", "n is -1");
  FAILS(flowseq_score(t, with_null, good, 2, NULL, logprob, per_token), "flowseq_score", "sources[1] is NULL");
  FAILS(flowseq_score(t, good, with_null, 2, NULL, logprob, per_token), "flowseq_score", "targets[1] is NULL");
  for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
    FAILS(flowseq_score(t, bad_utf8[i], good, 2, NULL, logprob, NULL), "flowseq_score", "sources[1]", "UTF-8");
    FAILS(flowseq_score(t, good, bad_utf8[i], 2, NULL, NULL, per_token), "flowseq_score", "targets[1]", "UTF-8");
  }
  CHECK_MSG(flowseq_score(t, NULL, NULL, 0, NULL, NULL, NULL) == 0, "n = 0: %s", flowseq_last_error());
  /* both outputs may be NULL; empty sources and targets are sentences like any other */
  CHECK_MSG(flowseq_score(t, good, good, 2, NULL, NULL, NULL) == 0, "%s", flowseq_last_error());
  CHECK_MSG(flowseq_score(t, empty, empty, 2, NULL, logprob, per_token) == 0, "%s", flowseq_last_error());

  /* a sentence longer than the model's position table: cut when translating, an error (not a
   * crash) when scoring */
  size_t words = 3000;
  char *long_sentence = malloc(words * 5 + 1);
  for (size_t i = 0; i < words; i++) memcpy(long_sentence + 5 * i, "Hund ", 5);
  long_sentence[words * 5] = '\0';
  const char *longs[] = {long_sentence, "Ein Hund."};
  argmax.max_length_a = 0, argmax.max_length_b = 8; /* a Transformer's output kept short */
  rc = flowseq_translate(t, longs, 2, &argmax, out);
  CHECK_MSG(rc == 0, "%s", flowseq_last_error());
  if (rc == 0) free(out[0]), free(out[1]);
  rc = flowseq_score(t, longs, longs, 2, NULL, logprob, per_token);
  CHECK_MSG(rc == 0 || *flowseq_last_error(), "score of a long sentence: %d", rc);
  free(long_sentence);
}

int main(void) {
  const char *src = getenv("FLOWSEQ_SOURCE_DIR");
  snprintf(student, sizeof student, "%s/models/flowseq-small-multi30k", src ? src : ".");
  snprintf(teacher, sizeof teacher, "%s/models/ar-small-multi30k", src ? src : ".");
  char weights[2][sizeof student + 32];
  snprintf(weights[0], sizeof weights[0], "%s/model.safetensors", student);
  snprintf(weights[1], sizeof weights[1], "%s/model.safetensors", teacher);
  if (access(weights[0], R_OK) || access(weights[1], R_OK)) SKIP("the bundled models are missing");

  CHECK(strcmp(flowseq_version(), "") != 0);
  flowseq_set_logging(0);
  flowseq_close(NULL); /* does nothing */
  FAILS(flowseq_is_autoregressive(NULL), "flowseq_is_autoregressive", "t is NULL");
  check_open();

  const char *dirs[] = {student, teacher};
  for (int k = 0; k < 2; k++) {
    flowseq_translator *t = flowseq_open(dirs[k], NULL);
    CHECK_MSG(t != NULL, "%s: %s", dirs[k], flowseq_last_error());
    if (!t) continue;
    CHECK(flowseq_is_autoregressive(t) == k);
    check_calls(t);
    check_options(t);
    flowseq_close(t);
  }
  return test_summary();
}
