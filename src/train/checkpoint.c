/* Training checkpoints: the implementation; train/checkpoint.h describes the interface. */
#define _XOPEN_SOURCE 700
#include "train/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <dirent.h>
#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/fileio.h"
#include "core/yaml_leaves.h"
#include "model/model_dir.h"
#include "model/param_file.h"

#define OPTIMIZER_FILE "optimizer.state.safetensors"
#define PROGRESS_FILE "progress.yaml"
#define STEPS_TENSOR "optimizer.steps"

static const char *moment_suffix[3] = {".m", ".u", ".umax"}; /* parameter-block slots 2, 3, 4 */

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* ---- directory helpers ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static fs_status remove_tree(const char *dir) {
  if (!exists(dir)) return FS_OK;
  if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS))
    return fs_error(FS_ERR_IO, "%s: cannot remove: %s", dir, strerror(errno));
  return FS_OK;
}

/* Makes a directory's entries (new files, renames) durable. */
static fs_status sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0 || fsync(fd)) {
    fs_status s = fs_error(FS_ERR_IO, "%s: cannot sync the directory: %s", dir, strerror(errno));
    if (fd >= 0) close(fd);
    return s;
  }
  close(fd);
  return FS_OK;
}

static fs_status sync_parent(const char *path) {
  char *parent = fs_strdup(path);
  char *slash = strrchr(parent, '/');
  if (slash == parent) slash[1] = '\0';
  else if (slash) *slash = '\0';
  fs_status s = sync_dir(slash ? parent : ".");
  free(parent);
  return s;
}

/* ---- optimizer state ---- */

/* Moments of every parameter (NAME.m, NAME.u, NAME.umax) and the I64 step counters. */
static fs_status write_optimizer(const char *path, const fs_params *p, const fs_adamw *a) {
  fs_st_tensor steps = {STEPS_TENSOR, FS_ST_I64, 1, &p->count, a->steps};
  return fs_param_file_write(path, p, 2, 3, moment_suffix, &steps, 1, NULL, 0);
}

static fs_status read_optimizer(const char *path, fs_params *p, fs_adamw *a) {
  fs_safetensors *f;
  FS_TRY(fs_param_file_open(path, 3 * p->count + 1, &f));
  fs_status s = FS_OK;
  for (int k = 0; s == FS_OK && k < 3; k++) s = fs_param_file_read_slot(f, p, 2 + k, moment_suffix[k]);
  if (s == FS_OK) s = fs_safetensors_get(f, STEPS_TENSOR, FS_ST_I64, 1, &p->count, a->steps);
  fs_safetensors_close(f);
  return s;
}

/* ---- progress.yaml ---- */

typedef enum { P_PHASE, P_INT, P_LONG, P_U64, P_DOUBLE } progress_type;

static const struct {
  const char *name; /* dotted: "data.epoch" is `epoch` under `data:` */
  progress_type type;
  size_t offset;
  bool optional; /* added after the first release: absent in older checkpoints, read as 0 */
} progress_keys[] = {
    {"phase", P_PHASE, offsetof(fs_progress, phase), false},
    {"update", P_LONG, offsetof(fs_progress, update), false},
    {"total_updates", P_LONG, offsetof(fs_progress, total_updates), false},
    {"data.epoch", P_INT, offsetof(fs_progress, data.epoch), false},
    {"data.next_batch", P_INT, offsetof(fs_progress, data.next_batch), false},
    {"rng_offset", P_U64, offsetof(fs_progress, rng_offset), false},
    {"best_valid_nll", P_DOUBLE, offsetof(fs_progress, best_valid_nll), false},
    {"best_valid_bleu", P_DOUBLE, offsetof(fs_progress, best_valid_bleu), false},
    {"bad_validations", P_INT, offsetof(fs_progress, bad_validations), false},
    {"skipped_updates", P_LONG, offsetof(fs_progress, skipped), false},
    {"log_window.recon", P_DOUBLE, offsetof(fs_progress, window.recon), true},
    {"log_window.kl", P_DOUBLE, offsetof(fs_progress, window.kl), true},
    {"log_window.length", P_DOUBLE, offsetof(fs_progress, window.length), true},
    {"log_window.tokens", P_LONG, offsetof(fs_progress, window.tokens), true},
    {"log_window.sentences", P_LONG, offsetof(fs_progress, window.sentences), true},
    {"pending_validation", P_INT, offsetof(fs_progress, pending_validation), true},
    {"best_valid_nll_update", P_LONG, offsetof(fs_progress, best_nll_update), true},
    {"best_valid_bleu_update", P_LONG, offsetof(fs_progress, best_bleu_update), true},
    {"train_seconds", P_DOUBLE, offsetof(fs_progress, train_seconds), true},
};
enum { N_PROGRESS_KEYS = sizeof progress_keys / sizeof progress_keys[0] };
static const char *phase_names[] = {"init", "pretrain", "main", "done"};

