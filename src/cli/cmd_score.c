/* flowseq score: the model's importance-weighted estimate of log p(y|x) for given translations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_args.h"
#include "cli/commands.h"
#include "core/log.h"
#include "decode/runner.h"
#include "text/corpus.h"

static const char *usage_text =
    "usage: flowseq score -m MODEL_DIR -s SRC -t TGT [--iw-samples K] [--seed S] [--batch N]\n\n"
    "Prints one line per sentence pair: log p(y|x), then the same per target token (EOS included),\n"
    "TAB-separated. A FlowSeq model estimates log p(y|x,T) + log P(T|x) by importance weighting with K\n"
    "posterior samples (default 4; docs/model.md#iwd); an autoregressive Transformer gives it exactly\n"
    "(teacher forcing). SRC and TGT are raw text (.txt, .gz, .sgm, FILE.tsv:N).\n";

int cmd_score(int argc, char **argv) {
  const char *model = NULL, *src_path = NULL, *tgt_path = NULL;
  int K = 4, rows_per_batch = 32;
  unsigned long long seed = 1;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(o, "-h") || !strcmp(o, "--help")) return fputs(usage_text, stdout), 0;
    if (!strcmp(o, "--quiet")) {
      fs_log_quiet(1);
      continue;
    }
    static const char *const value_options[] = {"-m", "-s", "-t", "--iw-samples", "--seed", "--batch", NULL};
    if (!cli_is_one_of(o, value_options)) return cli_unknown("score", o);
    if (!v) return fprintf(stderr, "flowseq score: %s needs a value (see --help)\n", o), 2;
    i++;
    bool ok = true;
    if (!strcmp(o, "-m")) model = v;
    else if (!strcmp(o, "-s")) src_path = v;
    else if (!strcmp(o, "-t")) tgt_path = v;
    else if (!strcmp(o, "--iw-samples")) ok = cli_int("score", o, v, 1, 1000, &K);
    else if (!strcmp(o, "--seed")) ok = cli_u64("score", o, v, &seed);
    else if (!strcmp(o, "--batch")) ok = cli_int("score", o, v, 1, 1 << 20, &rows_per_batch);
    if (!ok) return 2;
  }
  if (!model || !src_path || !tgt_path || K < 1 || rows_per_batch < 1)
    return fprintf(stderr, "flowseq score: need -m MODEL_DIR -s SRC -t TGT (and positive --iw-samples, --batch)\n"), 2;
  fs_text src, tgt;
  flowseq_runner r;
  fs_status s = fs_parallel_read(src_path, tgt_path, &src, &tgt);
  bool opened = false;
  if (s == FS_OK) s = flowseq_runner_open(&r, model, 4096), opened = s == FS_OK;
  int eos = opened ? r.cfg.model.eos_id : 2;
  for (int first = 0; s == FS_OK && first < src.count; first += rows_per_batch) {
    int rows = src.count - first < rows_per_batch ? src.count - first : rows_per_batch, S = 0;
    int32_t **s_ids = calloc(rows, sizeof *s_ids), **t_ids = calloc(rows, sizeof *t_ids);
    int *s_len = calloc(rows, sizeof(int)), *t_len = calloc(rows, sizeof(int));
    for (int k = 0; s == FS_OK && k < rows; k++) {
      s = fs_spm_encode(r.spm, src.lines[first + k], &s_ids[k], &s_len[k]);
      if (s == FS_OK) s = fs_spm_encode(r.spm, tgt.lines[first + k], &t_ids[k], &t_len[k]);
      if (s_len[k] + 1 > S) S = s_len[k] + 1;
    }
    int32_t *ids = calloc((size_t)rows * S, sizeof(int32_t));
    float *mask = calloc((size_t)rows * S, sizeof(float));
    for (int k = 0; k < rows; k++) {
      memcpy(ids + k * S, s_ids[k], sizeof(int32_t) * s_len[k]);
      ids[k * S + s_len[k]] = eos;
      for (int t = 0; t <= s_len[k]; t++) mask[k * S + t] = 1.0f;
    }
    double *lp = malloc(sizeof(double) * rows), *len_lp = malloc(sizeof(double) * rows);
    const int32_t *const *targets = (const int32_t *const *)t_ids;
    for (int k = 0; k < rows; k++) len_lp[k] = 0.0;
    if (s == FS_OK && r.model.type == FS_MODEL_TRANSFORMER)
      s = fs_transformer_score(&r.engine, &r.model.transformer, ids, mask, rows, S, targets, t_len, lp, NULL);
    else if (s == FS_OK)
      s = flowseq_score_pairs(&r.engine, &r.model.flowseq, ids, mask, rows, S, targets, t_len, K, seed, lp, len_lp);
    for (int k = 0; s == FS_OK && k < rows; k++) {
      double total = lp[k] + len_lp[k];
      printf("%.4f\t%.4f\n", total, total / (t_len[k] + 1));
    }
    for (int k = 0; k < rows; k++) free(s_ids[k]), free(t_ids[k]);
    free(s_ids), free(t_ids), free(s_len), free(t_len), free(ids), free(mask), free(lp), free(len_lp);
  }
  if (s != FS_OK) {
    fprintf(stderr, "flowseq score: %s\n", fs_last_error());
    return 1;
  }
  fs_text_free(&src);
  fs_text_free(&tgt);
  flowseq_runner_close(&r);
  return 0;
}
