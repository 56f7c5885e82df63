/* CPU vs CUDA parity: every kernel of the backend table runs on both backends with the same
 * inputs and the results are compared; then a small network layer's forward and backward run end
 * to end through one engine per backend. Skips (exit 77) without a usable CUDA device. */
#include <stdlib.h>
#include <string.h>

#include "core/philox.h"
#include "gradcheck.h"
#include "nn/layers.h"
#include "test.h"

static const fs_backend *cpu, *gpu;

/* A buffer of n floats present on both backends. */
typedef struct {
  int64_t n;
  float *host, *c, *g;
} pair;

static pair pair_new(int64_t n, float lo, float hi, unsigned seed) {
  pair p = {n, malloc(sizeof(float) * n), cpu->alloc(sizeof(float) * n), gpu->alloc(sizeof(float) * n)};
  test_fill_uniform(p.host, n, lo, hi, seed);
  cpu->upload(p.c, p.host, sizeof(float) * n);
  gpu->upload(p.g, p.host, sizeof(float) * n);
  return p;
}

static void pair_free(pair *p) {
  free(p->host);
  cpu->free(p->c);
  gpu->free(p->g);
}

/* max |cpu - gpu| / max(1, |cpu|) over the buffer */
static double pair_diff(const pair *p) {
  float *from_gpu = malloc(sizeof(float) * p->n);
  gpu->download(from_gpu, p->g, sizeof(float) * p->n);
  double worst = 0;
  for (int64_t i = 0; i < p->n; i++) {
    double a = p->c[i], b = from_gpu[i];
    if (isnan(a) || isnan(b)) { /* NaN on one side only is a difference; fmax would drop it */
      if (!isnan(a) || !isnan(b)) worst = INFINITY;
      continue;
    }
    if (isinf(a) && a == b) continue;
    worst = fmax(worst, fabs(a - b) / fmax(1.0, fabs(a)));
  }
  free(from_gpu);
  return worst;
}

#define EXPECT_PARITY(p, tol, what)                                \
  do {                                                             \
    double d_ = pair_diff(&(p));                                   \
    CHECK_MSG(d_ <= (tol), "%s: cpu/cuda differ by %g", what, d_); \
  } while (0)

/* Uploads new host values of p to both copies. */
static void pair_set(pair *p) {
  cpu->upload(p->c, p->host, sizeof(float) * p->n);
  gpu->upload(p->g, p->host, sizeof(float) * p->n);
}

/* Sizes are deliberately not multiples of 32 or of the 256-thread blocks. In bf16 both backends
 * multiply the same rounded operands exactly and sum in fp32, so the fp32 tolerance holds: a GPU
 * product that skipped the rounding would miss it by bf16's error (about 1e-2 here). A shared B
 * (stride 0) is the batched form fs_linear's backward uses. */
static void test_gemm(fs_precision pr) {
  const int shapes[][3] = {{64, 48, 32}, {127, 33, 65}, {1, 300, 17}, {300, 1, 257}};
  const char *name = pr == FS_BF16 ? "bf16" : "fp32";
  for (int s = 0; s < 4; s++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++)
        for (int pad = 0; pad < 4; pad += 3) { /* pad > 0: row strides wider than the matrix */
          int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
          int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
          int64_t sa = (int64_t)(ta ? k : m) * lda, sb = (int64_t)(tb ? n : k) * ldb, sc = (int64_t)m * ldc;
          pair a = pair_new(sa * 3, -1, 1, 1), b = pair_new(sb * 3, -1, 1, 2), c = pair_new(sc * 3, -1, 1, 3);
          cpu->gemm(pr, ta, tb, m, n, k, 0.7f, a.c, lda, b.c, ldb, 0.3f, c.c, ldc);
          gpu->gemm(pr, ta, tb, m, n, k, 0.7f, a.g, lda, b.g, ldb, 0.3f, c.g, ldc);
          EXPECT_PARITY(c, 1e-4, name);
          cpu->gemm_batched(pr, ta, tb, m, n, k, 1, a.c, lda, sa, b.c, ldb, sb, 1, c.c, ldc, sc, 3);
          gpu->gemm_batched(pr, ta, tb, m, n, k, 1, a.g, lda, sa, b.g, ldb, sb, 1, c.g, ldc, sc, 3);
          EXPECT_PARITY(c, 1e-4, name);
          cpu->gemm_batched(pr, ta, tb, m, n, k, 1, a.c, lda, sa, b.c, ldb, 0, 1, c.c, ldc, sc, 3);
          gpu->gemm_batched(pr, ta, tb, m, n, k, 1, a.g, lda, sa, b.g, ldb, 0, 1, c.g, ldc, sc, 3);
          EXPECT_PARITY(c, 1e-4, name);
          pair_free(&a);
          pair_free(&b);
          pair_free(&c);
        }
}

