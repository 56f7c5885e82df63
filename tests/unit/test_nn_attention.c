/* Multi-head attention (docs/model.md#attention) against a plain double-precision reference, on its
 * three projection paths (self: query = key = value, one GEMM; cross: key = value, one GEMM for
 * K and V; separate key and value), key masking, dropout only in training, and gradient checks
 * with respect to query, key, value and every parameter. */
#include "nn/attention.h"
#include "test.h"
#include "test_nn_module.h"

enum { B = 2, T = 4, D = 8, H = 2, DH = D / H };
static fs_engine eng;
/* sentence 0 has a padded last position, sentence 1 none */
static float mask[B * T] = {1, 1, 1, 0, 1, 1, 1, 1};

typedef enum { PATH_SELF, PATH_CROSS, PATH_SEPARATE } path;

typedef struct {
  nn_attention attn;
  path path;
} attention_case;

/* data: query, key, value [B, T, D], mask [B, T] */
static fs_tensor *attention_forward(fs_engine *e, fs_tensor **x, void *module) {
  attention_case *c = module;
  switch (c->path) {
    case PATH_SELF:
      return nn_attention_forward(e, &c->attn, x[0], x[0], x[0], x[3]);
    case PATH_CROSS:
      return nn_attention_forward(e, &c->attn, x[0], x[1], x[1], x[3]);
    default:
      return nn_attention_forward(e, &c->attn, x[0], x[1], x[2], x[3]);
  }
}

/* row · W[row0 + r]ᵀ + b[row0 + r] for r < D, in double */
static void project(const float *w, const float *bw, int row0, const float *x, double *out) {
  for (int r = 0; r < D; r++) {
    out[r] = bw[row0 + r];
    for (int j = 0; j < D; j++) out[r] += (double)w[(row0 + r) * D + j] * x[j];
  }
}

/* out = LN(concat_h softmax_masked(q_h k_hᵀ / √dh) v_h + query), gain/bias of the LN. */
static void ref_attention(const float *q, const float *k, const float *v, const float *w, const float *bw,
                          const float *gain, const float *bias, double *out) {
  for (int b = 0; b < B; b++) {
    double keys[T][D], values[T][D];
    for (int t = 0; t < T; t++) {
      project(w, bw, D, k + (b * T + t) * D, keys[t]);
      project(w, bw, 2 * D, v + (b * T + t) * D, values[t]);
    }
    for (int i = 0; i < T; i++) {
      const float *query = q + (b * T + i) * D;
      double qi[D], ctx[D] = {0};
      project(w, bw, 0, query, qi);
      for (int h = 0; h < H; h++) {
        double score[T], max = -1e300, sum = 0;
        for (int t = 0; t < T; t++) {
          score[t] = 0;
          for (int f = h * DH; f < (h + 1) * DH; f++) score[t] += qi[f] * keys[t][f] / sqrt((double)DH);
          if (mask[b * T + t]) max = fmax(max, score[t]);
        }
        for (int t = 0; t < T; t++) sum += mask[b * T + t] ? exp(score[t] - max) : 0;
        for (int t = 0; t < T; t++)
          for (int f = h * DH; f < (h + 1) * DH; f++)
            ctx[f] += mask[b * T + t] ? exp(score[t] - max) / sum * values[t][f] : 0;
      }
      double y[D], mu = 0, var = 0;
      for (int j = 0; j < D; j++) mu += (y[j] = ctx[j] + query[j]) / D;
      for (int j = 0; j < D; j++) var += (y[j] - mu) * (y[j] - mu) / D;
      for (int j = 0; j < D; j++) out[(b * T + i) * D + j] = (y[j] - mu) / sqrt(var + 1e-5) * gain[j] + bias[j];
    }
  }
}

static float q[B * T * D], k[B * T * D], v[B * T * D];
static gradcheck_input data[] = {
    {3, {B, T, D}, q, 0}, {3, {B, T, D}, k, 0}, {3, {B, T, D}, v, 0}, {2, {B, T}, mask, 1}};

/* Runs the module on data in the current engine mode; copies the output to host. */
static fs_status run(attention_case *c, float *out) {
  fs_engine_reset(&eng);
  fs_tensor *x[4];
  for (int i = 0; i < 4; i++) x[i] = fs_tensor_from_host(&eng, data[i].ndim, data[i].shape, data[i].values);
  fs_tensor *y = attention_forward(&eng, x, c);
  return y ? fs_tensor_to_host(&eng, y, out) : fs_engine_status(&eng);
}

static double max_error(const float *got, const double *want) {
  double err = 0;
  for (int i = 0; i < B * T * D; i++) err = fmax(err, fabs(got[i] - want[i]));
  return err;
}

