/* flowseq sample: several diverse translations per sentence, Moses n-best format. */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/decode_args.h"

static const char *usage_text =
    "usage: flowseq sample -m MODEL_DIR -n N [-i FILE] [-o FILE] [--lengths L] [--tau T] [--seed S]\n"
    "                     [--rescore TEACHER_DIR] [--beam K] [--no-collapse-repeats] [options]\n\n"
    "Writes N translations per input sentence (-n or --n-best) in Moses n-best format, best first. A\n"
    "FlowSeq model decodes L top lengths x N/L latent samples at temperature T (default L 1, T 1.0),\n"
    "ranked by the model, or with --rescore TEACHER_DIR by the teacher; an autoregressive Transformer\n"
    "gives the N best of a beam search (beam max(N, --beam K)). Other options as for translate\n"
    "(--batch-size, --max-tokens, --quiet, ...). The lines:\n";

int cmd_sample(int argc, char **argv) {
  decode_args a;
  int rc = decode_args_parse(argc, argv, &a, "sample", usage_text);
  if (rc < 0) {
    fputs(decode_nbest_format_help, stdout);
    return 0;
  }
  if (rc) return rc;
  flowseq_options *o = &a.options;
  /* FlowSeq: N samples = L lengths x ceil(N / L) latent samples each, at temperature 1 unless
   * --tau; a Transformer gives the N best of a beam of max(N, --beam) */
  o->decoding = FLOWSEQ_NPD;
  o->samples = (a.n_best + o->lengths - 1) / o->lengths;
  o->tau = a.tau_given ? o->tau : 1.0f;
  o->n_best = a.n_best;
  return decode_args_run(&a, "sample", decode_write_nbest);
}
