/* Files that are never half-written: write to a temporary file in the same directory, flush and
 * fsync it, then rename it over the destination (rename is atomic within one file system).
 * Only regular files (and new ones) are replaced so: a FIFO, a device or /dev/stdout is written
 * straight through, and a symlink's target is replaced, not the link.
 *
 * Also what keeps a command's output from destroying anything: fs_output_not_input refuses an
 * output that is one of the command's inputs, and fs_output is a checked output stream (standard
 * output or an atomic file) whose first failed write stops the command with the file's name and
 * the cause. */
#ifndef FLOWSEQ_CORE_FILEIO_H
#define FLOWSEQ_CORE_FILEIO_H

#include <stdbool.h>
#include <stdio.h>

#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  FILE *file;
  char *path, *tmp_path; /* tmp_path is NULL when writing straight through */
} fs_atomic_file;

fs_status fs_atomic_open(fs_atomic_file *f, const char *path);
/* Flushes, syncs and renames into place; on failure removes the temporary file. */
fs_status fs_atomic_commit(fs_atomic_file *f);
/* Abandons the write (the destination is untouched). */
void fs_atomic_abort(fs_atomic_file *f);

/* Opens PATH for reading, in binary; an error names PATH and the cause. A directory is refused as
 * one: fopen opens it, and reading fails later with a message that says neither (a directory named
 * model.safetensors once read as a file of 2^63 - 1 bytes). */
fs_status fs_open_read(const char *path, FILE **out);

/* fs_open_read's checks without opening, for readers that open PATH themselves (sentencepiece). */
fs_status fs_check_readable_file(const char *path);

/* Copies src to dst atomically. */
fs_status fs_copy_file(const char *src, const char *dst);

/* Whether a and b name the same existing file or directory (device and inode: through links). */
bool fs_same_file(const char *a, const char *b);

/* Whether two files can both be read and hold the same bytes (tokenizers of two model directories). */
bool fs_same_bytes(const char *a, const char *b);

/* ---- outputs that are inputs ---------------------------------------------------------------- */

/* Refuses to write `output` over one of the n `inputs`: FS_ERR_ARG, with the message
 *   OUTPUT is the same file as the input INPUT: refusing to write over an input
 * when both are the same regular file (device and inode: through symlinks, hard links and
 * /dev/stdout too). NULL or "-" as the output means standard output ("stdout" in the message), as
 * an input standard input ("stdin"); NULL entries among the inputs are skipped, and so are inputs
 * that do not exist (reading them fails later with its own message). Devices, FIFOs and terminals
 * are never refused: writing one does not destroy what is read from it. */
fs_status fs_output_not_input(const char *output, const char *const *inputs, int n);

/* ---- checked output streams ----------------------------------------------------------------- */

/* Where a command writes its results: standard output, a file written atomically (fs_atomic_*),
 * or an open FILE the caller manages. Every write is checked: the first that fails (a full disk,
 * /dev/full, an I/O error) records
 *   NAME: write failed: CAUSE
 * (NAME the path as given, or "stdout"; CAUSE strerror(errno)) with fs_error, and this call and
 * every later one on the stream return FS_ERR_IO without writing, so a caller can stop at the
 * first failure and needs to test only where it wants to stop. */
typedef struct {
  FILE *file;
  const char *name;      /* "stdout" or the path, for messages (not owned) */
  fs_atomic_file atomic; /* the -o file, when atomic is set */
  bool is_atomic;
  int error; /* errno of the first failed write; 0 while none has failed */
} fs_output;

/* Opens PATH atomically, or standard output for NULL ("-" is a file of that name: a command
 * that reads "-" as standard output passes NULL). */
fs_status fs_output_open(fs_output *o, const char *path);
/* A stream on a FILE the caller opened and will close, named `name` in messages. */
void fs_output_wrap(fs_output *o, FILE *file, const char *name);
fs_status fs_output_printf(fs_output *o, const char *format, ...) __attribute__((format(printf, 2, 3)));
fs_status fs_output_write(fs_output *o, const void *data, size_t size);
/* After something else wrote to o->file (fprintf, a library function): its error flag. */
fs_status fs_output_check(fs_output *o);
/* Hands the buffered bytes to the system now, so that a failure shows now, not at the end. */
fs_status fs_output_flush(fs_output *o);
/* The message of the stream's failure, recorded again (a callback's failure is overwritten by
 * what its caller records): FS_ERR_IO, or FS_OK when nothing failed. */
fs_status fs_output_status(const fs_output *o);
/* Finishes: flushes and checks standard output (not closed) or a wrapped FILE (not closed); syncs
 * an atomic file and renames it into place, or removes it when any write failed (the destination
 * then stays as it was). */
fs_status fs_output_close(fs_output *o);
/* Abandons the output: an atomic file's destination stays as it was. */
void fs_output_abort(fs_output *o);

#ifdef __cplusplus
}
#endif

#endif
