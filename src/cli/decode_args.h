/* Command-line options shared by translate and sample: model directory, input/output files,
 * decoding mode and its parameters (FlowSeq: --decode and its options; Transformer: --beam,
 * --lenpen, --max-len-a/b), batching. */
#ifndef FLOWSEQ_CLI_DECODE_ARGS_H
#define FLOWSEQ_CLI_DECODE_ARGS_H

#include <stdio.h>

#include "decode/runner.h"

typedef struct {
  const char *model, *input, *output;
  const char *rescore;   /* --rescore TEACHER_DIR (FlowSeq npd, iwd, sample) */
  flowseq_run_options run;
  int arena_mb, n_best;
  bool tau_given;        /* --tau was on the command line */
  const char *flowseq_option, *transformer_option; /* the last option given that only one model type takes */
  bool collapse_repeats; /* --collapse-repeats: see flowseq_runner_text */
} decode_args;

/* Parses argv; returns 0 when done, -1 for --help (usage printed), else an exit code. */
int decode_args_parse(int argc, char **argv, decode_args *a, const char *command, const char *usage_text);

/* Where a command's results go: the runner (for detokenizing) and the output stream. */
typedef struct {
  flowseq_runner *runner;
  FILE *out;
  bool collapse_repeats;
  bool rescored;         /* candidate scores are the teacher's (--rescore) */
} decode_output;

/* An error when an option given is for the other model type than the opened model's. */
fs_status decode_args_check_model(const decode_args *a, const flowseq_runner *r);

/* The body every decoding command shares: read the input, open the model, decode with
 * on_result(decode_output *, ...) writing each sentence, output written atomically with -o.
 * Returns the exit code (errors printed as "flowseq COMMAND: message"). */
int decode_args_run(const decode_args *a, const char *command, flowseq_result_fn on_result);

#endif
