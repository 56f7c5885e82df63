/* flowseq translate: raw German in, detokenized English out, input order kept, streamed a window
 * of lines at a time (cli/decode_args.h). */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/decode_args.h"

static const char *usage_text =
    "usage: flowseq translate -m MODEL_DIR [-i FILE] [-o FILE] [options]\n\n"
    "Translates raw text (one sentence a line; stdin/stdout by default). Every input line gives exactly\n"
    "one output line, in order; empty lines stay empty. The input is streamed: 4096 lines (at most\n"
    "2 MiB) at a time are read, sorted by length into token-bounded batches, translated and written,\n"
    "so memory does not grow with the input. An output that is an input is refused; a failed write\n"
    "stops the command, naming the output and the cause; -o FILE is written atomically.\n"
    "The model directory's config.yaml says which decoder runs: FlowSeq decodes in parallel, an\n"
    "autoregressive Transformer (model.type: transformer) left to right.\n"
    "FlowSeq:\n"
    "  --decode argmax|npd|iwd  argmax: top length, v = 0 (default); npd: --lengths x --samples latent\n"
    "                           samples at --tau ranked by the model's joint estimate; iwd: importance-\n"
    "                           weighted decoding with --iw-samples posterior samples (docs/model.md#iwd)\n"
    "  --lengths L (npd/iwd 3)  --samples R (npd 5, iwd 1)  --tau T (npd 1.0, iwd 0)  --iw-samples K (4)\n"
    "  --seed S                 random seed (same seed, same output)\n"
    "  --rescore TEACHER_DIR    npd/iwd: rank the candidates by an autoregressive Transformer's\n"
    "                           log-probability per token (teacher forcing; same spm.model)\n"
    "Transformer:\n"
    "  --beam K                 beam size (4); 1 is greedy decoding\n"
    "  --lenpen A               hypotheses ranked by log p / length^A (1.0)\n"
    "  --max-len-a A --max-len-b B  at most A x source length + B output tokens (2, 10)\n"
    "Both:\n"
    "  --n-best N               N hypotheses per sentence, best first, as Moses n-best lines (below):\n"
    "                           a Transformer's N best of a beam of max(N, --beam); FlowSeq's best N of\n"
    "                           the lengths x samples candidates (npd, iwd; argmax has one)\n"
    "  --scores                 each line \"SCORE<TAB>TRANSLATION\", SCORE as in n-best lines (an empty\n"
    "                           input line gives an empty SCORE)\n"
    "  --max-tokens N           tokens per batch, counting each source token once per candidate row\n"
    "                           (npd: lengths x samples; iwd: x --iw-samples too) (1024; more on a GPU)\n"
    "  --batch-size N           and at most N sentences per batch (no limit but --max-tokens by default)\n"
    "  --max-length N           longer inputs are truncated with a warning (250 tokens, at most\n"
    "                           what the model's position table takes)\n"
    "  --no-substitute-repeats  FlowSeq: keep both of two neighbouring positions that decode the same\n"
    "                           token; by default the one whose next-best token scores closer takes\n"
    "                           it (\"a man in in shirt\" -> \"a man in a shirt\"; digits stay)\n"
    "  --no-collapse-repeats    keep FlowSeq's repeated tokens: by default each output token equal to\n"
    "                           the one before it is dropped (\"a a man\" -> \"a man\"; --collapse-repeats)\n"
    "  --arena-mb N             activation memory (4096)\n"
    "  --quiet                  no progress on stderr; warnings (a truncated line) stay\n"
    "  --threads N              compute threads (default: the cores this process may use)\n"
    "Moses n-best lines (--n-best, and `flowseq sample`):\n";

static int write_best(void *user_data, int index, const flowseq_hypothesis *hyps, int n) {
  (void)index;
  decode_output *w = user_data;
  return fs_output_printf(w->out, "%s\n", n ? hyps[0].text : "") != FS_OK;
}

static int write_scored(void *user_data, int index, const flowseq_hypothesis *hyps, int n) {
  (void)index;
  decode_output *w = user_data;
  fs_status s =
      n ? fs_output_printf(w->out, "%.4f\t%s\n", hyps[0].score, hyps[0].text) : fs_output_printf(w->out, "\t\n");
  return s != FS_OK;
}

int cmd_translate(int argc, char **argv) {
  decode_args a;
  int rc = decode_args_parse(argc, argv, &a, "translate", usage_text);
  if (rc < 0) {
    fputs(decode_nbest_format_help, stdout);
    return 0;
  }
  if (rc) return rc;
  if (!a.n_best_given) return decode_args_run(&a, "translate", a.scores ? write_scored : write_best);
  a.options.n_best = a.n_best;
  return decode_args_run(&a, "translate", decode_write_nbest);
}
