/* Decoding a list of raw sentences: the implementation; decode/runner.h describes the interface. */
#include "decode/runner.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/cpu/threads.h"
#include "core/alloc.h"
#include "core/log.h"
#include "model/model_dir.h"

char *fs_runner_file(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *path = fs_malloc(n);
  snprintf(path, n, "%s/%s", dir, name);
  return path;
}

fs_status fs_runner_open(fs_runner *r, const char *dir, int arena_mb) {
  memset(r, 0, sizeof *r);
  const char *needed[] = {"config.yaml", "model.safetensors", "spm.model"};
  for (int i = 0; i < 3; i++) {
    char *path = fs_runner_file(dir, needed[i]);
    bool missing = access(path, R_OK) != 0;
    if (missing)
      fs_error(FS_ERR_IO, "%s: missing (a model directory holds config.yaml, model.safetensors, spm.model)", path);
    free(path);
    if (missing) return FS_ERR_IO;
  }
  const fs_backend *be = fs_backend_default();
  FS_TRY(fs_model_dir_load(dir, be, FS_PARAMS_NO_GRADIENTS, &r->cfg, &r->model));
  char *path = fs_runner_file(dir, "spm.model");
  fs_status s = fs_spm_load(path, &r->spm);
  if (s == FS_OK && fs_spm_vocab_size(r->spm) != r->cfg.model.vocab)
    s = fs_error(FS_ERR_FORMAT, "%s: the tokenizer has %d pieces but config.yaml says model.vocab = %d", path,
                 fs_spm_vocab_size(r->spm), r->cfg.model.vocab);
  free(path);
  if (s == FS_OK && !(r->repeat_is_text = malloc(sizeof(bool) * r->cfg.model.vocab)))
    s = fs_error(FS_ERR_MEMORY, "out of memory for a vocabulary of %d pieces", r->cfg.model.vocab);
  for (int id = 0; s == FS_OK && id < r->cfg.model.vocab; id++)
    r->repeat_is_text[id] = fs_spm_repeat_is_text(r->spm, id);
  if (s == FS_OK) s = fs_engine_init(&r->engine, be, (size_t)arena_mb << 20, 256 << 20);
  if (s != FS_OK) fs_runner_close(r);
  return s;
}

void fs_runner_close(fs_runner *r) {
  fs_engine_free(&r->engine);
  fs_model_free(&r->model);
  if (r->spm) fs_spm_free(r->spm);
  free(r->repeat_is_text);
}

/* ---- encode --------------------------------------------------------------------------------- */

typedef struct {
  int n, line;
} length_key;

static int by_length(const void *a, const void *b) {
  const length_key *x = a, *y = b;
  return x->n != y->n ? x->n - y->n : x->line - y->line;
}

fs_status fs_source_plan_build(const fs_runner *r, const char *const *lines, int n, int max_length, long first_line,
                               long *truncated, fs_source_plan *p) {
  memset(p, 0, sizeof *p);
  /* the pieces and EOS must fit the model's position table, whatever the caller's limit (the CLI's
   * default, 250, is more than a small model's table): one long line must not fail the run */
  int limit = max_length, table = r->cfg.model.max_length - 1;
  const char *why = "the maximum input length, --max-length";
  if (limit > table) limit = table, why = "the model's position table, model.max_length";
  p->count = n;
  p->lines = calloc(n ? n : 1, sizeof *p->lines);
  p->order = malloc(sizeof(int) * (n ? n : 1));
  length_key *keys = malloc(sizeof *keys * (n ? n : 1));
  if (!p->lines || !p->order || !keys) {
    free(keys);
    fs_source_plan_free(p);
    return fs_error(FS_ERR_MEMORY, "out of memory for the plan of %d input lines", n);
  }
  fs_status s = FS_OK;
  for (int i = 0; s == FS_OK && i < n; i++) {
    fs_source *x = &p->lines[i];
    s = fs_spm_encode(r->spm, lines[i], &x->ids, &x->n);
    if (s == FS_OK && x->n > limit) {
      if (!(*truncated)++)
        fs_warn("decode", "line %ld has %d tokens: truncated to %d (%s)", first_line + i + 1, x->n, limit, why);
      x->n = limit;
    }
    if (s == FS_OK && x->n > 0) keys[p->n_order++] = (length_key){x->n, i};
  }
  qsort(keys, p->n_order, sizeof *keys, by_length);
  for (int i = 0; i < p->n_order; i++) p->order[i] = keys[i].line;
  free(keys);
  if (s != FS_OK) fs_source_plan_free(p);
  return s;
}

