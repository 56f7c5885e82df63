/* What translate, sample and score share: the implementation; decode/runner.h describes the interface. */
#include "decode/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "train/checkpoint.h"

fs_status flowseq_runner_open(flowseq_runner *r, const char *dir, int arena_mb) {
  memset(r, 0, sizeof *r);
  const char *needed[] = {"config.yaml", "model.safetensors", "spm.model"};
  char path[2048];
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, needed[i]);
    if (access(path, R_OK)) return fs_error(FS_ERR_IO, "%s: missing (a model directory holds config.yaml, model.safetensors, spm.model)", path);
  }
  FS_TRY(fs_checkpoint_config(dir, &r->cfg));
  snprintf(path, sizeof path, "%s/spm.model", dir);
  FS_TRY(fs_spm_load(path, &r->spm));
  if (fs_spm_vocab_size(r->spm) != r->cfg.model.vocab)
    return fs_error(FS_ERR_FORMAT, "%s: the tokenizer has %d pieces but config.yaml says model.vocab = %d", path,
                    fs_spm_vocab_size(r->spm), r->cfg.model.vocab);
  const fs_backend *be = fs_backend_default();
  FS_TRY(fs_model_create(&r->model, &r->cfg.model, be, 1, FS_PARAMS_NO_GRADIENTS));
  FS_TRY(fs_checkpoint_load(dir, &r->model, NULL, NULL));
  return fs_engine_init(&r->engine, be, (size_t)arena_mb << 20, 256 << 20);
}

void flowseq_runner_close(flowseq_runner *r) {
  fs_engine_free(&r->engine);
  fs_model_free(&r->model);
  if (r->spm) fs_spm_free(r->spm);
}

int flowseq_collapse_repeats(int32_t *tokens, int n) {
  int kept = 0;
  for (int i = 0; i < n; i++)
    if (kept == 0 || tokens[i] != tokens[kept - 1]) tokens[kept++] = tokens[i];
  return kept;
}

char *flowseq_runner_text(const flowseq_runner *r, const flowseq_candidate *c, bool collapse_repeats) {
  int n = c->output_length;
  int32_t *collapsed = NULL; /* the candidate's own tokens stay as scored */
  if (collapse_repeats) {
    collapsed = malloc(sizeof(int32_t) * (n ? n : 1));
    memcpy(collapsed, c->tokens, sizeof(int32_t) * n);
    n = flowseq_collapse_repeats(collapsed, n);
  }
  char *text = NULL;
  fs_status s = fs_spm_decode(r->spm, collapsed ? collapsed : c->tokens, n, &text);
  free(collapsed);
  return s == FS_OK ? text : strdup("");
}

typedef struct {
  int32_t *ids;
  int n, index;
} encoded;

static const encoded *sort_base;
static int by_length(const void *a, const void *b) {
  const encoded *x = &sort_base[*(const int *)a], *y = &sort_base[*(const int *)b];
  return x->n != y->n ? x->n - y->n : x->index - y->index;
}

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Candidates of every sentence, kept until the sentences before it are written. */
typedef struct {
  flowseq_candidate *c;
  int n, best;
  bool done;
} pending;

fs_status flowseq_runner_decode(flowseq_runner *r, char **lines, int n, const flowseq_run_options *o,
                                flowseq_result_fn on_result, void *ctx) {
  encoded *enc = calloc(n ? n : 1, sizeof *enc);
  int *order = malloc(sizeof(int) * (n ? n : 1)), n_order = 0, eos = r->cfg.model.eos_id, truncated = 0;
  /* the tokens and EOS must fit the model's position table, whatever --max-length says (its
   * default, 250, is more than a small model's table): one long line must not fail the run */
  int limit = o->max_length, table = r->cfg.model.max_length - 1;
  const char *why = "--max-length";
  if (limit > table) limit = table, why = "the model's position table, model.max_length";
  fs_status s = FS_OK;
  for (int i = 0; s == FS_OK && i < n; i++) {
    enc[i].index = i;
    s = fs_spm_encode(r->spm, lines[i], &enc[i].ids, &enc[i].n);
    if (s == FS_OK && enc[i].n > limit) {
      if (!truncated++) fs_log("decode", "line %d has %d tokens: truncated to %d (%s)", i + 1, enc[i].n, limit, why);
      enc[i].n = limit;
    }
    if (s == FS_OK && enc[i].n > 0) order[n_order++] = i;
  }
  if (truncated > 1) fs_log("decode", "%d lines truncated in all", truncated);
  sort_base = enc;
  qsort(order, n_order, sizeof(int), by_length);
  pending *results = calloc(n ? n : 1, sizeof *results);
  int next_out = 0;
  long tokens = 0;
  double start = seconds(), last_report = start;
  long per_sentence = fs_search_rows_per_sentence(&r->model, &o->search);
  for (int first = 0; s == FS_OK && first < n_order;) {
    int S = enc[order[first]].n + 1, rows = 0;
    while (first + rows < n_order) { /* token-bounded batch of similar lengths */
      int len = enc[order[first + rows]].n + 1;
      if (rows > 0 && (long)(rows + 1) * len * per_sentence > o->max_tokens) break;
      S = len;
      rows++;
    }
    int32_t *src = calloc((size_t)rows * S, sizeof(int32_t));
    float *mask = calloc((size_t)rows * S, sizeof(float));
    for (int k = 0; k < rows; k++) {
      const encoded *x = &enc[order[first + k]];
      memcpy(src + k * S, x->ids, sizeof(int32_t) * x->n);
      src[k * S + x->n] = eos;
      for (int t = 0; t <= x->n; t++) mask[k * S + t] = 1.0f;
      tokens += x->n + 1;
    }
    flowseq_candidate *c;
    int count, *best = malloc(sizeof(int) * rows);
    s = fs_search(&r->engine, &r->model, src, mask, rows, S, &o->search, &c, &count, best);
    /* hand each sentence its own slice of candidates (they are grouped by sentence) */
    for (int k = 0, at = 0; s == FS_OK && k < rows; k++) {
      int begin = at;
      while (at < count && c[at].sentence == k) at++;
      pending *p = &results[order[first + k]];
      p->n = at - begin;
      p->c = malloc(sizeof *p->c * (p->n ? p->n : 1));
      memcpy(p->c, c + begin, sizeof *p->c * p->n);
      p->best = best[k] - begin;
      p->done = true;
    }
    if (s == FS_OK) free(c);
    free(best);
    free(src);
    free(mask);
    first += rows;
    /* write every finished sentence in input order; empty inputs are done at once */
    while (s == FS_OK && next_out < n && (results[next_out].done || enc[next_out].n == 0)) {
      pending *p = &results[next_out];
      s = on_result(ctx, next_out, p->c, p->n, p->best);
      flowseq_candidates_free(p->c, p->n);
      p->c = NULL;
      next_out++;
    }
    double t = seconds();
    if (!o->quiet && (t - last_report > 5 || first == n_order)) {
      fs_log("decode", "%d/%d lines, %.1f lines/s, %.0f source tokens/s", first, n_order, first / (t - start + 1e-9),
             tokens / (t - start + 1e-9));
      last_report = t;
    }
  }
  while (s == FS_OK && next_out < n) s = on_result(ctx, next_out++, NULL, 0, -1); /* trailing empty lines */
  for (int i = 0; i < n; i++) {
    free(enc[i].ids);
    if (results[i].c) flowseq_candidates_free(results[i].c, results[i].n);
  }
  free(results);
  free(enc);
  free(order);
  return s;
}