static void test_elementwise(void) {
  int64_t n = 3 * 5 * 7 * 33;
  pair a = pair_new(n, 0.5f, 2, 4), b = pair_new(5 * 33, 0.5f, 2, 5), out = pair_new(n, 0, 1, 6);
  /* b broadcast over axes 0 and 2; then a read transposed (axes 2 and 3 swapped) against b
   * broadcast over axes 1 and 3 */
  int64_t a_str[2][4] = {{5 * 7 * 33, 7 * 33, 33, 1}, {5 * 7 * 33, 7 * 33, 1, 7}};
  int64_t b_str[2][4] = {{0, 33, 0, 1}, {33, 0, 1, 0}};
  int shapes[2][4] = {{3, 5, 7, 33}, {3, 5, 33, 7}};
  for (int c = 0; c < 2; c++)
    for (int op = FS_BIN_ADD; op <= FS_BIN_DIV; op++) {
      cpu->binary(op, shapes[c], out.c, a.c, a_str[c], b.c, b_str[c]);
      gpu->binary(op, shapes[c], out.g, a.g, a_str[c], b.g, b_str[c]);
      EXPECT_PARITY(out, 1e-6, "binary");
    }
  pair dy = pair_new(n, -1, 1, 7), dx = pair_new(n, -1, 1, 8), signed_x = pair_new(n, -25, 25, 9);
  for (int op = FS_UN_RELU; op <= FS_UN_ADD_CONST; op++) {
    /* log and sqrt need positive inputs; the rest also see negatives and softplus's x > 20 branch */
    pair *x = op == FS_UN_LOG || op == FS_UN_SQRT ? &a : &signed_x;
    cpu->unary(op, n, 0.5f, x->c, out.c);
    gpu->unary(op, n, 0.5f, x->g, out.g);
    EXPECT_PARITY(out, 1e-5, "unary");
    for (int acc = 1; acc >= 0; acc--) { /* adding to dx, then assigning it */
      cpu->unary_backward(op, n, 0.5f, x->c, out.c, dy.c, dx.c, acc);
      gpu->unary_backward(op, n, 0.5f, x->g, out.g, dy.g, dx.g, acc);
      EXPECT_PARITY(dx, 1e-5, acc ? "unary_backward (+=)" : "unary_backward (=)");
    }
  }
  cpu->fill(out.c, n - 1, 0.25f);
  gpu->fill(out.g, n - 1, 0.25f);
  EXPECT_PARITY(out, 0, "fill");
  pair *all[] = {&a, &b, &out, &dy, &dx, &signed_x};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) pair_free(all[i]);
}

static void test_movement(void) {
  const int64_t n = 3 * 5 * 7 * 33;
  pair a = pair_new(n, -1, 1, 10), out = pair_new(n, -1, 1, 11), red = pair_new(n, -1, 1, 12);
  /* a permute, a step-2 slice and a broadcast copy (source stride 0), plain and accumulating */
  struct {
    int shape[4];
    int64_t dst[4], src[4];
  } copies[] = {{{7, 3, 33, 5}, {3 * 33 * 5, 33 * 5, 5, 1}, {33, 5 * 7 * 33, 1, 7 * 33}},
                {{3, 5, 4, 17}, {5 * 4 * 17, 4 * 17, 17, 1}, {5 * 7 * 33, 7 * 33, 2 * 33, 2}},
                {{3, 5, 7, 33}, {5 * 7 * 33, 7 * 33, 33, 1}, {0, 33, 0, 1}}};
  for (size_t c = 0; c < sizeof copies / sizeof *copies; c++)
    for (int acc = 0; acc < 2; acc++) {
      cpu->copy_strided(copies[c].shape, out.c, copies[c].dst, a.c, copies[c].src, acc);
      gpu->copy_strided(copies[c].shape, out.g, copies[c].dst, a.g, copies[c].src, acc);
      EXPECT_PARITY(out, 1e-6, "copy_strided");
    }
  /* every reduction pattern: kept last axis (one thread per output), reduced last axis (one warp
   * per output), everything, and a mix */
  int src_shape[4] = {3, 5, 7, 33};
  int dst_shapes[][4] = {{1, 5, 1, 33}, {3, 5, 7, 1}, {1, 1, 1, 1}, {3, 1, 7, 1}, {1, 5, 7, 33}};
  for (size_t c = 0; c < sizeof dst_shapes / sizeof *dst_shapes; c++)
    for (int acc = 0; acc < 2; acc++) {
      cpu->reduce_sum(src_shape, a.c, dst_shapes[c], red.c, acc);
      gpu->reduce_sum(src_shape, a.g, dst_shapes[c], red.g, acc);
      EXPECT_PARITY(red, 1e-6, "reduce_sum");
    }
  pair_free(&a);
  pair_free(&out);
  pair_free(&red);
}

