/* Parameter initialisers (docs/model.md#initialisation): reproducible from (seed, stream), the right
 * distributions and bounds, orthogonality, untouched rows outside a Xavier block, the modules'
 * init tables, and the per-feature statistics of data-dependent init. */
#include <string.h>

#include "nn/attention.h"
#include "nn/linear.h"
#include "test.h"

enum { N = 4096 };
static fs_engine eng;

static fs_tensor host_tensor(float *data, int rows, int cols) {
  return (fs_tensor){.data = data, .ndim = 2, .shape = {rows, cols}, .numel = (int64_t)rows * cols};
}

static void test_determinism(void) {
  static float a[N], b[N], c[N];
  fs_tensor ta = host_tensor(a, 64, 64), tb = host_tensor(b, 64, 64), tc = host_tensor(c, 64, 64);
  nn_init_rng r1 = {fs_backend_cpu(), 42, 0}, r2 = {fs_backend_cpu(), 42, 0}, r3 = {fs_backend_cpu(), 43, 0};
  CHECK(nn_init_uniform(&r1, &ta, 0.1f) == FS_OK && nn_init_uniform(&r2, &tb, 0.1f) == FS_OK);
  CHECK(memcmp(a, b, sizeof a) == 0);
  CHECK(r1.stream == N && r2.stream == N); /* the stream advances by what was drawn */
  CHECK(nn_init_uniform(&r3, &tc, 0.1f) == FS_OK && memcmp(a, c, sizeof a) != 0);
  CHECK(nn_init_uniform(&r1, &tc, 0.1f) == FS_OK && memcmp(a, c, sizeof a) != 0); /* next stream part */
  r1.stream = r2.stream = 7;
  CHECK(nn_init_normal(&r1, &ta, 1.0f) == FS_OK && nn_init_normal(&r2, &tb, 1.0f) == FS_OK);
  CHECK(memcmp(a, b, sizeof a) == 0);
  CHECK(nn_init_orthogonal(&r1, &ta) == FS_OK && nn_init_orthogonal(&r2, &tb) == FS_OK);
  CHECK(memcmp(a, b, sizeof a) == 0);
}

static void test_distributions(void) {
  static float x[N];
  fs_tensor t = host_tensor(x, 64, 64);
  nn_init_rng r = {fs_backend_cpu(), 1, 0};
  CHECK(nn_init_uniform(&r, &t, 0.1f) == FS_OK);
  double lo = 1, hi = -1, sum = 0, sq = 0;
  for (int i = 0; i < N; i++) lo = fmin(lo, x[i]), hi = fmax(hi, x[i]), sum += x[i];
  CHECK(lo >= -0.1 && hi <= 0.1 && lo < -0.099 && hi > 0.099);
  CHECK_CLOSE(sum / N, 0.0, 0.004, 0); /* ~3 standard errors of 0.1/√(3N) */
  CHECK(nn_init_normal(&r, &t, 0.05f) == FS_OK);
  sum = 0;
  for (int i = 0; i < N; i++) sum += x[i], sq += (double)x[i] * x[i];
  CHECK_CLOSE(sum / N, 0.0, 0.003, 0);
  CHECK_CLOSE(sqrt(sq / N), 0.05, 0, 0.05);
  nn_init_const(fs_backend_cpu(), &t, 0.25f);
  CHECK(x[0] == 0.25f && x[N - 1] == 0.25f);
}

/* A Xavier block of rows [16, 48) of a [64, 64] matrix: bound √(6/(32+64)) inside, rows outside
 * untouched. */
static void test_xavier_rows(void) {
  static float x[N];
  fs_tensor t = host_tensor(x, 64, 64);
  nn_init_const(fs_backend_cpu(), &t, 7.0f);
  nn_init_rng r = {fs_backend_cpu(), 2, 0};
  CHECK(nn_init_xavier_rows(&r, &t, 16, 32) == FS_OK);
  double bound = sqrt(6.0 / (32 + 64)), max = 0;
  int untouched = 0;
  for (int i = 0; i < N; i++) {
    bool inside = i >= 16 * 64 && i < 48 * 64;
    if (inside) max = fmax(max, fabs(x[i]));
    else untouched += x[i] == 7.0f;
  }
  CHECK(untouched == 32 * 64);
  CHECK(max <= bound && max > 0.99 * bound);
  CHECK(r.stream == 32 * 64);
}

