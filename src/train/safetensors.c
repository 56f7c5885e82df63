#include "train/safetensors.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"

/* ---- writing ---- */

fs_status fs_safetensors_write(const char *path, const fs_st_tensor *t, int n, const char *const *metadata,
                               int n_metadata) {
  size_t cap = 4096 + (size_t)n * 256, len = 0;
  char *header = malloc(cap);
  int64_t offset = 0;
  len += snprintf(header + len, cap - len, "{");
  if (n_metadata) {
    len += snprintf(header + len, cap - len, "\"__metadata__\":{");
    for (int i = 0; i < n_metadata; i++)
      len += snprintf(header + len, cap - len, "%s\"%s\":\"%s\"", i ? "," : "", metadata[2 * i], metadata[2 * i + 1]);
    len += snprintf(header + len, cap - len, "}%s", n ? "," : "");
  }
  for (int i = 0; i < n; i++) {
    int64_t numel = 1;
    for (int d = 0; d < t[i].ndim; d++) numel *= t[i].shape[d];
    if (cap - len < 512) header = realloc(header, cap *= 2);
    len += snprintf(header + len, cap - len, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[", i ? "," : "", t[i].name);
    for (int d = 0; d < t[i].ndim; d++) len += snprintf(header + len, cap - len, d ? ",%d" : "%d", t[i].shape[d]);
    len += snprintf(header + len, cap - len, "],\"data_offsets\":[%lld,%lld]}", (long long)offset,
                    (long long)(offset + numel * 4));
    offset += numel * 4;
  }
  len += snprintf(header + len, cap - len, "}");
  while (len % 8) header[len++] = ' '; /* data starts 8-byte aligned */
  fs_atomic_file f;
  fs_status s = fs_atomic_open(&f, path);
  if (s != FS_OK) {
    free(header);
    return s;
  }
  uint64_t hl = len; /* little-endian on every platform flowseq targets (x86-64, aarch64) */
  fwrite(&hl, 8, 1, f.file);
  fwrite(header, 1, len, f.file);
  for (int i = 0; i < n; i++) {
    int64_t numel = 1;
    for (int d = 0; d < t[i].ndim; d++) numel *= t[i].shape[d];
    fwrite(t[i].data, 4, (size_t)numel, f.file);
  }
  free(header);
  return fs_atomic_commit(&f);
}

/* ---- reading: a small JSON parser for exactly this header shape ---- */

typedef struct {
  char *name, dtype[16];
  int ndim, shape[8];
  int64_t begin, end;
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

static void skip_ws(json *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')) j->p++;
}

static bool expect(json *j, char c) {
  skip_ws(j);
  if (j->p < j->end && *j->p == c) {
    j->p++;
    return true;
  }
  if (j->status == FS_OK)
    j->status = fs_error(FS_ERR_FORMAT, "%s: malformed safetensors header: expected '%c' at header byte %ld", j->path, c,
                         (long)(j->p - j->start));
  return false;
}

static char *string(json *j) {
  if (!expect(j, '"')) return NULL;
  const char *start = j->p;
  while (j->p < j->end && *j->p != '"') j->p += *j->p == '\\' ? 2 : 1;
  if (j->p >= j->end) {
    expect(j, '"');
    return NULL;
  }
  char *s = strndup(start, j->p - start);
  j->p++;
  return s;
}

static int int_array(json *j, int64_t *out, int max) {
  int n = 0;
  if (!expect(j, '[')) return -1;
  skip_ws(j);
  if (*j->p == ']') return j->p++, 0;
  do {
    skip_ws(j);
    char *e;
    long long v = strtoll(j->p, &e, 10);
    if (e == j->p || n == max) return expect(j, '#'), -1;
    out[n++] = v;
    j->p = e;
    skip_ws(j);
  } while (*j->p == ',' && j->p++);
  return expect(j, ']') ? n : -1;
}

static void parse_entry(json *j, entry *e) {
  if (!expect(j, '{')) return;
  do {
    char *key = string(j);
    if (!key || !expect(j, ':')) return free(key);
    int64_t v[8];
    if (!strcmp(key, "dtype")) {
      char *d = string(j);
      snprintf(e->dtype, sizeof e->dtype, "%s", d ? d : "");
      free(d);
    } else if (!strcmp(key, "shape")) {
      e->ndim = int_array(j, v, 8);
      for (int i = 0; i < e->ndim; i++) e->shape[i] = (int)v[i];
    } else if (!strcmp(key, "data_offsets")) {
      if (int_array(j, v, 2) == 2) e->begin = v[0], e->end = v[1];
    } else if (j->status == FS_OK) {
      j->status = fs_error(FS_ERR_FORMAT, "%s: tensor %s: unexpected header field %s", j->path, e->name, key);
    }
    free(key);
    skip_ws(j);
  } while (j->status == FS_OK && *j->p == ',' && j->p++);
  expect(j, '}');
}

static void parse_metadata(json *j, fs_safetensors *f) {
  if (!expect(j, '{')) return;
  skip_ws(j);
  if (*j->p == '}') return (void)j->p++;
  do {
    char *k = string(j), *v = k && expect(j, ':') ? string(j) : NULL;
    f->meta = realloc(f->meta, sizeof(char *) * 2 * (f->n_meta + 1));
    f->meta[2 * f->n_meta] = k;
    f->meta[2 * f->n_meta++ + 1] = v;
    skip_ws(j);
  } while (j->status == FS_OK && *j->p == ',' && j->p++);
  expect(j, '}');
}

fs_status fs_safetensors_open(const char *path, fs_safetensors **out) {
  *out = NULL;
  FILE *file = fopen(path, "rb");
  if (!file) return fs_error(FS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  uint64_t hl = 0;
  if (size < 8 || fread(&hl, 8, 1, file) != 1 || hl > (uint64_t)size - 8) {
    fclose(file);
    return fs_error(FS_ERR_FORMAT, "%s: not a safetensors file (truncated or bad header length)", path);
  }
  fs_safetensors *f = calloc(1, sizeof *f);
  f->path = strdup(path);
  char *header = malloc(hl + 1);
  f->data_size = size - 8 - (long)hl;
  f->data = malloc(f->data_size ? f->data_size : 1);
  bool read_ok = fread(header, 1, hl, file) == hl && fread(f->data, 1, f->data_size, file) == (size_t)f->data_size;
  fclose(file);
  header[hl] = '\0';
  json j = {header, header, header + hl, path, read_ok ? FS_OK : fs_error(FS_ERR_IO, "%s: read failed", path)};
  if (j.status == FS_OK && expect(&j, '{')) {
    skip_ws(&j);
    while (j.status == FS_OK && *j.p != '}') {
      char *name = string(&j);
      if (!name || !expect(&j, ':')) {
        free(name);
        break;
      }
      if (!strcmp(name, "__metadata__")) {
        free(name);
        parse_metadata(&j, f);
      } else {
        f->entries = realloc(f->entries, sizeof(entry) * (f->n_entries + 1));
        entry *e = &f->entries[f->n_entries++];
        memset(e, 0, sizeof *e);
        e->name = name;
        parse_entry(&j, e);
        if (j.status == FS_OK && (e->begin < 0 || e->end < e->begin || e->end > f->data_size))
          j.status = fs_error(FS_ERR_FORMAT, "%s: tensor %s: data [%lld, %lld) lies outside the %lld data bytes (truncated?)",
                              path, name, (long long)e->begin, (long long)e->end, (long long)f->data_size);
      }
      skip_ws(&j);
      if (*j.p == ',') j.p++;
      skip_ws(&j);
    }
  }
  free(header);
  if (j.status != FS_OK) {
    fs_safetensors_close(f);
    return j.status;
  }
  *out = f;
  return FS_OK;
}

fs_status fs_safetensors_get(const fs_safetensors *f, const char *name, int ndim, const int *shape, float *dst) {
  for (int i = 0; i < f->n_entries; i++) {
    const entry *e = &f->entries[i];
    if (strcmp(e->name, name)) continue;
    bool same = e->ndim == ndim && !strcmp(e->dtype, "F32");
    int64_t numel = 1;
    for (int d = 0; same && d < ndim; d++) same = e->shape[d] == shape[d], numel *= shape[d];
    if (!same || e->end - e->begin != numel * 4)
      return fs_error(FS_ERR_FORMAT, "%s: tensor %s has dtype %s and %d dims, expected F32 with %d dims of the model's "
                      "shape (was the checkpoint written for another config?)", f->path, name, e->dtype, e->ndim, ndim);
    memcpy(dst, f->data + e->begin, (size_t)numel * 4);
    return FS_OK;
  }
  return fs_error(FS_ERR_FORMAT, "%s: tensor %s is missing", f->path, name);
}

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
