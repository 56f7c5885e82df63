/* The safetensors format: the implementation; core/safetensors.h describes the interface. */
#define _POSIX_C_SOURCE 200809L
#include "core/safetensors.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/fileio.h"
#include "core/half.h"

static const char *dtype_names[] = {"F32", "I64", "F16"};
static const int dtype_sizes[] = {4, 8, 2};

static int64_t numel(int ndim, const int *shape) {
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) n *= shape[d];
  return n;
}

/* ---- writing ---- */

static void json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
    else if (c < 0x20) fprintf(out, "\\u%04x", c);
    else fputc(c, out);
  }
  fputc('"', out);
}

fs_status fs_safetensors_write(const char *path, const fs_st_tensor *t, int n, const char *const *metadata,
                               int n_metadata) {
  char *header = NULL;
  size_t len = 0;
  FILE *h = open_memstream(&header, &len);
  if (!h) return fs_error(FS_ERR_MEMORY, "%s: out of memory for the header", path);
  fputc('{', h);
  if (n_metadata) {
    fputs("\"__metadata__\":{", h);
    for (int i = 0; i < n_metadata; i++) {
      if (i) fputc(',', h);
      json_string(h, metadata[2 * i]);
      fputc(':', h);
      json_string(h, metadata[2 * i + 1]);
    }
    fputc('}', h);
  }
  int64_t offset = 0;
  for (int i = 0; i < n; i++) {
    if (i || n_metadata) fputc(',', h);
    json_string(h, t[i].name);
    fprintf(h, ":{\"dtype\":\"%s\",\"shape\":[", dtype_names[t[i].dtype]);
    for (int d = 0; d < t[i].ndim; d++) fprintf(h, d ? ",%d" : "%d", t[i].shape[d]);
    int64_t bytes = numel(t[i].ndim, t[i].shape) * dtype_sizes[t[i].dtype];
    fprintf(h, "],\"data_offsets\":[%lld,%lld]}", (long long)offset, (long long)(offset + bytes));
    offset += bytes;
  }
  fputc('}', h);
  while (ftell(h) % 8) fputc(' ', h); /* data starts 8-byte aligned */
  fclose(h);

  fs_atomic_file f;
  fs_status s = fs_atomic_open(&f, path);
  if (s == FS_OK) {
    uint64_t header_len = len; /* little-endian on every platform flowseq targets (x86-64, aarch64) */
    fwrite(&header_len, 8, 1, f.file);
    fwrite(header, 1, len, f.file);
    for (int i = 0; i < n; i++)
      fwrite(t[i].data, dtype_sizes[t[i].dtype], (size_t)numel(t[i].ndim, t[i].shape), f.file);
    s = fs_atomic_commit(&f);
  }
  free(header);
  return s;
}

/* ---- reading: a small JSON parser for exactly this header shape ---- */

typedef struct {
  char *name, dtype[16];
  int ndim, shape[FS_ST_MAX_DIMS];
  int64_t begin, end;
  bool has_dtype, has_shape, has_offsets;
} entry;

struct fs_safetensors {
  char *path;
  entry *entries;
  int n_entries;
  char **meta; /* key, value pairs */
  int n_meta;
  char *data;
  int64_t data_size;
};

typedef struct {
  const char *p, *start, *end, *path;
  fs_status status;
} json;

static void fail(json *j, const char *what) {
  if (j->status == FS_OK)
    j->status = fs_error(FS_ERR_FORMAT, "%s: malformed safetensors header: %s at header byte %ld", j->path, what,
                         (long)(j->p - j->start));
}

static void skip_ws(json *j) {
  while (j->p < j->end && strchr(" \n\t\r", *j->p)) j->p++;
}

/* Consumes c after optional whitespace; false (and a recorded error) if something else is there. */
static bool expect(json *j, char c) {
  skip_ws(j);
  if (j->p < j->end && *j->p == c) {
    j->p++;
    return true;
  }
  char what[32];
  snprintf(what, sizeof what, "expected '%c'", c);
  fail(j, what);
  return false;
}

/* Consumes c if it is next. */
static bool accept(json *j, char c) {
  skip_ws(j);
  if (j->p < j->end && *j->p == c) return j->p++, true;
  return false;
}

