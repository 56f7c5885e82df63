/* train/dist.c's use of a backend's collectives (NCCL on GPUs), without a GPU: a stand-in backend
 * (the CPU's kernels under another name) whose collectives record their calls and sum over host
 * memory. Checked: rank 0 alone makes the communicator id and every rank joins with the same one,
 * once; the device path sums through the backend's comm_sum and the host path does not; a
 * single-rank job's fs_dist_sum_floats touches nothing; a backend without collectives gets the
 * host path, or an error when the device path is asked for; finalize frees the communicator.
 * Plainly it is one rank; tests/integration/test_dist_comm.sh runs it under mpirun -np 2. A build
 * without MPI has no device path at all, which is what it checks there. */
#include <unistd.h>

#include "core/log.h"
#include "test.h"
#include "train/dist.h"

static int ids_made, inits, sums, frees, init_rank = -1, init_size = -1;
static unsigned char joined_id[FS_COMM_ID_BYTES];

/* An id no other rank could make: rank 0's process id in every byte pattern. */
static fs_status fake_id(unsigned char id[FS_COMM_ID_BYTES]) {
  ids_made++;
  unsigned seed = (unsigned)getpid();
  for (int i = 0; i < FS_COMM_ID_BYTES; i++) id[i] = (unsigned char)(seed >> (i % 4 * 8)) ^ (unsigned char)i;
  return FS_OK;
}
static fs_status fake_init(const unsigned char id[FS_COMM_ID_BYTES], int rank, int size) {
  inits++;
  init_rank = rank, init_size = size;
  memcpy(joined_id, id, FS_COMM_ID_BYTES);
  return FS_OK;
}
/* The sum over the ranks, as NCCL would give it: here through host memory (the memory is the host's). */
static fs_status fake_sum(float *x, int64_t n) {
  sums++;
  return fs_dist_sum_floats_via(fs_backend_cpu(), x, n, FS_DIST_VIA_HOST);
}
static void fake_free(void) { frees++; }

/* Every rank joined with rank 0's id: rank 0's bytes, broadcast as floats, are this rank's. */
static void check_same_id(void) {
  float mine[FS_COMM_ID_BYTES], first[FS_COMM_ID_BYTES];
  for (int i = 0; i < FS_COMM_ID_BYTES; i++) mine[i] = first[i] = joined_id[i];
  CHECK(fs_dist_broadcast_floats(fs_backend_cpu(), first, FS_COMM_ID_BYTES) == FS_OK);
  int differ = 0;
  for (int i = 0; i < FS_COMM_ID_BYTES; i++) differ += mine[i] != first[i];
  CHECK_MSG(differ == 0, "rank %d joined with an id differing from rank 0's in %d bytes", fs_dist_rank(), differ);
}

int main(void) {
  CHECK(fs_dist_init() == FS_OK);
  int rank = fs_dist_rank(), size = fs_dist_size();
  enum { N = 1001 };
  float x[N], y[N], want[N];
  for (int i = 0; i < N; i++) {
    x[i] = (float)(i % 7) + 0.25f * (float)rank;
    want[i] = (float)size * (float)(i % 7) + 0.25f * (float)(size * (size - 1) / 2);
  }

  /* a backend without collectives: the host path serves the trainer; the device path is an error */
  fs_backend plain = *fs_backend_cpu();
  plain.name = "fake-gpu"; /* not "cpu": dist.c treats its memory as a device's */
  memcpy(y, x, sizeof y);
  CHECK(fs_dist_sum_floats(&plain, y, N) == FS_OK);
  CHECK(!memcmp(y, size > 1 ? want : x, sizeof y));
  CHECK(fs_dist_sum_floats_via(&plain, y, N, FS_DIST_VIA_DEVICE) != FS_OK);
  CHECK(strstr(fs_last_error(), "no NCCL") != NULL);

  fs_backend fake = plain;
  fake.comm_id = fake_id, fake.comm_init = fake_init, fake.comm_sum = fake_sum, fake.comm_free = fake_free;
  fake.comm_library = "fake collectives";
  if (!fs_dist_library()) { /* a build without MPI (the sanitizer build): one rank, no communicator to make */
    CHECK(fs_dist_sum_floats_via(&fake, x, N, FS_DIST_VIA_DEVICE) != FS_OK);
    CHECK(strstr(fs_last_error(), "without MPI") != NULL && ids_made == 0 && inits == 0);
    fs_dist_finalize();
    return test_summary();
  }
  /* the trainer's sum: one rank sums nothing; a job sets the communicator up and sums on the device */
  memcpy(y, x, sizeof y);
  CHECK(fs_dist_sum_floats(&fake, y, N) == FS_OK);
  CHECK_MSG(inits == (size > 1) && sums == (size > 1), "%d inits, %d sums", inits, sums);
  CHECK(!memcmp(y, size > 1 ? want : x, sizeof y));
  CHECK(fs_dist_sum_floats_via(&fake, x, N, FS_DIST_VIA_DEVICE) == FS_OK);
  CHECK_MSG(ids_made == (rank == 0) && inits == 1, "rank %d: %d ids made, %d inits", rank, ids_made, inits);
  CHECK(init_rank == rank && init_size == size);
  CHECK(sums == 1 + (size > 1));
  CHECK_MSG(!memcmp(x, want, sizeof x), "rank %d: the device path's sums are wrong", rank);
  check_same_id();
  /* the host path never goes through the backend's collectives */
  CHECK(fs_dist_sum_floats_via(&fake, x, N, FS_DIST_VIA_HOST) == FS_OK);
  CHECK(sums == 1 + (size > 1) && inits == 1);
  fs_dist_finalize();
  CHECK(frees == 1);
  if (rank == 0) return test_summary();
  return test_failed_ ? 1 : 0;
}