void fs_source_plan_free(fs_source_plan *p) {
  for (int i = 0; p->lines && i < p->count; i++) free(p->lines[i].ids);
  free(p->lines);
  free(p->order);
  memset(p, 0, sizeof *p);
}

/* ---- batch ---------------------------------------------------------------------------------- */

fs_status fs_source_plan_next(fs_source_plan *p, int eos, long max_tokens, int max_sentences, int rows_per_sentence,
                              fs_source_batch *b) {
  memset(b, 0, sizeof *b);
  if (p->next == p->n_order) return FS_OK;
  int rows = 0, S = 0;
  while (p->next + rows < p->n_order && (!max_sentences || rows < max_sentences)) { /* lengths only grow */
    int len = p->lines[p->order[p->next + rows]].n + 1;
    if (rows > 0 && (long)(rows + 1) * len * rows_per_sentence > max_tokens) break;
    S = len;
    rows++;
  }
  b->rows = rows;
  b->src_len = S;
  b->src = calloc((size_t)rows * S, sizeof(int32_t));
  b->mask = calloc((size_t)rows * S, sizeof(float));
  b->line = malloc(sizeof(int) * rows);
  if (!b->src || !b->mask || !b->line) {
    fs_source_batch_free(b);
    return fs_error(FS_ERR_MEMORY, "out of memory for a batch of %d x %d source tokens", rows, S);
  }
  for (int k = 0; k < rows; k++) {
    b->line[k] = p->order[p->next + k];
    const fs_source *x = &p->lines[b->line[k]];
    memcpy(b->src + (size_t)k * S, x->ids, sizeof(int32_t) * x->n);
    b->src[(size_t)k * S + x->n] = eos;
    for (int t = 0; t <= x->n; t++) b->mask[(size_t)k * S + t] = 1.0f;
    b->tokens += x->n + 1;
  }
  p->next += rows;
  return FS_OK;
}

void fs_source_batch_free(fs_source_batch *b) {
  free(b->src);
  free(b->mask);
  free(b->line);
  memset(b, 0, sizeof *b);
}

/* ---- emit ----------------------------------------------------------------------------------- */

struct fs_pending_result {
  fs_candidate *c;
  int n, best;
  bool ready;
};

fs_status fs_result_queue_init(fs_result_queue *q, const fs_source_plan *p) {
  q->count = p->count;
  q->next = 0;
  q->slots = calloc(p->count ? p->count : 1, sizeof *q->slots);
  if (!q->slots) return fs_error(FS_ERR_MEMORY, "out of memory for the results of %d lines", p->count);
  for (int i = 0; i < p->count; i++) q->slots[i].ready = p->lines[i].n == 0;
  return FS_OK;
}

fs_status fs_result_queue_put(fs_result_queue *q, const fs_source_batch *b, fs_candidate *c, int n, const int *best) {
  fs_status s = FS_OK;
  /* each row's candidates are consecutive in c: copy them into the row's own slot */
  for (int k = 0, at = 0; k < b->rows; k++) {
    int begin = at;
    while (at < n && c[at].sentence == k) at++;
    struct fs_pending_result *slot = &q->slots[b->line[k]];
    slot->n = at - begin;
    slot->c = malloc(sizeof *slot->c * (slot->n ? slot->n : 1));
    if (!slot->c) {
      for (int i = begin; i < n; i++) free(c[i].tokens);
      s = fs_error(FS_ERR_MEMORY, "out of memory for the candidates of a batch");
      break;
    }
    memcpy(slot->c, c + begin, sizeof *slot->c * slot->n);
    slot->best = best[k] - begin;
    slot->ready = true;
  }
  free(c); /* the token arrays now belong to the slots */
  return s;
}