/* A JSON string; escapes of ASCII characters only (all flowseq and Python's writer produce). */
static char *string(json *j) {
  if (!expect(j, '"')) return NULL;
  char *out = fs_malloc(j->end - j->p + 1), *o = out;
  while (j->p < j->end && *j->p != '"') {
    char c = *j->p++;
    if (c == '\\' && j->p < j->end) {
      char e = *j->p++;
      const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t", *k = strchr(from, e);
      unsigned code;
      if (e && k) c = to[k - from];
      else if (e == 'u' && j->end - j->p >= 4 && sscanf(j->p, "%4x", &code) == 1 && code < 0x80)
        c = (char)code, j->p += 4;
      else return fail(j, "unsupported string escape"), free(out), NULL;
    }
    *o++ = c;
  }
  *o = '\0';
  if (!expect(j, '"')) return free(out), NULL;
  return out;
}

static int int_array(json *j, int64_t *out, int max) {
  int n = 0;
  if (!expect(j, '[')) return -1;
  if (accept(j, ']')) return 0;
  do {
    skip_ws(j);
    char *e;
    errno = 0;
    long long v = strtoll(j->p, &e, 10);
    if (e == j->p || errno || v < 0 || n == max) return fail(j, "expected a short list of non-negative integers"), -1;
    out[n++] = v;
    j->p = e;
  } while (accept(j, ','));
  return expect(j, ']') ? n : -1;
}

static void parse_entry(json *j, entry *e) {
  if (!expect(j, '{')) return;
  do {
    char *key = string(j);
    if (!key || !expect(j, ':')) return free(key);
    int64_t v[FS_ST_MAX_DIMS] = {0};
    if (!strcmp(key, "dtype")) {
      char *d = string(j);
      snprintf(e->dtype, sizeof e->dtype, "%s", d ? d : "");
      e->has_dtype = d != NULL;
      free(d);
    } else if (!strcmp(key, "shape")) {
      e->ndim = int_array(j, v, FS_ST_MAX_DIMS);
      for (int i = 0; i < e->ndim; i++) e->shape[i] = v[i] <= 0x7fffffff ? (int)v[i] : -1;
      e->has_shape = e->ndim >= 0;
    } else if (!strcmp(key, "data_offsets")) {
      e->has_offsets = int_array(j, v, 2) == 2;
      e->begin = v[0], e->end = v[1];
    } else if (j->status == FS_OK) {
      j->status = fs_error(FS_ERR_FORMAT, "%s: tensor %s: unexpected header field %s", j->path, e->name, key);
    }
    free(key);
  } while (j->status == FS_OK && accept(j, ','));
  expect(j, '}');
}

static void parse_metadata(json *j, fs_safetensors *f) {
  if (!expect(j, '{') || accept(j, '}')) return;
  do {
    char *k = string(j), *v = k && expect(j, ':') ? string(j) : NULL;
    f->meta = fs_realloc(f->meta, sizeof(char *) * 2 * (f->n_meta + 1));
    f->meta[2 * f->n_meta] = k;
    f->meta[2 * f->n_meta++ + 1] = v;
  } while (j->status == FS_OK && accept(j, ','));
  expect(j, '}');
}

static void parse_header(json *j, fs_safetensors *f) {
  if (!expect(j, '{') || accept(j, '}')) return;
  do {
    char *name = string(j);
    if (!name || !expect(j, ':')) return free(name);
    if (!strcmp(name, "__metadata__")) {
      free(name);
      parse_metadata(j, f);
      continue;
    }
    f->entries = fs_realloc(f->entries, sizeof(entry) * (f->n_entries + 1));
    entry *e = &f->entries[f->n_entries++];
    memset(e, 0, sizeof *e);
    e->name = name;
    parse_entry(j, e);
  } while (j->status == FS_OK && accept(j, ','));
  if (expect(j, '}')) {
    skip_ws(j);
    if (j->p != j->end) fail(j, "trailing characters after the header object");
  }
}

static int compare_begin(const void *a, const void *b) {
  int64_t x = ((const entry *)a)->begin, y = ((const entry *)b)->begin;
  return (x > y) - (x < y);
}

static int dtype_size(const char *name) {
  static const char *names[] = {"F64", "F32", "F16",  "BF16", "I64", "I32", "I16",
                                "I8",  "U8",  "BOOL", "U16",  "U32", "U64"};
  static const int sizes[] = {8, 4, 2, 2, 8, 4, 2, 1, 1, 1, 2, 4, 8};
  for (int i = 0; i < (int)(sizeof sizes / sizeof sizes[0]); i++)
    if (!strcmp(name, names[i])) return sizes[i];
  return 0;
}

/* Every tensor complete and consistent; together they cover the data exactly (no holes, no
 * overlaps, nothing missing at the end: a truncated file fails here). */
