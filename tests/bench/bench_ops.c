/* Engine op throughput against the raw library underneath, measured in the same run:
 * GEMM GFLOP/s through fs_linear / fs_matmul (forward, no tape) vs direct cblas_sgemm calls on
 * the same data (cuBLAS with --device cuda), the fused attention kernels forward and backward in
 * GFLOP/s of their products, and the softmax / layer-norm kernels in GB/s. Best
 * of several repetitions after a warm-up. Usage: bench_ops [--device cpu|cuda] */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/cpu/blas_core.h"
#include "ops/ops.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Seconds one run of stmt takes, the device drained before and after. */
#define TIME_ONCE(be, stmt) \
  ({                        \
    (be)->synchronize();    \
    double t0_ = now();     \
    stmt;                   \
    (be)->synchronize();    \
    now() - t0_;            \
  })

/* Best seconds per call of stmt over `reps` timed calls after one warm-up. */
#define BEST_OF(reps, be, stmt)                 \
  ({                                            \
    double best_ = (TIME_ONCE(be, stmt), 1e30); \
    for (int r_ = 0; r_ < (reps); r_++) {       \
      double dt_ = TIME_ONCE(be, stmt);         \
      if (dt_ < best_) best_ = dt_;             \
    }                                           \
    best_;                                      \
  })

