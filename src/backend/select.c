/* Picking the compute backend at run time. */
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "core/log.h"

#ifndef FLOWSEQ_HAVE_CUDA
const fs_backend *fs_backend_cuda(void) { return NULL; }
#endif

const fs_backend *fs_backend_default(void) {
  static const fs_backend *chosen;
  if (chosen) return chosen;
  const char *want = getenv("FLOWSEQ_DEVICE");
  if (want && !strcmp(want, "cpu")) {
    chosen = fs_backend_cpu();
    fs_log("engine", "FLOWSEQ_DEVICE=cpu: computing on the CPU");
    return chosen;
  }
  /* fs_backend_cuda() logs the one line that says why there is no device */
  chosen = fs_backend_cuda();
  if (!chosen) chosen = fs_backend_cpu();
  return chosen;
}
