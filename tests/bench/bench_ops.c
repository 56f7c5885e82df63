/* Engine op throughput against the raw library underneath, measured in the same run:
 * GEMM GFLOP/s through fs_matmul vs a direct cblas_sgemm (cuBLAS with --device cuda), and the
 * softmax / layer-norm kernels in GB/s. Best of several repetitions after a warm-up. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops/ops.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Best seconds per call of fn over `reps` timed calls after one warm-up. */
#define BEST_OF(reps, be, stmt)                          \
  ({                                                     \
    stmt;                                                \
    (be)->synchronize();                                 \
    double best_ = 1e30;                                 \
    for (int r_ = 0; r_ < (reps); r_++) {                \
      double t0_ = now();                                \
      stmt;                                              \
      (be)->synchronize();                               \
      double dt_ = now() - t0_;                          \
      if (dt_ < best_) best_ = dt_;                      \
    }                                                    \
    best_;                                               \
  })

int main(int argc, char **argv) {
  const fs_backend *be = fs_backend_cpu();
  if (argc > 2 && !strcmp(argv[1], "--device") && !strcmp(argv[2], "cuda")) {
    be = fs_backend_cuda();
    if (!be) {
      fprintf(stderr, "bench_ops: no usable CUDA device\n");
      return 1;
    }
  }
  int reps = 5;
  printf("backend: %s   openblas core: %s\n\n", be->name, openblas_get_corename());
  fs_engine e;
  if (fs_engine_init(&e, be, (size_t)1 << 30, 16 << 20) != FS_OK) {
    fprintf(stderr, "%s\n", fs_last_error());
    return 1;
  }
  e.grad_enabled = false;

  printf("%-34s %12s %12s %8s\n", "GEMM (M x N x K [x batch])", "engine GF/s", "raw GF/s", "ratio");
  const int gemms[][4] = {{4096, 512, 512, 1}, {4096, 2048, 512, 1}, {4096, 8000, 512, 1},
                          {64, 64, 64, 256} /* attention scores, 64 sentences x 4 heads */,
                          {64, 64, 64, 256} /* attention context */};
  const char *names[] = {"4096x512x512", "4096x2048x512", "4096x8000x512", "scores 64x64x64 x256", "context 64x64x64 x256"};
  for (int s = 0; s < 5; s++) {
    int m = gemms[s][0], n = gemms[s][1], k = gemms[s][2], batch = gemms[s][3];
    bool scores = s == 3;
    fs_engine_reset(&e);
    fs_tensor *a = fs_tensor_zeros(&e, 3, (int[]){batch, m, k});
    fs_tensor *b = batch == 1 ? fs_tensor_zeros(&e, 2, scores ? (int[]){n, k} : (int[]){k, n})
                              : fs_tensor_zeros(&e, 3, scores ? (int[]){batch, n, k} : (int[]){batch, k, n});
    float *c = fs_scratch(&e, (int64_t)batch * m * n);
    size_t mark = e.device.used;
    double flops = 2.0 * m * n * k * batch;
    double t_engine = BEST_OF(reps, be, {
      e.device.used = mark;
      fs_matmul(&e, a, b, false, scores);
    });
    double t_raw = BEST_OF(reps, be, {
      if (batch == 1) be->gemm(false, scores, m, n, k, 1, a->data, k, b->data, scores ? k : n, 0, c, n);
      else
        be->gemm_batched(false, scores, m, n, k, 1, a->data, k, (int64_t)m * k, b->data, scores ? k : n,
                         (int64_t)k * n, 0, c, n, (int64_t)m * n, batch);
    });
    if (be == fs_backend_cpu() && batch == 1) /* the library itself, not our table entry */
      t_raw = BEST_OF(reps, be, cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a->data, k, b->data,
                                            n, 0, c, n));
    printf("%-34s %12.1f %12.1f %8.3f\n", names[s], flops / t_engine / 1e9, flops / t_raw / 1e9, t_raw / t_engine);
  }

  printf("\n%-34s %12s\n", "memory-bound kernel", "GB/s");
  const int rows = 4096 * 4, cols = 1024;
  fs_engine_reset(&e);
  fs_tensor *x = fs_tensor_zeros(&e, 2, (int[]){rows, cols});
  float *y = fs_scratch(&e, (int64_t)rows * cols), *g = fs_scratch(&e, cols), *bb = fs_scratch(&e, cols);
  float *mean = fs_scratch(&e, rows), *rstd = fs_scratch(&e, rows);
  be->rand_normal(x->numel, 1, 0, x->data);
  be->fill(g, cols, 1.0f);
  be->fill(bb, cols, 0.0f);
  double bytes = 2.0 * sizeof(float) * rows * cols; /* read x, write y */
  double t = BEST_OF(reps, be, be->softmax(rows, cols, x->data, NULL, 1, y));
  printf("%-34s %12.1f\n", "softmax 16384 x 1024", bytes / t / 1e9);
  t = BEST_OF(reps, be, be->layernorm(rows, cols, 1e-5f, x->data, g, bb, y, mean, rstd));
  printf("%-34s %12.1f\n", "layer norm 16384 x 1024", bytes / t / 1e9);
  fs_engine_free(&e);
  return 0;
}