fs_status fs_progress_save(const char *path, const fs_progress *g) {
  fs_atomic_file f;
  FS_TRY(fs_atomic_open(&f, path));
  fputs("# flowseq training progress (read on resume)\n", f.file);
  for (int i = 0; i < N_PROGRESS_KEYS; i++) {
    const char *name = progress_keys[i].name, *dot = strchr(name, '.');
    const char *field = (const char *)g + progress_keys[i].offset;
    bool opens_section = dot && (i == 0 || strncmp(progress_keys[i - 1].name, name, (size_t)(dot - name + 1)));
    if (opens_section) fprintf(f.file, "%.*s:\n", (int)(dot - name), name);
    fprintf(f.file, "%s%s: ", dot ? "  " : "", dot ? dot + 1 : name);
    switch (progress_keys[i].type) {
      case P_PHASE:
        fprintf(f.file, "%s\n", phase_names[*(const fs_train_phase *)field]);
        break;
      case P_INT:
        fprintf(f.file, "%d\n", *(const int *)field);
        break;
      case P_LONG:
        fprintf(f.file, "%ld\n", *(const long *)field);
        break;
      case P_U64:
        fprintf(f.file, "%llu\n", (unsigned long long)*(const uint64_t *)field);
        break;
      case P_DOUBLE:
        fprintf(f.file, "%.17g\n", *(const double *)field);
        break;
    }
  }
  return fs_atomic_commit(&f);
}

typedef struct {
  fs_progress *g;
  unsigned seen; /* bit per key */
} progress_reader;

static fs_status progress_leaf(void *ctx, const fs_yaml_leaf *leaf) {
  progress_reader *r = ctx;
  for (int i = 0; i < N_PROGRESS_KEYS; i++) {
    if (strcmp(progress_keys[i].name, leaf->key)) continue;
    char *field = (char *)r->g + progress_keys[i].offset, *end = NULL;
    const char *v = leaf->value;
    long n = 0;
    bool count = progress_keys[i].type == P_INT || progress_keys[i].type == P_LONG;
    errno = 0;
    switch (progress_keys[i].type) {
      case P_PHASE:
        for (int k = 0; k < 4; k++)
          if (!strcmp(v, phase_names[k])) *(fs_train_phase *)field = (fs_train_phase)k, end = "";
        break;
      case P_INT:
        *(int *)field = (int)(n = strtol(v, &end, 10));
        break;
      case P_LONG:
        *(long *)field = n = strtol(v, &end, 10);
        break;
      case P_U64:
        *(uint64_t *)field = strtoull(v, &end, 10);
        break;
      case P_DOUBLE:
        *(double *)field = strtod(v, &end);
        break;
    }
    /* every integer is a count or a position: a negative one (strtoull wraps "-1"), or one that
     * does not fit its int, would index outside the batches on resume */
    bool range_ok = count ? n >= 0 && (progress_keys[i].type == P_LONG || n <= INT_MAX)
                          : progress_keys[i].type != P_U64 || !strchr(v, '-');
    if (leaf->is_list || !end || end == v || *end || errno || !range_ok)
      return fs_error(FS_ERR_FORMAT, "%s: %s: unreadable value \"%s\"", leaf->where, leaf->key, v);
    r->seen |= 1u << i;
    return FS_OK;
  }
  return fs_error(FS_ERR_FORMAT, "%s: unknown key %s", leaf->where, leaf->key);
}

fs_status fs_progress_load(const char *path, fs_progress *g) {
  progress_reader r = {g, 0};
  memset(g, 0, sizeof *g);
  FS_TRY(fs_yaml_read_leaves(path, progress_leaf, &r));
  for (int i = 0; i < N_PROGRESS_KEYS; i++)
    if (!(r.seen & (1u << i)) && !progress_keys[i].optional)
      return fs_error(FS_ERR_FORMAT, "%s: %s is missing", path, progress_keys[i].name);
  return FS_OK;
}

/* ---- directories ---- */

