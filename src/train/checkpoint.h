/* Checkpoints and model directories (DESIGN.md §4). A directory holds config.yaml,
 * model.safetensors and spm.model (enough to translate), plus for training optimizer.safetensors
 * and progress.yaml. It is replaced atomically as a whole: everything is written into
 * DIR.tmp, the old DIR becomes DIR.prev, DIR.tmp becomes DIR, DIR.prev is removed; a kill at any
 * point leaves DIR or DIR.prev complete, and loading falls back to DIR.prev. */
#ifndef FLOWSEQ_TRAIN_CHECKPOINT_H
#define FLOWSEQ_TRAIN_CHECKPOINT_H

#include <stdint.h>

#include "model/config.h"
#include "model/flowseq.h"
#include "train/optimizer.h"

typedef enum { FS_PHASE_INIT = 0, FS_PHASE_PRETRAIN = 1, FS_PHASE_MAIN = 2, FS_PHASE_DONE = 3 } fs_train_phase;

typedef struct {
  int phase;
  long update;       /* updates done in the current phase */
  long total_updates;
  int epoch, next_batch;
  uint64_t rng_offset;
  double best_valid_nll;
  int bad_validations;
  long skipped;
} fs_progress;

/* Writes the whole directory; `adamw` and `progress` may be NULL (a final model directory). */
fs_status fs_checkpoint_save(const char *dir, const fs_config *cfg, const flowseq_model *m, const fs_adamw *adamw,
                             const fs_progress *progress, const char *spm_path);

/* The directory to load from: DIR, or DIR.prev after an interrupted save; NULL if neither has a
 * model. The returned string is malloc'd. */
char *fs_checkpoint_find(const char *dir);
/* Reads config.yaml of a directory into cfg (on top of the defaults). */
fs_status fs_checkpoint_config(const char *dir, fs_config *cfg);
/* Loads the weights (and, when given, optimizer state and progress) into an existing model. */
fs_status fs_checkpoint_load(const char *dir, flowseq_model *m, fs_adamw *adamw, fs_progress *progress);

#endif
