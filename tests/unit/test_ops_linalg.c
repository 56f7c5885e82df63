/* Matrix products: every transpose combination, shared and batched right operands, the folded
 * single-GEMM path, against a double-precision reference and finite differences; the backward
 * of a shared right operand at least 128 wide (one GEMM over the whole batch) against the
 * gradients written out in double. The same with bf16 operands (fs_precision), against
 * references computed in double from the bf16-rounded operands, and the CPU backend's bf16 GEMM
 * kernel itself. */
#include <float.h>

#include "backend/kernel_math.h"
#include "gradcheck.h"
#include "test.h"

static fs_engine eng;

/* x as a product of precision pr reads it */
static double operand(fs_precision pr, float x) { return pr == FS_BF16 ? fs_bf16_round(x) : x; }

typedef struct {
  bool ta, tb;
} flags;

static fs_tensor *op_matmul(fs_engine *e, fs_tensor **x, void *c) {
  flags *f = c;
  return fs_matmul(e, x[0], x[1], f->ta, f->tb);
}
static fs_tensor *op_linear(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_linear(e, x[0], x[1], x[2]);
}

/* C[b] = op(A[b]) op(B[b or shared]) in double, from the operands as precision pr reads them. */
static void ref_matmul(fs_precision pr, int batch, int m, int n, int k, const float *a, const float *b, bool ta,
                       bool tb, bool shared_b, double *c) {
  for (int z = 0; z < batch; z++)
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        double s = 0;
        const float *az = a + (int64_t)z * m * k, *bz = b + (shared_b ? 0 : (int64_t)z * k * n);
        for (int p = 0; p < k; p++)
          s += operand(pr, ta ? az[p * m + i] : az[i * k + p]) * operand(pr, tb ? bz[j * k + p] : bz[p * n + j]);
        c[((int64_t)z * m + i) * n + j] = s;
      }
}

/* The forward against the reference of the engine's precision; the gradients by finite
 * differences in fp32 only (bf16's rounding is far coarser than their steps). */
static void check_case(int batch, int m, int n, int k, bool ta, bool tb, bool shared_b) {
  float a[2 * 5 * 4], b[2 * 4 * 3];
  test_fill_uniform(a, batch * m * k, -1, 1, 11);
  test_fill_uniform(b, (shared_b ? 1 : batch) * k * n, -1, 1, 12);
  int a_shape[3] = {batch, ta ? k : m, ta ? m : k};
  int b_shape[3] = {batch, tb ? n : k, tb ? k : n};
  gradcheck_input in[] = {{3, {a_shape[0], a_shape[1], a_shape[2]}, a, 0}, {shared_b ? 2 : 3, {0}, b, 0}};
  if (shared_b) {
    in[1].shape[0] = b_shape[1];
    in[1].shape[1] = b_shape[2];
  } else
    for (int i = 0; i < 3; i++) in[1].shape[i] = b_shape[i];
  fs_engine_reset(&eng);
  fs_tensor *ta_ = fs_tensor_from_host(&eng, 3, in[0].shape, a);
  fs_tensor *tb_ = fs_tensor_from_host(&eng, in[1].ndim, in[1].shape, b);
  fs_tensor *c = fs_matmul(&eng, ta_, tb_, ta, tb);
  CHECK(c && c->shape[0] == batch && c->shape[1] == m && c->shape[2] == n);
  float got[2 * 5 * 3];
  double want[2 * 5 * 3];
  fs_tensor_to_host(&eng, c, got);
  ref_matmul(eng.precision, batch, m, n, k, a, b, ta, tb, shared_b, want);
  double err = 0;
  for (int i = 0; i < batch * m * n; i++) err = fmax(err, fabs(got[i] - want[i]));
  CHECK_MSG(err < 1e-5, "ta=%d tb=%d shared=%d precision %d: forward error %g", ta, tb, shared_b, eng.precision, err);
  if (eng.precision != FS_FP32) return;
  flags f = {ta, tb};
  CHECK_MSG(gradcheck(&eng, "matmul", op_matmul, &f, 2, in, 1e-3, 1e-3, 1e-2) == 0, "ta=%d tb=%d shared=%d", ta, tb,
            shared_b);
}