static void test_path(path p, const char *name) {
  fs_params params;
  fs_params_init(&params, fs_backend_cpu());
  attention_case c = {.path = p};
  CHECK(nn_attention_declare(&c.attn, &params, "attn", D, H, 0.0f) == FS_OK);
  CHECK(fs_params_allocate(&params, 0) == FS_OK);
  nn_init_rng rng = {fs_backend_cpu(), 17, 0};
  CHECK(nn_attention_init(&c.attn, &rng) == FS_OK);
  /* non-trivial LN and bias values so the reference checks where each one enters */
  test_fill_uniform(c.attn.b_in->data, 3 * D, -0.3f, 0.3f, 4);
  test_fill_uniform(c.attn.norm.gain->data, D, 0.5f, 1.5f, 5);
  test_fill_uniform(c.attn.norm.bias->data, D, -0.2f, 0.2f, 6);

  const float *key = p == PATH_SELF ? q : k, *value = p == PATH_SEPARATE ? v : key;
  float got[B * T * D];
  double want[B * T * D];
  CHECK(run(&c, got) == FS_OK);
  ref_attention(q, key, value, c.attn.w_in->data, c.attn.b_in->data, c.attn.norm.gain->data, c.attn.norm.bias->data,
                want);
  double err = max_error(got, want);
  CHECK_MSG(err < 1e-4, "%s: forward error %g", name, err);
  CHECK_MSG(module_gradcheck(&eng, name, attention_forward, &c, &params, 4, data) == 0, "%s gradient", name);
  fs_params_free(&params);
}

/* Changing the padded key's key and value vectors (sentence 0, position 3) changes no output;
 * changing a real one does. Cross path: the padded position is only a key, not a query. */
static void test_masking(void) {
  fs_params params;
  fs_params_init(&params, fs_backend_cpu());
  attention_case c = {.path = PATH_SEPARATE};
  CHECK(nn_attention_declare(&c.attn, &params, "attn", D, H, 0.0f) == FS_OK && fs_params_allocate(&params, 0) == FS_OK);
  nn_init_rng rng = {fs_backend_cpu(), 18, 0};
  CHECK(nn_attention_init(&c.attn, &rng) == FS_OK);
  float before[B * T * D], after[B * T * D];
  CHECK(run(&c, before) == FS_OK);
  for (int j = 0; j < D; j++) {
    k[3 * D + j] += 3.0f;
    v[3 * D + j] -= 2.0f;
  }
  CHECK(run(&c, after) == FS_OK);
  CHECK(memcmp(before, after, sizeof before) == 0);
  v[2 * D] += 1.0f; /* a real value of sentence 0: its outputs move, sentence 1's do not */
  CHECK(run(&c, after) == FS_OK);
  CHECK(memcmp(before, after, sizeof(float) * T * D) != 0);
  CHECK(memcmp(before + T * D, after + T * D, sizeof(float) * T * D) == 0);
  v[2 * D] -= 1.0f;
  for (int j = 0; j < D; j++) {
    k[3 * D + j] -= 3.0f;
    v[3 * D + j] += 2.0f;
  }
  fs_params_free(&params);
}

/* The module's dropout acts only while e->training (docs/model.md#attention step 5). */
static void test_dropout(void) {
  fs_params params;
  fs_params_init(&params, fs_backend_cpu());
  attention_case plain = {.path = PATH_CROSS}, dropping = {.path = PATH_CROSS};
  CHECK(nn_attention_declare(&plain.attn, &params, "attn", D, H, 0.0f) == FS_OK &&
        fs_params_allocate(&params, 0) == FS_OK);
  nn_init_rng rng = {fs_backend_cpu(), 19, 0};
  CHECK(nn_attention_init(&plain.attn, &rng) == FS_OK);
  dropping.attn = plain.attn;
  dropping.attn.dropout = 0.5f;
  float want[B * T * D], got[B * T * D];
  CHECK(run(&plain, want) == FS_OK);
  eng.training = false;
  CHECK(run(&dropping, got) == FS_OK);
  CHECK(memcmp(want, got, sizeof want) == 0);
  eng.training = true;
  CHECK(run(&dropping, got) == FS_OK);
  CHECK(memcmp(want, got, sizeof want) != 0);
  eng.training = false;
  fs_params_free(&params);
}

static void test_shape_errors(void) {
  fs_params params;
  fs_params_init(&params, fs_backend_cpu());
  nn_attention a;
  CHECK(nn_attention_declare(&a, &params, "bad", D, 3, 0.0f) != FS_OK); /* 8 is not divisible by 3 */
  CHECK(nn_attention_declare(&a, &params, "attn", D, H, 0.0f) == FS_OK && fs_params_allocate(&params, 0) == FS_OK);
  fs_engine_reset(&eng);
  fs_tensor *x = fs_tensor_zeros(&eng, 3, (int[]){B, T, D});
  fs_tensor *short_mask = fs_tensor_zeros(&eng, 2, (int[]){B, T - 1});
  CHECK(nn_attention_forward(&eng, &a, x, x, x, short_mask) == NULL);
  CHECK(fs_engine_status(&eng) == FS_ERR_ARG);
  fs_params_free(&params);
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 64 << 20, 8 << 20) != FS_OK) return 1;
  eng.training = false;
  test_fill_uniform(q, B * T * D, -1, 1, 1);
  test_fill_uniform(k, B * T * D, -1, 1, 2);
  test_fill_uniform(v, B * T * D, -1, 1, 3);
  test_path(PATH_SELF, "self-attention");
  test_path(PATH_CROSS, "cross-attention");
  test_path(PATH_SEPARATE, "attention with separate key and value");
  test_masking();
  test_dropout();
  test_shape_errors();
  fs_engine_free(&eng);
  return test_summary();
}
