/* Data-parallel collectives over MPI, and NCCL's on GPUs bootstrapped over MPI: the implementation;
 * train/dist.h describes the interface. Without FLOWSEQ_HAVE_MPI every function is the single-rank
 * case. */
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
  /* the ranks sharing this machine: each computes on its own GPU there */
  MPI_Comm node;
  int local = 0;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
    MPI_Comm_rank(node, &local);
    MPI_Comm_free(&node);
  }
  fs_backend_set_local_rank(local);
  if (provided < MPI_THREAD_FUNNELED)
    fs_log("train", "rank %d: the MPI library gives no thread support; OpenMP runs beside it regardless", rank_);
  return FS_OK;
}

static float *staging;
static int64_t staging_n;
/* The backend whose communicator sums on the device (device_ready), and the backend it was tried for. */
static const fs_backend *device_comm, *device_tried;

void fs_dist_finalize(void) {
  if (device_comm) device_comm->comm_free();
  device_comm = device_tried = NULL;
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

/* Sums n floats of `be`'s memory over the ranks through host memory, or with `sum` false
 * broadcasts rank 0's. A process that did not join a job is the only rank: the floats only make
 * the trip to the host and back. */
static fs_status collective(const fs_backend *be, float *x, int64_t n, bool sum) {
  float *h = NULL;
  FS_TRY(host_view(be, x, n, &h));
  for (int64_t i = 0; joined && i < n; i += CHUNK) {
    int count = (int)(n - i < CHUNK ? n - i : CHUNK);
    if (sum) MPI_Allreduce(MPI_IN_PLACE, h + i, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    else MPI_Bcast(h + i, count, MPI_FLOAT, 0, MPI_COMM_WORLD);
  }
  if (h != x) be->upload(x, h, sizeof(float) * (size_t)n);
  return FS_OK;
}

/* Whether the sums of `be`'s memory go through its own collectives (NCCL on GPUs), setting its
 * communicator up the first time: rank 0 makes the id, MPI broadcasts it, every rank joins. Only
 * when every rank's backend has collectives (a rank without would wait in MPI for ever), and not
 * with FLOWSEQ_NCCL=0 (ranks sharing a GPU, which NCCL refuses); a failure to set them up is an
 * error, which ends the job (the others cannot know it and would wait in NCCL). Every rank calls
 * this at the same point, as they all call the sums. */
static fs_status device_ready(const fs_backend *be, bool *ready) {
  if (device_tried != be) {
    device_tried = be;
    const char *off = getenv("FLOWSEQ_NCCL");
    bool missing = !be->comm_init || (off && !strcmp(off, "0"));
    if (joined) missing = fs_dist_any(missing);
    if (!missing) {
      unsigned char id[FS_COMM_ID_BYTES];
      fs_status s = rank_ == 0 ? be->comm_id(id) : FS_OK;
      bool failed = s != FS_OK;
      if (joined) failed = fs_dist_broadcast_flag(failed);
      if (failed) return s != FS_OK ? s : fs_error(FS_ERR_DEVICE, "rank 0 could not make the NCCL id");
      if (joined) MPI_Bcast(id, FS_COMM_ID_BYTES, MPI_BYTE, 0, MPI_COMM_WORLD);
      FS_TRY(be->comm_init(id, rank_, size_));
      device_comm = be;
      fs_log("train", "gradients summed on the GPUs by %s over %d rank%s", be->comm_library, size_,
             size_ > 1 ? "s" : "");
    }
  }
  *ready = device_comm == be;
  return FS_OK;
}

fs_status fs_dist_sum_floats(const fs_backend *be, float *x, int64_t n) {
  if (size_ == 1) return FS_OK;
  bool device = false;
  if (strcmp(be->name, "cpu")) FS_TRY(device_ready(be, &device));
  return device ? be->comm_sum(x, n) : collective(be, x, n, true);
}

fs_status fs_dist_sum_floats_via(const fs_backend *be, float *x, int64_t n, fs_dist_path path) {
  if (path == FS_DIST_VIA_HOST) return collective(be, x, n, true);
  bool device = false;
  FS_TRY(device_ready(be, &device));
  if (!device) return fs_error(FS_ERR_ARG, "the %s backend sums nothing on its device (no NCCL)", be->name);
  return be->comm_sum(x, n);
}

fs_status fs_dist_broadcast_floats(const fs_backend *be, float *x, int64_t n) {
  return size_ == 1 ? FS_OK : collective(be, x, n, false);
}

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
fs_status fs_dist_sum_floats_via(const fs_backend *be, float *x, int64_t n, fs_dist_path path) {
  (void)x, (void)n;
  if (path == FS_DIST_VIA_HOST) return FS_OK;
  return fs_error(FS_ERR_ARG, "the %s backend sums nothing on its device (a build without MPI has no NCCL)", be->name);
}
void fs_dist_sum_doubles(double *x, int n) { (void)x, (void)n; }
bool fs_dist_any(bool local) { return local; }
fs_status fs_dist_broadcast_floats(const fs_backend *be, float *x, int64_t n) {
  (void)be, (void)x, (void)n;
  return FS_OK;
}
bool fs_dist_broadcast_flag(bool value) { return value; }

#endif
