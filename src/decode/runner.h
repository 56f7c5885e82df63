/* What translate, sample and score share: a loaded model directory (config, weights, tokenizer)
 * and decoding a list of raw sentences in length-sorted, token-bounded batches while keeping
 * every result at its input position. */
#ifndef FLOWSEQ_DECODE_RUNNER_H
#define FLOWSEQ_DECODE_RUNNER_H

#include "decode/search.h"
#include "model/config.h"
#include "text/spm.h"

typedef struct {
  fs_config cfg;
  fs_model model;
  fs_spm *spm;
  fs_engine engine;
} flowseq_runner;

/* Loads DIR/config.yaml, DIR/model.safetensors and DIR/spm.model; a missing or mismatched file
 * is an error naming it. arena_mb sizes the activation arena. */
fs_status flowseq_runner_open(flowseq_runner *r, const char *dir, int arena_mb);
void flowseq_runner_close(flowseq_runner *r);

/* Called once per input sentence, in input order, with its candidates (n of them, best first is
 * NOT implied: `best` indexes the chosen one). Empty inputs get n = 0. */
typedef fs_status (*flowseq_result_fn)(void *ctx, int index, const flowseq_candidate *c, int n, int best);

typedef struct {
  fs_search_options search;
  int max_tokens;   /* decoder tokens per batch: source tokens x fs_search_rows_per_sentence */
  int max_length;   /* longer inputs are truncated (with a warning) to this many tokens */
  bool quiet;
} flowseq_run_options;

fs_status flowseq_runner_decode(flowseq_runner *r, char **lines, int n, const flowseq_run_options *o,
                                flowseq_result_fn on_result, void *ctx);

/* Detokenized text of a candidate's output (tokens before the first EOS), malloc'd. With
 * collapse_repeats, a token equal to the one before it is dropped first: parallel decoders
 * tend to emit the same token at neighbouring positions ("a a man"), and removing those is the
 * usual post-processing of non-autoregressive output (Gu et al. 2018, Lee et al. 2018). */
char *flowseq_runner_text(const flowseq_runner *r, const flowseq_candidate *c, bool collapse_repeats);

/* Removes each token equal to its predecessor in place; returns the new length. */
int flowseq_collapse_repeats(int32_t *tokens, int n);

#endif