fs_status fs_result_queue_emit(fs_result_queue *q, fs_result_fn on_result, void *ctx) {
  fs_status s = FS_OK;
  while (s == FS_OK && q->next < q->count && q->slots[q->next].ready) {
    struct fs_pending_result *slot = &q->slots[q->next];
    s = on_result(ctx, q->next, slot->c, slot->n, slot->n ? slot->best : -1);
    fs_candidates_free(slot->c, slot->n);
    slot->c = NULL;
    q->next++;
  }
  return s;
}

void fs_result_queue_free(fs_result_queue *q) {
  for (int i = 0; q->slots && i < q->count; i++)
    if (q->slots[i].c) fs_candidates_free(q->slots[i].c, q->slots[i].n);
  free(q->slots);
  memset(q, 0, sizeof *q);
}

/* ---- the whole run -------------------------------------------------------------------------- */

/* What a run has done so far, over all its windows, for the log. */
typedef struct {
  long read, done; /* lines with content read and decoded */
  long tokens;     /* source tokens decoded, EOS included */
  long truncated;  /* lines cut to the maximum length */
  double start, last_report;
  bool quiet;
  bool read_all; /* the input's end was reached: `read` is its total */
} run_progress;

static void report(const run_progress *pr, double t) {
  double seconds = t - pr->start + 1e-9;
  fs_log("decode", "%ld/%ld lines%s, %.1f lines/s, %.0f source tokens/s", pr->done, pr->read,
         pr->read_all ? "" : " (the input goes on)", pr->done / seconds, pr->tokens / seconds);
}

/* The last words of a run: how far it got, and how many lines were cut. */
static void report_end(const run_progress *pr) {
  if (!pr->quiet && pr->read) report(pr, fs_seconds());
  if (pr->truncated > 1) fs_warn("decode", "%ld lines truncated in all", pr->truncated);
}

/* Results of a window handed on with the input's line numbers. */
typedef struct {
  fs_result_fn on_result;
  void *ctx;
  int first;
} offset_results;

static fs_status hand_on_offset(void *ctx, int index, const fs_candidate *c, int n, int best) {
  offset_results *o = ctx;
  return o->on_result(o->ctx, o->first + index, c, n, best);
}

/* Decodes lines [first, first + n) of the input: encoded, sorted by length, batched, each batch's
 * results handed on as soon as every line before them is done. */
static fs_status decode_window(fs_runner *r, const char *const *lines, int n, int first, const fs_run_options *o,
                               fs_result_fn on_result, void *ctx, run_progress *pr) {
  fs_source_plan plan;
  fs_result_queue queue = {0};
  FS_TRY(fs_source_plan_build(r, lines, n, o->max_length, first, &pr->truncated, &plan));
  pr->read += plan.n_order;
  offset_results results = {on_result, ctx, first};
  fs_status s = fs_result_queue_init(&queue, &plan);
  if (s == FS_OK) s = fs_result_queue_emit(&queue, hand_on_offset, &results); /* leading empty lines */
  int rows_per_sentence = fs_search_rows_per_sentence(&r->model, &o->search);
  while (s == FS_OK && plan.next < plan.n_order) {
    fs_source_batch b;
    fs_threads_adapt(); /* fewer threads while other work holds cores */
    s = fs_source_plan_next(&plan, r->cfg.model.eos_id, o->max_tokens, o->max_sentences, rows_per_sentence, &b);
    fs_candidate *c = NULL;
    int count = 0, *best = malloc(sizeof(int) * (b.rows ? b.rows : 1));
    if (s == FS_OK && !best) s = fs_error(FS_ERR_MEMORY, "out of memory for a batch of %d sentences", b.rows);
    if (s == FS_OK)
      s = fs_search(&r->engine, &r->model, b.src, b.mask, b.rows, b.src_len, &o->search, &c, &count, best);
    if (s == FS_OK) s = fs_result_queue_put(&queue, &b, c, count, best);
    if (s == FS_OK) s = fs_result_queue_emit(&queue, hand_on_offset, &results);
    if (s == FS_OK) pr->done += b.rows, pr->tokens += b.tokens;
    free(best);
    fs_source_batch_free(&b);
    double t = fs_seconds();
    if (s == FS_OK && !pr->quiet && t - pr->last_report > 5) {
      report(pr, t);
      pr->last_report = t;
    }
  }
  fs_result_queue_free(&queue);
  fs_source_plan_free(&plan);
  return s;
}

