/* The public interface, include/flowseq.h, on the bundled models, through nothing but that header:
 * errors come back as -1 or NULL with a message; translations keep input order and empty lines;
 * hypotheses come best first; the translation of flowseq_translate is the first hypothesis of
 * flowseq_translate_each; a Transformer's scores of its own outputs agree with flowseq_score's
 * teacher forcing; and two translators translating at once in two threads give what they give one
 * after the other (the header's thread-safety statement). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowseq.h"
#include "test.h"

static const char *const sources[] = {
    "Ein Mann fährt mit dem Fahrrad eine Straße entlang.",
    "",
    "Zwei Hunde spielen im Schnee.",
    "Eine Frau in einem roten Kleid singt auf einer Bühne vor vielen Menschen.",
    "Ein kleines Kind isst einen Apfel.",
    "Ein Junge springt von einem Felsen in einen See, während seine Freunde zusehen.",
};
enum { N = sizeof sources / sizeof sources[0] };

static char student[4096], teacher[4096];

/* ---- hypotheses through the callback -------------------------------------------------------- */

typedef struct {
  int calls, counts[N], in_order;
  char *first[N];
  double scores[N][16];
  int decreasing;
} seen;

static int remember(void *user_data, int index, const flowseq_hypothesis *h, int n) {
  seen *s = user_data;
  s->in_order &= index == s->calls++;
  s->counts[index] = n;
  s->first[index] = strdup(n ? h[0].text : "");
  for (int i = 0; i < n && i < 16; i++) s->scores[index][i] = h[i].score;
  for (int i = 1; i < n; i++) s->decreasing &= h[i].score <= h[i - 1].score;
  return 0;
}

static int stop_at_once(void *user_data, int index, const flowseq_hypothesis *h, int n) {
  (void)user_data, (void)index, (void)h, (void)n;
  return 1;
}

static void free_seen(seen *s) {
  for (int i = 0; i < N; i++) free(s->first[i]);
}

static void check_errors(flowseq_translator *t) {
  CHECK(flowseq_open("/nonexistent/model", NULL) == NULL);
  CHECK_MSG(strstr(flowseq_last_error(), "/nonexistent/model/config.yaml") != NULL, "%s", flowseq_last_error());
  flowseq_open_options swapped = {student, 0};
  CHECK_MSG(flowseq_open(teacher, &swapped) == NULL && strstr(flowseq_last_error(), "FlowSeq"),
            "a Transformer with a teacher: %s", flowseq_last_error());
  char *out[N];
  flowseq_options o = flowseq_default_options(FLOWSEQ_NPD);
  o.rescore = 1;
  CHECK_MSG(flowseq_translate(t, sources, N, &o, out) == -1 && strstr(flowseq_last_error(), "teacher_dir"),
            "rescore without a teacher: %s", flowseq_last_error());
  o = flowseq_default_options(FLOWSEQ_ARGMAX);
  o.lengths = 0;
  CHECK_MSG(flowseq_translate(t, sources, N, &o, out) == -1 && strstr(flowseq_last_error(), "options->lengths"),
            "lengths 0: %s", flowseq_last_error());
  CHECK_MSG(flowseq_translate_each(t, sources, N, NULL, stop_at_once, NULL) == -1 &&
                strstr(flowseq_last_error(), "stopped by the callback"),
            "a callback that stops: %s", flowseq_last_error());
}

/* FlowSeq: argmax translations, and npd's 15 candidates ranked best first. */
static void check_flowseq(flowseq_translator *t) {
  CHECK(!flowseq_is_autoregressive(t));
  char *out[N];
  CHECK_MSG(flowseq_translate(t, sources, N, NULL, out) == 0, "%s", flowseq_last_error());
  for (int i = 0; i < N; i++) CHECK_MSG((strlen(out[i]) == 0) == (i == 1), "line %d: \"%s\"", i, out[i]);
  flowseq_options o = flowseq_default_options(FLOWSEQ_NPD);
  char *npd[N];
  CHECK(flowseq_translate(t, sources, N, &o, npd) == 0);
  o.n_best = 15;
  seen s = {.in_order = 1, .decreasing = 1};
  CHECK_MSG(flowseq_translate_each(t, sources, N, &o, remember, &s) == 0, "%s", flowseq_last_error());
  CHECK(s.calls == N && s.in_order);
  CHECK(s.decreasing); /* self-ranked: the chosen candidate has the best score, and the rest follow */
  for (int i = 0; i < N; i++) {
    CHECK_MSG(s.counts[i] == (i == 1 ? 0 : 15), "line %d: %d hypotheses", i, s.counts[i]);
    CHECK_MSG(!strcmp(s.first[i], npd[i]), "line %d: \"%s\" vs \"%s\"", i, s.first[i], npd[i]);
  }
  free_seen(&s);
  for (int i = 0; i < N; i++) free(out[i]), free(npd[i]);
}