static fs_status check_entries(fs_safetensors *f) {
  for (int i = 0; i < f->n_entries; i++) {
    entry *e = &f->entries[i];
    if (!e->has_dtype || !e->has_shape || !e->has_offsets)
      return fs_error(FS_ERR_FORMAT, "%s: tensor %s: the header lacks its %s", f->path, e->name,
                      !e->has_dtype   ? "dtype"
                      : !e->has_shape ? "shape"
                                      : "data_offsets");
    for (int k = 0; k < i; k++)
      if (!strcmp(f->entries[k].name, e->name))
        return fs_error(FS_ERR_FORMAT, "%s: tensor %s appears twice", f->path, e->name);
    int size = dtype_size(e->dtype);
    if (!size) return fs_error(FS_ERR_FORMAT, "%s: tensor %s: unknown dtype %s", f->path, e->name, e->dtype);
    int64_t bytes = size;
    /* -1 for a dimension past INT_MAX or a byte count past INT64_MAX (crafted shapes overflowed it) */
    for (int d = 0; d < e->ndim && bytes >= 0; d++)
      bytes = e->shape[d] < 0 || (e->shape[d] && bytes > INT64_MAX / e->shape[d]) ? -1 : bytes * e->shape[d];
    if (bytes != e->end - e->begin)
      return fs_error(
          FS_ERR_FORMAT, "%s: tensor %s: data_offsets [%lld, %lld] hold %lld bytes, its dtype and shape need %lld",
          f->path, e->name, (long long)e->begin, (long long)e->end, (long long)(e->end - e->begin), (long long)bytes);
  }
  if (f->n_entries) qsort(f->entries, f->n_entries, sizeof(entry), compare_begin); /* entries is NULL for {} */
  int64_t expected = 0;
  for (int i = 0; i < f->n_entries; i++) {
    const entry *e = &f->entries[i];
    if (e->begin != expected)
      return fs_error(FS_ERR_FORMAT,
                      "%s: tensor %s starts at data byte %lld, expected %lld (overlapping or missing data)", f->path,
                      e->name, (long long)e->begin, (long long)expected);
    expected = e->end;
  }
  if (expected != f->data_size)
    return fs_error(FS_ERR_FORMAT,
                    "%s: the tensors need %lld data bytes but the file has %lld (truncated or corrupted)", f->path,
                    (long long)expected, (long long)f->data_size);
  return FS_OK;
}

fs_status fs_safetensors_open(const char *path, fs_safetensors **out) {
  *out = NULL;
  FILE *file;
  FS_TRY(fs_open_read(path, &file));
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  uint64_t header_len = 0;
  if (size < 8 || fread(&header_len, 8, 1, file) != 1 || header_len < 2 || header_len > (uint64_t)size - 8) {
    fclose(file);
    return fs_error(FS_ERR_FORMAT,
                    "%s: not a safetensors file: the %ld-byte file cannot hold a header of %llu bytes "
                    "(truncated or another format)",
                    path, size, (unsigned long long)header_len);
  }
  fs_safetensors *f = fs_calloc(1, sizeof *f);
  f->path = fs_strdup(path);
  /* NUL-terminated so that strtoll on a number at the very end of the header stops there */
  char *header = fs_malloc(header_len + 1);
  header[header_len] = '\0';
  f->data_size = size - 8 - (long)header_len;
  f->data = malloc(f->data_size ? f->data_size : 1); /* a model's size: an error to report, not an abort */
  if (!f->data) {
    fclose(file);
    free(header);
    fs_safetensors_close(f);
    return fs_error(FS_ERR_MEMORY, "%s: cannot allocate %ld bytes for its tensors", path, size - 8 - (long)header_len);
  }
  bool read_ok =
      fread(header, 1, header_len, file) == header_len && fread(f->data, 1, f->data_size, file) == (size_t)f->data_size;
  fclose(file);
  json j = {header, header, header + header_len, path, read_ok ? FS_OK : fs_error(FS_ERR_IO, "%s: read failed", path)};
  if (j.status == FS_OK) parse_header(&j, f);
  free(header);
  fs_status s = j.status == FS_OK ? check_entries(f) : j.status;
  if (s != FS_OK) {
    fs_safetensors_close(f);
    return s;
  }
  *out = f;
  return FS_OK;
}

static void format_shape(char *buf, size_t cap, int ndim, const int *shape) {
  size_t len = (size_t)snprintf(buf, cap, "[");
  for (int d = 0; d < ndim && len < cap; d++)
    len += (size_t)snprintf(buf + len, cap - len, d ? ", %d" : "%d", shape[d]);
  if (len < cap) snprintf(buf + len, cap - len, "]");
}

