/* A profiling backend: the implementation; backend/profile.h describes the interface. */
#include "backend/profile.h"

#include <string.h>

#include "core/log.h"

static const fs_backend *inner;
static fs_backend table;
/* per thread: with data-parallel worker threads (train/workers.h) the report is the calling
 * thread's own share of the work, as rank 0 speaks for an MPI job */
static _Thread_local double seconds[FS_PROF_FAMILIES];
static _Thread_local double moved_bytes; /* read + written by the data-movement kernels */

/* Runs `call` on the inner backend and charges its time (to completion) to `family`. */
#define TIMED(family, call)                \
  do {                                     \
    double t0_ = fs_seconds();             \
    call;                                  \
    inner->synchronize();                  \
    seconds[family] += fs_seconds() - t0_; \
  } while (0)

static void p_upload(void *d, const void *s, size_t n) { TIMED(FS_PROF_OTHER, inner->upload(d, s, n)); }
static void p_download(void *d, const void *s, size_t n) { TIMED(FS_PROF_OTHER, inner->download(d, s, n)); }
static void p_copy(void *d, const void *s, size_t n) {
  moved_bytes += 2.0 * n;
  TIMED(FS_PROF_MOVEMENT, inner->copy(d, s, n));
}
static void p_fill(float *x, int64_t n, float v) { TIMED(FS_PROF_ELEMENTWISE, inner->fill(x, n, v)); }
static void p_gemm(fs_precision pr, bool ta, bool tb, int m, int n, int k, float al, const float *a, int lda,
                   const float *b, int ldb, float be, float *c, int ldc) {
  TIMED(FS_PROF_GEMM, inner->gemm(pr, ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc));
}
static void p_gemm_batched(fs_precision pr, bool ta, bool tb, int m, int n, int k, float al, const float *a, int lda,
                           int64_t sa, const float *b, int ldb, int64_t sb, float be, float *c, int ldc, int64_t sc,
                           int batch) {
  TIMED(FS_PROF_GEMM, inner->gemm_batched(pr, ta, tb, m, n, k, al, a, lda, sa, b, ldb, sb, be, c, ldc, sc, batch));
}
static void p_binary(fs_binop op, const int sh[4], float *o, const float *a, const int64_t as[4], const float *b,
                     const int64_t bs[4]) {
  TIMED(FS_PROF_ELEMENTWISE, inner->binary(op, sh, o, a, as, b, bs));
}
static void p_unary(fs_unop op, int64_t n, float al, const float *x, float *y) {
  TIMED(FS_PROF_ELEMENTWISE, inner->unary(op, n, al, x, y));
}
static void p_unary_backward(fs_unop op, int64_t n, float al, const float *x, const float *y, const float *dy,
                             float *dx, bool acc) {
  TIMED(FS_PROF_ELEMENTWISE, inner->unary_backward(op, n, al, x, y, dy, dx, acc));
}
static void p_copy_strided(const int sh[4], float *d, const int64_t ds[4], const float *s, const int64_t ss[4],
                           bool acc) {
  moved_bytes += sizeof(float) * (double)sh[0] * sh[1] * sh[2] * sh[3] * (acc ? 3 : 2);
  TIMED(FS_PROF_MOVEMENT, inner->copy_strided(sh, d, ds, s, ss, acc));
}
static void p_reduce_sum(const int ssh[4], const float *s, const int dsh[4], float *d, bool acc) {
  moved_bytes += sizeof(float) *
                 ((double)ssh[0] * ssh[1] * ssh[2] * ssh[3] + (acc ? 2.0 : 1.0) * dsh[0] * dsh[1] * dsh[2] * dsh[3]);
  TIMED(FS_PROF_MOVEMENT, inner->reduce_sum(ssh, s, dsh, d, acc));
}
static void p_softmax(int64_t r, int c, const float *x, const float *m, int64_t g, float *y) {
  TIMED(FS_PROF_SOFTMAX, inner->softmax(r, c, x, m, g, y));
}
static void p_softmax_backward(int64_t r, int c, const float *y, const float *dy, float *dx) {
  TIMED(FS_PROF_SOFTMAX, inner->softmax_backward(r, c, y, dy, dx));
}
static void p_log_softmax(int64_t r, int c, const float *x, const float *m, int64_t g, float *y) {
  TIMED(FS_PROF_SOFTMAX, inner->log_softmax(r, c, x, m, g, y));
}
static void p_log_softmax_backward(int64_t r, int c, const float *y, const float *dy, float *dx) {
  TIMED(FS_PROF_SOFTMAX, inner->log_softmax_backward(r, c, y, dy, dx));
}
static void p_layernorm(int64_t r, int c, float eps, const float *x, const float *g, const float *b, float *y,
                        float *mu, float *rs) {
  TIMED(FS_PROF_LAYERNORM, inner->layernorm(r, c, eps, x, g, b, y, mu, rs));
}
static void p_layernorm_backward(int64_t r, int c, const float *x, const float *g, const float *mu, const float *rs,
                                 const float *dy, float *dx, float *dg, float *db, bool acc) {
  TIMED(FS_PROF_LAYERNORM, inner->layernorm_backward(r, c, x, g, mu, rs, dy, dx, dg, db, acc));
}
static void p_embedding(int64_t n, int d, const int32_t *ids, const float *t, float *o) {
  TIMED(FS_PROF_EMBEDDING, inner->embedding(n, d, ids, t, o));
}
static void p_embedding_backward(int64_t n, int d, const int32_t *ids, const float *g, float *dt) {
  TIMED(FS_PROF_EMBEDDING, inner->embedding_backward(n, d, ids, g, dt));
}
static void p_cross_entropy(int64_t r, int v, float eps, const float *z, const int32_t *t, float *l, float *lse) {
  TIMED(FS_PROF_LOSS, inner->cross_entropy(r, v, eps, z, t, l, lse));
}
static void p_cross_entropy_backward(int64_t r, int v, float eps, const float *z, const int32_t *t, const float *lse,
                                     const float *dl, float *dz, bool acc) {
  TIMED(FS_PROF_LOSS, inner->cross_entropy_backward(r, v, eps, z, t, lse, dl, dz, acc));
}
static void p_attention(fs_precision pr, int b, int h, int tq, int tk, int dh, float sc, const float *q, int qld,
                        const float *k, int kld, const float *v, int vld, const float *m, bool causal, float *p,
                        float *c) {
  TIMED(FS_PROF_ATTENTION, inner->attention(pr, b, h, tq, tk, dh, sc, q, qld, k, kld, v, vld, m, causal, p, c));
}
static void p_attention_backward(fs_precision pr, int b, int h, int tq, int tk, int dh, float sc, const float *q,
                                 int qld, const float *k, int kld, const float *v, int vld, const float *p,
                                 const float *dc, float *s, float *dq, float *dk, float *dv) {
  TIMED(FS_PROF_ATTENTION,
        inner->attention_backward(pr, b, h, tq, tk, dh, sc, q, qld, k, kld, v, vld, p, dc, s, dq, dk, dv));
}
static void p_affine_coupling(bool inv, int64_t r, int h, int t, const float *x, const float *th, const float *m,
                              float *o, float *ld) {
  TIMED(FS_PROF_ELEMENTWISE, inner->affine_coupling(inv, r, h, t, x, th, m, o, ld));
}
static void p_affine_coupling_backward(bool inv, int64_t r, int h, int t, const float *x, const float *th,
                                       const float *m, const float *dout, const float *dld, float *dx, float *dth,
                                       bool acc) {
  TIMED(FS_PROF_ELEMENTWISE, inner->affine_coupling_backward(inv, r, h, t, x, th, m, dout, dld, dx, dth, acc));
}
static void p_rand_uniform(int64_t n, uint64_t s, uint64_t o, float *x) {
  TIMED(FS_PROF_RANDOM, inner->rand_uniform(n, s, o, x));
}
static void p_rand_normal(int64_t n, uint64_t s, uint64_t o, float *x) {
  TIMED(FS_PROF_RANDOM, inner->rand_normal(n, s, o, x));
}
static void p_dropout_mask(int64_t n, float p, uint64_t s, uint64_t o, float *x) {
  TIMED(FS_PROF_RANDOM, inner->dropout_mask(n, p, s, o, x));
}
static bool p_inverse_logdet(int n, const float *a, float *inv, float *ld) {
  bool ok;
  TIMED(FS_PROF_OTHER, ok = inner->inverse_logdet(n, a, inv, ld));
  return ok;
}
static double p_sum_squares(int64_t n, const float *x) {
  double v;
  TIMED(FS_PROF_OPTIMIZER, v = inner->sum_squares(n, x));
  return v;
}
static void p_adamw(int64_t n, float *p, const float *g, float *m, float *u, float *um, float gs, float lr, float b1,
                    float b2, float eps, float wd, float ss) {
  TIMED(FS_PROF_OPTIMIZER, inner->adamw(n, p, g, m, u, um, gs, lr, b1, b2, eps, wd, ss));
}

