/* flowseq: one binary, one subcommand per task (docs/architecture.md#command-line). */
#include <stdio.h>
#include <string.h>

#include "backend/cpu/blas_core.h"
#include "backend/cpu/threads.h"
#include "cli/commands.h"
#include "core/fileio.h"

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static const command commands[] = {
    {"vocab", cmd_vocab, "train a joint SentencePiece model from raw text"},
    {"prep", cmd_prep, "raw parallel text -> cleaned, encoded, binarized dataset"},
    {"train", cmd_train, "train a FlowSeq or Transformer model from a YAML configuration"},
    {"translate", cmd_translate, "raw text in, translations out (FlowSeq argmax/npd/iwd, Transformer beam)"},
    {"sample", cmd_sample, "several diverse translations per sentence (n-best format)"},
    {"score", cmd_score, "model log-likelihood of given translations"},
    {"distill", cmd_distill, "a teacher's translations of a training corpus (resumable, streaming)"},
    {"average", cmd_average, "element-wise mean of several checkpoints of one model (checkpoint averaging)"},
    {"bleu", cmd_bleu, "sacreBLEU-compatible BLEU / chrF, signatures, paired bootstrap"},
    {"info", cmd_info, "version, build options, BLAS core and compute backend"},
};
static const int n_commands = (int)(sizeof commands / sizeof commands[0]);

static void usage(FILE *out) {
  fprintf(out,
          "flowseq: non-autoregressive neural machine translation with generative flows\n\n"
          "usage: flowseq <command> [options]   (flowseq <command> --help for details)\n"
          "       flowseq --version\n\n"
          "--threads N on any command: compute with N threads (default: OMP_NUM_THREADS, else the\n"
          "cores this process may use, after its CPU affinity and cgroup quota)\n\n"
          "commands:\n");
  for (int i = 0; i < n_commands; i++) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

/* Whatever a successful command printed on standard output (info, --help, train --dump-config)
 * must have arrived: a full disk or /dev/full is an error, not exit 0. Commands that write their
 * results there (translate, sample, score, bleu) check every write themselves and stop at the
 * first failure; this is the last check for the rest. */
static int stdout_written(int rc) {
  fs_output out;
  fs_output_wrap(&out, stdout, "stdout");
  if (rc == 0 && fs_output_close(&out) != FS_OK) {
    fprintf(stderr, "flowseq: %s\n", fs_last_error());
    return 1;
  }
  return rc;
}

int main(int argc, char **argv) {
  fs_threads_wait_policy(argv); /* may restart the program with a bounded OpenMP spin */
  fs_blas_select(argv);         /* may restart it with a better OpenBLAS kernel */
  if (fs_threads_setup(&argc, argv)) return 2;
  if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
    printf("flowseq %s\n", FLOWSEQ_VERSION);
    return stdout_written(0);
  }
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : stdout_written(0);
  }
  for (int i = 0; i < n_commands; i++)
    if (!strcmp(argv[1], commands[i].name)) return stdout_written(commands[i].run(argc - 1, argv + 1));
  fprintf(stderr, "flowseq: unknown command '%s' (see flowseq --help)\n", argv[1]);
  return 2;
}