fs_status fs_safetensors_get(const fs_safetensors *f, const char *name, fs_st_dtype dtype, int ndim, const int *shape,
                             void *dst) {
  for (int i = 0; i < f->n_entries; i++) {
    const entry *e = &f->entries[i];
    if (strcmp(e->name, name)) continue;
    bool half = dtype == FS_ST_F32 && !strcmp(e->dtype, "F16"); /* converted below */
    bool same = e->ndim == ndim && (half || !strcmp(e->dtype, dtype_names[dtype]));
    for (int d = 0; same && d < ndim; d++) same = e->shape[d] == shape[d];
    if (!same) {
      char want[128], found[128];
      format_shape(want, sizeof want, ndim, shape);
      format_shape(found, sizeof found, e->ndim, e->shape);
      return fs_error(FS_ERR_FORMAT, "%s: tensor %s: expected %s %s, found %s %s (written for another config?)",
                      f->path, name, dtype_names[dtype], want, e->dtype, found);
    }
    if (half) {
      for (int64_t k = 0; k < (e->end - e->begin) / 2; k++) {
        uint16_t h; /* copied: a crafted file may place the tensor at an odd offset */
        memcpy(&h, f->data + e->begin + 2 * k, sizeof h);
        ((float *)dst)[k] = fs_half_to_float(h);
      }
    } else {
      memcpy(dst, f->data + e->begin, (size_t)(e->end - e->begin));
    }
    return FS_OK;
  }
  return fs_error(FS_ERR_FORMAT, "%s: tensor %s is missing", f->path, name);
}

int fs_safetensors_count(const fs_safetensors *f) { return f->n_entries; }

const char *fs_safetensors_name(const fs_safetensors *f, int i) { return f->entries[i].name; }

const char *fs_safetensors_metadata(const fs_safetensors *f, const char *key) {
  for (int i = 0; i < f->n_meta; i++)
    if (f->meta[2 * i] && !strcmp(f->meta[2 * i], key)) return f->meta[2 * i + 1];
  return NULL;
}

void fs_safetensors_close(fs_safetensors *f) {
  if (!f) return;
  for (int i = 0; i < f->n_entries; i++) free(f->entries[i].name);
  for (int i = 0; i < 2 * f->n_meta; i++) free(f->meta[i]);
  free(f->entries);
  free(f->meta);
  free(f->data);
  free(f->path);
  free(f);
}

fs_status fs_safetensors_store_f16(const char *path) {
  fs_safetensors *f;
  FS_TRY(fs_safetensors_open(path, &f));
  fs_st_tensor *t = fs_calloc((size_t)f->n_entries + 1, sizeof *t);
  uint16_t **halves = fs_calloc((size_t)f->n_entries + 1, sizeof *halves);
  const char **metadata = fs_calloc((size_t)2 * f->n_meta + 1, sizeof *metadata);
  fs_status s = FS_OK;
  for (int i = 0; s == FS_OK && i < f->n_entries; i++) {
    const entry *e = &f->entries[i];
    int known = -1;
    for (int d = 0; d < 3; d++)
      if (!strcmp(e->dtype, dtype_names[d])) known = d;
    if (known < 0) {
      s = fs_error(FS_ERR_FORMAT, "%s: tensor %s: dtype %s is not one flowseq writes", path, e->name, e->dtype);
      break;
    }
    t[i] = (fs_st_tensor){e->name, (fs_st_dtype)known, e->ndim, e->shape, f->data + e->begin};
    if (known != FS_ST_F32) continue;
    int64_t n = (e->end - e->begin) / 4;
    halves[i] = fs_malloc(sizeof(uint16_t) * (size_t)(n ? n : 1));
    for (int64_t k = 0; k < n; k++) {
      float x;
      memcpy(&x, f->data + e->begin + 4 * k, sizeof x);
      halves[i][k] = fs_half_from_float(x);
    }
    t[i].dtype = FS_ST_F16, t[i].data = halves[i];
  }
  for (int i = 0; i < 2 * f->n_meta; i++) metadata[i] = f->meta[i];
  if (s == FS_OK) s = fs_safetensors_write(path, t, f->n_entries, metadata, f->n_meta);
  for (int i = 0; i < f->n_entries; i++) free(halves[i]);
  free(halves);
  free(t);
  free(metadata);
  fs_safetensors_close(f);
  return s;
}
