/* Files that are never half-written: the implementation; core/fileio.h describes the interface. */
#define _XOPEN_SOURCE 700 /* realpath, lstat, fchmod */
#include "core/fileio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"

fs_status fs_check_readable_file(const char *path) {
  struct stat st;
  if (stat(path, &st) || access(path, R_OK)) return fs_error(FS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  if (S_ISDIR(st.st_mode)) return fs_error(FS_ERR_IO, "%s: a directory, where a file was expected", path);
  return FS_OK;
}

fs_status fs_open_read(const char *path, FILE **out) {
  *out = NULL;
  FS_TRY(fs_check_readable_file(path));
  if (!(*out = fopen(path, "rb"))) return fs_error(FS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  return FS_OK;
}

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
  int err = 0;
  while (!err && (n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, out.file) != n) err = errno ? errno : EIO; /* e.g. ENOSPC: the message says why */
  bool read_failed = ferror(in);
  if (read_failed) err = errno ? errno : EIO;
  fclose(in);
  if (err) {
    fs_atomic_abort(&out);
    return fs_error(FS_ERR_IO, "%s: %s failed: %s (copying %s to %s)", read_failed ? src : dst,
                    read_failed ? "read" : "write", strerror(err), src, dst);
  }
  return fs_atomic_commit(&out);
}

bool fs_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

bool fs_same_bytes(const char *a, const char *b) {
  FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
  bool same = fa && fb;
  for (int ca = 0, cb = 0; same && ca != EOF; same = ca == cb) ca = fgetc(fa), cb = fgetc(fb);
  if (fa) fclose(fa);
  if (fb) fclose(fb);
  return same;
}

/* ---- outputs that are inputs ---------------------------------------------------------------- */

/* A regular file's identity, following symlinks; false for what does not exist or is no regular
 * file. NULL or "-" is the standard stream given. */
static bool regular_file_id(const char *path, int fd, struct stat *st) {
  int r = path && strcmp(path, "-") ? stat(path, st) : fstat(fd, st);
  return r == 0 && S_ISREG(st->st_mode);
}

fs_status fs_output_not_input(const char *output, const char *const *inputs, int n) {
  struct stat out, in;
  if (!regular_file_id(output, STDOUT_FILENO, &out)) return FS_OK;
  for (int i = 0; i < n; i++) {
    if (!inputs[i] || !regular_file_id(inputs[i], STDIN_FILENO, &in)) continue;
    if (in.st_dev == out.st_dev && in.st_ino == out.st_ino)
      return fs_error(FS_ERR_ARG, "%s is the same file as the input %s: refusing to write over an input",
                      output && strcmp(output, "-") ? output : "stdout", strcmp(inputs[i], "-") ? inputs[i] : "stdin");
  }
  return FS_OK;
}

/* ---- checked output streams ----------------------------------------------------------------- */

/* Records the first failure (err: its errno, EIO when the system gave none) and returns it. */
static fs_status output_failed(fs_output *o, int err) {
  if (!o->error) o->error = err ? err : EIO;
  return fs_output_status(o);
}

fs_status fs_output_status(const fs_output *o) {
  if (!o->error) return FS_OK;
  return fs_error(FS_ERR_IO, "%s: write failed: %s", o->name, strerror(o->error));
}

fs_status fs_output_open(fs_output *o, const char *path) {
  memset(o, 0, sizeof *o);
  if (!path) {
    fs_output_wrap(o, stdout, "stdout");
    return FS_OK;
  }
  FS_TRY(fs_atomic_open(&o->atomic, path));
  o->file = o->atomic.file;
  o->name = path;
  o->is_atomic = true;
  return FS_OK;
}

void fs_output_wrap(fs_output *o, FILE *file, const char *name) {
  memset(o, 0, sizeof *o);
  o->file = file;
  o->name = name;
}

fs_status fs_output_printf(fs_output *o, const char *format, ...) {
  if (o->error) return fs_output_status(o);
  va_list args;
  va_start(args, format);
  errno = 0;
  int n = vfprintf(o->file, format, args);
  va_end(args);
  return n < 0 ? output_failed(o, errno) : FS_OK;
}

fs_status fs_output_write(fs_output *o, const void *data, size_t size) {
  if (o->error) return fs_output_status(o);
  errno = 0;
  return fwrite(data, 1, size, o->file) != size ? output_failed(o, errno) : FS_OK;
}

fs_status fs_output_check(fs_output *o) {
  int err = errno; /* the cause, when the failed write was the caller's last call */
  if (o->error || !ferror(o->file)) return fs_output_status(o);
  /* pushing the buffer out again says why, when there is still something to push */
  errno = 0;
  if (fflush(o->file) && errno) err = errno;
  return output_failed(o, err);
}

fs_status fs_output_flush(fs_output *o) {
  if (o->error) return fs_output_status(o);
  errno = 0;
  if (fflush(o->file) || ferror(o->file)) return output_failed(o, errno);
  return FS_OK;
}

fs_status fs_output_close(fs_output *o) {
  fs_status s = fs_output_flush(o);
  if (!o->is_atomic) return s;
  o->is_atomic = false;
  if (s != FS_OK) {
    fs_atomic_abort(&o->atomic);
    return fs_output_status(o); /* recorded again: the abort may have touched errno's message */
  }
  return fs_atomic_commit(&o->atomic);
}

void fs_output_abort(fs_output *o) {
  if (o->is_atomic) fs_atomic_abort(&o->atomic);
  else fflush(o->file); /* what was written so far still goes out; a failure no longer matters */
  o->is_atomic = false;
}
