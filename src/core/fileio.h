/* Files that are never half-written: write to a temporary file in the same directory, flush and
 * fsync it, then rename it over the destination (rename is atomic within one file system).
 * Only regular files (and new ones) are replaced so: a FIFO, a device or /dev/stdout is written
 * straight through, and a symlink's target is replaced, not the link. */
#ifndef FLOWSEQ_CORE_FILEIO_H
#define FLOWSEQ_CORE_FILEIO_H

#include <stdbool.h>
#include <stdio.h>

#include "core/status.h"

typedef struct {
  FILE *file;
  char *path, *tmp_path; /* tmp_path is NULL when writing straight through */
} fs_atomic_file;

fs_status fs_atomic_open(fs_atomic_file *f, const char *path);
/* Flushes, syncs and renames into place; on failure removes the temporary file. */
fs_status fs_atomic_commit(fs_atomic_file *f);
/* Abandons the write (the destination is untouched). */
void fs_atomic_abort(fs_atomic_file *f);

/* Copies src to dst atomically. */
fs_status fs_copy_file(const char *src, const char *dst);

/* Whether two files can both be read and hold the same bytes (tokenizers of two model directories). */
bool fs_same_bytes(const char *a, const char *b);

#endif
