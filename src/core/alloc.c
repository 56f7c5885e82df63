/* Checked host allocation: the implementation; core/alloc.h describes the interface. */
#include "core/alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Written with fprintf rather than fs_log: fs_log is silenced by --quiet, and this is the last
 * thing the process says. */
static void out_of_memory(size_t bytes, const char *where, const char *file, int line) {
  fprintf(stderr, "flowseq: out of memory: %zu bytes in %s (%s:%d)\n", bytes, where, file, line);
  abort();
}

void *fs_malloc_at(size_t bytes, const char *where, const char *file, int line) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p) out_of_memory(bytes, where, file, line);
  return p;
}

void *fs_calloc_at(size_t count, size_t size, const char *where, const char *file, int line) {
  if (size && count > SIZE_MAX / size) out_of_memory(SIZE_MAX, where, file, line); /* the product overflows */
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) out_of_memory(count * size, where, file, line);
  return p;
}

void *fs_realloc_at(void *p, size_t bytes, const char *where, const char *file, int line) {
  void *q = realloc(p, bytes ? bytes : 1);
  if (!q) out_of_memory(bytes, where, file, line);
  return q;
}

char *fs_strdup_at(const char *s, const char *where, const char *file, int line) {
  size_t bytes = strlen(s) + 1;
  char *copy = fs_malloc_at(bytes, where, file, line);
  memcpy(copy, s, bytes);
  return copy;
}

char *fs_concat_at(const char *a, const char *sep, const char *b, const char *where, const char *file, int line) {
  size_t na = strlen(a), ns = strlen(sep), nb = strlen(b);
  char *out = fs_malloc_at(na + ns + nb + 1, where, file, line);
  memcpy(out, a, na);
  memcpy(out + na, sep, ns);
  memcpy(out + na + ns, b, nb + 1);
  return out;
}
