/* Status codes and error messages.
 *
 * Every fallible function returns fs_status. On failure it also records a human-readable
 * message (what went wrong and where: file, line, expected value) with fs_error(), which the
 * CLI prints as one line on stderr before exiting non-zero. The message buffer is thread-local,
 * so worker threads can fail independently. */
#ifndef FLOWSEQ_CORE_STATUS_H
#define FLOWSEQ_CORE_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  FS_OK = 0,
  FS_ERR_ARG,      /* invalid argument or shape */
  FS_ERR_IO,       /* file could not be opened, read or written */
  FS_ERR_FORMAT,   /* input is malformed (bad UTF-8, bad header, bad YAML, ...) */
  FS_ERR_MEMORY,   /* allocation failed or arena exhausted */
  FS_ERR_DEVICE,   /* CUDA / cuBLAS failure */
  FS_ERR_INTERNAL, /* a bug: an invariant did not hold */
} fs_status;

/* Records a printf-style message and returns `code`, so callers can write
 *   return fs_error(FS_ERR_IO, "%s: cannot open: %s", path, strerror(errno)); */
fs_status fs_error(fs_status code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message recorded on this thread ("" if none). */
const char *fs_last_error(void);

/* Short name of a status code ("io error", ...). */
const char *fs_status_name(fs_status s);

/* Propagates a failing status to the caller. */
#define FS_TRY(expr)                          \
  do {                                        \
    fs_status fs_try_s_ = (expr);             \
    if (fs_try_s_ != FS_OK) return fs_try_s_; \
  } while (0)

#ifdef __cplusplus
}
#endif

#endif