/* x [B, M, K] times a shared W ([K, N], or [N, K] when tb) at K = N = 128, where backward folds
 * the batch into one GEMM per gradient. With loss = sum(C ⊙ R) for a fixed R, dC = R, so
 *   dx[z] = R[z] · op(W)ᵀ,   dW = Σ_z x[z]ᵀ R[z] (or its transpose when tb),
 * each factor as the engine's precision reads it. */
static void check_folded_backward(bool tb) {
  fs_precision pr = eng.precision;
  enum { Bz = 3, M = 4, K = 128, N = 128 };
  static float x[Bz * M * K], w[K * N], r[Bz * M * N], dx[Bz * M * K], dw[K * N];
  test_fill_uniform(x, Bz * M * K, -1, 1, 21);
  test_fill_uniform(w, K * N, -1, 1, 22);
  test_fill_uniform(r, Bz * M * N, -1, 1, 23);
  fs_engine_reset(&eng);
  fs_tensor *tx = fs_tensor_from_host(&eng, 3, (int[]){Bz, M, K}, x);
  fs_tensor *tw = fs_tensor_from_host(&eng, 2, tb ? (int[]){N, K} : (int[]){K, N}, w);
  fs_tensor *tr = fs_tensor_from_host(&eng, 3, (int[]){Bz, M, N}, r);
  tx->requires_grad = tw->requires_grad = true;
  fs_tensor *loss = fs_sum_all(&eng, fs_mul(&eng, fs_matmul(&eng, tx, tw, false, tb), tr));
  CHECK(fs_backward(&eng, loss) == FS_OK);
  eng.be->download(dx, tx->grad, sizeof dx);
  eng.be->download(dw, tw->grad, sizeof dw);
  double err_x = 0, err_w = 0;
  for (int z = 0; z < Bz; z++)
    for (int i = 0; i < M; i++)
      for (int p = 0; p < K; p++) {
        double s = 0;
        for (int j = 0; j < N; j++)
          s += operand(pr, r[(z * M + i) * N + j]) * operand(pr, tb ? w[j * K + p] : w[p * N + j]);
        err_x = fmax(err_x, fabs(dx[(z * M + i) * K + p] - s));
      }
  for (int p = 0; p < K; p++)
    for (int j = 0; j < N; j++) {
      double s = 0;
      for (int z = 0; z < Bz; z++)
        for (int i = 0; i < M; i++) s += operand(pr, x[(z * M + i) * K + p]) * operand(pr, r[(z * M + i) * N + j]);
      err_w = fmax(err_w, fabs((tb ? dw[j * K + p] : dw[p * N + j]) - s));
    }
  CHECK_MSG(err_x < 1e-4 && err_w < 1e-4, "tb=%d precision %d folded backward: dx error %g, dW error %g", tb, pr, err_x,
            err_w);
}

/* The CPU backend's bf16 GEMM (single and batched, each transpose, rows wider than the matrix,
 * alpha and beta not 0 or 1) against alpha Σ bf16(a) bf16(b) + beta c in double: within the
 * bound of fp32 accumulation, as blas_core's sgemm check. Against the product of the unrounded
 * operands it is off by about bf16's relative error u = 2^-8 (each term's two roundings, of
 * random signs, add up like the terms): the rms difference relative to the rms product must lie
 * in [u/8, 2u], where fp32 operands would be near 1e-7. */
