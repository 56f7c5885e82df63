/* Checked host allocation. Running out of host memory for a few kilobytes of bookkeeping is not
 * something a caller can recover from, so instead of returning NULL (which most call sites would
 * dereference) these log "out of memory: N bytes in FUNCTION (FILE:LINE)" on stderr and abort.
 * A zero-byte request allocates one byte, so a successful result is never NULL.
 *
 * Large allocations whose size the user controls (the engine's arenas, the parameter block) are
 * not made here: they fail with an fs_status error naming the size, which the caller propagates. */
#ifndef FLOWSEQ_CORE_ALLOC_H
#define FLOWSEQ_CORE_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define fs_malloc(bytes) fs_malloc_at((bytes), __func__, __FILE__, __LINE__)
#define fs_calloc(count, size) fs_calloc_at((count), (size), __func__, __FILE__, __LINE__)
#define fs_realloc(p, bytes) fs_realloc_at((p), (bytes), __func__, __FILE__, __LINE__)
#define fs_strdup(s) fs_strdup_at((s), __func__, __FILE__, __LINE__)
/* a, sep and b joined into a new string: fs_concat(dir, "/", name), fs_concat(dir, "", ".tmp") */
#define fs_concat(a, sep, b) fs_concat_at((a), (sep), (b), __func__, __FILE__, __LINE__)

/* The functions behind the macros; `where` names the caller in the message. */
void *fs_malloc_at(size_t bytes, const char *where, const char *file, int line);
void *fs_calloc_at(size_t count, size_t size, const char *where, const char *file, int line);
void *fs_realloc_at(void *p, size_t bytes, const char *where, const char *file, int line);
char *fs_strdup_at(const char *s, const char *where, const char *file, int line);
char *fs_concat_at(const char *a, const char *sep, const char *b, const char *where, const char *file, int line);

#ifdef __cplusplus
}
#endif

#endif
