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
    if (isinf(a) && a == b) continue;
    worst = fmax(worst, fabs(a - b) / fmax(1.0, fabs(a)));
  }
  free(from_gpu);
  return worst;
}

#define EXPECT_PARITY(p, tol, what)                                                     \
  do {                                                                                  \
    double d_ = pair_diff(&(p));                                                        \
    CHECK_MSG(d_ <= (tol), "%s: cpu/cuda differ by %g", what, d_);                      \
  } while (0)

static void test_gemm(void) {
  const int shapes[][3] = {{64, 48, 32}, {127, 33, 65}, {1, 300, 17}};
  for (int s = 0; s < 3; s++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        pair a = pair_new((int64_t)m * k * 3, -1, 1, 1), b = pair_new((int64_t)k * n * 3, -1, 1, 2),
             c = pair_new((int64_t)m * n * 3, -1, 1, 3);
        int lda = ta ? m : k, ldb = tb ? k : n;
        cpu->gemm(ta, tb, m, n, k, 0.7f, a.c, lda, b.c, ldb, 0.3f, c.c, n);
        gpu->gemm(ta, tb, m, n, k, 0.7f, a.g, lda, b.g, ldb, 0.3f, c.g, n);
        EXPECT_PARITY(c, 1e-4, "gemm");
        cpu->gemm_batched(ta, tb, m, n, k, 1, a.c, lda, (int64_t)m * k, b.c, ldb, (int64_t)k * n, 1, c.c, n,
                          (int64_t)m * n, 3);
        gpu->gemm_batched(ta, tb, m, n, k, 1, a.g, lda, (int64_t)m * k, b.g, ldb, (int64_t)k * n, 1, c.g, n,
                          (int64_t)m * n, 3);
        EXPECT_PARITY(c, 1e-4, "gemm_batched");
        pair_free(&a);
        pair_free(&b);
        pair_free(&c);
      }
}

static void test_elementwise_and_movement(void) {
  int shape[4] = {3, 5, 7, 33};
  int64_t n = 3 * 5 * 7 * 33;
  pair a = pair_new(n, 0.5f, 2, 4), b = pair_new(5 * 33, 0.5f, 2, 5), out = pair_new(n, 0, 1, 6);
  int64_t a_str[4] = {5 * 7 * 33, 7 * 33, 33, 1}, b_str[4] = {0, 33, 0, 1};
  for (int op = FS_BIN_ADD; op <= FS_BIN_DIV; op++) {
    cpu->binary(op, shape, out.c, a.c, a_str, b.c, b_str);
    gpu->binary(op, shape, out.g, a.g, a_str, b.g, b_str);
    EXPECT_PARITY(out, 1e-6, "binary");
  }
  pair dy = pair_new(n, -1, 1, 7), dx = pair_new(n, -1, 1, 8);
  for (int op = FS_UN_RELU; op <= FS_UN_ADD_CONST; op++) {
    cpu->unary(op, n, 0.5f, a.c, out.c);
    gpu->unary(op, n, 0.5f, a.g, out.g);
    EXPECT_PARITY(out, 1e-6, "unary");
    cpu->unary_backward(op, n, 0.5f, a.c, out.c, dy.c, dx.c);
    gpu->unary_backward(op, n, 0.5f, a.g, out.g, dy.g, dx.g);
    EXPECT_PARITY(dx, 1e-5, "unary_backward");
  }
  /* a permute (strides of the source reordered) with and without accumulation */
  int pshape[4] = {7, 3, 33, 5};
  int64_t dst_str[4] = {3 * 33 * 5, 33 * 5, 5, 1}, src_str[4] = {33, 5 * 7 * 33, 1, 7 * 33};
  for (int acc = 0; acc < 2; acc++) {
    cpu->copy_strided(pshape, out.c, dst_str, a.c, src_str, acc);
    gpu->copy_strided(pshape, out.g, dst_str, a.g, src_str, acc);
    EXPECT_PARITY(out, 1e-6, "copy_strided");
  }
  int dst_shape[4] = {1, 5, 1, 33};
  cpu->reduce_sum(shape, a.c, dst_shape, b.c, true);
  gpu->reduce_sum(shape, a.g, dst_shape, b.g, true);
  EXPECT_PARITY(b, 1e-6, "reduce_sum");
  pair_free(&a);
  pair_free(&b);
  pair_free(&out);
  pair_free(&dy);
  pair_free(&dx);
}

