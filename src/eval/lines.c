#include "eval/lines.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "eval/pytext.h"

fs_status fs_lines_read(const char *path, fs_lines *out) {
  memset(out, 0, sizeof *out);
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) return fs_error(FS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  int capacity = 1024;
  out->lines = malloc(sizeof *out->lines * capacity);
  out->path = strdup(path);
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  fs_status s = FS_OK;
  while ((len = getline(&line, &cap, f)) >= 0) {
    size_t bad;
    if (!fs_utf8_valid(line, (size_t)len, &bad)) {
      s = fs_error(FS_ERR_FORMAT, "%s:%d: invalid UTF-8 at byte %zu", path, out->count + 1, bad + 1);
      break;
    }
    if (memchr(line, '\0', (size_t)len)) {
      s = fs_error(FS_ERR_FORMAT, "%s:%d: NUL byte in text", path, out->count + 1);
      break;
    }
    if (out->count == capacity) {
      capacity *= 2;
      out->lines = realloc(out->lines, sizeof *out->lines * capacity);
    }
    py_rstrip(line);
    out->lines[out->count++] = strdup(line);
  }
  if (s == FS_OK && ferror(f)) s = fs_error(FS_ERR_IO, "%s: read error: %s", path, strerror(errno));
  free(line);
  if (f != stdin) fclose(f);
  if (s != FS_OK) fs_lines_free(out);
  return s;
}

void fs_lines_free(fs_lines *l) {
  for (int i = 0; i < l->count; i++) free(l->lines[i]);
  free(l->lines);
  free(l->path);
  memset(l, 0, sizeof *l);
}
