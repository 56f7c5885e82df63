/* flowseq prep: raw parallel text -> a cleaned, encoded, binarized dataset for training. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_args.h"
#include "cli/cli_outputs.h"
#include "cli/commands.h"
#include "core/log.h"
#include "data/dataset.h"

static const char *usage_text =
    "usage: flowseq prep --spm spm.model --src FILE --tgt FILE -o data.fsd\n"
    "                    [--max-length N] [--max-ratio R] [--dedupe] [--quiet]\n\n"
    "Encodes a parallel corpus (plain, .gz, WMT .sgm, FILE.tsv:COLUMN) with the tokenizer, drops\n"
    "empty pairs, pairs longer than N tokens on a side, pairs whose longer side exceeds R times the\n"
    "shorter (and exact repeats with --dedupe), reports the counts, and writes a binarized dataset\n"
    "that training memory-maps (set train.train_data). It streams: memory does not grow with the\n"
    "corpus. The dataset records the tokenizer's checksum; using it with another is an error.\n";

int cmd_prep(int argc, char **argv) {
  const char *spm = NULL, *src = NULL, *tgt = NULL, *out = NULL;
  fs_clean_options o = {0, 0, false};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) return fputs(usage_text, stdout), 0;
    if (!strcmp(a, "--dedupe")) {
      o.dedupe = true;
      continue;
    }
    if (!strcmp(a, "--quiet")) {
      fs_log_set_level(FS_LOG_WARNINGS);
      continue;
    }
    static const char *const value_options[] = {"--spm", "--src", "--tgt", "-o", "--max-length", "--max-ratio", NULL};
    if (!cli_is_one_of(a, value_options)) return cli_unknown("prep", a);
    if (!v) return fprintf(stderr, "flowseq prep: %s needs a value (see --help)\n", a), 2;
    i++;
    bool ok = true;
    if (!strcmp(a, "--spm")) spm = v;
    else if (!strcmp(a, "--src")) src = v;
    else if (!strcmp(a, "--tgt")) tgt = v;
    else if (!strcmp(a, "-o")) out = v;
    /* 0 turns a filter off */
    else if (!strcmp(a, "--max-length")) ok = cli_int("prep", a, v, 0, 1000000, &o.max_length);
    else if (!strcmp(a, "--max-ratio")) ok = cli_double("prep", a, v, 0, 1e6, &o.max_ratio);
    if (!ok) return 2;
    if (!strcmp(a, "--max-ratio") && o.max_ratio > 0 && o.max_ratio < 1)
      return fprintf(stderr, "flowseq prep: --max-ratio: expected 0 (no limit) or a ratio >= 1, got '%s'\n", v), 2;
  }
  if (!spm || !src || !tgt || !out) return fprintf(stderr, "flowseq prep: need --spm, --src, --tgt and -o\n"), 2;
  cli_inputs inputs = {0};
  cli_inputs_add(&inputs, spm);
  cli_inputs_add(&inputs, src);
  cli_inputs_add(&inputs, tgt);
  int refused = cli_inputs_check(&inputs, "prep", out);
  cli_inputs_free(&inputs);
  if (refused) return refused;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  fs_clean_counts c;
  fs_status s = fs_dataset_prep(spm, src, tgt, &o, out, &c);
  if (s != FS_OK) return fprintf(stderr, "flowseq prep: %s\n", fs_last_error()), 1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
  (c.kept < c.read ? fs_warn : fs_log)(
      "data",
      "%s: %d pairs read, %d kept; dropped %d empty, %d too long, %d bad length ratio, %d duplicates "
      "(%.0f sentence pairs/s)",
      out, c.read, c.kept, c.empty, c.too_long, c.bad_ratio, c.duplicates, c.read / secs);
  return 0;
}