/* Softmax family with masks: mask row r / group; rows 0 and 5 fully masked. */
static void test_softmax(int rows, int cols, int group) {
  int mask_rows = (rows + group - 1) / group;
  pair x = pair_new((int64_t)rows * cols, -8, 8, 13), y = pair_new((int64_t)rows * cols, 0, 1, 14),
       dy = pair_new((int64_t)rows * cols, -1, 1, 15), dx = pair_new((int64_t)rows * cols, -1, 1, 16),
       mask = pair_new((int64_t)mask_rows * cols, 0, 1, 17);
  for (int r = 0; r < mask_rows; r++)
    for (int j = 0; j < cols; j++) mask.host[r * cols + j] = r % 5 != 0 && (j + r) % 3 != 0;
  pair_set(&mask);
  for (int masked = 0; masked < 2; masked++)
    for (int log = 0; log < 2; log++) {
      const float *mc = masked ? mask.c : NULL, *mg = masked ? mask.g : NULL;
      (log ? cpu->log_softmax : cpu->softmax)(rows, cols, x.c, mc, group, y.c);
      (log ? gpu->log_softmax : gpu->softmax)(rows, cols, x.g, mg, group, y.g);
      EXPECT_PARITY(y, 1e-5, log ? "log_softmax" : "softmax");
      (log ? cpu->log_softmax_backward : cpu->softmax_backward)(rows, cols, y.c, dy.c, dx.c);
      (log ? gpu->log_softmax_backward : gpu->softmax_backward)(rows, cols, y.g, dy.g, dx.g);
      EXPECT_PARITY(dx, 1e-5, log ? "log_softmax backward" : "softmax backward");
    }
  pair *all[] = {&x, &y, &dy, &dx, &mask};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) pair_free(all[i]);
}

static void test_layernorm(int rows, int cols) {
  int64_t n = (int64_t)rows * cols;
  pair x = pair_new(n, -3, 5, 18), y = pair_new(n, 0, 1, 19), dy = pair_new(n, -1, 1, 20), dx = pair_new(n, -1, 1, 21),
       gamma = pair_new(cols, 0.5f, 1.5f, 22), beta = pair_new(cols, -1, 1, 23), mean = pair_new(rows, 0, 1, 24),
       rstd = pair_new(rows, 0, 1, 25), dg = pair_new(cols, 0, 1, 26), db = pair_new(cols, 0, 1, 27);
  cpu->layernorm(rows, cols, 1e-5f, x.c, gamma.c, beta.c, y.c, mean.c, rstd.c);
  gpu->layernorm(rows, cols, 1e-5f, x.g, gamma.g, beta.g, y.g, mean.g, rstd.g);
  EXPECT_PARITY(y, 1e-5, "layernorm");
  EXPECT_PARITY(mean, 1e-6, "layernorm mean");
  EXPECT_PARITY(rstd, 1e-6, "layernorm rstd");
  for (int acc = 1; acc >= 0; acc--) { /* adding to dx, then assigning it (dgamma, dbeta add both times) */
    cpu->layernorm_backward(rows, cols, x.c, gamma.c, mean.c, rstd.c, dy.c, dx.c, dg.c, db.c, acc);
    gpu->layernorm_backward(rows, cols, x.g, gamma.g, mean.g, rstd.g, dy.g, dx.g, dg.g, db.g, acc);
    EXPECT_PARITY(dx, 1e-5, acc ? "layernorm dx (+=)" : "layernorm dx (=)");
    EXPECT_PARITY(dg, 1e-5, "layernorm dgamma");
    EXPECT_PARITY(db, 1e-5, "layernorm dbeta");
  }
  pair *all[] = {&x, &y, &dy, &dx, &gamma, &beta, &mean, &rstd, &dg, &db};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) pair_free(all[i]);
}

