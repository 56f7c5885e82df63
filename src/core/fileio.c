/* Files that are never half-written: the implementation; core/fileio.h describes the interface. */
#define _XOPEN_SOURCE 700 /* realpath, lstat, fchmod */
#include "core/fileio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"

/* /dev/stdout, /dev/fd/3, /proc/self/fd/3...: another name of an open descriptor */
static bool descriptor_alias(const char *path) {
  return !strcmp(path, "/dev/stdout") || !strcmp(path, "/dev/stderr") || !strncmp(path, "/dev/fd/", 8) ||
         (!strncmp(path, "/proc/", 6) && strstr(path, "/fd/"));
}

/* Whether to write straight through the existing path instead of replacing it: atomic
 * replacement is for regular files (and new ones); a FIFO, a device, a terminal or an open
 * descriptor (/dev/stdout redirected to a file with >> is appended to, not replaced) is written
 * to. Another symlink is followed so that the link survives: *real is set to its target
 * (malloc'd); a dangling one is written through, creating its target. */
static bool write_through(const char *path, char **real) {
  struct stat st;
  *real = NULL;
  if (descriptor_alias(path)) return true;
  if (lstat(path, &st)) return false; /* a new file */
  if (S_ISLNK(st.st_mode)) {
    *real = realpath(path, NULL);
    if (!*real || stat(*real, &st)) return true;
  }
  return !S_ISREG(st.st_mode);
}

fs_status fs_atomic_open(fs_atomic_file *f, const char *path) {
  char *real;
  if (write_through(path, &real)) {
    free(real);
    f->tmp_path = NULL;
    f->file = fopen(path, "ab"); /* no O_TRUNC: what the shell's redirection wrote before stays */
    if (!f->file) return fs_error(FS_ERR_IO, "%s: cannot open for writing: %s", path, strerror(errno));
    f->path = fs_strdup(path);
    return FS_OK;
  }
  f->path = real ? real : fs_strdup(path);
  f->tmp_path = fs_malloc(strlen(f->path) + 16);
  sprintf(f->tmp_path, "%s.tmp-XXXXXX", f->path);
  int fd = mkstemp(f->tmp_path);
  if (fd >= 0) fchmod(fd, 0644); /* mkstemp creates 0600; outputs are ordinary files */
  f->file = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!f->file) {
    fs_status s = fs_error(FS_ERR_IO, "%s: cannot create a temporary file next to it: %s", f->path, strerror(errno));
    if (fd >= 0) close(fd);
    free(f->path);
    free(f->tmp_path);
    return s;
  }
  return FS_OK;
}

fs_status fs_atomic_commit(fs_atomic_file *f) {
  fs_status s = FS_OK;
  /* fsync only the temporary file: a FIFO or a terminal cannot be synced (EINVAL) */
  if (fflush(f->file) || (f->tmp_path && fsync(fileno(f->file))) || ferror(f->file))
    s = fs_error(FS_ERR_IO, "%s: write failed: %s", f->path, strerror(errno));
  if (fclose(f->file) && s == FS_OK) s = fs_error(FS_ERR_IO, "%s: close failed: %s", f->path, strerror(errno));
  if (s == FS_OK && f->tmp_path && rename(f->tmp_path, f->path))
    s = fs_error(FS_ERR_IO, "%s: cannot rename the finished file into place: %s", f->path, strerror(errno));
  if (s != FS_OK && f->tmp_path) unlink(f->tmp_path);
  free(f->path);
  free(f->tmp_path);
  return s;
}

void fs_atomic_abort(fs_atomic_file *f) {
  fclose(f->file);
  if (f->tmp_path) unlink(f->tmp_path);
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
  int err = ferror(in) || ferror(out.file) ? errno : 0; /* e.g. ENOSPC: the message says why */
  fclose(in);
  if (err) {
    fs_atomic_abort(&out);
    return fs_error(FS_ERR_IO, "copying %s to %s failed: %s", src, dst, strerror(err));
  }
  return fs_atomic_commit(&out);
}

bool fs_same_bytes(const char *a, const char *b) {
  FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
  bool same = fa && fb;
  for (int ca = 0, cb = 0; same && ca != EOF; same = ca == cb) ca = fgetc(fa), cb = fgetc(fb);
  if (fa) fclose(fa);
  if (fb) fclose(fb);
  return same;
}
