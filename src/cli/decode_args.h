/* Command-line options shared by translate, sample and distill: model directory, input/output
 * files, decoding mode and its parameters (FlowSeq: --decode and its options; Transformer: --beam,
 * --lenpen, --max-len-a/b), batching. Decoding itself goes through the public library interface,
 * include/flowseq.h, as any program embedding flowseq would. */
#ifndef FLOWSEQ_CLI_DECODE_ARGS_H
#define FLOWSEQ_CLI_DECODE_ARGS_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli_outputs.h"
#include "core/fileio.h"
#include "flowseq.h"

typedef struct {
  const char *model, *input, *output;
  const char *rescore;     /* --rescore TEACHER_DIR (FlowSeq npd, iwd, sample) */
  flowseq_options options; /* everything decoding takes */
  int arena_mb;
  int n_best; /* -n / --n-best N: hypotheses per sentence (translate, sample) */
  bool n_best_given;
  bool scores;                                     /* --scores: each translation's score before it (translate) */
  bool tau_given;                                  /* --tau was on the command line */
  bool quiet;                                      /* --quiet: warnings only on the log */
  const char *flowseq_option, *transformer_option; /* the last option given that only one model type takes */
} decode_args;

/* Parses argv; returns 0 when done, -1 for --help (usage printed), else an exit code. */
int decode_args_parse(int argc, char **argv, decode_args *a, const char *command, const char *usage_text);

/* Opens the model directory (and the teacher of --rescore), with the log on unless --quiet, and
 * checks that no option given is for the other model type. NULL on error (flowseq_last_error). */
flowseq_translator *decode_args_open(const decode_args *a);

/* Where a command's results go, handed to its result callback as user data. A callback writes
 * with fs_output_printf and returns non-zero when that fails, which stops the translation. */
typedef struct {
  fs_output *out;
  bool autoregressive; /* the model is a Transformer */
  bool rescored;       /* FlowSeq candidates are ranked by the teacher (--rescore) */
} decode_output;

/* A result callback writing each hypothesis as a Moses n-best line, best first:
 *   FlowSeq:        id ||| text ||| len=log P(T|x) prior=log p(z|x) dec=log p(y|z,x) ||| score
 *   with --rescore: id ||| text ||| len=... prior=... dec=... teacher=log p_teacher(y|x)/(T+1) ||| score
 *   Transformer:    id ||| text ||| dec=log p(y|x) ||| score
 * where score is the ranking's (flowseq_hypothesis.score), so the totals fall down each list. */
int decode_write_nbest(void *user_data, int index, const flowseq_hypothesis *hyps, int n);

/* The n-best lines' usage text: the formats above, for --help. */
extern const char *const decode_nbest_format_help;

/* The inputs of translate, sample and distill: -i (standard input without it), the model
 * directory and the --rescore teacher's (cli/cli_outputs.h). */
void decode_args_inputs(const decode_args *a, cli_inputs *in);

/* The body translate and sample share: refuse an output that is an input, open the input and the
 * model, then stream: decode the input a window of lines at a time (api/stream.h) with
 * on_result(decode_output *, ...) writing each sentence, the output written atomically with -o.
 * Returns the exit code (errors printed as "flowseq COMMAND: message"; a failed write names the
 * output, "stdout" or the file, and its cause, and stops the command at once). */
int decode_args_run(const decode_args *a, const char *command, flowseq_result_callback on_result);

#endif