/* int32 ids on both backends */
static void ids_new(int n, int modulo, int32_t **c, int32_t **g) {
  int32_t *ids = malloc(sizeof(int32_t) * n);
  for (int i = 0; i < n; i++) ids[i] = (i * 7 + 3) % modulo;
  *c = cpu->alloc(sizeof(int32_t) * n);
  *g = gpu->alloc(sizeof(int32_t) * n);
  cpu->upload(*c, ids, sizeof(int32_t) * n);
  gpu->upload(*g, ids, sizeof(int32_t) * n);
  free(ids);
}

static void test_cross_entropy(int rows, int vocab, float eps) {
  int32_t *tc, *tg;
  ids_new(rows, vocab, &tc, &tg);
  pair z = pair_new((int64_t)rows * vocab, -6, 6, 28), loss = pair_new(rows, 0, 1, 29), lse = pair_new(rows, 0, 1, 30),
       dl = pair_new(rows, -1, 1, 31), dz = pair_new((int64_t)rows * vocab, -1, 1, 32);
  cpu->cross_entropy(rows, vocab, eps, z.c, tc, loss.c, lse.c);
  gpu->cross_entropy(rows, vocab, eps, z.g, tg, loss.g, lse.g);
  EXPECT_PARITY(loss, 1e-5, "cross_entropy");
  EXPECT_PARITY(lse, 1e-6, "cross_entropy logsumexp");
  for (int acc = 1; acc >= 0; acc--) { /* adding to dz, then assigning it */
    cpu->cross_entropy_backward(rows, vocab, eps, z.c, tc, lse.c, dl.c, dz.c, acc);
    gpu->cross_entropy_backward(rows, vocab, eps, z.g, tg, lse.g, dl.g, dz.g, acc);
    EXPECT_PARITY(dz, 1e-5, acc ? "cross_entropy backward (+=)" : "cross_entropy backward (=)");
  }
  cpu->free(tc);
  gpu->free(tg);
  pair *all[] = {&z, &loss, &lse, &dl, &dz};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) pair_free(all[i]);
}

/* 301 lookups into 13 rows: every row repeats, so the GPU's atomic scatter-add really collides. */
static void test_embedding(void) {
  const int n = 301, vocab = 13, dim = 37;
  int32_t *ic, *ig;
  ids_new(n, vocab, &ic, &ig);
  pair table = pair_new(vocab * dim, -1, 1, 33), out = pair_new(n * dim, 0, 1, 34);
  cpu->embedding(n, dim, ic, table.c, out.c);
  gpu->embedding(n, dim, ig, table.g, out.g);
  EXPECT_PARITY(out, 0, "embedding");
  cpu->embedding_backward(n, dim, ic, out.c, table.c);
  gpu->embedding_backward(n, dim, ig, out.g, table.g);
  EXPECT_PARITY(table, 1e-5, "embedding backward");
  cpu->free(ic);
  gpu->free(ig);
  pair_free(&table);
  pair_free(&out);
}

/* Random streams: uniform and dropout masks bit-identical; normals through libm vs CUDA's
 * logf/cosf, so within an ulp or two (the count of differing values is printed). */
static void test_random(void) {
  const int64_t n = 100003;
  pair r = pair_new(n, 0, 1, 35);
  cpu->rand_uniform(n, 11, 12345, r.c);
  gpu->rand_uniform(n, 11, 12345, r.g);
  EXPECT_PARITY(r, 0, "rand_uniform (bit-identical)");
  cpu->dropout_mask(n, 0.3f, 5, 99, r.c);
  gpu->dropout_mask(n, 0.3f, 5, 99, r.g);
  EXPECT_PARITY(r, 0, "dropout_mask (bit-identical)");
  cpu->rand_normal(n, 11, 7, r.c);
  gpu->rand_normal(n, 11, 7, r.g);
  EXPECT_PARITY(r, 1e-6, "rand_normal");
  float *g = malloc(sizeof(float) * n);
  gpu->download(g, r.g, sizeof(float) * n);
  int64_t differ = 0;
  for (int64_t i = 0; i < n; i++) differ += memcmp(&g[i], &r.c[i], sizeof(float)) != 0;
  printf("rand_normal: %lld of %lld values not bit-identical\n", (long long)differ, (long long)n);
  free(g);
  pair_free(&r);
}

/* Self-attention layout (q, k, v as columns of one packed buffer) with 3 heads of 24, queries
 * and keys of unequal length, one sentence without a valid key, a few masked keys elsewhere;
 * unmasked and causal. In bf16 a weight the two softmaxes leave a float apart can round to
 * neighbouring bf16 values (a term off by 2^-8 of itself), hence the wider tolerance there. */
