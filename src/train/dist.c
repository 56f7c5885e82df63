/* Data-parallel collectives over MPI: the implementation; train/dist.h describes the interface.
 * Without FLOWSEQ_HAVE_MPI every function is the single-rank case. */
#include "train/dist.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#ifdef FLOWSEQ_HAVE_MPI
#include <mpi.h>
#endif

static int rank_ = 0, size_ = 1;

int fs_dist_rank(void) { return rank_; }
int fs_dist_size(void) { return size_; }

#ifdef FLOWSEQ_HAVE_MPI

static bool joined, left; /* MPI can be started once per process */

/* Set by Open MPI's mpirun, by PMIx launchers (srun --mpi=pmix) and by PMI-1/2 ones (MPICH's
 * Hydra, srun --mpi=pmi2). */
static bool started_by_launcher(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_SIZE");
}

fs_status fs_dist_init(void) {
  if (joined || !started_by_launcher()) return FS_OK;
  if (left) return fs_error(FS_ERR_INTERNAL, "MPI was finalized: a process joins the MPI job once");
  int provided;
  if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    return fs_error(FS_ERR_INTERNAL, "cannot join the MPI job (MPI_Init_thread failed)");
  joined = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  if (provided < MPI_THREAD_FUNNELED)
    fs_log("train", "rank %d: the MPI library gives no thread support; OpenMP runs beside it regardless", rank_);
  return FS_OK;
}

static float *staging;
static int64_t staging_n;

void fs_dist_finalize(void) {
  if (!joined) return;
  free(staging);
  staging = NULL;
  staging_n = 0;
  MPI_Finalize();
  joined = false;
  left = true;
  rank_ = 0, size_ = 1;
}

_Noreturn void fs_dist_abort(int code) {
  if (joined) MPI_Abort(MPI_COMM_WORLD, code);
  exit(code);
}

const char *fs_dist_library(void) {
  static char name[MPI_MAX_LIBRARY_VERSION_STRING];
  int len;
  MPI_Get_library_version(name, &len);
  name[strcspn(name, ",\n")] = 0; /* "Open MPI v4.1.4, package: ...": the first part */
  return name;
}

/* MPI counts are int: longer buffers go in pieces of 2^30 floats. */
#define CHUNK ((int64_t)1 << 30)

/* Host memory holding x: x itself on the CPU, else a staging copy of it. */
static fs_status host_view(const fs_backend *be, float *x, int64_t n, float **host) {
  if (!strcmp(be->name, "cpu")) {
    *host = x;
    return FS_OK;
  }
  if (n > staging_n) {
    free(staging);
    staging = malloc(sizeof(float) * (size_t)n);
    staging_n = staging ? n : 0;
    if (!staging)
      return fs_error(FS_ERR_MEMORY, "cannot allocate %.1f MiB of host memory for the all-reduce", n / 262144.0);
  }
  be->download(staging, x, sizeof(float) * (size_t)n);
  *host = staging;
  return FS_OK;
}

/* Sums n floats of `be`'s memory over the ranks, or with `sum` false broadcasts rank 0's. */
static fs_status collective(const fs_backend *be, float *x, int64_t n, bool sum) {
  if (size_ == 1) return FS_OK;
  float *h = NULL;
  FS_TRY(host_view(be, x, n, &h));
  for (int64_t i = 0; i < n; i += CHUNK) {
    int count = (int)(n - i < CHUNK ? n - i : CHUNK);
    if (sum) MPI_Allreduce(MPI_IN_PLACE, h + i, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    else MPI_Bcast(h + i, count, MPI_FLOAT, 0, MPI_COMM_WORLD);
  }
  if (h != x) be->upload(x, h, sizeof(float) * (size_t)n);
  return FS_OK;
}

fs_status fs_dist_sum_floats(const fs_backend *be, float *x, int64_t n) { return collective(be, x, n, true); }
fs_status fs_dist_broadcast_floats(const fs_backend *be, float *x, int64_t n) { return collective(be, x, n, false); }

void fs_dist_sum_doubles(double *x, int n) {
  if (size_ > 1) MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

bool fs_dist_any(bool local) {
  int v = local;
  if (size_ > 1) MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
  return v != 0;
}

bool fs_dist_broadcast_flag(bool value) {
  int v = value;
  if (size_ > 1) MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return v != 0;
}

#else /* a build without MPI: always the only rank */

fs_status fs_dist_init(void) { return FS_OK; }
void fs_dist_finalize(void) {}
_Noreturn void fs_dist_abort(int code) { exit(code); }
const char *fs_dist_library(void) { return NULL; }
fs_status fs_dist_sum_floats(const fs_backend *be, float *x, int64_t n) {
  (void)be, (void)x, (void)n;
  return FS_OK;
}
void fs_dist_sum_doubles(double *x, int n) { (void)x, (void)n; }
bool fs_dist_any(bool local) { return local; }
fs_status fs_dist_broadcast_floats(const fs_backend *be, float *x, int64_t n) {
  (void)be, (void)x, (void)n;
  return FS_OK;
}
bool fs_dist_broadcast_flag(bool value) { return value; }

#endif
