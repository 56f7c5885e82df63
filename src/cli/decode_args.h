/* Command-line options shared by translate and sample: model directory, input/output files,
 * decoding mode and its parameters, batching. */
#ifndef FLOWSEQ_CLI_DECODE_ARGS_H
#define FLOWSEQ_CLI_DECODE_ARGS_H

#include "decode/runner.h"

typedef struct {
  const char *model, *input, *output;
  flowseq_run_options run;
  int arena_mb, n_best;
} decode_args;

/* Parses argv; returns 0 when done, -1 for --help (usage printed), else an exit code. */
int decode_args_parse(int argc, char **argv, decode_args *a, const char *command, const char *usage_text);

/* Reads the input lines (a file or stdin) into *lines / *n. */
fs_status decode_args_read_input(const decode_args *a, char ***lines, int *n);

#endif