static void test_attention(bool causal, fs_precision pr) {
  const double tol = pr == FS_BF16 ? 1e-3 : 1e-5;
  const int batch = 3, heads = 3, dh = 24, tq = 37, tk = 29, dim = heads * dh, ld = 3 * dim;
  pair q = pair_new((int64_t)batch * tq * ld, -1, 1, 50), kv = pair_new((int64_t)batch * tk * ld, -1, 1, 51);
  pair mask = pair_new((int64_t)batch * tk, 0, 1, 52);
  for (int i = 0; i < batch * tk; i++) mask.host[i] = i / tk == 1 ? 0.0f : i % 7 == 3 ? 0.0f : 1.0f;
  pair_set(&mask);
  int64_t np = (int64_t)batch * heads * tq * tk;
  pair probs = pair_new(np, 0, 1, 53), ctx = pair_new((int64_t)batch * tq * dim, 0, 1, 54);
  pair dctx = pair_new((int64_t)batch * tq * dim, -1, 1, 55), scratch = pair_new(np, 0, 1, 56);
  pair dq = pair_new(q.n, -1, 1, 57), dkv = pair_new(kv.n, -1, 1, 58);
  float s = 1.0f / sqrtf((float)dh);
  cpu->attention(pr, batch, heads, tq, tk, dh, s, q.c, ld, kv.c + dim, ld, kv.c + 2 * dim, ld, mask.c, causal, probs.c,
                 ctx.c);
  gpu->attention(pr, batch, heads, tq, tk, dh, s, q.g, ld, kv.g + dim, ld, kv.g + 2 * dim, ld, mask.g, causal, probs.g,
                 ctx.g);
  /* the weights are kept in each backend's own layout (backend.h): they are checked through the
   * context they weight and the gradients computed from them */
  EXPECT_PARITY(ctx, tol, "attention context");
  if (pr == FS_BF16) { /* the GPU's bf16 context is not its fp32 one (then bf16 again, for backward) */
    float *narrow = malloc(sizeof(float) * ctx.n), *wide = malloc(sizeof(float) * ctx.n);
    gpu->download(narrow, ctx.g, sizeof(float) * ctx.n);
    gpu->attention(FS_FP32, batch, heads, tq, tk, dh, s, q.g, ld, kv.g + dim, ld, kv.g + 2 * dim, ld, mask.g, causal,
                   probs.g, ctx.g);
    gpu->download(wide, ctx.g, sizeof(float) * ctx.n);
    CHECK(memcmp(narrow, wide, sizeof(float) * ctx.n) != 0);
    gpu->attention(pr, batch, heads, tq, tk, dh, s, q.g, ld, kv.g + dim, ld, kv.g + 2 * dim, ld, mask.g, causal,
                   probs.g, ctx.g);
    free(narrow);
    free(wide);
  }
  cpu->attention_backward(pr, batch, heads, tq, tk, dh, s, q.c, ld, kv.c + dim, ld, kv.c + 2 * dim, ld, probs.c, dctx.c,
                          scratch.c, dq.c, dkv.c + dim, dkv.c + 2 * dim);
  gpu->attention_backward(pr, batch, heads, tq, tk, dh, s, q.g, ld, kv.g + dim, ld, kv.g + 2 * dim, ld, probs.g, dctx.g,
                          scratch.g, dq.g, dkv.g + dim, dkv.g + 2 * dim);
  EXPECT_PARITY(dq, tol, "attention_backward dq");
  EXPECT_PARITY(dkv, tol, "attention_backward dk, dv");
  pair *all[] = {&q, &kv, &mask, &probs, &ctx, &dctx, &scratch, &dq, &dkv};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) pair_free(all[i]);
}

/* Sentences of 37 rows x 70 features: the forward's block loop and the backward's grid both
 * end mid-block; a quarter of the rows are masked. */
