/* Picking the compute backend at run time, and loading the CUDA module when there is a GPU. */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/profile.h"
#include "core/log.h"

/* Why the default backend is the one it is, when that is worth a word (flowseq info). */
static const char *backend_reason = "";

const char *fs_backend_reason(void) { return backend_reason; }

/* This rank's place on its machine (fs_backend_set_local_rank), read when the CUDA module loads. */
static int local_rank = 0;

void fs_backend_set_local_rank(int rank) { local_rank = rank; }

#ifndef FLOWSEQ_HAVE_CUDA
const fs_backend *fs_backend_cuda(void) { return NULL; }
#else
static void host_log(const char *tag, const char *message) { fs_log(tag, "%s", message); }
static fs_status host_error(fs_status code, const char *message) { return fs_error(code, "%s", message); }

/* Writes DIR/NAME to buf when that file is readable. */
static bool readable_in(char *buf, size_t size, const char *dir, const char *name) {
  snprintf(buf, size, "%s/%s", dir, name);
  return access(buf, R_OK) == 0;
}

/* The module's path: $FLOWSEQ_CUDA_MODULE, else libflowseq_cuda.so beside the shared library that
 * holds this code (a program using libflowseq.so), beside the program (the build directory, a
 * bundle), or in ../lib/ from the program (an installed prefix). */
static const char *module_path(char *buf, size_t size) {
  const char *env = getenv("FLOWSEQ_CUDA_MODULE");
  if (env && *env) return env;
  const char *name = "libflowseq_cuda.so";
  Dl_info self;
  char file[4096];
  /* dladdr names the main program as it was invoked (maybe without a directory): only a library's
   * name, an absolute path, is used */
  if (dladdr((void *)module_path, &self) && self.dli_fname && self.dli_fname[0] == '/') {
    snprintf(file, sizeof file, "%s", self.dli_fname);
    if (readable_in(buf, size, dirname(file), name)) return buf;
  }
  ssize_t n = readlink("/proc/self/exe", file, sizeof file - 1);
  if (n <= 0) return name;
  file[n] = 0;
  const char *dir = dirname(file);
  if (readable_in(buf, size, dir, name)) return buf;
  snprintf(buf, size, "%s/../lib/%s", dir, name);
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
    backend_reason = "no NVIDIA device node"; /* the usual CPU machine: said by info, not logged */
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
  static fs_cuda_host host = {host_log, host_error, 0};
  host.local_rank = local_rank;
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
    backend_reason = "FLOWSEQ_DEVICE=cpu";
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