static void test_rows(void) {
  const int rows = 37, cols = 300;
  pair x = pair_new(rows * cols, -3, 3, 9), y = pair_new(rows * cols, 0, 1, 10), dy = pair_new(rows * cols, -1, 1, 11),
       dx = pair_new(rows * cols, -1, 1, 12), mask = pair_new(cols, 0, 1, 13);
  for (int i = 0; i < cols; i++) mask.host[i] = i % 3 != 0;
  cpu->upload(mask.c, mask.host, sizeof(float) * cols);
  gpu->upload(mask.g, mask.host, sizeof(float) * cols);
  for (int log = 0; log < 2; log++) {
    (log ? cpu->log_softmax : cpu->softmax)(rows, cols, x.c, mask.c, rows, y.c);
    (log ? gpu->log_softmax : gpu->softmax)(rows, cols, x.g, mask.g, rows, y.g);
    EXPECT_PARITY(y, 1e-5, log ? "log_softmax" : "softmax");
    (log ? cpu->log_softmax_backward : cpu->softmax_backward)(rows, cols, y.c, dy.c, dx.c);
    (log ? gpu->log_softmax_backward : gpu->softmax_backward)(rows, cols, y.g, dy.g, dx.g);
    EXPECT_PARITY(dx, 1e-5, "softmax backward");
  }
  pair gamma = pair_new(cols, 0.5f, 1.5f, 14), beta = pair_new(cols, -1, 1, 15), mean = pair_new(rows, 0, 1, 16),
       rstd = pair_new(rows, 0, 1, 17), dg = pair_new(cols, 0, 1, 18), db = pair_new(cols, 0, 1, 19);
  cpu->layernorm(rows, cols, 1e-5f, x.c, gamma.c, beta.c, y.c, mean.c, rstd.c);
  gpu->layernorm(rows, cols, 1e-5f, x.g, gamma.g, beta.g, y.g, mean.g, rstd.g);
  EXPECT_PARITY(y, 1e-5, "layernorm");
  cpu->layernorm_backward(rows, cols, x.c, gamma.c, mean.c, rstd.c, dy.c, dx.c, dg.c, db.c);
  gpu->layernorm_backward(rows, cols, x.g, gamma.g, mean.g, rstd.g, dy.g, dx.g, dg.g, db.g);
  EXPECT_PARITY(dx, 1e-4, "layernorm dx");
  EXPECT_PARITY(dg, 1e-4, "layernorm dgamma");
  EXPECT_PARITY(db, 1e-4, "layernorm dbeta");

  int32_t ids[37];
  for (int i = 0; i < rows; i++) ids[i] = (i * 7) % 50;
  int32_t *ids_c = cpu->alloc(sizeof ids), *ids_g = gpu->alloc(sizeof ids);
  cpu->upload(ids_c, ids, sizeof ids);
  gpu->upload(ids_g, ids, sizeof ids);
  pair loss = pair_new(rows, 0, 1, 20), lse = pair_new(rows, 0, 1, 21), dl = pair_new(rows, -1, 1, 22);
  cpu->cross_entropy(rows, cols, 0.1f, x.c, ids_c, loss.c, lse.c);
  gpu->cross_entropy(rows, cols, 0.1f, x.g, ids_g, loss.g, lse.g);
  EXPECT_PARITY(loss, 1e-5, "cross_entropy");
  cpu->cross_entropy_backward(rows, cols, 0.1f, x.c, ids_c, lse.c, dl.c, dx.c);
  gpu->cross_entropy_backward(rows, cols, 0.1f, x.g, ids_g, lse.g, dl.g, dx.g);
  EXPECT_PARITY(dx, 1e-5, "cross_entropy backward");
  pair table = pair_new(50 * 24, -1, 1, 23), emb = pair_new(rows * 24, 0, 1, 24);
  cpu->embedding(rows, 24, ids_c, table.c, emb.c);
  gpu->embedding(rows, 24, ids_g, table.g, emb.g);
  EXPECT_PARITY(emb, 0, "embedding");
  cpu->embedding_backward(rows, 24, ids_c, emb.c, table.c);
  gpu->embedding_backward(rows, 24, ids_g, emb.g, table.g);
  EXPECT_PARITY(table, 1e-6, "embedding backward");
  cpu->free(ids_c);
  gpu->free(ids_g);
  pair *all[] = {&x, &y, &dy, &dx, &mask, &gamma, &beta, &mean, &rstd, &dg, &db, &loss, &lse, &dl, &table, &emb};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) pair_free(all[i]);
}