const fs_backend *fs_backend_profiled(const fs_backend *base) {
  inner = base;
  table = *base; /* memory management and status pass straight through */
  table.upload = p_upload, table.download = p_download, table.copy = p_copy, table.fill = p_fill;
  table.gemm = p_gemm, table.gemm_batched = p_gemm_batched;
  table.binary = p_binary, table.unary = p_unary, table.unary_backward = p_unary_backward;
  table.copy_strided = p_copy_strided, table.reduce_sum = p_reduce_sum;
  table.softmax = p_softmax, table.softmax_backward = p_softmax_backward;
  table.log_softmax = p_log_softmax, table.log_softmax_backward = p_log_softmax_backward;
  table.layernorm = p_layernorm, table.layernorm_backward = p_layernorm_backward;
  table.embedding = p_embedding, table.embedding_backward = p_embedding_backward;
  table.cross_entropy = p_cross_entropy, table.cross_entropy_backward = p_cross_entropy_backward;
  table.attention = p_attention, table.attention_backward = p_attention_backward;
  table.affine_coupling = p_affine_coupling, table.affine_coupling_backward = p_affine_coupling_backward;
  table.rand_uniform = p_rand_uniform, table.rand_normal = p_rand_normal, table.dropout_mask = p_dropout_mask;
  table.inverse_logdet = p_inverse_logdet, table.sum_squares = p_sum_squares, table.adamw = p_adamw;
  return &table;
}

