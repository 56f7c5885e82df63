#include "train/checkpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "train/safetensors.h"

static char *join(const char *dir, const char *name) {
  char *p = malloc(strlen(dir) + strlen(name) + 2);
  sprintf(p, "%s/%s", dir, name);
  return p;
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

static fs_status remove_tree(const char *dir) {
  char *cmd = malloc(strlen(dir) + 16);
  sprintf(cmd, "rm -rf '%s'", dir);
  int rc = system(cmd);
  free(cmd);
  return rc == 0 ? FS_OK : fs_error(FS_ERR_IO, "cannot remove %s", dir);
}

/* Tensors of one slot of the parameter block, under their parameter names + suffix. */
static fs_status save_slot(const char *path, const flowseq_model *m, int slot, const char *suffix, const char *const *meta,
                           int n_meta, const float *extra, int n_extra) {
  const fs_params *p = &m->params;
  int n = p->count + (extra ? 1 : 0);
  fs_st_tensor *t = calloc(n, sizeof *t);
  char **names = calloc(n, sizeof *names);
  float *host = malloc(sizeof(float) * (p->total ? p->total : 1));
  p->be->download(host, fs_params_slot(p, slot), sizeof(float) * p->total);
  for (int i = 0; i < p->count; i++) {
    names[i] = malloc(strlen(p->items[i]->name) + strlen(suffix) + 1);
    sprintf(names[i], "%s%s", p->items[i]->name, suffix);
    t[i] = (fs_st_tensor){names[i], p->items[i]->tensor.ndim, p->items[i]->tensor.shape, host + p->items[i]->offset};
  }
  int extra_shape[1] = {n_extra};
  if (extra) t[p->count] = (fs_st_tensor){"optimizer.steps", 1, extra_shape, extra};
  fs_status s = fs_safetensors_write(path, t, n, meta, n_meta);
  for (int i = 0; i < p->count; i++) free(names[i]);
  free(names);
  free(t);
  free(host);
  return s;
}

static fs_status load_slot(const char *path, flowseq_model *m, int slot, const char *suffix, float *extra, int n_extra) {
  fs_safetensors *f;
  FS_TRY(fs_safetensors_open(path, &f));
  fs_params *p = &m->params;
  float *host = calloc(p->total ? p->total : 1, sizeof(float));
  fs_status s = FS_OK;
  char name[FS_PARAM_NAME_MAX + 8];
  for (int i = 0; s == FS_OK && i < p->count; i++) {
    snprintf(name, sizeof name, "%s%s", p->items[i]->name, suffix);
    s = fs_safetensors_get(f, name, p->items[i]->tensor.ndim, p->items[i]->tensor.shape, host + p->items[i]->offset);
  }
  if (s == FS_OK && extra) s = fs_safetensors_get(f, "optimizer.steps", 1, (int[]){n_extra}, extra);
  if (s == FS_OK) p->be->upload(fs_params_slot(p, slot), host, sizeof(float) * p->total);
  free(host);
  fs_safetensors_close(f);
  return s;
}

static fs_status save_progress(const char *path, const fs_progress *g) {
  fs_atomic_file f;
  FS_TRY(fs_atomic_open(&f, path));
  fprintf(f.file,
          "phase: %d\nupdate: %ld\ntotal_updates: %ld\nepoch: %d\nnext_batch: %d\nrng_offset: %llu\n"
          "best_valid_nll: %.17g\nbad_validations: %d\nskipped: %ld\n",
          g->phase, g->update, g->total_updates, g->epoch, g->next_batch, (unsigned long long)g->rng_offset,
          g->best_valid_nll, g->bad_validations, g->skipped);
  return fs_atomic_commit(&f);
}

static fs_status load_progress(const char *path, fs_progress *g) {
  FILE *f = fopen(path, "r");
  if (!f) return fs_error(FS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  unsigned long long rng = 0;
  int got = fscanf(f,
                   "phase: %d\nupdate: %ld\ntotal_updates: %ld\nepoch: %d\nnext_batch: %d\nrng_offset: %llu\n"
                   "best_valid_nll: %lg\nbad_validations: %d\nskipped: %ld\n",
                   &g->phase, &g->update, &g->total_updates, &g->epoch, &g->next_batch, &rng, &g->best_valid_nll,
                   &g->bad_validations, &g->skipped);
  fclose(f);
  g->rng_offset = rng;
  return got == 9 ? FS_OK : fs_error(FS_ERR_FORMAT, "%s: expected the 9 fields flowseq writes", path);
}

fs_status fs_checkpoint_save(const char *dir, const fs_config *cfg, const flowseq_model *m, const fs_adamw *adamw,
                             const fs_progress *progress, const char *spm_path) {
  char *tmp = malloc(strlen(dir) + 8), *prev = malloc(strlen(dir) + 8);
  sprintf(tmp, "%s.tmp", dir);
  sprintf(prev, "%s.prev", dir);
  fs_status s = remove_tree(tmp);
  if (s == FS_OK && mkdir(tmp, 0755)) s = fs_error(FS_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
  char *path = NULL;
  if (s == FS_OK) {
    fs_atomic_file f;
    path = join(tmp, "config.yaml");
    s = fs_atomic_open(&f, path);
    if (s == FS_OK) {
      fs_config_dump(f.file, cfg);
      s = fs_atomic_commit(&f);
    }
    free(path);
  }
  const char *meta[] = {"format", "flowseq", "content", "FlowSeq parameters (F32)"};
  if (s == FS_OK) s = save_slot(path = join(tmp, "model.safetensors"), m, 0, "", meta, 2, NULL, 0), free(path);
  if (s == FS_OK && spm_path) s = fs_copy_file(spm_path, path = join(tmp, "spm.model")), free(path);
  if (s == FS_OK && adamw) {
    float *steps = malloc(sizeof(float) * (m->params.count ? m->params.count : 1));
    for (int i = 0; i < m->params.count; i++) steps[i] = (float)adamw->steps[i];
    const char *suffixes[] = {".m", ".u", ".umax"};
    for (int k = 0; k < 3 && s == FS_OK; k++) {
      char name[32];
      snprintf(name, sizeof name, "optimizer%s.safetensors", suffixes[k]);
      s = save_slot(path = join(tmp, name), m, 2 + k, suffixes[k], NULL, 0, k == 0 ? steps : NULL, m->params.count);
      free(path);
    }
    free(steps);
  }
  if (s == FS_OK && progress) s = save_progress(path = join(tmp, "progress.yaml"), progress), free(path);
  /* swap the finished directory in: old → .prev, tmp → dir, drop .prev */
  if (s == FS_OK) s = remove_tree(prev);
  if (s == FS_OK && exists(dir) && rename(dir, prev)) s = fs_error(FS_ERR_IO, "%s: cannot move aside: %s", dir, strerror(errno));
  if (s == FS_OK && rename(tmp, dir)) s = fs_error(FS_ERR_IO, "%s: cannot rename into place: %s", dir, strerror(errno));
  if (s == FS_OK) s = remove_tree(prev);
  free(tmp);
  free(prev);
  return s;
}

char *fs_checkpoint_find(const char *dir) {
  const char *candidates[2] = {"", ".prev"};
  for (int k = 0; k < 2; k++) {
    char *d = malloc(strlen(dir) + 8);
    sprintf(d, "%s%s", dir, candidates[k]);
    char *model = join(d, "model.safetensors");
    bool ok = exists(model);
    free(model);
    if (ok) return d;
    free(d);
  }
  return NULL;
}

fs_status fs_checkpoint_config(const char *dir, fs_config *cfg) {
  char *path = join(dir, "config.yaml");
  fs_config_defaults(cfg);
  fs_status s = fs_config_load(cfg, path);
  free(path);
  return s;
}

fs_status fs_checkpoint_load(const char *dir, flowseq_model *m, fs_adamw *adamw, fs_progress *progress) {
  char *path = join(dir, "model.safetensors");
  fs_status s = load_slot(path, m, 0, "", NULL, 0);
  free(path);
  if (s == FS_OK && adamw) {
    float *steps = malloc(sizeof(float) * (m->params.count ? m->params.count : 1));
    const char *suffixes[] = {".m", ".u", ".umax"};
    for (int k = 0; k < 3 && s == FS_OK; k++) {
      char name[32];
      snprintf(name, sizeof name, "optimizer%s.safetensors", suffixes[k]);
      s = load_slot(path = join(dir, name), m, 2 + k, suffixes[k], k == 0 ? steps : NULL, m->params.count);
      free(path);
    }
    for (int i = 0; s == FS_OK && i < m->params.count; i++) adamw->steps[i] = (int64_t)steps[i];
    free(steps);
  }
  if (s == FS_OK && progress) s = load_progress(path = join(dir, "progress.yaml"), progress), free(path);
  if (s == FS_OK) s = flow_prior_sync(&m->prior);
  return s;
}
