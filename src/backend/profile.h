/* A profiling backend: the same kernel table around another backend, timing every kernel
 * (synchronizing after each, so the split is exact on the GPU too) into families. Host time
 * outside kernels (the tape, records, masks, data) is what remains of the wall time.
 * fs_backend_default() wraps its choice in it when FLOWSEQ_PROFILE=1. */
#ifndef FLOWSEQ_BACKEND_PROFILE_H
#define FLOWSEQ_BACKEND_PROFILE_H

#include <stdio.h>

#include "backend/backend.h"

typedef enum {
  FS_PROF_GEMM,
  FS_PROF_ATTENTION, /* the fused attention kernels */
  FS_PROF_ELEMENTWISE,
  FS_PROF_MOVEMENT,
  FS_PROF_SOFTMAX,
  FS_PROF_LAYERNORM,
  FS_PROF_LOSS,
  FS_PROF_EMBEDDING,
  FS_PROF_RANDOM,
  FS_PROF_OPTIMIZER,
  FS_PROF_OTHER, /* memory transfers, small matrices */
  FS_PROF_FAMILIES
} fs_profile_family;

const fs_backend *fs_backend_profiled(const fs_backend *inner);
/* Seconds spent in each family since the start (or the last reset). */
void fs_profile_seconds(double out[FS_PROF_FAMILIES]);
void fs_profile_reset(void);
/* One line per family with its share of `wall_seconds`, the host remainder, and the bytes the
 * data-movement kernels read and wrote per step over `steps` steps (none when 0). */
void fs_profile_report(FILE *out, double wall_seconds, long steps);

#endif
