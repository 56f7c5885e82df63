/* flowseq sample: several diverse translations per sentence, Moses n-best format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/decode_args.h"

static const char *usage_text =
    "usage: flowseq sample -m MODEL_DIR -n N [-i FILE] [-o FILE] [--lengths L] [--tau T] [--seed S]\n"
    "                     [--rescore TEACHER_DIR] [--beam K] [--collapse-repeats]\n\n"
    "Writes N translations per input sentence in Moses n-best format, best first. A FlowSeq model\n"
    "decodes L top lengths x N/L latent samples at temperature T (default L 1, T 1.0):\n"
    "  id ||| text ||| len=log P(T|x) prior=log p(z|x) dec=log p(y|z,x) ||| total\n"
    "with total their sum; with --rescore TEACHER_DIR they are ranked by the teacher and a feature\n"
    "teacher=log p_teacher(y|x)/(length+1) follows dec. An autoregressive Transformer gives the N best of a beam search (beam\n"
    "max(N, --beam K)):\n"
    "  id ||| text ||| dec=log p(y|x) ||| total\n"
    "with total the log-probability divided by length^--lenpen (the beam's ranking). Sentence ids\n"
    "count from 0.\n";

static int by_score(const void *a, const void *b) {
  const flowseq_candidate *x = a, *y = b;
  return (x->score > y->score) - (x->score < y->score);
}

static fs_status write_nbest(void *ctx, int index, const flowseq_candidate *c, int n, int best) {
  (void)best;
  decode_output *w = ctx;
  flowseq_candidate *sorted = malloc(sizeof *sorted * (n ? n : 1));
  if (n) memcpy(sorted, c, sizeof *sorted * n); /* an empty line has no candidates, and c is NULL (UBSan) */
  qsort(sorted, n, sizeof *sorted, by_score);
  for (int i = 0; i < n; i++) {
    char *text = flowseq_runner_text(w->runner, &sorted[i], w->collapse_repeats);
    double total = sorted[i].length_logprob + sorted[i].prior_logprob + sorted[i].decoder_logprob;
    if (w->runner->model.type == FS_MODEL_TRANSFORMER)
      fprintf(w->out, "%d ||| %s ||| dec=%.4f ||| %.4f\n", index, text, sorted[i].decoder_logprob, -sorted[i].score);
    else if (w->rescored)
      fprintf(w->out, "%d ||| %s ||| len=%.4f prior=%.4f dec=%.4f teacher=%.4f ||| %.4f\n", index, text,
              sorted[i].length_logprob, sorted[i].prior_logprob, sorted[i].decoder_logprob, -sorted[i].score, total);
    else
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
  flowseq_decode_options *d = &a.run.search.flowseq;
  /* FlowSeq: N samples = L lengths x ceil(N / L) latent samples each, at temperature 1 unless --tau */
  *d = (flowseq_decode_options){FLOWSEQ_DECODE_NPD, d->lengths, (a.n_best + d->lengths - 1) / d->lengths,
                                a.tau_given ? d->tau : 1.0f, 1, d->seed, NULL, NULL};
  /* Transformer: the N best of the beam */
  fs_beam_options *b = &a.run.search.beam;
  b->beam = b->beam > a.n_best ? b->beam : a.n_best;
  b->nbest = a.n_best;
  return decode_args_run(&a, "sample", write_nbest);
}
