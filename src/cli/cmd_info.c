/* flowseq info: what this binary was built with and what it will compute on. */
#include <stdio.h>
#include <string.h>

#include <cblas.h>

#include "backend/backend.h"
#include "cli/commands.h"

int cmd_info(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: flowseq info\n\nPrints the version, the build options, the OpenBLAS core in use\n"
           "and the compute backend that would be selected at run time.\n");
    return 0;
  }
  printf("flowseq 0.1.0\n");
  printf("openblas core: %s\n", openblas_get_corename());
#ifdef FLOWSEQ_HAVE_CUDA
  printf("cuda backend: built\n");
#else
  printf("cuda backend: not built\n");
#endif
  printf("compute backend: %s\n", fs_backend_default()->name);
  return 0;
}