static void test_coupling(void) {
  const int batch = 3, rows_per_batch = 37, h = 70;
  const int64_t rows = (int64_t)batch * rows_per_batch, n = rows * h;
  pair x = pair_new(n, -2, 2, 40), theta = pair_new(2 * n, -4, 4, 41), mask = pair_new(rows, 0, 1, 42);
  for (int64_t r = 0; r < rows; r++) mask.host[r] = r % 4 == 3 ? 0.0f : 1.0f;
  pair_set(&mask);
  pair out = pair_new(n, 0, 1, 43), logdet = pair_new(batch, 0, 1, 44), dout = pair_new(n, -1, 1, 45);
  pair dlogdet = pair_new(batch, -1, 1, 46), dx = pair_new(n, -1, 1, 47), dtheta = pair_new(2 * n, -1, 1, 48);
  for (int mode = 0; mode < 4; mode++) {
    bool inverse = mode & 1, acc = mode & 2; /* both directions, accumulated and assigned */
    cpu->affine_coupling(inverse, rows, h, rows_per_batch, x.c, theta.c, mask.c, out.c, logdet.c);
    gpu->affine_coupling(inverse, rows, h, rows_per_batch, x.g, theta.g, mask.g, out.g, logdet.g);
    EXPECT_PARITY(out, 1e-5, "affine_coupling");
    EXPECT_PARITY(logdet, 1e-5, "affine_coupling log-det");
    cpu->affine_coupling_backward(inverse, rows, h, rows_per_batch, x.c, theta.c, mask.c, dout.c, dlogdet.c, dx.c,
                                  dtheta.c, acc);
    gpu->affine_coupling_backward(inverse, rows, h, rows_per_batch, x.g, theta.g, mask.g, dout.g, dlogdet.g, dx.g,
                                  dtheta.g, acc);
    EXPECT_PARITY(dx, 1e-5, "affine_coupling_backward dx");
    EXPECT_PARITY(dtheta, 1e-5, "affine_coupling_backward dtheta");
    /* only the log-det has a gradient: dout NULL, dx not wanted */
    cpu->affine_coupling_backward(inverse, rows, h, rows_per_batch, x.c, theta.c, mask.c, NULL, dlogdet.c, NULL,
                                  dtheta.c, acc);
    gpu->affine_coupling_backward(inverse, rows, h, rows_per_batch, x.g, theta.g, mask.g, NULL, dlogdet.g, NULL,
                                  dtheta.g, acc);
    EXPECT_PARITY(dtheta, 1e-5, "affine_coupling_backward (log-det only)");
  }
  pair *all[] = {&x, &theta, &mask, &out, &logdet, &dout, &dlogdet, &dx, &dtheta};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) pair_free(all[i]);
}

static void test_optimizer(void) {
  const int64_t n = 100003;
  pair p = pair_new(n, -1, 1, 36), g = pair_new(n, -1, 1, 37), m = pair_new(n, -0.1f, 0.1f, 38),
       u = pair_new(n, 0, 0.1f, 39), umax = pair_new(n, 0, 0.1f, 40);
  CHECK_CLOSE(gpu->sum_squares(n, g.g), cpu->sum_squares(n, g.c), 0, 1e-9);
  for (int step = 0; step < 3; step++) {
    cpu->adamw(n, p.c, g.c, m.c, u.c, umax.c, 0.5f, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-3f, 2e-3f);
    gpu->adamw(n, p.g, g.g, m.g, u.g, umax.g, 0.5f, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-3f, 2e-3f);
  }
  EXPECT_PARITY(p, 1e-6, "adamw");
  EXPECT_PARITY(umax, 1e-6, "adamw umax");
  pair *all[] = {&p, &g, &m, &u, &umax};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) pair_free(all[i]);
}

/* Well-conditioned n x n matrices (n up to the 64 the contract allows), a singular one, and an
 * oversized one, which the CUDA backend must refuse through last_status. */
static void test_inverse(void) {
  const int sizes[] = {1, 17, 32, 64};
  for (int s = 0; s < 4; s++) {
    int n = sizes[s];
    pair w = pair_new(n * n, -0.3f, 0.3f, 41 + s), inv = pair_new(n * n + 1, 0, 1, 45 + s);
    for (int i = 0; i < n; i++) w.host[i * n + (i * 5) % n] += i % 2 ? 2.0f : -2.0f; /* pivoting needed */
    pair_set(&w);
    CHECK(cpu->inverse_logdet(n, w.c, inv.c, inv.c + n * n));
    CHECK(gpu->inverse_logdet(n, w.g, inv.g, inv.g + n * n));
    EXPECT_PARITY(inv, 1e-5, "inverse_logdet");
    for (int j = 0; j < n; j++) w.host[3 % n * n + j] = 0; /* a zero row */
    pair_set(&w);
    CHECK(!cpu->inverse_logdet(n, w.c, inv.c, inv.c + n * n));
    CHECK(!gpu->inverse_logdet(n, w.g, inv.g, inv.g + n * n));
    pair_free(&w);
    pair_free(&inv);
  }
  CHECK(gpu->last_status() == FS_OK);
  pair big = pair_new(65 * 65 + 1, 0, 1, 50);
  CHECK(!gpu->inverse_logdet(65, big.g, big.g, big.g + 65 * 65));
  CHECK(gpu->last_status() != FS_OK); /* reported once, with a message ... */
  CHECK(strstr(fs_last_error(), "inverse_logdet") != NULL);
  CHECK(gpu->last_status() == FS_OK); /* ... then cleared */
  pair_free(&big);
}

