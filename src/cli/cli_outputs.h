/* What a command may write over: every command that writes a file, or its results to standard
 * output, first collects the files it reads (-i, --src, --tgt, -s, -t, references, standard
 * input, the model directories' files) and refuses, before any work, an output that is one of
 * them (core/fileio.h: fs_output_not_input; the same file through symlinks and hard links too):
 *   flowseq translate: x.de is the same file as the input x.de: refusing to write over an input
 * and exit status 1. */
#ifndef FLOWSEQ_CLI_CLI_OUTPUTS_H
#define FLOWSEQ_CLI_CLI_OUTPUTS_H

typedef struct {
  char **paths; /* files, "-" for standard input */
  int count, capacity;
} cli_inputs;

/* An input as the command line names it: FILE.tsv:N reads FILE.tsv; "-" is standard input; NULL
 * is skipped. */
void cli_inputs_add(cli_inputs *in, const char *spec);
/* config.yaml, model.safetensors and spm.model of a model directory (NULL: none). */
void cli_inputs_add_model(cli_inputs *in, const char *dir);
/* 0 when `output` (NULL or "-": standard output) is none of the inputs; else prints
 * "flowseq COMMAND: message" and returns 1. */
int cli_inputs_check(const cli_inputs *in, const char *command, const char *output);
void cli_inputs_free(cli_inputs *in);

#endif
