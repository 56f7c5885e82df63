/* Picking the compute backend at run time, and loading the CUDA module when there is a GPU. */
#include <dlfcn.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/profile.h"
#include "core/log.h"

#ifndef FLOWSEQ_HAVE_CUDA
const fs_backend *fs_backend_cuda(void) { return NULL; }
#else
static void host_log(const char *tag, const char *message) { fs_log(tag, "%s", message); }
static fs_status host_error(fs_status code, const char *message) { return fs_error(code, "%s", message); }

/* The module's path: $FLOWSEQ_CUDA_MODULE, else libflowseq_cuda.so beside the program (the
 * build directory, a bundle) or in ../lib/ (an installed prefix). */
static const char *module_path(char *buf, size_t size) {
  const char *env = getenv("FLOWSEQ_CUDA_MODULE");
  if (env && *env) return env;
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return "libflowseq_cuda.so";
  exe[n] = 0;
  const char *dir = dirname(exe);
  snprintf(buf, size, "%s/libflowseq_cuda.so", dir);
  if (access(buf, R_OK)) snprintf(buf, size, "%s/../lib/libflowseq_cuda.so", dir);
  return buf;
}

const fs_backend *fs_backend_cuda(void) {
  static const fs_backend *table;
  static bool tried;
  if (tried) return table;
  tried = true;
  /* no device node, no GPU: loading cuBLAS just to hear that would cost 200 MB (a module named
   * in FLOWSEQ_CUDA_MODULE is loaded regardless) */
  const char *named = getenv("FLOWSEQ_CUDA_MODULE");
  if ((!named || !*named) && access("/dev/nvidiactl", F_OK) && access("/dev/dxg", F_OK)) {
    fs_log("engine", "CUDA: no usable device (no NVIDIA device node)");
    return NULL;
  }
  char buf[4200];
  const char *path = module_path(buf, sizeof buf);
  void *module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  fs_cuda_module_entry entry = module ? (fs_cuda_module_entry)dlsym(module, FS_CUDA_MODULE_ENTRY) : NULL;
  if (!entry) {
    fs_log("engine", "CUDA: cannot load the CUDA module %s (%s); computing on the CPU", path, dlerror());
    return NULL;
  }
  static const fs_cuda_host host = {host_log, host_error};
  table = entry(&host);
  return table;
}
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
