/* FFN (docs/model.md#feed-forward), encoder layer and decoder-style layer (docs/model.md#transformer-layers): the FFN against a
 * double-precision reference, parameter names, pads that cannot influence real positions, and
 * gradient checks with respect to the inputs and every parameter. */
#include "nn/layers.h"
#include "test.h"
#include "test_nn_module.h"

enum { B = 2, T = 4, S = 5, D = 8, H = 2, FF = 6 };
static fs_engine eng;
static float x[B * T * D], src[B * S * D];
static float mask[B * T] = {1, 1, 1, 1, 1, 1, 1, 0};
static float src_mask[B * S] = {1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
/* data: x [B, T, D], mask [B, T], src [B, S, D], src_mask [B, S] */
static gradcheck_input data[] = {
    {3, {B, T, D}, x, 0}, {2, {B, T}, mask, 1}, {3, {B, S, D}, src, 0}, {2, {B, S}, src_mask, 1}};

static fs_tensor *ffn_forward(fs_engine *e, fs_tensor **in, void *module) { return nn_ffn_forward(e, module, in[0]); }
static fs_tensor *encoder_forward(fs_engine *e, fs_tensor **in, void *module) {
  return nn_encoder_layer_forward(e, module, in[0], in[1]);
}
static fs_tensor *decoder_forward(fs_engine *e, fs_tensor **in, void *module) {
  return nn_decoder_layer_forward(e, module, in[0], in[1], in[2], in[3]);
}

/* Runs forward on data; copies the [B, T, D] output to host. */
static fs_status run(module_forward_fn forward, void *module, float *out) {
  fs_engine_reset(&eng);
  fs_tensor *t[4];
  for (int i = 0; i < 4; i++) t[i] = fs_tensor_from_host(&eng, data[i].ndim, data[i].shape, data[i].values);
  fs_tensor *y = forward(&eng, t, module);
  return y ? fs_tensor_to_host(&eng, y, out) : fs_engine_status(&eng);
}

/* out = LN(x + W2 ReLU(W1 x + b1) + b2) with LN gain 1, bias 0, in double. */
static void ref_ffn(const nn_ffn *f, double *out) {
  const float *w1 = f->in.weight->data, *b1 = f->in.bias->data, *w2 = f->out.weight->data, *b2 = f->out.bias->data;
  for (int r = 0; r < B * T; r++) {
    const float *row = x + r * D;
    double hidden[FF], y[D], mu = 0, var = 0;
    for (int i = 0; i < FF; i++) {
      hidden[i] = b1[i];
      for (int j = 0; j < D; j++) hidden[i] += (double)w1[i * D + j] * row[j];
      hidden[i] = fmax(hidden[i], 0.0);
    }
    for (int j = 0; j < D; j++) {
      y[j] = row[j] + b2[j];
      for (int i = 0; i < FF; i++) y[j] += w2[j * FF + i] * hidden[i];
      mu += y[j] / D;
    }
    for (int j = 0; j < D; j++) var += (y[j] - mu) * (y[j] - mu) / D;
    for (int j = 0; j < D; j++) out[r * D + j] = (y[j] - mu) / sqrt(var + 1e-5);
  }
}

static void test_ffn(void) {
  fs_params params;
  fs_params_init(&params, fs_backend_cpu());
  nn_ffn f;
  nn_init_rng rng = {fs_backend_cpu(), 5, 0};
  CHECK(nn_ffn_declare(&f, &params, "ffn", D, FF, 0.0f) == FS_OK && fs_params_allocate(&params, 0) == FS_OK);
  CHECK(nn_ffn_init(&f, &rng) == FS_OK);
  float got[B * T * D];
  double want[B * T * D], err = 0;
  CHECK(run(ffn_forward, &f, got) == FS_OK);
  ref_ffn(&f, want);
  for (int i = 0; i < B * T * D; i++) err = fmax(err, fabs(got[i] - want[i]));
  CHECK_MSG(err < 1e-5, "ffn forward error %g", err);
  CHECK(module_gradcheck(&eng, "ffn", ffn_forward, &f, &params, 1, data) == 0);
  fs_params_free(&params);
}

/* Every output at a real position ignores what the pads hold (self pads at x, source pads at src). */
static void check_pads_ignored(const char *name, module_forward_fn forward, void *module) {
  float before[B * T * D], after[B * T * D];
  CHECK(run(forward, module, before) == FS_OK);
  for (int j = 0; j < D; j++) {
    x[(B * T - 1) * D + j] += 2.0f; /* sentence 1, last position: a pad */
    src[3 * D + j] -= 1.5f;         /* sentence 0, source position 3: a pad */
  }
  CHECK(run(forward, module, after) == FS_OK);
  CHECK_MSG(memcmp(before, after, sizeof(float) * (B * T - 1) * D) == 0, "%s: a pad changed a real position", name);
  for (int j = 0; j < D; j++) {
    x[(B * T - 1) * D + j] -= 2.0f;
    src[3 * D + j] += 1.5f;
  }
}

static void test_encoder_layer(void) {
  fs_params params;
  fs_params_init(&params, fs_backend_cpu());
  nn_encoder_layer l;
  nn_init_rng rng = {fs_backend_cpu(), 6, 0};
  CHECK(nn_encoder_layer_declare(&l, &params, "encoder.layers.0", D, H, FF, 0.1f) == FS_OK);
  CHECK(fs_params_allocate(&params, 0) == FS_OK && nn_encoder_layer_init(&l, &rng) == FS_OK);
  const char *names[] = {"encoder.layers.0.self_attn.w_in",      "encoder.layers.0.self_attn.b_in",
                         "encoder.layers.0.self_attn.norm.gain", "encoder.layers.0.ffn.in.weight",
                         "encoder.layers.0.ffn.out.bias",        "encoder.layers.0.ffn.norm.bias"};
  for (int i = 0; i < 6; i++) CHECK_MSG(fs_params_find(&params, names[i]), "no parameter %s", names[i]);
  CHECK(params.count == 10);
  CHECK(l.self.dropout == 0.1f && l.ffn.dropout == 0.1f);
  check_pads_ignored("encoder layer", encoder_forward, &l);
  CHECK(module_gradcheck(&eng, "encoder layer", encoder_forward, &l, &params, 2, data) == 0);
  fs_params_free(&params);
}

static void test_decoder_layer(void) {
  fs_params params;
  fs_params_init(&params, fs_backend_cpu());
  nn_decoder_layer l;
  nn_init_rng rng = {fs_backend_cpu(), 7, 0};
  CHECK(nn_decoder_layer_declare(&l, &params, "posterior.layers.1", D, H, FF, 0.0f) == FS_OK);
  CHECK(fs_params_allocate(&params, 0) == FS_OK && nn_decoder_layer_init(&l, &rng) == FS_OK);
  CHECK(fs_params_find(&params, "posterior.layers.1.src_attn.w_in") != NULL);
  CHECK(params.count == 14);
  check_pads_ignored("decoder layer", decoder_forward, &l);
  CHECK(module_gradcheck(&eng, "decoder layer", decoder_forward, &l, &params, 4, data) == 0);
  fs_params_free(&params);
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 64 << 20, 8 << 20) != FS_OK) return 1;
  eng.training = false;
  test_fill_uniform(x, B * T * D, -1, 1, 11);
  test_fill_uniform(src, B * S * D, -1, 1, 12);
  test_ffn();
  test_encoder_layer();
  test_decoder_layer();
  fs_engine_free(&eng);
  return test_summary();
}