static fs_status write_contents(const char *dir, const fs_config *cfg, fs_model *m, const fs_adamw *adamw,
                                const fs_progress *progress, const char *spm_path) {
  fs_status s = remove_tree(dir);
  if (s == FS_OK && mkdir(dir, 0755)) s = fs_error(FS_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
  if (s == FS_OK) s = fs_model_dir_save(dir, cfg, m, spm_path);
  char *optimizer = fs_concat(dir, "/", OPTIMIZER_FILE), *progress_path = fs_concat(dir, "/", PROGRESS_FILE);
  if (s == FS_OK && adamw) s = write_optimizer(optimizer, fs_model_params(m), adamw);
  if (s == FS_OK && progress) s = fs_progress_save(progress_path, progress);
  free(optimizer);
  free(progress_path);
  return s == FS_OK ? sync_dir(dir) : s;
}

fs_status fs_checkpoint_save(const char *dir, const fs_config *cfg, fs_model *m, const fs_adamw *adamw,
                             const fs_progress *progress, const char *spm_path) {
  char *tmp = fs_concat(dir, "", ".tmp"), *prev = fs_concat(dir, "", ".prev");
  fs_status s = write_contents(tmp, cfg, m, adamw, progress, spm_path);
  /* a partial DIR.tmp (full disk) only takes space; removed quietly so the error message stays s's */
  if (s != FS_OK && exists(tmp)) nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  char *old_model = fs_concat(dir, "/", FS_MODEL_DIR_WEIGHTS);
  if (s == FS_OK && exists(old_model)) {
    s = remove_tree(prev);
    if (s == FS_OK && rename(dir, prev)) s = fs_error(FS_ERR_IO, "%s: cannot move aside: %s", dir, strerror(errno));
  } else if (s == FS_OK && exists(dir) && rmdir(dir)) { /* only an empty directory is taken over */
    s = fs_error(FS_ERR_IO, "%s: exists and is not a flowseq checkpoint; not replacing it (%s)", dir, strerror(errno));
  }
  free(old_model);
  if (s == FS_OK && rename(tmp, dir)) s = fs_error(FS_ERR_IO, "%s: cannot rename into place: %s", dir, strerror(errno));
  if (s == FS_OK) s = sync_parent(dir);
  if (s == FS_OK) s = remove_tree(prev);
  free(tmp);
  free(prev);
  return s;
}

char *fs_checkpoint_find(const char *dir) {
  const char *suffixes[2] = {"", ".prev"};
  for (int k = 0; k < 2; k++) {
    char *d = fs_concat(dir, "", suffixes[k]), *model = fs_concat(d, "/", FS_MODEL_DIR_WEIGHTS);
    bool ok = exists(model);
    free(model);
    if (ok) return d;
    free(d);
  }
  return NULL;
}

fs_status fs_checkpoint_load(const char *dir, fs_model *m, fs_adamw *adamw, fs_progress *progress) {
  char *optimizer = fs_concat(dir, "/", OPTIMIZER_FILE), *progress_path = fs_concat(dir, "/", PROGRESS_FILE);
  fs_status s = fs_model_dir_load_weights(dir, m);
  if (s == FS_OK && adamw) s = read_optimizer(optimizer, fs_model_params(m), adamw);
  if (s == FS_OK && progress) s = fs_progress_load(progress_path, progress);
  free(optimizer);
  free(progress_path);
  return s;
}

fs_status fs_checkpoint_load_progress(const char *dir, fs_progress *progress) {
  char *path = fs_concat(dir, "/", PROGRESS_FILE);
  fs_status s = fs_progress_load(path, progress);
  free(path);
  return s;
}

/* The update number of a kept save named BASE.u<digits>, or -1 for any other name. */
static long kept_update(const char *name, const char *base) {
  size_t n = strlen(base);
  if (strncmp(name, base, n) || strncmp(name + n, ".u", 2) || !name[n + 2]) return -1;
  char *end;
  long u = strtol(name + n + 2, &end, 10);
  return *end || u < 0 ? -1 : u;
}

static int compare_longs(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

fs_status fs_checkpoint_keep(const char *dir, long update, int keep_last, const fs_config *cfg, fs_model *m,
                             const char *spm_path) {
  char number[32];
  snprintf(number, sizeof number, ".u%ld", update);
  char *kept = fs_concat(dir, "", number);
  fs_status s = fs_checkpoint_save(kept, cfg, m, NULL, NULL, spm_path);
  free(kept);
  FS_TRY(s);
  /* the older saves of this run, found by name in the parent directory; all but the newest
   * keep_last go */
  char *parent = fs_strdup(dir), *slash = strrchr(parent, '/');
  const char *base = slash ? slash + 1 : parent;
  if (slash == parent) parent[1] = '\0';
  else if (slash) *slash = '\0';
  DIR *d = opendir(slash ? parent : ".");
  if (!d) {
    s = fs_error(FS_ERR_IO, "%s: cannot list: %s", slash ? parent : ".", strerror(errno));
    free(parent);
    return s;
  }
  long *updates = NULL;
  int count = 0, capacity = 0;
  for (struct dirent *e; (e = readdir(d));) {
    long u = kept_update(e->d_name, base);
    if (u < 0) continue;
    if (count == capacity)
      updates = fs_realloc(updates, sizeof(long) * (size_t)(capacity = capacity ? 2 * capacity : 16));
    updates[count++] = u;
  }
  closedir(d);
  qsort(updates, (size_t)count, sizeof(long), compare_longs);
  for (int i = 0; s == FS_OK && i < count - keep_last; i++) {
    snprintf(number, sizeof number, ".u%ld", updates[i]);
    char *old = fs_concat(dir, "", number);
    s = remove_tree(old);
    free(old);
  }
  free(updates);
  free(parent);
  return s;
}
