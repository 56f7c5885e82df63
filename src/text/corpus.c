/* Reading one side of a corpus into memory, whatever its form:
 * the implementation; text/corpus.h describes the interface. */
#include "text/corpus.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/alloc.h"
#include "core/utf8.h"

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

static void push(fs_text *t, int *capacity, char *line) {
  if (t->count == *capacity) {
    *capacity = *capacity ? 2 * *capacity : 1024;
    t->lines = fs_realloc(t->lines, sizeof *t->lines * *capacity);
  }
  t->lines[t->count++] = line;
}

/* Collapses runs of ASCII whitespace into one space and trims, in place. */
static void collapse_ascii_space(char *s) {
  char *o = s;
  bool space = true; /* drops leading space */
  for (const char *p = s; *p; p++) {
    bool ws = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v';
    if (ws) {
      if (!space) *o++ = ' ';
      space = true;
    } else {
      *o++ = *p;
      space = false;
    }
  }
  if (o > s && o[-1] == ' ') o--;
  *o = '\0';
}

/* The text of a "<seg ...>text</seg>" line, malloc'd, or NULL when the line has no segment. */
static char *sgml_segment(const char *line) {
  const char *open = strstr(line, "<seg");
  if (!open) return NULL;
  const char *start = strchr(open, '>');
  const char *end = start ? strstr(start, "</seg>") : NULL;
  if (!end) return NULL;
  char *text = strndup(start + 1, end - start - 1);
  collapse_ascii_space(text);
  return text;
}

/* Column `col` (1-based) of a TAB-separated line, malloc'd, or NULL when it has fewer columns. */
static char *tsv_column(const char *line, int col) {
  const char *p = line;
  for (int c = 1; c < col; c++) {
    p = strchr(p, '\t');
    if (!p) return NULL;
    p++;
  }
  const char *end = strchr(p, '\t');
  return strndup(p, end ? (size_t)(end - p) : strlen(p));
}

struct fs_line_reader {
  gzFile file;
  char *path, *buf;
  size_t cap;
  int column, line_no;
  bool sgml;
};

/* The file of a spec (malloc'd) and, for FILE.tsv:N, *column = N (else 0; -1 when N is no
 * positive number). */
static char *spec_file(const char *spec, int *column) {
  char *path = fs_strdup(spec);
  *column = 0;
  char *colon = strrchr(path, ':');
  if (colon && (ends_with(path, ".tsv") || strstr(path, ".tsv:") || strstr(path, ".tsv.gz:"))) {
    *column = atoi(colon + 1);
    if (*column < 1) *column = -1;
    *colon = '\0';
  }
  return path;
}

char *fs_corpus_file(const char *spec) {
  int column;
  return spec_file(spec, &column);
}

fs_status fs_line_reader_open(const char *spec, fs_line_reader **out) {
  *out = NULL;
  int column;
  char *path = spec_file(spec, &column);
  if (column < 0) {
    free(path);
    return fs_error(FS_ERR_ARG, "%s: a TSV input needs a column number, as in FILE.tsv:2", spec);
  }
  if (!column && (ends_with(path, ".tsv") || ends_with(path, ".tsv.gz"))) {
    free(path);
    return fs_error(FS_ERR_ARG, "%s: name the column of the TSV file, as in %s:2", spec, spec);
  }
  gzFile f = gzopen(path, "rb"); /* reads plain files as they are, too */
  if (!f) {
    fs_status s = fs_error(FS_ERR_IO, "%s: cannot open: %s", path, strerror(errno ? errno : ENOENT));
    free(path);
    return s;
  }
  gzbuffer(f, 1 << 17);
  fs_line_reader *r = fs_calloc(1, sizeof *r);
  r->file = f;
  r->path = path;
  r->cap = 4096;
  r->buf = fs_malloc(r->cap);
  r->column = column;
  r->sgml = ends_with(path, ".sgm") || ends_with(path, ".sgm.gz") || ends_with(path, ".sgml");
  *out = r;
  return FS_OK;
}

fs_status fs_line_reader_next(fs_line_reader *r, char **sentence) {
  *sentence = NULL;
  for (;;) {
    size_t len = 0;
    bool got = false;
    z_off_t start = gztell(r->file);
    while (gzgets(r->file, r->buf + len, (int)(r->cap - len))) { /* whole line, however long */
      got = true;
      len += strlen(r->buf + len);
      /* gzgets reads past a NUL byte, which strlen then hides: lines would be joined or lost */
      if ((z_off_t)len != gztell(r->file) - start)
        return fs_error(FS_ERR_FORMAT, "%s:%d: NUL byte in text (a binary file?)", r->path, r->line_no + 1);
      if (len && r->buf[len - 1] == '\n') break;
      r->cap *= 2;
      r->buf = fs_realloc(r->buf, r->cap);
    }
    if (!got) {
      int err;
      const char *msg = gzerror(r->file, &err);
      size_t n = strlen(r->path); /* zlib's message starts with the path already */
      if (!strncmp(msg, r->path, n) && !strncmp(msg + n, ": ", 2)) msg += n + 2;
      return err != Z_OK && err != Z_STREAM_END ? fs_error(FS_ERR_FORMAT, "%s: %s", r->path, msg) : FS_OK;
    }
    r->line_no++;
    char *buf = r->buf;
    if (len && buf[len - 1] == '\n') buf[--len] = '\0';
    if (len && buf[len - 1] == '\r') buf[--len] = '\0';
    FS_TRY(fs_utf8_check(buf, len, "%s:%d", r->path, r->line_no));
    if (r->sgml) {
      if (!(*sentence = sgml_segment(buf))) continue;
    } else if (r->column) {
      if (!(*sentence = tsv_column(buf, r->column)))
        return fs_error(FS_ERR_FORMAT, "%s:%d: expected at least %d TAB-separated columns", r->path, r->line_no,
                        r->column);
    } else {
      *sentence = fs_strdup(buf);
      for (char *p = *sentence; *p; p++)
        if (*p == '\t') *p = ' '; /* a TAB inside a sentence is a space (Multi30k train.de:7366) */
    }
    return FS_OK;
  }
}

void fs_line_reader_close(fs_line_reader *r) {
  if (!r) return;
  gzclose(r->file);
  free(r->buf);
  free(r->path);
  free(r);
}

fs_status fs_text_read(const char *spec, fs_text *out) {
  memset(out, 0, sizeof *out);
  fs_line_reader *r;
  FS_TRY(fs_line_reader_open(spec, &r));
  int capacity = 0;
  char *line;
  fs_status s;
  while ((s = fs_line_reader_next(r, &line)) == FS_OK && line) push(out, &capacity, line);
  fs_line_reader_close(r);
  if (s != FS_OK) fs_text_free(out);
  return s;
}

void fs_text_free(fs_text *t) {
  for (int i = 0; i < t->count; i++) free(t->lines[i]);
  free(t->lines);
  memset(t, 0, sizeof *t);
}

fs_status fs_parallel_read(const char *src_spec, const char *tgt_spec, fs_text *src, fs_text *tgt) {
  FS_TRY(fs_text_read(src_spec, src));
  fs_status s = fs_text_read(tgt_spec, tgt);
  if (s == FS_OK && src->count != tgt->count)
    s = fs_error(FS_ERR_FORMAT,
                 "%s has %d sentences but %s has %d: the sides of a parallel corpus must match line for line", src_spec,
                 src->count, tgt_spec, tgt->count);
  if (s != FS_OK) {
    fs_text_free(src);
    fs_text_free(tgt);
  }
  return s;
}
