/* Data-parallel training across processes: the few collectives the trainer needs, over MPI in a
 * FLOWSEQ_MPI build (the only file that names MPI) and as a single-rank no-op in any other. GPU
 * ranks sum gradients with the backend's collectives (NCCL in the CUDA module) where the build
 * has them, the communicator set up over MPI; each rank computes on its own GPU of its machine.
 *
 * MPI is started only when a launcher started the process (mpirun / mpiexec / srun leave
 * OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_SIZE in the environment); a plain run of an MPI build is
 * rank 0 of 1 and never touches MPI, exactly like a build without it. MPI calls come from the
 * main thread only (MPI_THREAD_FUNNELED; OpenMP workers never call MPI). MPI's default error
 * handler ends the whole job on a communication failure, so the collectives return nothing to
 * check. */
#ifndef FLOWSEQ_TRAIN_DIST_H
#define FLOWSEQ_TRAIN_DIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "core/status.h"

/* Joins the job if a launcher started this process; idempotent (but not after fs_dist_finalize). */
fs_status fs_dist_init(void);
/* Leaves the job (waits for every rank to leave too); single-rank: nothing. */
void fs_dist_finalize(void);
/* Ends every rank of the job at once with `code` (after an error the others would wait for
 * forever in their next collective); a single rank exits. Does not return. */
_Noreturn void fs_dist_abort(int code);

int fs_dist_rank(void); /* 0 .. size − 1 */
int fs_dist_size(void);
/* "Open MPI v4.1.4"-style name of the MPI library this build uses, or NULL without MPI. */
const char *fs_dist_library(void);

/* Sums n floats over all ranks, in place on every rank. x is device memory of `be`. GPUs sum
 * with the backend's collectives (NCCL, its communicator set up over MPI at the first sum) when
 * every rank has them, else through a host buffer (MPI on host memory: a copy each way). */
fs_status fs_dist_sum_floats(const fs_backend *be, float *x, int64_t n);
/* The same by the path named, also in a single-rank process (the two paths compared on a GPU:
 * tests/gpu/test_nccl.c): through host memory and MPI, or the device's collectives (an error
 * where `be` has none). */
typedef enum { FS_DIST_VIA_HOST, FS_DIST_VIA_DEVICE } fs_dist_path;
fs_status fs_dist_sum_floats_via(const fs_backend *be, float *x, int64_t n, fs_dist_path path);
/* The same for n doubles in host memory (counts and loss sums). */
void fs_dist_sum_doubles(double *x, int n);
/* Whether `local` is true on any rank (every rank gets the same answer). */
bool fs_dist_any(bool local);
/* Rank 0's n floats (device memory of `be`) copied to every other rank. */
fs_status fs_dist_broadcast_floats(const fs_backend *be, float *x, int64_t n);
/* Rank 0's value of a flag, on every rank. */
bool fs_dist_broadcast_flag(bool value);

#endif
