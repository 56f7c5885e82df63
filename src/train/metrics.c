/* The metrics file of a training run: the implementation; train/metrics.h describes the interface. */
#define _POSIX_C_SOURCE 200809L /* getline */
#include "train/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/alloc.h"
#include "core/fileio.h"
#include "core/log.h"

fs_metrics_row fs_metrics_row_empty(long update, int epoch, const char *phase) {
  return (fs_metrics_row){update, epoch, phase, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
}

/* Drops the rows of updates after last_update, and a last row cut short by a kill, rewriting the
 * file atomically (untouched when nothing goes, or when it is not a metrics file: open refuses it). */
static fs_status drop_rows_after(const char *path, long last_update) {
  FILE *in = fopen(path, "r");
  if (!in) return FS_OK; /* a new file */
  char *line = NULL;
  size_t cap = 0;
  ssize_t len = getline(&line, &cap, in);
  fs_atomic_file out;
  fs_status s = FS_OK;
  long dropped = 0;
  if (len > 0 && !strcmp(line, FS_METRICS_HEADER "\n") && (s = fs_atomic_open(&out, path)) == FS_OK) {
    fputs(line, out.file);
    while ((len = getline(&line, &cap, in)) > 0) {
      if (line[len - 1] != '\n' || strtol(line, NULL, 10) > last_update) dropped++;
      else fputs(line, out.file);
    }
    if (dropped) {
      s = fs_atomic_commit(&out);
      fs_log("train", "%s: %ld rows after update %ld dropped (logged after the checkpoint, they are logged again)",
             path, dropped, last_update);
    } else {
      fs_atomic_abort(&out);
    }
  }
  free(line);
  fclose(in);
  return s;
}

fs_status fs_metrics_open(fs_metrics *m, const char *path, long last_update) {
  FS_TRY(drop_rows_after(path, last_update));
  m->file = fopen(path, "a+");
  if (!m->file) return fs_error(FS_ERR_IO, "%s: cannot open the metrics file: %s", path, strerror(errno));
  char header[sizeof FS_METRICS_HEADER + 2] = "";
  rewind(m->file);
  if (!fgets(header, sizeof header, m->file)) {
    fputs(FS_METRICS_HEADER "\n", m->file);
  } else if (strcmp(header, FS_METRICS_HEADER "\n")) {
    fclose(m->file);
    return fs_error(FS_ERR_FORMAT, "%s: not a flowseq metrics file (its header differs from \"%s\"); move it away",
                    path, FS_METRICS_HEADER);
  }
  m->path = fs_strdup(path);
  return fflush(m->file) ? fs_error(FS_ERR_IO, "%s: write failed: %s", path, strerror(errno)) : FS_OK;
}

static void field(FILE *f, double v, const char *format) {
  fputc('\t', f);
  if (!isnan(v)) fprintf(f, format, v);
}

fs_status fs_metrics_append(fs_metrics *m, const fs_metrics_row *r) {
  FILE *f = m->file;
  fprintf(f, "%ld\t%d\t%s", r->update, r->epoch, r->phase);
  field(f, r->recon, "%.6f");
  field(f, r->kl, "%.6f");
  field(f, r->length, "%.6f");
  field(f, r->kl_weight, "%.6f");
  field(f, r->lr, "%.6e");
  field(f, r->grad_norm, "%.6f");
  field(f, r->tok_per_s, "%.1f");
  field(f, r->valid_nll, "%.6f");
  field(f, r->valid_ppl, "%.4f");
  field(f, r->valid_bleu, "%.2f");
  fputc('\n', f);
  if (fflush(f) || ferror(f)) return fs_error(FS_ERR_IO, "%s: write failed: %s", m->path, strerror(errno));
  return FS_OK;
}

void fs_metrics_close(fs_metrics *m) {
  if (m->file) fclose(m->file);
  free(m->path);
  m->file = NULL;
  m->path = NULL;
}
