/* Decoding a list of raw sentences with a loaded model directory, in three steps that the
 * library (api/translator.c) and `flowseq score` compose:
 *   encode   fs_source_plan_build: every line tokenized (cut to a maximum length), and the
 *            non-empty ones ordered by length;
 *   batch    fs_source_plan_next: the next token-bounded batch of similar lengths, as the id and
 *            mask arrays a decoder takes;
 *   emit     fs_result_queue: each sentence's candidates kept until every sentence before it is
 *            done, then handed on in input order.
 * fs_runner_decode runs the three over a list with progress on the log; fs_runner_decode_stream
 * over an input of any length, read line by line, one window of lines at a time. */
#ifndef FLOWSEQ_DECODE_RUNNER_H
#define FLOWSEQ_DECODE_RUNNER_H

#include "decode/search.h"
#include "model/config.h"
#include "text/spm.h"

/* A model directory in memory: its config, weights, tokenizer, and the engine that runs it. */
typedef struct {
  fs_config cfg;
  fs_model model;
  fs_spm *spm;
  bool *repeat_is_text; /* per id: fs_spm_repeat_is_text, for collapse_repeats */
  fs_engine engine;
} fs_runner;

/* Loads DIR/config.yaml, DIR/model.safetensors and DIR/spm.model; a missing or mismatched file
 * is an error naming it, and nothing stays allocated. arena_mb sizes the activation arena. */
fs_status fs_runner_open(fs_runner *r, const char *dir, int arena_mb);
void fs_runner_close(fs_runner *r);

/* DIR/NAME, malloc'd, whatever their length (a path cut to a buffer would name another file). */
char *fs_runner_file(const char *dir, const char *name);

/* ---- encode --------------------------------------------------------------------------------- */

typedef struct {
  int32_t *ids; /* n source pieces, without EOS */
  int n;
} fs_source;

typedef struct {
  fs_source *lines; /* every input line, in input order */
  int count;
  int *order; /* the indices of the non-empty lines, shortest first (ties in input order) */
  int n_order;
  int next; /* order[next] is the first line not yet batched */
} fs_source_plan;

/* Tokenizes N lines, the first of which is line first_line + 1 of the input. Lines longer than
 * max_length pieces, or than the model's position table takes, are cut, with a log line for the
 * first of the run (*truncated, the run's count so far, is 0) naming its line; *truncated counts
 * them. */
fs_status fs_source_plan_build(const fs_runner *r, const char *const *lines, int n, int max_length, long first_line,
                               long *truncated, fs_source_plan *p);
void fs_source_plan_free(fs_source_plan *p);

/* ---- batch ---------------------------------------------------------------------------------- */

typedef struct {
  int rows, src_len;
  int32_t *src; /* [rows, src_len]: pieces, EOS, then padding */
  float *mask;  /* [rows, src_len]: 1 on pieces and EOS */
  int *line;    /* [rows]: the input line of each row */
  long tokens;  /* source tokens in the batch, EOS included */
} fs_source_batch;

/* The next batch of the plan: as many lines as fit in max_tokens, each line counted as its length
 * (EOS included) × rows_per_sentence decoder rows, and at most max_sentences lines (0: no count);
 * always at least one line. b->rows is 0 when every line was batched before. */
fs_status fs_source_plan_next(fs_source_plan *p, int eos, long max_tokens, int max_sentences, int rows_per_sentence,
                              fs_source_batch *b);
void fs_source_batch_free(fs_source_batch *b);

/* ---- emit ----------------------------------------------------------------------------------- */

/* Receives each sentence's candidates, in input order (n = 0 for an empty line); `best` indexes
 * the chosen one. */
typedef fs_status (*fs_result_fn)(void *ctx, int index, const fs_candidate *c, int n, int best);

typedef struct {
  struct fs_pending_result *slots; /* one per input line */
  int count, next;                 /* slots[next] is the first not yet handed on */
} fs_result_queue;

/* A queue for the lines of a plan: empty lines are ready from the start. */
fs_status fs_result_queue_init(fs_result_queue *q, const fs_source_plan *p);
/* Takes the candidates a decoder returned for a batch (grouped by row, best[row] the chosen
 * index into c), owning them from here on. */
fs_status fs_result_queue_put(fs_result_queue *q, const fs_source_batch *b, fs_candidate *c, int n, const int *best);
/* Hands every ready sentence at the head of the queue to on_result. */
fs_status fs_result_queue_emit(fs_result_queue *q, fs_result_fn on_result, void *ctx);
void fs_result_queue_free(fs_result_queue *q);

/* ---- the whole run -------------------------------------------------------------------------- */

/* The window of fs_runner_decode_stream: this many lines, or fewer holding at least this many
 * bytes of text (one line at least). Sorting by length and batching happen within a window, so
 * an input that fits one is decoded exactly as fs_runner_decode decodes it as a whole (test_2016,
 * 1000 lines, and newstest, 3000, do); a window of ordinary sentences holds a few MB. */
enum { FS_WINDOW_LINES = 4096, FS_WINDOW_BYTES = 2 << 20 };

typedef struct {
  fs_search_options search;
  int max_tokens;      /* decoder tokens per batch: source tokens x fs_search_rows_per_sentence */
  int max_sentences;   /* and sentences per batch, at most (0: no count) */
  int max_length;      /* longer inputs are cut to this many tokens */
  bool quiet;          /* no lines/s progress on the log */
  int window_lines;    /* fs_runner_decode_stream's window (0: FS_WINDOW_LINES) */
  size_t window_bytes; /* and its text (0: FS_WINDOW_BYTES) */
} fs_run_options;

fs_status fs_runner_decode(fs_runner *r, const char *const *lines, int n, const fs_run_options *o,
                           fs_result_fn on_result, void *ctx);

/* Supplies the next input line: *line receives it (malloc'd, the callee frees it), NULL at the end. */
typedef fs_status (*fs_next_line_fn)(void *ctx, char **line);

/* fs_runner_decode over the lines next_line supplies, in windows (o->window_lines and
 * window_bytes): each window is encoded, sorted, batched and decoded as fs_runner_decode does a
 * list, its results handed on in input order (indices count from the input's first line) and
 * freed before the next window is read, so memory does not grow with the input. An input of more
 * than INT_MAX lines is an error when it gets there. */
fs_status fs_runner_decode_stream(fs_runner *r, fs_next_line_fn next_line, void *line_ctx, const fs_run_options *o,
                                  fs_result_fn on_result, void *ctx);

/* ---- output text ---------------------------------------------------------------------------- */

/* Detokenized text of a candidate's output (tokens before the first EOS), malloc'd (NULL when out
 * of memory). With collapse_repeats, a token equal to the one before it is dropped first: parallel
 * decoders tend to emit the same token at neighbouring positions ("a a man"), and removing those
 * is the usual post-processing of non-autoregressive output (Gu et al. 2018, Lee et al. 2018).
 * Digit and byte pieces stay: their repeats spell "100" or a character. Runs of spaces become
 * one, and the text is trimmed. */
char *fs_runner_text(const fs_runner *r, const fs_candidate *c, bool collapse_repeats);

/* Removes each token equal to its predecessor in place, except ids whose keep[id] is true (keep
 * may be NULL: none kept); returns the new length. */
int fs_collapse_repeats(int32_t *tokens, int n, const bool *keep);

#endif