/* One decoder-style layer, forward and parameter gradients, through an engine per backend. */
static void test_layer_end_to_end(void) {
  enum { B = 3, T = 5, S = 4, D = 16 };
  float x[B * T * D], src[B * S * D], mask[B * T], smask[B * S];
  test_fill_uniform(x, B * T * D, -1, 1, 40);
  test_fill_uniform(src, B * S * D, -1, 1, 41);
  for (int i = 0; i < B * T; i++) mask[i] = i % T < T - i / T;
  for (int i = 0; i < B * S; i++) smask[i] = i % S < S - i / S;
  float *results[2], *grads[2];
  const fs_backend *bes[2] = {cpu, gpu};
  for (int k = 0; k < 2; k++) {
    fs_engine e;
    fs_params p;
    nn_decoder_layer layer;
    fs_engine_init(&e, bes[k], 64 << 20, 8 << 20);
    fs_params_init(&p, bes[k]);
    nn_decoder_layer_declare(&layer, &p, "l", D, 4, 32, 0.1f);
    fs_params_allocate(&p, 0);
    nn_init_rng rng = {bes[k], 3, 0};
    nn_decoder_layer_init(&layer, &rng);
    e.training = true; /* dropout masks come from the same Philox stream on both */
    e.seed = 9;
    fs_tensor *y = nn_decoder_layer_forward(
        &e, &layer, fs_tensor_from_host(&e, 3, (int[]){B, T, D}, x), fs_tensor_from_host(&e, 2, (int[]){B, T}, mask),
        fs_tensor_from_host(&e, 3, (int[]){B, S, D}, src), fs_tensor_from_host(&e, 2, (int[]){B, S}, smask));
    CHECK(fs_backward(&e, fs_sum_all(&e, fs_square(&e, y))) == FS_OK);
    results[k] = malloc(sizeof(float) * y->numel);
    grads[k] = malloc(sizeof(float) * p.total);
    fs_tensor_to_host(&e, y, results[k]);
    bes[k]->download(grads[k], fs_params_slot(&p, 1), sizeof(float) * p.total);
    int64_t total = p.total;
    fs_params_free(&p);
    fs_engine_free(&e);
    if (k == 1) {
      double dy = 0, dg = 0;
      for (int i = 0; i < B * T * D; i++) dy = fmax(dy, fabs(results[0][i] - results[1][i]));
      for (int64_t i = 0; i < total; i++) dg = fmax(dg, fabs(grads[0][i] - grads[1][i]) / fmax(1.0, fabs(grads[0][i])));
      CHECK_MSG(dy < 1e-4, "decoder layer output differs by %g", dy);
      CHECK_MSG(dg < 1e-3, "decoder layer gradients differ by %g", dg);
    }
  }
  for (int k = 0; k < 2; k++) {
    free(results[k]);
    free(grads[k]);
  }
}

/* A chain of engine ops (embedding, linear, layer norm, masked log-softmax, cross-entropy,
 * inverse and log|det| of a 32x32 matrix, a reduction), forward and backward through one engine
 * per backend: the loss and every leaf's gradient must agree. */
enum { E_V = 23, E_D = 24, E_N = 29, E_C = 19, E_W = 32 };

static fs_tensor *leaf(fs_engine *e, int ndim, const int *shape, float lo, float hi, unsigned seed) {
  int64_t n = fs_shape_numel(ndim, shape);
  float *host = malloc(sizeof(float) * n);
  test_fill_uniform(host, n, lo, hi, seed);
  fs_tensor *t = fs_tensor_from_host(e, ndim, shape, host);
  free(host);
  if (t) t->requires_grad = true;
  return t;
}

