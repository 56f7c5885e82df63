/* Transformer pieces: attention against a double-precision reference (masking included),
 * gradient checks of every module with respect to inputs and parameters, the position table,
 * and weight-norm initialisation. */
#include "gradcheck.h"
#include "nn/layers.h"
#include "nn/positions.h"
#include "test.h"

enum { B = 2, TQ = 3, TK = 4, D = 8, H = 2, FF = 6 };
static fs_engine eng;
static float key_mask[B * TK] = {1, 1, 1, 0, 1, 1, 1, 1};

/* Inputs: query, key, w_in, b_in, gain, bias, mask (constant). */
static fs_tensor *op_attention(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  nn_attention a = {.dim = D, .heads = H, .w_in = x[2], .b_in = x[3], .norm = {x[4], x[5]}};
  return nn_attention_forward(e, &a, x[0], x[1], x[1], x[6]);
}

/* out = LN(concat_h softmax(q_h k_hᵀ / √dh, masked) v_h + query) in double. */
static void ref_attention(const float *q, const float *k, const float *w, const float *bw, const float *gain,
                          const float *bias, double *out) {
  int dh = D / H;
  for (int b = 0; b < B; b++)
    for (int i = 0; i < TQ; i++) {
      double ctx[D];
      for (int h = 0; h < H; h++) {
        double qh[D], score[TK], max = -1e30, sum = 0;
        for (int f = 0; f < dh; f++) {
          int row = h * dh + f;
          qh[f] = bw[row];
          for (int j = 0; j < D; j++) qh[f] += w[row * D + j] * q[(b * TQ + i) * D + j];
          qh[f] /= sqrt((double)dh);
        }
        for (int t = 0; t < TK; t++) {
          score[t] = 0;
          for (int f = 0; f < dh; f++) {
            int row = D + h * dh + f;
            double kv = bw[row];
            for (int j = 0; j < D; j++) kv += w[row * D + j] * k[(b * TK + t) * D + j];
            score[t] += qh[f] * kv;
          }
          if (key_mask[b * TK + t]) max = fmax(max, score[t]);
        }
        for (int t = 0; t < TK; t++) sum += key_mask[b * TK + t] ? exp(score[t] - max) : 0;
        for (int f = 0; f < dh; f++) {
          int row = 2 * D + h * dh + f;
          ctx[h * dh + f] = 0;
          for (int t = 0; t < TK; t++) {
            if (!key_mask[b * TK + t]) continue;
            double vv = bw[row];
            for (int j = 0; j < D; j++) vv += w[row * D + j] * k[(b * TK + t) * D + j];
            ctx[h * dh + f] += exp(score[t] - max) / sum * vv;
          }
        }
      }
      double mu = 0, var = 0, y[D];
      for (int j = 0; j < D; j++) mu += (y[j] = ctx[j] + q[(b * TQ + i) * D + j]) / D;
      for (int j = 0; j < D; j++) var += (y[j] - mu) * (y[j] - mu) / D;
      for (int j = 0; j < D; j++) out[(b * TQ + i) * D + j] = (y[j] - mu) / sqrt(var + 1e-5) * gain[j] + bias[j];
    }
}

static void test_attention(void) {
  static float q[B * TQ * D], k[B * TK * D], w[3 * D * D], bw[3 * D], gain[D], bias[D];
  test_fill_uniform(q, B * TQ * D, -1, 1, 1);
  test_fill_uniform(k, B * TK * D, -1, 1, 2);
  test_fill_uniform(w, 3 * D * D, -0.5f, 0.5f, 3);
  test_fill_uniform(bw, 3 * D, -0.2f, 0.2f, 4);
  test_fill_uniform(gain, D, 0.5f, 1.5f, 5);
  test_fill_uniform(bias, D, -0.2f, 0.2f, 6);
  gradcheck_input in[] = {{3, {B, TQ, D}, q, 0},  {3, {B, TK, D}, k, 0}, {2, {3 * D, D}, w, 0}, {1, {3 * D}, bw, 0},
                          {1, {D}, gain, 0},      {1, {D}, bias, 0},      {2, {B, TK}, key_mask, 1}};
  fs_tensor *ts[7];
  fs_engine_reset(&eng);
  for (int i = 0; i < 7; i++) ts[i] = fs_tensor_from_host(&eng, in[i].ndim, in[i].shape, in[i].values);
  float got[B * TQ * D];
  double want[B * TQ * D];
  fs_tensor_to_host(&eng, op_attention(&eng, ts, NULL), got);
  ref_attention(q, k, w, bw, gain, bias, want);
  double err = 0;
  for (int i = 0; i < B * TQ * D; i++) err = fmax(err, fabs(got[i] - want[i]));
  CHECK_MSG(err < 1e-4, "attention forward error %g", err);
  /* a padded key's content must not matter */
  k[3 * D + 1] += 5.0f;
  fs_engine_reset(&eng);
  for (int i = 0; i < 7; i++) ts[i] = fs_tensor_from_host(&eng, in[i].ndim, in[i].shape, in[i].values);
  float moved[B * TQ * D];
  fs_tensor_to_host(&eng, op_attention(&eng, ts, NULL), moved);
  CHECK(memcmp(got, moved, sizeof got) == 0);
  CHECK(gradcheck(&eng, "attention", op_attention, NULL, 7, in, 1e-3, 2e-3, 2e-2) == 0);
}