/* The Transformer: the beam's 4 best, and flowseq_score of the best agrees with its own score. */
static void check_transformer(void) {
  flowseq_translator *t = flowseq_open(teacher, NULL);
  CHECK_MSG(t != NULL, "%s", flowseq_last_error());
  if (!t) return;
  CHECK(flowseq_is_autoregressive(t));
  flowseq_options o = flowseq_default_options(FLOWSEQ_ARGMAX);
  o.n_best = 4;
  seen s = {.in_order = 1, .decreasing = 1};
  CHECK_MSG(flowseq_translate_each(t, sources, N, &o, remember, &s) == 0, "%s", flowseq_last_error());
  CHECK(s.in_order && s.decreasing);
  const char *src[N - 1], *best[N - 1];
  double expected[N - 1], logprob[N - 1], per_token[N - 1];
  for (int i = 0, k = 0; i < N; i++) {
    if (i == 1) continue;
    CHECK_MSG(s.counts[i] == 4, "line %d: %d hypotheses", i, s.counts[i]);
    src[k] = sources[i], best[k] = s.first[i], expected[k++] = s.scores[i][0];
  }
  CHECK_MSG(flowseq_score(t, src, best, N - 1, NULL, logprob, per_token) == 0, "%s", flowseq_last_error());
  /* length penalty 1: the beam's score is log p(y|x) / (tokens + 1), as per_token is */
  for (int k = 0; k < N - 1; k++) CHECK_CLOSE(per_token[k], expected[k], 2e-3, 1e-3);
  free_seen(&s);
  flowseq_close(t);
}

/* ---- two translators at once ---------------------------------------------------------------- */

typedef struct {
  char *out[N];
  int rc;
} job;

static void *translate_job(void *arg) {
  job *j = arg;
  flowseq_translator *t = flowseq_open(student, NULL);
  flowseq_options o = flowseq_default_options(FLOWSEQ_NPD);
  j->rc = t ? flowseq_translate(t, sources, N, &o, j->out) : -1;
  flowseq_close(t);
  return NULL;
}

static void check_threads(void) {
  job one = {0}, two[2] = {0};
  translate_job(&one);
  pthread_t threads[2];
  for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, translate_job, &two[i]);
  for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
  CHECK(one.rc == 0 && two[0].rc == 0 && two[1].rc == 0);
  for (int k = 0; k < 2; k++)
    for (int i = 0; one.rc == 0 && two[k].rc == 0 && i < N; i++)
      CHECK_MSG(!strcmp(one.out[i], two[k].out[i]), "thread %d, line %d: \"%s\" vs \"%s\"", k, i, two[k].out[i],
                one.out[i]);
  for (int i = 0; i < N; i++) {
    if (one.rc == 0) free(one.out[i]);
    for (int k = 0; k < 2; k++)
      if (two[k].rc == 0) free(two[k].out[i]);
  }
}

int main(void) {
  const char *root = getenv("FLOWSEQ_SOURCE_DIR") ? getenv("FLOWSEQ_SOURCE_DIR") : ".";
  snprintf(student, sizeof student, "%s/models/flowseq-small-multi30k", root);
  snprintf(teacher, sizeof teacher, "%s/models/ar-small-multi30k", root);
  char version[64];
  snprintf(version, sizeof version, "%d.%d.%d", FLOWSEQ_VERSION_MAJOR, FLOWSEQ_VERSION_MINOR, FLOWSEQ_VERSION_PATCH);
  CHECK_MSG(!strcmp(flowseq_version(), version), "library %s, header %s", flowseq_version(), version);
  flowseq_translator *t = flowseq_open(student, NULL);
  if (!t) SKIP("the bundled models cannot be opened: %s", flowseq_last_error());
  check_errors(t);
  check_flowseq(t);
  flowseq_close(t);
  check_transformer();
  check_threads();
  return test_summary();
}
