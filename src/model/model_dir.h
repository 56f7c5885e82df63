/* A model directory (docs/formats.md): config.yaml (the configuration the model was trained with),
 * model.safetensors (its weights) and spm.model (its tokenizer, which the caller loads: the text
 * layer sits above this one). Enough to translate; a training checkpoint (train/checkpoint.h) is a
 * model directory plus the training state. */
#ifndef FLOWSEQ_MODEL_MODEL_DIR_H
#define FLOWSEQ_MODEL_MODEL_DIR_H

#include "model/config.h"
#include "model/model.h"

#define FS_MODEL_DIR_CONFIG "config.yaml"
#define FS_MODEL_DIR_WEIGHTS "model.safetensors"
#define FS_MODEL_DIR_TOKENIZER "spm.model"

/* Reads DIR/config.yaml into cfg, on top of the defaults. */
fs_status fs_model_dir_config(const char *dir, fs_config *cfg);

/* Loads DIR/model.safetensors into an existing model, which must have exactly the directory's
 * tensors and shapes (an error names the file and the first mismatch), then brings derived state
 * up to date (FlowSeq's flow inverses, docs/model.md#multi-head-linear). */
fs_status fs_model_dir_load_weights(const char *dir, fs_model *m);

/* Opens a model directory: its config into cfg, then the network it names on `be` (with
 * n_optimizer_slots as fs_model_alloc; FS_PARAMS_NO_GRADIENTS to decode), loaded with its
 * weights and never randomly initialised. On failure m is freed (freeing it again is harmless). */
fs_status fs_model_dir_load(const char *dir, const fs_backend *be, int n_optimizer_slots, fs_config *cfg, fs_model *m);

/* Writes config.yaml, model.safetensors and, when spm_path is given, a copy of it as spm.model
 * into the existing directory DIR, each file atomically. */
fs_status fs_model_dir_save(const char *dir, const fs_config *cfg, fs_model *m, const char *spm_path);

#endif