int main(int argc, char **argv) {
  fs_blas_select(argv); /* the kernel flowseq itself would run */
  const fs_backend *be = fs_backend_cpu();
  if (argc == 3 && !strcmp(argv[1], "--device") && !strcmp(argv[2], "cuda")) {
    be = fs_backend_cuda();
    if (!be) {
      fprintf(stderr, "bench_ops: no usable CUDA device\n");
      return 1;
    }
  } else if (argc != 1 && !(argc == 3 && !strcmp(argv[1], "--device") && !strcmp(argv[2], "cpu"))) {
    fprintf(stderr, "usage: bench_ops [--device cpu|cuda]\n");
    return 2;
  }
  int reps = 7;
  printf("backend: %s   openblas core: %s\n\n", be->name, openblas_get_corename());
  fs_engine e;
  if (fs_engine_init(&e, be, (size_t)1 << 30, 16 << 20) != FS_OK) {
    fprintf(stderr, "%s\n", fs_last_error());
    return 1;
  }
  e.grad_enabled = false;

  printf("%-34s %12s %12s %8s\n", "GEMM (M x N x K [x batch])", "engine GF/s", "raw GF/s", "ratio");
  /* The model's projections go through fs_linear (x · wᵀ); attention's two products are batched
   * fs_matmul calls over 64 sentences x 4 heads: scores q · kᵀ and context p · v. */
  const struct {
    const char *name;
    int m, n, k, batch;
    bool trans_b;
  } cases[] = {{"linear 4096x512x512", 4096, 512, 512, 1, true},
               {"linear 4096x2048x512", 4096, 2048, 512, 1, true},
               {"linear 4096x8000x512", 4096, 8000, 512, 1, true},
               {"scores 64x64x64 x256", 64, 64, 64, 256, true},
               {"context 64x64x64 x256", 64, 64, 64, 256, false}};
  for (size_t s = 0; s < sizeof cases / sizeof *cases; s++) {
    int m = cases[s].m, n = cases[s].n, k = cases[s].k, batch = cases[s].batch;
    bool tb = cases[s].trans_b;
    int ldb = tb ? k : n;
    fs_engine_reset(&e);
    fs_tensor *a = fs_tensor_zeros(&e, batch == 1 ? 2 : 3, batch == 1 ? (int[]){m, k} : (int[]){batch, m, k});
    fs_tensor *b = batch == 1 ? fs_tensor_zeros(&e, 2, (int[]){n, k})
                              : fs_tensor_zeros(&e, 3, tb ? (int[]){batch, n, k} : (int[]){batch, k, n});
    float *c = fs_scratch(&e, (int64_t)batch * m * n);
    if (fs_engine_status(&e) != FS_OK) {
      fprintf(stderr, "bench_ops: %s\n", fs_last_error());
      return 1;
    }
    be->rand_uniform(a->numel, 1, 0, a->data);
    be->rand_uniform(b->numel, 2, 0, b->data);
    size_t mark = e.device.used;
    double flops = 2.0 * m * n * k * batch;
    /* engine and raw calls alternate, each keeping its best, so a change in machine load hits
     * both sides of the ratio alike; the first round is the warm-up */
    double t_engine = 1e30, t_raw = 1e30;
    for (int r = 0; r <= reps; r++) {
      double te = TIME_ONCE(be, {
        e.device.used = mark; /* drop the previous repetition's output */
        if (batch == 1) fs_linear(&e, a, b, NULL);
        else fs_matmul(&e, a, b, false, tb);
      });
      /* raw: the library itself (OpenBLAS's cblas_sgemm per matrix; on CUDA the table's cuBLAS call) */
      double tr = TIME_ONCE(be, {
        if (be != fs_backend_cpu())
          be->gemm_batched(FS_FP32, false, tb, m, n, k, 1, a->data, k, (int64_t)m * k, b->data, ldb, (int64_t)k * n, 0,
                           c, n, (int64_t)m * n, batch);
        else
          for (int i = 0; i < batch; i++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1,
                        a->data + (int64_t)i * m * k, k, b->data + (int64_t)i * k * n, ldb, 0, c + (int64_t)i * m * n,
                        n);
      });
      if (r > 0 && te < t_engine) t_engine = te;
      if (r > 0 && tr < t_raw) t_raw = tr;
    }
    printf("%-34s %12.1f %12.1f %8.3f\n", cases[s].name, flops / t_engine / 1e9, flops / t_raw / 1e9, t_raw / t_engine);
  }
  if (fs_engine_status(&e) != FS_OK || be->last_status() != FS_OK) {
    fprintf(stderr, "bench_ops: %s\n", fs_last_error());
    return 1;
  }

  /* The fused attention kernels at the model's shapes: flowseq-small's transformer layers (dh 32)
   * and flow couplings (dh 16), sentences of 24 tokens; FLOPs of the products only (2 forward,
   * 4 backward), with the softmax in between. */
  printf("\n%-34s %12s %12s\n", "fused attention (B x heads x T x dh)", "fwd GF/s", "bwd GF/s");
  const struct { int batch, heads, t, dh; } att[] = {{64, 4, 24, 32}, {64, 4, 24, 16}, {32, 4, 60, 32}};
  for (size_t s = 0; s < sizeof att / sizeof *att; s++) {
    int b = att[s].batch, h = att[s].heads, t = att[s].t, dh = att[s].dh, w = h * dh;
    int64_t act = (int64_t)b * t * w, probs = (int64_t)b * h * t * t;
    fs_engine_reset(&e);
    float *q = fs_scratch(&e, act), *k = fs_scratch(&e, act), *v = fs_scratch(&e, act), *ctx = fs_scratch(&e, act);
    float *dq = fs_scratch(&e, act), *dk = fs_scratch(&e, act), *dv = fs_scratch(&e, act);
    float *p = fs_scratch(&e, probs), *scratch = fs_scratch(&e, probs), *mask = fs_scratch(&e, (int64_t)b * t);
    if (fs_engine_status(&e) != FS_OK) {
      fprintf(stderr, "bench_ops: %s\n", fs_last_error());
      return 1;
    }
    be->rand_normal(act, 1, 0, q);
    be->rand_normal(act, 2, 0, k);
    be->rand_normal(act, 3, 0, v);
    be->rand_normal(act, 4, 0, ctx); /* the context's gradient */
    be->fill(mask, (int64_t)b * t, 1.0f);
    float scale = 1.0f / sqrtf((float)dh);
    double flops = 2.0 * b * h * t * t * dh;
    double tf = BEST_OF(reps, be, be->attention(FS_FP32, b, h, t, t, dh, scale, q, w, k, w, v, w, mask, false, p, dq));
    double tb =
        BEST_OF(reps, be,
                be->attention_backward(FS_FP32, b, h, t, t, dh, scale, q, w, k, w, v, w, p, ctx, scratch, dq, dk, dv));
    char name[64];
    snprintf(name, sizeof name, "attention %dx%dx%dx%d", b, h, t, dh);
    printf("%-34s %12.1f %12.1f\n", name, 2 * flops / tf / 1e9, 4 * flops / tb / 1e9);
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
