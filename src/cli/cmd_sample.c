/* flowseq sample: several diverse translations per sentence, Moses n-best format. */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/decode_args.h"

static const char *usage_text =
    "usage: flowseq sample -m MODEL_DIR -n N [-i FILE] [-o FILE] [--lengths L] [--tau T] [--seed S]\n"
    "                     [--rescore TEACHER_DIR] [--beam K] [--no-collapse-repeats]\n\n"
    "Writes N translations per input sentence in Moses n-best format, best first. A FlowSeq model\n"
    "decodes L top lengths x N/L latent samples at temperature T (default L 1, T 1.0):\n"
    "  id ||| text ||| len=log P(T|x) prior=log p(z|x) dec=log p(y|z,x) ||| total\n"
    "with total their sum; with --rescore TEACHER_DIR they are ranked by the teacher and a feature\n"
    "teacher=log p_teacher(y|x)/(length+1) follows dec. An autoregressive Transformer gives the N best\n"
    "of a beam search (beam max(N, --beam K)):\n"
    "  id ||| text ||| dec=log p(y|x) ||| total\n"
    "with total the log-probability divided by length^--lenpen (the beam's ranking). Sentence ids\n"
    "count from 0.\n";

/* One Moses n-best line per hypothesis, best first. */
static int write_nbest(void *user_data, int index, const flowseq_hypothesis *hyps, int n) {
  decode_output *w = user_data;
  fs_status s = FS_OK;
  for (int i = 0; s == FS_OK && i < n; i++) {
    const flowseq_hypothesis *h = &hyps[i];
    double total = h->length_logprob + h->prior_logprob + h->decoder_logprob;
    if (w->autoregressive)
      s = fs_output_printf(w->out, "%d ||| %s ||| dec=%.4f ||| %.4f\n", index, h->text, h->decoder_logprob, h->score);
    else if (w->rescored)
      s = fs_output_printf(w->out, "%d ||| %s ||| len=%.4f prior=%.4f dec=%.4f teacher=%.4f ||| %.4f\n", index, h->text,
                           h->length_logprob, h->prior_logprob, h->decoder_logprob, h->score, total);
    else
      s = fs_output_printf(w->out, "%d ||| %s ||| len=%.4f prior=%.4f dec=%.4f ||| %.4f\n", index, h->text,
                           h->length_logprob, h->prior_logprob, h->decoder_logprob, total);
  }
  return s != FS_OK;
}

int cmd_sample(int argc, char **argv) {
  decode_args a;
  int rc = decode_args_parse(argc, argv, &a, "sample", usage_text);
  if (rc) return rc < 0 ? 0 : rc;
  flowseq_options *o = &a.options;
  /* FlowSeq: N samples = L lengths x ceil(N / L) latent samples each, at temperature 1 unless
   * --tau; a Transformer gives the N best of a beam of max(N, --beam) */
  o->decoding = FLOWSEQ_NPD;
  o->samples = (a.n_best + o->lengths - 1) / o->lengths;
  o->tau = a.tau_given ? o->tau : 1.0f;
  o->n_best = a.n_best;
  return decode_args_run(&a, "sample", write_nbest);
}
