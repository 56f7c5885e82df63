/* flowseq sample: several diverse translations per sentence, Moses n-best format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/decode_args.h"
#include "core/fileio.h"

static const char *usage_text =
    "usage: flowseq sample -m MODEL_DIR -n N [-i FILE] [-o FILE] [--lengths L] [--tau T] [--seed S]\n\n"
    "Writes N translations per input sentence (L top lengths x N/L latent samples at temperature T,\n"
    "default L 1, T 1.0) in Moses n-best format, best first:\n"
    "  id ||| text ||| len=log P(T|x) prior=log p(z|x) dec=log p(y|z,x) ||| total\n"
    "with total their sum. Sentence ids count from 0.\n";

typedef struct {
  flowseq_runner *runner;
  FILE *out;
} writer;

static int by_score(const void *a, const void *b) {
  const flowseq_candidate *x = a, *y = b;
  return (x->score > y->score) - (x->score < y->score);
}

static fs_status write_nbest(void *ctx, int index, const flowseq_candidate *c, int n, int best) {
  (void)best;
  writer *w = ctx;
  flowseq_candidate *sorted = malloc(sizeof *sorted * (n ? n : 1));
  memcpy(sorted, c, sizeof *sorted * n);
  qsort(sorted, n, sizeof *sorted, by_score);
  for (int i = 0; i < n; i++) {
    char *text = flowseq_runner_text(w->runner, &sorted[i]);
    double total = sorted[i].length_logprob + sorted[i].prior_logprob + sorted[i].decoder_logprob;
    fprintf(w->out, "%d ||| %s ||| len=%.4f prior=%.4f dec=%.4f ||| %.4f\n", index, text, sorted[i].length_logprob,
            sorted[i].prior_logprob, sorted[i].decoder_logprob, total);
    free(text);
  }
  free(sorted);
  return ferror(w->out) ? fs_error(FS_ERR_IO, "write failed") : FS_OK;
}

int cmd_sample(int argc, char **argv) {
  decode_args a;
  int rc = decode_args_parse(argc, argv, &a, "sample", usage_text);
  if (rc) return rc < 0 ? 0 : rc;
  flowseq_decode_options *d = &a.run.decode;
  int lengths = d->mode == FLOWSEQ_DECODE_ARGMAX ? 1 : d->lengths; /* --lengths given: kept by the parser */
  *d = (flowseq_decode_options){FLOWSEQ_DECODE_NPD, lengths, (a.n_best + lengths - 1) / lengths,
                                d->mode == FLOWSEQ_DECODE_ARGMAX && d->tau == 0 ? 1.0f : d->tau, 1, d->seed, NULL, NULL};
  flowseq_runner r;
  char **lines = NULL;
  int n = 0;
  fs_status s = decode_args_read_input(&a, &lines, &n);
  if (s == FS_OK) s = flowseq_runner_open(&r, a.model, a.arena_mb);
  fs_atomic_file out = {0};
  bool to_file = a.output && strcmp(a.output, "-");
  if (s == FS_OK && to_file) s = fs_atomic_open(&out, a.output);
  if (s == FS_OK) {
    writer w = {&r, to_file ? out.file : stdout};
    s = flowseq_runner_decode(&r, lines, n, &a.run, write_nbest, &w);
    if (to_file) s = s == FS_OK ? fs_atomic_commit(&out) : (fs_atomic_abort(&out), s);
  }
  for (int i = 0; i < n; i++) free(lines[i]);
  free(lines);
  if (s != FS_OK) {
    fprintf(stderr, "flowseq sample: %s\n", fs_last_error());
    return 1;
  }
  flowseq_runner_close(&r);
  return 0;
}
