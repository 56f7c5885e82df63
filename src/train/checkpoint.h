/* Training checkpoints (docs/formats.md#checkpoint-directory): a model directory
 * (model/model_dir.h: config.yaml, model.safetensors, spm.model) plus the training state,
 * optimizer.state.safetensors (moments m, u, u_max per parameter and the per-tensor step counters)
 * and progress.yaml.
 *
 * A directory is replaced atomically as a whole, by one writer at a time:
 *   1. everything is written into DIR.tmp (each file fsync'ed, then the directory itself);
 *   2. if DIR holds a model, the old DIR.prev is deleted and DIR becomes DIR.prev; otherwise (a
 *      previous save died between 2 and 3) DIR.prev is the only complete copy and stays, and DIR
 *      must be absent or empty (any other directory is refused, never deleted);
 *   3. DIR.tmp becomes DIR, the parent directory is fsync'ed, DIR.prev is deleted.
 * A kill at any point leaves DIR or DIR.prev complete; fs_checkpoint_find prefers DIR and falls
 * back to DIR.prev, and a stale DIR.tmp is simply overwritten by the next save. */
#ifndef FLOWSEQ_TRAIN_CHECKPOINT_H
#define FLOWSEQ_TRAIN_CHECKPOINT_H

#include <stdint.h>

#include "data/batcher.h"
#include "model/model_dir.h"
#include "train/optimizer.h"

typedef enum { FS_PHASE_INIT = 0, FS_PHASE_PRETRAIN = 1, FS_PHASE_MAIN = 2, FS_PHASE_DONE = 3 } fs_train_phase;

/* Where training stands (progress.yaml). */
typedef struct {
  fs_train_phase phase;
  long update;           /* updates done in the current phase */
  long total_updates;    /* over all phases */
  fs_data_position data; /* the batcher's position: resume continues with the next batch */
  uint64_t rng_offset;   /* the engine's counter-based RNG offset */
  double best_valid_nll; /* 0 = no validation yet */
  double best_valid_bleu;
  int bad_validations; /* validations in a row with neither improving (early stopping) */
  long skipped;        /* updates skipped for a non-finite gradient norm */
  /* Added later; a progress.yaml without them loads them as 0. */
  struct {
    double recon, kl, length; /* loss-part sums of the updates since the last log line, all ranks */
    long tokens, sentences;
  } window;               /* so that a resumed run's next log line averages what an uninterrupted one does */
  int pending_validation; /* 1: a signal cut the validation of update `update` short; it runs on resume */
  long best_nll_update;   /* total_updates of the best validation NLL, of the best BLEU */
  long best_bleu_update;
  double train_seconds; /* wall time of the training runs so far */
} fs_progress;

/* Writes the whole directory; `adamw` and `progress` may be NULL (a final model directory), and
 * `spm_path` (copied in as spm.model) too. */
fs_status fs_checkpoint_save(const char *dir, const fs_config *cfg, fs_model *m, const fs_adamw *adamw,
                             const fs_progress *progress, const char *spm_path);

/* Checkpoint averaging's input (train.keep_last, `flowseq average`): writes the model alone (no
 * optimizer state) to DIR.u<update>, atomically as fs_checkpoint_save, then deletes all but the
 * newest keep_last directories DIR.u<N> beside it. */
fs_status fs_checkpoint_keep(const char *dir, long update, int keep_last, const fs_config *cfg, fs_model *m,
                             const char *spm_path);

/* The directory to load from: DIR, or DIR.prev after an interrupted save; NULL if neither has a
 * model. The returned string is malloc'd. */
char *fs_checkpoint_find(const char *dir);
/* Loads the weights (fs_model_dir_load_weights) and, when given, the optimizer state and the
 * progress into an existing model. */
fs_status fs_checkpoint_load(const char *dir, fs_model *m, fs_adamw *adamw, fs_progress *progress);

/* Reads only DIR/progress.yaml (whether a job is finished, without allocating a model). */
fs_status fs_checkpoint_load_progress(const char *dir, fs_progress *progress);

fs_status fs_progress_save(const char *path, const fs_progress *p);
fs_status fs_progress_load(const char *path, fs_progress *p);

#endif
