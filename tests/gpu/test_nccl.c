/* GPU gradient sums: NCCL's all-reduce on device memory against the sum through host memory and
 * MPI, train/dist.c's two paths, on the same data. Every rank fills its buffer from a seed of its
 * own, and both paths must give the sum of all the ranks' buffers, which each rank recomputes on
 * the host. Run plainly it is one rank (no MPI job: the host path is the trip to the host and
 * back, and both must return the data bit for bit); under `mpirun -np N`, N ranks on N GPUs. Then
 * both paths are timed on a buffer the size of flowseq-base-wmt14's gradients, the time the
 * trainer spends summing them once per update. Skips (exit 77) without a usable CUDA device or
 * when the CUDA module has no NCCL. */
#include "core/log.h"
#include "gradcheck.h"
#include "test.h"
#include "train/dist.h"

static const fs_backend *gpu;

/* The sum over the ranks of their buffers (rank r's from seed 11 + r), on the host. */
static float *expected_sum(int64_t n) {
  float *sum = calloc((size_t)n, sizeof(float)), *one = malloc(sizeof(float) * (size_t)n);
  for (int r = 0; r < fs_dist_size(); r++) {
    test_fill_uniform(one, n, -1.0f, 1.0f, 11u + (unsigned)r);
    for (int64_t i = 0; i < n; i++) sum[i] += one[i];
  }
  free(one);
  return sum;
}

/* Sums this rank's buffer of n floats by `path` and compares the result with the host's sum:
 * bit for bit with one rank, else within float rounding (the paths add in different orders). */
static void check_path(int64_t n, fs_dist_path path, const char *name) {
  float *host = malloc(sizeof(float) * (size_t)n), *want = expected_sum(n);
  test_fill_uniform(host, n, -1.0f, 1.0f, 11u + (unsigned)fs_dist_rank());
  float *x = gpu->alloc(sizeof(float) * (size_t)n);
  gpu->upload(x, host, sizeof(float) * (size_t)n);
  fs_status s = fs_dist_sum_floats_via(gpu, x, n, path);
  CHECK_MSG(s == FS_OK, "%s: %s", name, fs_last_error());
  /* queued after the sum on the backend's own stream: it must see the finished sum */
  gpu->unary(FS_UN_SCALE, n, 2.0f, x, x);
  gpu->download(host, x, sizeof(float) * (size_t)n);
  CHECK(gpu->last_status() == FS_OK);
  double worst = 0;
  int64_t differ = 0;
  for (int64_t i = 0; i < n; i++) {
    double gap = fabs(host[i] - 2.0 * want[i]);
    differ += gap != 0;
    worst = fmax(worst, gap);
  }
  if (fs_dist_size() == 1)
    CHECK_MSG(differ == 0, "%s: %lld of %lld floats changed (largest by %g)", name, (long long)differ, (long long)n,
              worst);
  else CHECK_MSG(worst <= 1e-5 * fs_dist_size(), "%s: off the host's sum by up to %g", name, worst);
  gpu->free(x);
  free(host);
  free(want);
}

/* Milliseconds of one sum of n floats by `path`: the best of 5 after a warm-up. */
static double time_path(int64_t n, fs_dist_path path) {
  float *x = gpu->alloc(sizeof(float) * (size_t)n);
  gpu->fill(x, n, 1.0f / 1024);
  double best = 1e30;
  for (int r = 0; r < 6; r++) {
    gpu->synchronize();
    double t0 = fs_seconds();
    fs_status s = fs_dist_sum_floats_via(gpu, x, n, path);
    gpu->synchronize();
    CHECK(s == FS_OK);
    if (r > 0) best = fmin(best, (fs_seconds() - t0) * 1e3);
  }
  gpu->free(x);
  return best;
}

int main(void) {
  if (fs_dist_init() != FS_OK) {
    fprintf(stderr, "%s\n", fs_last_error());
    return 1;
  }
  gpu = fs_backend_cuda();
  if (!gpu) SKIP("no CUDA device (or built without FLOWSEQ_CUDA): NCCL not checked");
  if (!gpu->comm_init) SKIP("the CUDA module has no NCCL (built without FLOWSEQ_NCCL, or ranks share a GPU)");
  /* odd sizes: a tail shorter than any vector width or chunk */
  check_path((1 << 20) + 7, FS_DIST_VIA_HOST, "host (MPI) path");
  check_path((1 << 20) + 7, FS_DIST_VIA_DEVICE, "device (NCCL) path");
  check_path(13, FS_DIST_VIA_DEVICE, "device (NCCL) path, 13 floats");
  const int64_t n = 73 * 1000 * 1000; /* flowseq-base-wmt14's parameters, one gradient each */
  double host_ms = time_path(n, FS_DIST_VIA_HOST), device_ms = time_path(n, FS_DIST_VIA_DEVICE);
  if (fs_dist_rank() == 0)
    printf("%s, %d rank%s: sum of %lld floats (%.0f MB): host (MPI) path %.2f ms, device (%s) path %.2f ms\n",
           fs_dist_library() ? fs_dist_library() : "no MPI", fs_dist_size(), fs_dist_size() > 1 ? "s" : "",
           (long long)n, n * 4e-6, host_ms, gpu->comm_library, device_ms);
  fs_dist_finalize();
  return test_summary();
}