void fs_profile_seconds(double out[FS_PROF_FAMILIES]) { memcpy(out, seconds, sizeof seconds); }
void fs_profile_reset(void) {
  memset(seconds, 0, sizeof seconds);
  moved_bytes = 0;
}

void fs_profile_report(FILE *out, double wall, long steps) {
  static const char *names[FS_PROF_FAMILIES] = {"GEMM",    "attention",  "elementwise",    "data movement",
                                                "softmax", "layer norm", "cross-entropy",  "embedding",
                                                "random",  "optimizer",  "transfers/other"};
  double kernels = 0;
  for (int f = 0; f < FS_PROF_FAMILIES; f++) kernels += seconds[f];
  for (int f = 0; f < FS_PROF_FAMILIES; f++)
    fprintf(out, "[profile] %-16s %8.2f s %5.1f %%\n", names[f], seconds[f], wall > 0 ? 100 * seconds[f] / wall : 0);
  fprintf(out, "[profile] %-16s %8.2f s %5.1f %%  (tape, records, masks, data: host bookkeeping)\n", "outside kernels",
          wall - kernels, wall > 0 ? 100 * (wall - kernels) / wall : 0);
  if (steps > 0)
    fprintf(out, "[profile] data movement: %.1f MB read and written per step (copies, strided copies, reductions)\n",
            moved_bytes / steps / 1e6);
}
