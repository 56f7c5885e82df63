/* flowseq score: the model's importance-weighted estimate of log p(y|x) for given translations. */
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_args.h"
#include "cli/cli_outputs.h"
#include "cli/commands.h"
#include "core/fileio.h"
#include "flowseq.h"
#include "text/corpus.h"

static const char *usage_text =
    "usage: flowseq score -m MODEL_DIR -s SRC -t TGT [--iw-samples K] [--seed S] [--batch-size N]\n"
    "                    [--quiet]\n\n"
    "Prints one line per sentence pair: log p(y|x), then the same per target token (EOS included),\n"
    "TAB-separated. A FlowSeq model estimates log p(y|x,T) + log P(T|x) by importance weighting with K\n"
    "posterior samples (default 4; docs/model.md#iwd); an autoregressive Transformer gives it exactly\n"
    "(teacher forcing). SRC and TGT are raw text (.txt, .gz, .sgm, FILE.tsv:N). Pairs are scored\n"
    "--batch-size at a time (32).\n";

int cmd_score(int argc, char **argv) {
  const char *model = NULL, *src_path = NULL, *tgt_path = NULL;
  int K = 4, rows_per_batch = 32;
  bool quiet = false;
  unsigned long long seed = 1;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(o, "-h") || !strcmp(o, "--help")) return fputs(usage_text, stdout), 0;
    if (!strcmp(o, "--quiet")) {
      quiet = true;
      continue;
    }
    static const char *const value_options[] = {"-m", "-s", "-t", "--iw-samples", "--seed", "--batch-size", NULL};
    if (!cli_is_one_of(o, value_options)) return cli_unknown("score", o);
    if (!v) return fprintf(stderr, "flowseq score: %s needs a value (see --help)\n", o), 2;
    i++;
    bool ok = true;
    if (!strcmp(o, "-m")) model = v;
    else if (!strcmp(o, "-s")) src_path = v;
    else if (!strcmp(o, "-t")) tgt_path = v;
    else if (!strcmp(o, "--iw-samples")) ok = cli_int("score", o, v, 1, FLOWSEQ_MAX_SAMPLES, &K);
    else if (!strcmp(o, "--seed")) ok = cli_u64("score", o, v, &seed);
    else if (!strcmp(o, "--batch-size")) ok = cli_int("score", o, v, 1, FLOWSEQ_MAX_ROWS, &rows_per_batch);
    if (!ok) return 2;
  }
  if (!model || !src_path || !tgt_path || K < 1 || rows_per_batch < 1)
    return fprintf(stderr,
                   "flowseq score: need -m MODEL_DIR -s SRC -t TGT (and positive --iw-samples, --batch-size)\n"),
           2;
  cli_inputs inputs = {0};
  cli_inputs_add(&inputs, src_path);
  cli_inputs_add(&inputs, tgt_path);
  cli_inputs_add_model(&inputs, model);
  int refused = cli_inputs_check(&inputs, "score", NULL); /* results go to standard output */
  cli_inputs_free(&inputs);
  if (refused) return refused;
  fs_text src = {0}, tgt = {0};
  flowseq_translator *t = NULL;
  double *logprob = NULL, *per_token = NULL;
  fs_status s = fs_parallel_read(src_path, tgt_path, &src, &tgt);
  if (s == FS_OK) {
    flowseq_set_logging(quiet ? FLOWSEQ_LOG_WARNINGS : FLOWSEQ_LOG_ALL);
    t = flowseq_open(model, NULL);
    logprob = malloc(sizeof(double) * (src.count ? src.count : 1));
    per_token = malloc(sizeof(double) * (src.count ? src.count : 1));
    flowseq_options o = flowseq_default_options(FLOWSEQ_ARGMAX);
    o.iw_samples = K;
    o.seed = seed;
    o.max_sentences = rows_per_batch;
    const char *const *sources = (const char *const *)src.lines, *const *targets = (const char *const *)tgt.lines;
    if (!t) s = FS_ERR_ARG;
    else if (!logprob || !per_token) s = fs_error(FS_ERR_MEMORY, "out of memory for %d scores", src.count);
    else if (flowseq_score(t, sources, targets, src.count, &o, logprob, per_token)) s = FS_ERR_ARG;
  }
  fs_output out; /* every line checked: a full disk or /dev/full stops here with the cause */
  fs_output_wrap(&out, stdout, "stdout");
  for (int i = 0; s == FS_OK && i < src.count; i++)
    s = fs_output_printf(&out, "%.4f\t%.4f\n", logprob[i], per_token[i]);
  if (s == FS_OK) s = fs_output_close(&out);
  if (s != FS_OK) fprintf(stderr, "flowseq score: %s\n", flowseq_last_error());
  free(logprob);
  free(per_token);
  if (src.lines) fs_text_free(&src), fs_text_free(&tgt);
  flowseq_close(t);
  return s == FS_OK ? 0 : 1;
}
