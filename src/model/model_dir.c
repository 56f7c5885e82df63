/* Model directories: the implementation; model/model_dir.h describes the interface. */
#include "model/model_dir.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "core/fileio.h"
#include "model/param_file.h"

fs_status fs_model_dir_config(const char *dir, fs_config *cfg) {
  char *path = fs_concat(dir, "/", FS_MODEL_DIR_CONFIG);
  fs_config_defaults(cfg);
  fs_status s = fs_config_load(cfg, path);
  free(path);
  return s;
}

static fs_status read_weights(const char *path, fs_params *p) {
  fs_safetensors *f;
  FS_TRY(fs_param_file_open(path, p->count, &f));
  fs_status s = fs_param_file_read_slot(f, p, 0, "");
  fs_safetensors_close(f);
  return s;
}

fs_status fs_model_dir_load_weights(const char *dir, fs_model *m) {
  char *path = fs_concat(dir, "/", FS_MODEL_DIR_WEIGHTS);
  fs_status s = read_weights(path, fs_model_params(m));
  free(path);
  return s == FS_OK ? fs_model_sync(m) : s;
}

fs_status fs_model_dir_load(const char *dir, const fs_backend *be, int n_optimizer_slots, fs_config *cfg, fs_model *m) {
  FS_TRY(fs_model_dir_config(dir, cfg));
  fs_status s = fs_model_alloc(m, &cfg->model, be, n_optimizer_slots);
  if (s == FS_OK) s = fs_model_dir_load_weights(dir, m);
  if (s != FS_OK) fs_model_free(m);
  return s;
}

static fs_status write_config(const char *path, const fs_config *cfg) {
  fs_atomic_file f;
  FS_TRY(fs_atomic_open(&f, path));
  fs_config_dump(f.file, cfg);
  return fs_atomic_commit(&f);
}

static fs_status write_weights(const char *path, const fs_params *p) {
  const char *suffix = "";
  const char *meta[] = {"format", "pt", "producer", "flowseq"}; /* "pt": what Python loaders expect */
  return fs_param_file_write(path, p, 0, 1, &suffix, NULL, 0, meta, 2);
}

fs_status fs_model_dir_save(const char *dir, const fs_config *cfg, fs_model *m, const char *spm_path) {
  char *config = fs_concat(dir, "/", FS_MODEL_DIR_CONFIG), *weights = fs_concat(dir, "/", FS_MODEL_DIR_WEIGHTS);
  char *tokenizer = fs_concat(dir, "/", FS_MODEL_DIR_TOKENIZER);
  fs_status s = write_config(config, cfg);
  if (s == FS_OK) s = write_weights(weights, fs_model_params(m));
  if (s == FS_OK && spm_path) s = fs_copy_file(spm_path, tokenizer);
  free(config);
  free(weights);
  free(tokenizer);
  return s;
}
