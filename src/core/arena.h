/* The step arena: a bump allocator over one preallocated block of device memory.
 *
 * Every activation, gradient and scratch buffer of a training or decoding step is carved out of
 * it; fs_arena_reset() at the start of the next step releases everything at once. There is no
 * malloc in the inner loop and nothing to leak. Running out is an error that names the size
 * needed, so the user can raise the arena size in the config. */
#ifndef FLOWSEQ_CORE_ARENA_H
#define FLOWSEQ_CORE_ARENA_H

#include <stddef.h>

typedef struct {
  char *base;      /* device memory, owned by whoever created the arena */
  size_t capacity; /* bytes */
  size_t used;     /* bytes handed out since the last reset */
  size_t peak;     /* high-water mark over the arena's life */
} fs_arena;

/* Every allocation is aligned to this many bytes (cache lines, CUDA coalescing, AVX-512). */
#define FS_ARENA_ALIGN 256

void fs_arena_init(fs_arena *a, void *base, size_t capacity);

/* NULL when the arena is exhausted (the caller reports the error). */
void *fs_arena_alloc(fs_arena *a, size_t bytes);

void fs_arena_reset(fs_arena *a);

#endif