static void test_ops_end_to_end(void) {
  const fs_backend *bes[2] = {cpu, gpu};
  float loss[2], *grads[2];
  int64_t sizes[] = {E_V * E_D, E_C * E_D, E_C, E_C, E_C, E_W * E_W}, total = 0;
  for (size_t i = 0; i < 6; i++) total += sizes[i];
  int32_t ids[E_N], targets[E_N];
  float mask[E_N * E_C];
  for (int i = 0; i < E_N; i++) {
    ids[i] = (i * 5) % E_V;
    targets[i] = (i * 3) % E_C;
  }
  for (int i = 0; i < E_N * E_C; i++) mask[i] = (i % E_C) != (i / E_C) % 4; /* one column off per row */
  for (int k = 0; k < 2; k++) {
    fs_engine e;
    CHECK(fs_engine_init(&e, bes[k], 16 << 20, 4 << 20) == FS_OK);
    e.grad_enabled = true;
    fs_tensor *table = leaf(&e, 2, (int[]){E_V, E_D}, -1, 1, 60), *w = leaf(&e, 2, (int[]){E_C, E_D}, -0.3f, 0.3f, 61),
              *b = leaf(&e, 1, (int[]){E_C}, -0.1f, 0.1f, 62), *gamma = leaf(&e, 1, (int[]){E_C}, 0.5f, 1.5f, 63),
              *beta = leaf(&e, 1, (int[]){E_C}, -0.5f, 0.5f, 64), *wf = leaf(&e, 2, (int[]){E_W, E_W}, -0.2f, 0.2f, 65);
    fs_tensor *m = fs_tensor_from_host(&e, 2, (int[]){E_N, E_C}, mask);
    fs_tensor *logits = fs_layernorm(&e, fs_linear(&e, fs_embedding(&e, table, fs_ids_from_host(&e, ids, E_N)), w, b),
                                     gamma, beta, 1e-5f);
    fs_tensor *nll = fs_mean_all(&e, fs_cross_entropy(&e, logits, fs_ids_from_host(&e, targets, E_N), 0.1f));
    fs_tensor *masked = fs_mean_all(&e, fs_softmax(&e, fs_log_softmax(&e, logits, m, 1), m, 1));
    fs_tensor *eye = fs_add_scalar(&e, fs_scale(&e, wf, 0.5f), 0.0f);
    fs_tensor *flow = fs_add(&e, fs_logabsdet(&e, fs_add(&e, eye, fs_inverse(&e, fs_add_scalar(&e, wf, 3.0f)))),
                             fs_sum_all(&e, fs_square(&e, fs_inverse(&e, fs_add_scalar(&e, wf, 2.0f)))));
    fs_tensor *total_loss = fs_add(&e, fs_add(&e, nll, masked), flow);
    CHECK(fs_backward(&e, total_loss) == FS_OK);
    CHECK(fs_tensor_to_host(&e, total_loss, &loss[k]) == FS_OK);
    grads[k] = malloc(sizeof(float) * total);
    fs_tensor *leaves[] = {table, w, b, gamma, beta, wf};
    float *dst = grads[k];
    for (size_t i = 0; i < 6; i++, dst += sizes[i - 1])
      bes[k]->download(dst, leaves[i]->grad, sizeof(float) * sizes[i]);
    CHECK(fs_engine_status(&e) == FS_OK && bes[k]->last_status() == FS_OK);
    fs_engine_free(&e);
  }
  CHECK_CLOSE(loss[1], loss[0], 1e-5, 1e-5);
  double dg = 0;
  for (int64_t i = 0; i < total; i++) dg = fmax(dg, fabs(grads[0][i] - grads[1][i]) / fmax(1.0, fabs(grads[0][i])));
  CHECK_MSG(dg < 1e-4, "op-chain gradients differ by %g", dg);
  free(grads[0]);
  free(grads[1]);
}

int main(void) {
  cpu = fs_backend_cpu();
  gpu = fs_backend_cuda();
  if (!gpu) SKIP("no CUDA device (or built without FLOWSEQ_CUDA): CPU/CUDA parity not checked");
  test_gemm(FS_FP32);
  test_gemm(FS_BF16);
  test_elementwise();
  test_movement();
  test_softmax(37, 300, 37); /* one mask row for all rows */
  test_softmax(24, 1000, 4); /* attention-style: a mask row per group of 4 rows */
  test_softmax(6, 1, 1);     /* a single column */
  test_layernorm(37, 300);
  test_layernorm(300, 17); /* more rows than the dgamma/dbeta row lanes */
  test_layernorm(3, 1025);
  test_cross_entropy(37, 300, 0.1f);
  test_cross_entropy(5, 8003, 0.0f);
  test_embedding();
  test_random();
  test_attention(false, FS_FP32);
  test_attention(true, FS_FP32);
  test_attention(false, FS_BF16);
  test_attention(true, FS_BF16);
  test_coupling();
  test_optimizer();
  test_inverse();
  test_layer_end_to_end();
  test_ops_end_to_end();
  CHECK(gpu->last_status() == FS_OK);
  return test_summary();
}