static void test_orthogonal(void) {
  static float q[32 * 32];
  fs_tensor t = host_tensor(q, 32, 32);
  nn_init_rng r = {fs_backend_cpu(), 3, 0};
  CHECK(nn_init_orthogonal(&r, &t) == FS_OK);
  double err = 0;
  for (int i = 0; i < 32; i++)
    for (int j = 0; j < 32; j++) {
      double dot = 0;
      for (int k = 0; k < 32; k++) dot += (double)q[i * 32 + k] * q[j * 32 + k];
      err = fmax(err, fabs(dot - (i == j)));
    }
  CHECK_MSG(err < 1e-5, "Q·Qᵀ - I max %g", err);
  fs_tensor rect = host_tensor(q, 16, 32);
  CHECK(nn_init_orthogonal(&r, &rect) == FS_ERR_ARG);
}

static float max_abs(const fs_tensor *t) {
  float m = 0;
  for (int64_t i = 0; i < t->numel; i++) m = fmaxf(m, fabsf(t->data[i]));
  return m;
}

/* The modules' rows of the init table. */
static void test_module_inits(void) {
  fs_params params;
  fs_params_init(&params, fs_backend_cpu());
  nn_linear lin;
  nn_attention attn;
  enum { IN = 100, OUT = 30, D = 16 };
  CHECK(nn_linear_declare(&lin, &params, "lin", IN, OUT, true) == FS_OK);
  CHECK(nn_attention_declare(&attn, &params, "attn", D, 4, 0.0f) == FS_OK);
  CHECK(fs_params_allocate(&params, 0) == FS_OK);
  nn_init_rng r = {fs_backend_cpu(), 4, 0};
  CHECK(nn_linear_init(&lin, &r) == FS_OK && nn_attention_init(&attn, &r) == FS_OK);
  float bound = 1.0f / sqrtf(IN); /* PyTorch nn.Linear default, weight and bias */
  CHECK(max_abs(lin.weight) <= bound && max_abs(lin.weight) > 0.99f * bound);
  CHECK(max_abs(lin.bias) <= bound && max_abs(lin.bias) > 0.5f * bound);
  float xavier = sqrtf(6.0f / (2 * D)); /* each D x D block separately */
  for (int block = 0; block < 3; block++) {
    float m = 0;
    for (int i = block * D * D; i < (block + 1) * D * D; i++) m = fmaxf(m, fabsf(attn.w_in->data[i]));
    CHECK_MSG(m <= xavier && m > 0.95f * xavier, "block %d max %g, bound %g", block, m, xavier);
  }
  CHECK(max_abs(attn.b_in) == 0.0f && max_abs(attn.norm.bias) == 0.0f);
  CHECK(attn.norm.gain->data[0] == 1.0f && attn.norm.gain->data[D - 1] == 1.0f);
  fs_params_free(&params);
}

static void test_feature_stats(void) {
  float y[4 * 2] = {1, 5, 2, 5, 3, 5, 4, 5}; /* columns [1,2,3,4] and [5,5,5,5] */
  double mean[2], std[2];
  fs_engine_reset(&eng);
  CHECK(nn_feature_stats(&eng, fs_tensor_from_host(&eng, 2, (int[]){4, 2}, y), mean, std) == FS_OK);
  CHECK_CLOSE(mean[0], 2.5, 1e-12, 0);
  CHECK_CLOSE(std[0], sqrt(5.0 / 3.0), 1e-12, 0); /* unbiased: divides by rows − 1 */
  CHECK(mean[1] == 5.0 && std[1] == 0.0);
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 16 << 20, 4 << 20) != FS_OK) return 1;
  test_determinism();
  test_distributions();
  test_xavier_rows();
  test_orthogonal();
  test_module_inits();
  test_feature_stats();
  fs_engine_free(&eng);
  return test_summary();
}