/* A module under test: its parameters become gradcheck inputs after the data inputs, and the
 * forward callback points the module's parameter tensors at the harness's fresh leaves. */
static fs_params g_params;
static int g_n_data;
static nn_ffn g_ffn;
static nn_encoder_layer g_enc;
static nn_decoder_layer g_dec;
static float mask_q[B * TQ] = {1, 1, 1, 1, 1, 0};

static void bind_params(fs_tensor **x) {
  for (int i = 0; i < g_params.count; i++) {
    fs_tensor *leaf = x[g_n_data + i];
    if (leaf->requires_grad) fs_grad(&eng, leaf); /* shared buffer: the module's copy fills the leaf's */
    g_params.items[i]->tensor = *leaf;
  }
}
static fs_tensor *op_ffn(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  bind_params(x);
  return nn_ffn_forward(e, &g_ffn, x[0]);
}
static fs_tensor *op_encoder(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  bind_params(x);
  return nn_encoder_layer_forward(e, &g_enc, x[0], fs_tensor_from_host(e, 2, (int[]){B, TQ}, mask_q));
}
static fs_tensor *op_decoder(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  bind_params(x);
  return nn_decoder_layer_forward(e, &g_dec, x[0], fs_tensor_from_host(e, 2, (int[]){B, TQ}, mask_q), x[1],
                                  fs_tensor_from_host(e, 2, (int[]){B, TK}, key_mask));
}

/* Gradient check of the module whose parameters are in g_params, with n_data data inputs. */
static void check_module(const char *name, gradcheck_fn fn, int n_data, gradcheck_input *data) {
  gradcheck_input in[GRADCHECK_MAX_INPUTS];
  int n = 0;
  for (int i = 0; i < n_data; i++) in[n++] = data[i];
  CHECK_MSG(n_data + g_params.count <= GRADCHECK_MAX_INPUTS, "%s has too many parameters", name);
  for (int i = 0; i < g_params.count && n < GRADCHECK_MAX_INPUTS; i++) {
    fs_tensor *t = &g_params.items[i]->tensor;
    in[n] = (gradcheck_input){t->ndim, {0}, malloc(sizeof(float) * t->numel), 0};
    memcpy(in[n].shape, t->shape, sizeof t->shape);
    memcpy(in[n].values, t->data, sizeof(float) * t->numel);
    n++;
  }
  g_n_data = n_data;
  CHECK_MSG(gradcheck(&eng, name, fn, NULL, n, in, 1e-3, 3e-3, 3e-2) == 0, "%s gradient", name);
  for (int i = n_data; i < n; i++) free(in[i].values);
  fs_params_free(&g_params);
}

