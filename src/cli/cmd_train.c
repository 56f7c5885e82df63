/* flowseq train: train a FlowSeq model from raw parallel text with a YAML configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/log.h"
#include "train/trainer.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: flowseq train -c config.yaml [-c more.yaml ...] [--section.key value ...] [--dump-config]\n\n"
          "Trains FlowSeq (auto-encoder pre-training, prior initialisation, ELBO with KL warm-up) on raw\n"
          "parallel text, as configured (see models/*.yaml). Later -c files and then --model.KEY /\n"
          "--train.KEY flags override earlier values. Training resumes automatically from the checkpoint\n"
          "in train.output (a finished job does nothing); SIGINT/SIGTERM save a checkpoint and exit.\n"
          "Without train.valid_src/valid_tgt there is no validation and no best model. Logs go to\n"
          "stderr, metrics to OUTPUT.metrics.tsv (scripts/plot-metrics.sh draws them).\n"
          "  --dump-config   print the effective configuration as YAML and exit\n"
          "  --quiet         no progress lines; warnings (pairs dropped, updates skipped) stay\n");
}

int cmd_train(int argc, char **argv) {
  fs_config cfg;
  fs_config_defaults(&cfg);
  bool dump = false, any_config = false;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    fs_status s = FS_OK;
    if (!strcmp(o, "-h") || !strcmp(o, "--help")) return usage(stdout), 0;
    if (!strcmp(o, "--dump-config")) dump = true;
    else if (!strcmp(o, "--quiet")) fs_log_set_level(FS_LOG_WARNINGS);
    else if (!strcmp(o, "-c") && i + 1 < argc) s = fs_config_load(&cfg, argv[++i]), any_config = true;
    else if (!strncmp(o, "--", 2) && strchr(o, '.') && i + 1 < argc) s = fs_config_override(&cfg, o + 2, argv[++i]);
    else return fprintf(stderr, "flowseq train: unknown or incomplete option %s (see --help)\n", o), 2;
    if (s != FS_OK) return fprintf(stderr, "flowseq train: %s\n", fs_last_error()), 2;
  }
  if (dump) {
    fs_config_dump(stdout, &cfg);
    return 0;
  }
  if (!any_config) return fprintf(stderr, "flowseq train: give a configuration with -c (see models/)\n"), 2;
  fs_status s = fs_train(&cfg);
  if (s != FS_OK) return fprintf(stderr, "flowseq train: %s\n", fs_last_error()), 1;
  return 0;
}