static void test_random_and_optimizer(void) {
  const int64_t n = 100003;
  pair r = pair_new(n, 0, 1, 25);
  cpu->rand_uniform(n, 11, 12345, r.c);
  gpu->rand_uniform(n, 11, 12345, r.g);
  EXPECT_PARITY(r, 0, "rand_uniform (bit-identical)");
  cpu->rand_normal(n, 11, 7, r.c);
  gpu->rand_normal(n, 11, 7, r.g);
  EXPECT_PARITY(r, 1e-6, "rand_normal");
  cpu->dropout_mask(n, 0.3f, 5, 99, r.c);
  gpu->dropout_mask(n, 0.3f, 5, 99, r.g);
  EXPECT_PARITY(r, 0, "dropout_mask");

  pair p = pair_new(n, -1, 1, 26), g = pair_new(n, -1, 1, 27), m = pair_new(n, -0.1f, 0.1f, 28),
       u = pair_new(n, 0, 0.1f, 29), umax = pair_new(n, 0, 0.1f, 30);
  CHECK_CLOSE(gpu->sum_squares(n, g.g), cpu->sum_squares(n, g.c), 0, 1e-9);
  for (int step = 0; step < 3; step++) {
    cpu->adamw(n, p.c, g.c, m.c, u.c, umax.c, 0.5f, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-3f, 2e-3f);
    gpu->adamw(n, p.g, g.g, m.g, u.g, umax.g, 0.5f, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-3f, 2e-3f);
  }
  EXPECT_PARITY(p, 1e-6, "adamw");
  pair *all[] = {&r, &p, &g, &m, &u, &umax};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) pair_free(all[i]);

  pair w = pair_new(32 * 32, -0.3f, 0.3f, 31), inv = pair_new(32 * 32 + 1, 0, 1, 32);
  for (int i = 0; i < 32; i++) w.host[i * 32 + i] += 2;
  cpu->upload(w.c, w.host, sizeof(float) * 32 * 32);
  gpu->upload(w.g, w.host, sizeof(float) * 32 * 32);
  CHECK(cpu->inverse_logdet(32, w.c, inv.c, inv.c + 32 * 32) && gpu->inverse_logdet(32, w.g, inv.g, inv.g + 32 * 32));
  EXPECT_PARITY(inv, 1e-5, "inverse_logdet");
  pair_free(&w);
  pair_free(&inv);
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
    fs_tensor *y = nn_decoder_layer_forward(&e, &layer, fs_tensor_from_host(&e, 3, (int[]){B, T, D}, x),
                                            fs_tensor_from_host(&e, 2, (int[]){B, T}, mask),
                                            fs_tensor_from_host(&e, 3, (int[]){B, S, D}, src),
                                            fs_tensor_from_host(&e, 2, (int[]){B, S}, smask));
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

int main(void) {
  cpu = fs_backend_cpu();
  gpu = fs_backend_cuda();
  if (!gpu) SKIP("no usable CUDA device (or built without FLOWSEQ_CUDA): CPU/CUDA parity not checked");
  test_gemm();
  test_elementwise_and_movement();
  test_rows();
  test_random_and_optimizer();
  test_layer_end_to_end();
  CHECK(gpu->last_status() == FS_OK);
  return test_summary();
}