static void test_modules(void) {
  static float x[B * TQ * D], src[B * TK * D];
  test_fill_uniform(x, B * TQ * D, -1, 1, 11);
  test_fill_uniform(src, B * TK * D, -1, 1, 12);
  gradcheck_input data[] = {{3, {B, TQ, D}, x, 0}, {3, {B, TK, D}, src, 0}};
  nn_init_rng rng = {fs_backend_cpu(), 5, 0};

  fs_params_init(&g_params, fs_backend_cpu());
  CHECK(nn_ffn_declare(&g_ffn, &g_params, "ffn", D, FF, 0.0f) == FS_OK);
  CHECK(fs_params_allocate(&g_params, 0) == FS_OK && nn_ffn_init(&g_ffn, &rng) == FS_OK);
  check_module("ffn", op_ffn, 1, data);

  fs_params_init(&g_params, fs_backend_cpu());
  CHECK(nn_encoder_layer_declare(&g_enc, &g_params, "enc", D, H, FF, 0.0f) == FS_OK);
  CHECK(fs_params_allocate(&g_params, 0) == FS_OK && nn_encoder_layer_init(&g_enc, &rng) == FS_OK);
  CHECK(fs_params_find(&g_params, "enc.self_attn.w_in") && fs_params_find(&g_params, "enc.ffn.norm.gain"));
  check_module("encoder layer", op_encoder, 1, data);

  fs_params_init(&g_params, fs_backend_cpu());
  CHECK(nn_decoder_layer_declare(&g_dec, &g_params, "dec", D, H, FF, 0.0f) == FS_OK);
  CHECK(fs_params_allocate(&g_params, 0) == FS_OK && nn_decoder_layer_init(&g_dec, &rng) == FS_OK);
  check_module("decoder layer", op_decoder, 2, data);
}

static void test_positions(void) {
  nn_positions pos;
  CHECK(nn_positions_create(&pos, fs_backend_cpu(), 8, 10) == FS_OK);
  const float *t = pos.table.data;
  double err = 0;
  for (int j = 0; j < 8; j++) err = fmax(err, fabs(t[j])); /* row 0 is zero */
  for (int p = 1; p <= 10; p++)
    for (int i = 0; i < 4; i++) {
      double w = exp(-i * log(10000.0) / 3);
      err = fmax(err, fabs(t[p * 8 + i] - sin(p * w)) + fabs(t[p * 8 + 4 + i] - cos(p * w)));
    }
  CHECK_MSG(err < 1e-6, "position table error %g", err);
  fs_engine_reset(&eng);
  int32_t ids[6] = {1, 2, 3, 1, 2, 0};
  fs_tensor *y = nn_positions_lookup(&eng, &pos, fs_ids_from_host(&eng, ids, 6), 2, 3);
  float got[48];
  fs_tensor_to_host(&eng, y, got);
  CHECK(y->shape[0] == 2 && y->shape[1] == 3 && got[5 * 8 + 4] == 0.0f && got[1 * 8 + 4] == t[2 * 8 + 4]);
  CHECK(nn_positions_lookup(&eng, &pos, fs_ids_from_host(&eng, ids, 6), 1, 11) == NULL);
  nn_positions_free(&pos, fs_backend_cpu());
}

static void test_wnlinear(void) {
  fs_params p;
  fs_params_init(&p, fs_backend_cpu());
  nn_wnlinear l;
  CHECK(nn_wnlinear_declare(&l, &p, "wn", 6, 5) == FS_OK && fs_params_allocate(&p, 0) == FS_OK);
  nn_init_rng rng = {fs_backend_cpu(), 9, 0};
  CHECK(nn_wnlinear_init(&l, &rng) == FS_OK);
  static float x[64 * 6], y[64 * 5];
  test_fill_uniform(x, 64 * 6, -2, 2, 13);
  for (int k = 0; k < 2; k++) {
    float kappa = k ? 0.05f : 0.0f;
    fs_engine_reset(&eng);
    fs_tensor *tx = fs_tensor_from_host(&eng, 2, (int[]){64, 6}, x);
    CHECK(nn_wnlinear_init_data(&eng, &l, tx, kappa) == FS_OK);
    fs_tensor_to_host(&eng, nn_wnlinear_forward(&eng, &l, tx), y);
    for (int i = 0; i < 5; i++) {
      double m = 0, v = 0;
      for (int r = 0; r < 64; r++) m += y[r * 5 + i] / 64.0;
      for (int r = 0; r < 64; r++) v += (y[r * 5 + i] - m) * (y[r * 5 + i] - m) / 63.0;
      if (kappa == 0.0f) CHECK(m == 0.0 && v == 0.0);
      else {
        CHECK_CLOSE(m, 0.0, 1e-5, 0);
        CHECK_CLOSE(sqrt(v), kappa, 1e-4, 1e-3);
      }
    }
    if (k == 0) CHECK(nn_wnlinear_init(&l, &rng) == FS_OK); /* fresh weights for the κ > 0 case */
  }
  fs_params_free(&p);
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 64 << 20, 8 << 20) != FS_OK) return 1;
  test_attention();
  test_modules();
  test_positions();
  test_wnlinear();
  fs_engine_free(&eng);
  return test_summary();
}
