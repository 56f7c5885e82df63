/* flowseq info: what this binary was built with and what it will compute on. */
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/cpu/blas_core.h"
#include "cli/commands.h"
#include "train/dist.h"

int cmd_info(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf(
        "usage: flowseq info\n\nPrints the version, the CPU, the OpenBLAS kernel in use and why it was chosen,\n"
        "the build options (CUDA, MPI, NCCL), how each backend multiplies in bf16 (train.precision)\n"
        "and the compute backend selected at run time.\n\n"
        "The kernel is the fastest one this CPU runs whose sgemm passes a check against a\n"
        "double-precision reference. FLOWSEQ_BLAS_CORE=NAME forces an OpenBLAS core (Haswell,\n"
        "SkylakeX, ...); FLOWSEQ_BLAS_CORE=openblas keeps OpenBLAS's own choice, which honours\n"
        "OPENBLAS_CORETYPE.\n");
    return 0;
  }
  /* chosen first: choosing may log (on stderr), which must not land inside the stdout lines */
  const char *backend = fs_backend_default()->name;
  char cpu[160];
  printf("flowseq %s\n", FLOWSEQ_VERSION);
  printf("cpu: %s\n", fs_cpu_describe(cpu, sizeof cpu));
  printf("openblas core: %s\n", fs_blas_core());
  printf("openblas core chosen: %s\n", fs_blas_reason());
#ifdef FLOWSEQ_HAVE_CUDA
  printf("cuda backend: built (libflowseq_cuda.so, loaded where an NVIDIA device exists)\n");
#else
  printf("cuda backend: not built\n");
#endif
  const char *mpi = fs_dist_library();
  if (mpi) printf("mpi: yes (%s; mpirun -np N flowseq train trains data-parallel)\n", mpi);
  else printf("mpi: no (built without FLOWSEQ_MPI)\n");
  char bf16[256];
  printf("bf16 products on the cpu: %s\n", fs_blas_bf16_path(bf16, sizeof bf16));
#ifdef FLOWSEQ_HAVE_CUDA
  printf("bf16 products on cuda: cuBLAS bf16 GEMMs accumulating in fp32; attention rounds its operands\n");
#endif
#ifdef FLOWSEQ_HAVE_NCCL
  /* the library loaded is known only where the CUDA module came up */
  const char *loaded = fs_backend_default()->comm_library;
  printf("nccl: yes (built against NCCL %s%s%s; GPU ranks sum gradients GPU to GPU)\n", FLOWSEQ_NCCL_VERSION,
         loaded ? ", loaded " : "", loaded ? loaded : "");
#else
  printf("nccl: no (GPU ranks sum gradients through host memory)\n");
#endif
  const char *reason = fs_backend_reason();
  printf("compute backend: %s%s%s%s\n", backend, *reason ? " (" : "", reason, *reason ? ")" : "");
  return 0;
}
