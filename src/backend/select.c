/* Picking the compute backend at run time. */
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/profile.h"
#include "core/log.h"

#ifndef FLOWSEQ_HAVE_CUDA
const fs_backend *fs_backend_cuda(void) { return NULL; }
#endif

static bool env_is(const char *name, const char *value) {
  const char *v = getenv(name);
  return v && !strcmp(v, value);
}

const fs_backend *fs_backend_default(void) {
  static const fs_backend *chosen;
  if (chosen) return chosen;
  if (env_is("FLOWSEQ_DEVICE", "cpu")) {
    chosen = fs_backend_cpu();
    fs_log("engine", "FLOWSEQ_DEVICE=cpu: computing on the CPU");
  } else {
    /* fs_backend_cuda() logs the one line that says why there is no device */
    chosen = fs_backend_cuda();
    if (!chosen) chosen = fs_backend_cpu();
  }
  if (env_is("FLOWSEQ_PROFILE", "1")) {
    chosen = fs_backend_profiled(chosen);
    fs_log("engine", "FLOWSEQ_PROFILE=1: timing every kernel (slower)");
  }
  return chosen;
}