static void check_bf16_kernel(bool ta, bool tb, bool batched) {
  enum { M = 37, N = 29, K = 300, PAD = 3, BATCH = 2 };
  const fs_backend *be = fs_backend_cpu();
  const float alpha = 0.75f, beta = -0.5f;
  int lda = (ta ? M : K) + PAD, ldb = (tb ? K : N) + PAD, ldc = N + PAD;
  int64_t sa = (int64_t)(ta ? K : M) * lda, sb = (int64_t)(tb ? N : K) * ldb, sc = (int64_t)M * ldc;
  float *a = malloc(sizeof(float) * BATCH * sa), *b = malloc(sizeof(float) * BATCH * sb);
  float *c = malloc(sizeof(float) * BATCH * sc), *c0 = malloc(sizeof(float) * BATCH * sc);
  test_fill_uniform(a, BATCH * sa, -1, 1, 31);
  test_fill_uniform(b, BATCH * sb, -1, 1, 32);
  test_fill_uniform(c0, BATCH * sc, -1, 1, 33);
  memcpy(c, c0, sizeof(float) * BATCH * sc);
  int count = batched ? BATCH : 1;
  if (batched) be->gemm_batched(FS_BF16, ta, tb, M, N, K, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, BATCH);
  else be->gemm(FS_BF16, ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
  double worst = 0, diff2 = 0, prod2 = 0;
  for (int z = 0; z < count; z++)
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) {
        double narrow = 0, magnitude = 0, wide = 0;
        for (int p = 0; p < K; p++) {
          float av = a[z * sa + (ta ? p * lda + i : i * lda + p)], bv = b[z * sb + (tb ? j * ldb + p : p * ldb + j)];
          narrow += operand(FS_BF16, av) * operand(FS_BF16, bv);
          magnitude += fabs(operand(FS_BF16, av) * operand(FS_BF16, bv));
          wide += (double)av * bv;
        }
        double got = c[z * sc + i * ldc + j], old = c0[z * sc + i * ldc + j];
        double bound = (alpha * magnitude + fabs(beta * old)) * (K + 2) * FLT_EPSILON;
        worst = fmax(worst, fabs(got - (alpha * narrow + beta * old)) / bound);
        diff2 += (got - (alpha * wide + beta * old)) * (got - (alpha * wide + beta * old));
        prod2 += alpha * wide * alpha * wide;
      }
  double u = 1.0 / 256, relative = sqrt(diff2 / prod2);
  CHECK_MSG(worst <= 1.0, "bf16 gemm ta=%d tb=%d batched=%d: error %.3g of the fp32 accumulation bound", ta, tb,
            batched, worst);
  CHECK_MSG(relative >= u / 8 && relative <= 2 * u, "bf16 gemm ta=%d tb=%d batched=%d: %.3g from the fp32 product", ta,
            tb, batched, relative);
  if (ta && tb && batched) printf("bf16 gemm: %.2f u from the fp32 product (u = 2^-8)\n", relative / u);
  free(a), free(b), free(c), free(c0);
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 64 << 20, 8 << 20) != FS_OK) return 1;
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (int shared = 0; shared < 2; shared++) check_case(2, 5, 3, 4, ta, tb, shared);
  check_folded_backward(false);
  check_folded_backward(true);
  for (int t = 0; t < 8; t++) check_bf16_kernel(t & 1, t & 2, t & 4);
  eng.precision = FS_BF16;
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (int shared = 0; shared < 2; shared++) check_case(2, 5, 3, 4, ta, tb, shared);
  check_folded_backward(false);
  check_folded_backward(true);
  eng.precision = FS_FP32;

  float x[2 * 3 * 4], w[5 * 4], bias[5];
  test_fill_uniform(x, 24, -1, 1, 1);
  test_fill_uniform(w, 20, -1, 1, 2);
  test_fill_uniform(bias, 5, -1, 1, 3);
  gradcheck_input in[] = {{3, {2, 3, 4}, x, 0}, {2, {5, 4}, w, 0}, {1, {5}, bias, 0}};
  CHECK(gradcheck(&eng, "linear", op_linear, NULL, 3, in, 1e-3, 1e-3, 1e-2) == 0);

  fs_engine_reset(&eng);
  fs_tensor *p = fs_tensor_zeros(&eng, 2, (int[]){3, 4}), *q = fs_tensor_zeros(&eng, 2, (int[]){5, 2});
  CHECK(fs_matmul(&eng, p, q, false, false) == NULL && fs_engine_status(&eng) == FS_ERR_ARG);
  CHECK(strstr(fs_last_error(), "[3, 4]") != NULL);
  fs_engine_free(&eng);
  return test_summary();
}
