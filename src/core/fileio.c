#include "core/fileio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

fs_status fs_atomic_open(fs_atomic_file *f, const char *path) {
  f->path = strdup(path);
  f->tmp_path = malloc(strlen(path) + 16);
  sprintf(f->tmp_path, "%s.tmp-XXXXXX", path);
  int fd = mkstemp(f->tmp_path);
  if (fd >= 0) fchmod(fd, 0644); /* mkstemp creates 0600; outputs are ordinary files */
  f->file = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!f->file) {
    fs_status s = fs_error(FS_ERR_IO, "%s: cannot create a temporary file next to it: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    free(f->path);
    free(f->tmp_path);
    return s;
  }
  return FS_OK;
}

fs_status fs_atomic_commit(fs_atomic_file *f) {
  fs_status s = FS_OK;
  if (fflush(f->file) || fsync(fileno(f->file)) || ferror(f->file))
    s = fs_error(FS_ERR_IO, "%s: write failed: %s", f->path, strerror(errno));
  if (fclose(f->file) && s == FS_OK) s = fs_error(FS_ERR_IO, "%s: close failed: %s", f->path, strerror(errno));
  if (s == FS_OK && rename(f->tmp_path, f->path))
    s = fs_error(FS_ERR_IO, "%s: cannot rename the finished file into place: %s", f->path, strerror(errno));
  if (s != FS_OK) unlink(f->tmp_path);
  free(f->path);
  free(f->tmp_path);
  return s;
}

void fs_atomic_abort(fs_atomic_file *f) {
  fclose(f->file);
  unlink(f->tmp_path);
  free(f->path);
  free(f->tmp_path);
}

fs_status fs_copy_file(const char *src, const char *dst) {
  FILE *in = fopen(src, "rb");
  if (!in) return fs_error(FS_ERR_IO, "%s: cannot open: %s", src, strerror(errno));
  fs_atomic_file out;
  fs_status s = fs_atomic_open(&out, dst);
  if (s != FS_OK) {
    fclose(in);
    return s;
  }
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, out.file) != n) break;
  bool failed = ferror(in) || ferror(out.file);
  fclose(in);
  if (failed) {
    fs_atomic_abort(&out);
    return fs_error(FS_ERR_IO, "copying %s to %s failed", src, dst);
  }
  return fs_atomic_commit(&out);
}
