/* Reading evaluation text as sacreBLEU does: the implementation; eval/lines.h describes the interface. */
#include "eval/lines.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/utf8.h"
#include "eval/pytext.h"

fs_status fs_lines_read(const char *path, fs_lines *out) {
  memset(out, 0, sizeof *out);
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) return fs_error(FS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  int capacity = 1024;
  out->lines = fs_malloc(sizeof *out->lines * capacity);
  out->path = fs_strdup(path);
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  fs_status s = FS_OK;
  while ((len = getline(&line, &cap, f)) >= 0) {
    if ((s = fs_utf8_check(line, (size_t)len, "%s:%d", path, out->count + 1)) != FS_OK) break;
    if (memchr(line, '\0', (size_t)len)) {
      s = fs_error(FS_ERR_FORMAT, "%s:%d: NUL byte in text", path, out->count + 1);
      break;
    }
    if (out->count == capacity) {
      capacity *= 2;
      out->lines = fs_realloc(out->lines, sizeof *out->lines * capacity);
    }
    py_rstrip(line);
    out->lines[out->count++] = fs_strdup(line);
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

/* Appends `line` to l (the line is taken over). */
static void append(fs_lines *l, char *line) {
  if ((l->count & (l->count - 1)) == 0)
    l->lines = fs_realloc(l->lines, sizeof *l->lines * (l->count ? 2 * l->count : 1));
  l->lines[l->count++] = line;
}

/* Splits one rstripped input line into the systems' columns; the first line creates them. */
static fs_status split_columns(char *line, int line_no, fs_lines **systems, int *n_systems) {
  int fields = 1;
  for (const char *p = line; *p; p++) fields += *p == '\t';
  if (line_no == 1) {
    *n_systems = fields;
    *systems = fs_calloc(fields, sizeof **systems);
    for (int k = 0; k < fields; k++) {
      char name[32];
      snprintf(name, sizeof name, "System %d", k + 1);
      (*systems)[k].path = fs_strdup(name);
    }
  } else if (fields != *n_systems) {
    return fs_error(FS_ERR_FORMAT, "<stdin>:%d: %d tab-separated fields where the first line has %d", line_no, fields,
                    *n_systems);
  }
  char *field = line;
  for (int k = 0; k < fields; k++) {
    char *tab = strchr(field, '\t');
    if (tab) *tab = '\0';
    char *copy = fs_strdup(field);
    if (line_no > 1) py_rstrip(copy); /* sacreBLEU strips the first line only as a whole */
    append(&(*systems)[k], copy);
    field = tab ? tab + 1 : field + strlen(field);
  }
  return FS_OK;
}

fs_status fs_lines_read_columns(FILE *in, fs_lines **systems, int *n_systems) {
  *systems = NULL;
  *n_systems = 0;
  size_t n = 0, cap = 1 << 16, got;
  char *text = fs_malloc(cap);
  while ((got = fread(text + n, 1, cap - n - 1, in)) > 0)
    if ((n += got) + 1 == cap) text = fs_realloc(text, cap *= 2);
  text[n] = '\0';
  fs_status s = FS_OK;
  if (ferror(in)) s = fs_error(FS_ERR_IO, "<stdin>: read error: %s", strerror(errno));
  else if (memchr(text, '\0', n)) s = fs_error(FS_ERR_FORMAT, "<stdin>: NUL byte in text");
  /* Python yields one (empty) line even for empty input, so there is always a first line */
  char *line = text;
  for (int line_no = 1; s == FS_OK && (line_no == 1 || line < text + n); line_no++) {
    size_t len = strcspn(line, "\r\n");
    char *next = line + len + (line[len] == '\r' && line[len + 1] == '\n' ? 2 : line[len] ? 1 : 0);
    line[len] = '\0';
    if ((s = fs_utf8_check(line, len, "<stdin>:%d", line_no)) == FS_OK) {
      py_rstrip(line);
      s = split_columns(line, line_no, systems, n_systems);
    }
    line = next;
  }
  free(text);
  if (s != FS_OK) {
    for (int k = 0; k < *n_systems; k++) fs_lines_free(&(*systems)[k]);
    free(*systems);
    *systems = NULL;
    *n_systems = 0;
  }
  return s;
}
