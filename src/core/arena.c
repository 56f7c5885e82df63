/* The step arena: the implementation; core/arena.h describes the interface. */
#include "core/arena.h"

void fs_arena_init(fs_arena *a, void *base, size_t capacity) {
  a->base = base;
  a->capacity = capacity;
  a->used = 0;
  a->peak = 0;
}

void *fs_arena_alloc(fs_arena *a, size_t bytes) {
  size_t start = (a->used + FS_ARENA_ALIGN - 1) & ~(size_t)(FS_ARENA_ALIGN - 1);
  if (bytes > a->capacity || start > a->capacity - bytes) return NULL;
  a->used = start + bytes;
  if (a->used > a->peak) a->peak = a->used;
  return a->base + start;
}

void fs_arena_reset(fs_arena *a) { a->used = 0; }
