/* flowseq average: one model whose weights are the element-wise mean of several model directories
 * of the same architecture and tokenizer (checkpoint averaging, Vaswani et al. 2017; fairseq's
 * average_checkpoints, Marian's --average). The saves a training run keeps with train.keep_last are
 * the usual input: the mean of the last few checkpoints of a run generalises better than any one of
 * them. Works for both model types. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "model/model_dir.h"
#include "train/checkpoint.h"
/* after the model headers: ops.h declares a tensor fs_concat that alloc.h's macro would rewrite */
#include "core/alloc.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/safetensors.h"

static const char *usage_text =
    "usage: flowseq average -o OUT_DIR [--fp16] MODEL_DIR [MODEL_DIR...]\n\n"
    "Writes OUT_DIR, a model directory whose weights are the element-wise mean of the given model\n"
    "directories' weights (summed in double precision), with the first directory's config.yaml and\n"
    "spm.model. Every directory must hold the same network (same tensors and shapes) and the same\n"
    "tokenizer. Training checkpoints qualify (their optimizer state is ignored); train.keep_last N\n"
    "keeps the last N saves of a run as OUTPUT.u<UPDATE> for this:\n"
    "  flowseq average -o model.avg model.u*\n"
    "OUT_DIR is replaced atomically, and may not be one of the inputs. --fp16 stores the weights as\n"
    "16-bit floats, half the size on disk (loading converts them back; the bundled models are stored\n"
    "so); one MODEL_DIR with --fp16 converts a model.\n";

/* Adds the weights of `dir` into sum (model `scratch` of the same architecture reads them). */
static fs_status add_weights(const char *dir, fs_model *scratch, double *sum) {
  FS_TRY(fs_model_dir_load_weights(dir, scratch));
  const fs_params *p = fs_model_params(scratch);
  const float *w = fs_params_slot(p, 0);
  for (int64_t i = 0; i < p->total; i++) sum[i] += w[i];
  return FS_OK;
}

static fs_status check_tokenizer(const char *first, const char *dir) {
  char *a = fs_concat(first, "/", FS_MODEL_DIR_TOKENIZER), *b = fs_concat(dir, "/", FS_MODEL_DIR_TOKENIZER);
  bool same = fs_same_bytes(a, b);
  fs_status s =
      same ? FS_OK
           : fs_error(FS_ERR_ARG, "%s differs from %s (or is missing): averaged models must share a tokenizer", b, a);
  free(a);
  free(b);
  return s;
}

static fs_status average(const char *out, char **dirs, int n, bool fp16) {
  fs_config cfg;
  fs_model mean = {0}, scratch = {0};
  const fs_backend *cpu = fs_backend_cpu(); /* a few passes over the weights: no device needed */
  FS_TRY(fs_model_dir_load(dirs[0], cpu, FS_PARAMS_NO_GRADIENTS, &cfg, &mean));
  fs_params *p = fs_model_params(&mean);
  double *sum = fs_calloc((size_t)p->total, sizeof(double));
  const float *w0 = fs_params_slot(p, 0);
  for (int64_t i = 0; i < p->total; i++) sum[i] = w0[i];
  fs_status s = n > 1 ? fs_model_alloc(&scratch, &cfg.model, cpu, FS_PARAMS_NO_GRADIENTS) : FS_OK;
  for (int k = 1; s == FS_OK && k < n; k++) {
    s = check_tokenizer(dirs[0], dirs[k]);
    if (s == FS_OK) s = add_weights(dirs[k], &scratch, sum); /* a mismatch names the file */
  }
  if (s == FS_OK) {
    float *w = fs_params_slot(p, 0);
    for (int64_t i = 0; i < p->total; i++) w[i] = (float)(sum[i] / n);
    s = fs_model_sync(&mean); /* derived state (the flow's inverses) follows the new weights */
  }
  char *spm = fs_concat(dirs[0], "/", FS_MODEL_DIR_TOKENIZER);
  if (s == FS_OK) s = fs_checkpoint_save(out, &cfg, &mean, NULL, NULL, spm);
  free(spm);
  char *weights = fs_concat(out, "/", FS_MODEL_DIR_WEIGHTS);
  if (s == FS_OK && fp16) s = fs_safetensors_store_f16(weights);
  free(weights);
  free(sum);
  if (n > 1) fs_model_free(&scratch);
  fs_model_free(&mean);
  return s;
}

int cmd_average(int argc, char **argv) {
  const char *out = NULL;
  bool fp16 = false;
  char **dirs = fs_malloc(sizeof(char *) * (size_t)argc);
  int n = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return free(dirs), fputs(usage_text, stdout), 0;
    if (!strcmp(argv[i], "--fp16")) {
      fp16 = true;
    } else if (!strcmp(argv[i], "-o")) {
      if (i + 1 >= argc) return free(dirs), fprintf(stderr, "flowseq average: -o needs a value (see --help)\n"), 2;
      out = argv[++i];
    } else if (argv[i][0] == '-') {
      return free(dirs), fprintf(stderr, "flowseq average: unknown option %s (see --help)\n", argv[i]), 2;
    } else {
      dirs[n++] = argv[i];
    }
  }
  if (!out || n == 0)
    return free(dirs), fprintf(stderr, "flowseq average: need -o OUT_DIR and at least one MODEL_DIR\n"), 2;
  for (int k = 0; k < n; k++)
    if (fs_same_file(out, dirs[k]))
      return fprintf(stderr, "flowseq average: -o %s is one of the inputs: it would be replaced\n", out), free(dirs), 2;
  fs_status s = average(out, dirs, n, fp16);
  if (s == FS_OK)
    fs_log("average", "%d model%s averaged into %s%s", n, n == 1 ? "" : "s", out, fp16 ? " (fp16 weights)" : "");
  else fprintf(stderr, "flowseq average: %s\n", fs_last_error());
  free(dirs);
  return s == FS_OK ? 0 : 1;
}