fs_status fs_runner_decode(fs_runner *r, const char *const *lines, int n, const fs_run_options *o,
                           fs_result_fn on_result, void *ctx) {
  run_progress pr = {.start = fs_seconds(), .quiet = o->quiet, .read_all = true};
  pr.last_report = pr.start;
  fs_status s = decode_window(r, lines, n, 0, o, on_result, ctx, &pr);
  if (s == FS_OK) report_end(&pr);
  return s;
}

fs_status fs_runner_decode_stream(fs_runner *r, fs_next_line_fn next_line, void *line_ctx, const fs_run_options *o,
                                  fs_result_fn on_result, void *ctx) {
  int window_lines = o->window_lines > 0 ? o->window_lines : FS_WINDOW_LINES;
  size_t window_bytes = o->window_bytes > 0 ? o->window_bytes : FS_WINDOW_BYTES;
  char **window = malloc(sizeof(char *) * window_lines);
  if (!window) return fs_error(FS_ERR_MEMORY, "out of memory for a window of %d lines", window_lines);
  run_progress pr = {.start = fs_seconds(), .quiet = o->quiet};
  pr.last_report = pr.start;
  fs_status s = FS_OK;
  long first = 0; /* the window's first line in the input, from 0 */
  for (bool end = false; s == FS_OK && !end;) {
    int n = 0;
    size_t bytes = 0;
    while (n < window_lines && bytes < window_bytes) {
      char *line;
      s = next_line(line_ctx, &line);
      if (s != FS_OK || !line) {
        end = true;
        break;
      }
      window[n++] = line;
      bytes += strlen(line) + 1;
    }
    pr.read_all = end;
    if (s == FS_OK && first + n > INT_MAX)
      s = fs_error(FS_ERR_ARG, "the input has more than %d lines, more than one run translates", INT_MAX);
    if (s == FS_OK && n) s = decode_window(r, (const char *const *)window, n, (int)first, o, on_result, ctx, &pr);
    for (int i = 0; i < n; i++) free(window[i]);
    first += n;
  }
  free(window);
  if (s == FS_OK) report_end(&pr);
  return s;
}

/* ---- output text ---------------------------------------------------------------------------- */

int fs_collapse_repeats(int32_t *tokens, int n, const bool *keep) {
  int kept = 0;
  for (int i = 0; i < n; i++)
    if (kept == 0 || tokens[i] != tokens[kept - 1] || (keep && keep[tokens[i]])) tokens[kept++] = tokens[i];
  return kept;
}

char *fs_runner_text(const fs_runner *r, const fs_candidate *c, bool collapse_repeats) {
  int n = c->output_length;
  int32_t *collapsed = NULL; /* the candidate's own tokens stay as scored */
  if (collapse_repeats) {
    collapsed = malloc(sizeof(int32_t) * (n ? n : 1));
    if (!collapsed) return NULL;
    memcpy(collapsed, c->tokens, sizeof(int32_t) * n);
    n = fs_collapse_repeats(collapsed, n, r->repeat_is_text);
  }
  char *text = NULL;
  fs_status s = fs_spm_decode(r->spm, collapsed ? collapsed : c->tokens, n, &text);
  free(collapsed);
  if (s != FS_OK) return NULL;
  /* a piece that decodes to a lone word boundary beside another ("a ▁ dog") leaves two spaces;
   * parallel decoders emit those, and no translation needs them */
  char *out = text;
  for (const char *p = text; *p; p++)
    if (*p != ' ' || (out > text && out[-1] != ' ')) *out++ = *p;
  if (out > text && out[-1] == ' ') out--;
  *out = '\0';
  return text;
}
