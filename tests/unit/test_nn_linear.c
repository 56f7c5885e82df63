/* Linear, weight-normalised linear (docs/model.md#weight-normalised-linear) and the layer-norm module: forward
 * references, gradient checks over inputs and parameters, the WN init (effective weight = v) and
 * its data-dependent init (per-unit mean 0 and std κ over all rows, pads included; κ = 0 gives
 * exactly zero outputs and no gradient for v). */
#include <stdlib.h>

#include "nn/layernorm.h"
#include "nn/linear.h"
#include "test.h"
#include "test_nn_module.h"

enum { B = 2, T = 3, IN = 5, OUT = 4 };
static fs_engine eng;
static float x[B * T * IN];
static gradcheck_input data[] = {{3, {B, T, IN}, x, 0}};

static fs_tensor *linear_forward(fs_engine *e, fs_tensor **in, void *module) {
  return nn_linear_forward(e, module, in[0]);
}
static fs_tensor *wnlinear_forward(fs_engine *e, fs_tensor **in, void *module) {
  return nn_wnlinear_forward(e, module, in[0]);
}
static fs_tensor *layernorm_forward(fs_engine *e, fs_tensor **in, void *module) {
  return nn_layernorm_forward(e, module, in[0]);
}

/* max |module(x) − (x·wᵀ + b)| with w [OUT, IN] and b [OUT] (b may be NULL) on host. */
static double linear_error(module_forward_fn forward, void *module, const float *w, const float *b) {
  fs_engine_reset(&eng);
  float got[B * T * OUT];
  fs_tensor *in = fs_tensor_from_host(&eng, 3, data[0].shape, x);
  if (fs_tensor_to_host(&eng, forward(&eng, &in, module), got) != FS_OK) return INFINITY;
  double err = 0;
  for (int r = 0; r < B * T; r++)
    for (int o = 0; o < OUT; o++) {
      double want = b ? b[o] : 0;
      for (int j = 0; j < IN; j++) want += (double)w[o * IN + j] * x[r * IN + j];
      err = fmax(err, fabs(got[r * OUT + o] - want));
    }
  return err;
}

static void test_linear(void) {
  for (int with_bias = 0; with_bias < 2; with_bias++) {
    fs_params params;
    fs_params_init(&params, fs_backend_cpu());
    nn_linear l;
    nn_init_rng rng = {fs_backend_cpu(), 1, 0};
    CHECK(nn_linear_declare(&l, &params, "proj", IN, OUT, with_bias) == FS_OK);
    CHECK(fs_params_allocate(&params, 0) == FS_OK && nn_linear_init(&l, &rng) == FS_OK);
    CHECK(params.count == 1 + with_bias && (l.bias != NULL) == with_bias);
    CHECK(linear_error(linear_forward, &l, l.weight->data, with_bias ? l.bias->data : NULL) < 1e-6);
    CHECK(module_gradcheck(&eng, "linear", linear_forward, &l, &params, 1, data) == 0);
    fs_params_free(&params);
  }
}

static void test_wnlinear(void) {
  fs_params params;
  fs_params_init(&params, fs_backend_cpu());
  nn_wnlinear l;
  nn_init_rng rng = {fs_backend_cpu(), 2, 0};
  CHECK(nn_wnlinear_declare(&l, &params, "mu", IN, OUT) == FS_OK);
  CHECK(fs_params_allocate(&params, 0) == FS_OK && nn_wnlinear_init(&l, &rng) == FS_OK);
  CHECK(fs_params_find(&params, "mu.v") && fs_params_find(&params, "mu.g") && fs_params_find(&params, "mu.b"));
  for (int o = 0; o < OUT; o++) { /* g = ‖v_o‖, b = 0: the effective weight is v */
    double norm = 0;
    for (int j = 0; j < IN; j++) norm += (double)l.v->data[o * IN + j] * l.v->data[o * IN + j];
    CHECK_CLOSE(l.g->data[o], sqrt(norm), 1e-7, 1e-6);
    CHECK(l.b->data[o] == 0.0f);
  }
  CHECK(linear_error(wnlinear_forward, &l, l.v->data, NULL) < 1e-6);
  /* general g and b: weight row o = g_o v_o / ‖v_o‖ */
  test_fill_uniform(l.g->data, OUT, 0.5f, 2.0f, 3);
  test_fill_uniform(l.b->data, OUT, -0.5f, 0.5f, 4);
  float w[OUT * IN];
  for (int o = 0; o < OUT; o++) {
    double norm = 0;
    for (int j = 0; j < IN; j++) norm += (double)l.v->data[o * IN + j] * l.v->data[o * IN + j];
    for (int j = 0; j < IN; j++) w[o * IN + j] = (float)(l.g->data[o] * l.v->data[o * IN + j] / sqrt(norm));
  }
  CHECK(linear_error(wnlinear_forward, &l, w, l.b->data) < 1e-5);
  CHECK(module_gradcheck(&eng, "weight-normalised linear", wnlinear_forward, &l, &params, 1, data) == 0);
  fs_params_free(&params);
}

/* Data-dependent init on [4, 16, IN] inputs whose last 5 positions of each sentence are zero pads:
 * the statistics include the pad rows (docs/model.md#weight-normalised-linear), so the outputs over ALL rows have per-unit
 * mean 0 and unbiased std κ. */
static void test_wnlinear_data_init(void) {
  enum { NB = 4, NT = 16, ROWS = NB * NT };
  static float in[ROWS * IN], out[ROWS * OUT];
  test_fill_uniform(in, ROWS * IN, -2, 2, 5);
  for (int b = 0; b < NB; b++)
    for (int t = NT - 5; t < NT; t++) memset(in + (b * NT + t) * IN, 0, sizeof(float) * IN);
  fs_params params;
  fs_params_init(&params, fs_backend_cpu());
  nn_wnlinear l;
  nn_init_rng rng = {fs_backend_cpu(), 6, 0};
  CHECK(nn_wnlinear_declare(&l, &params, "wn", IN, OUT) == FS_OK && fs_params_allocate(&params, 1) == FS_OK);
  const float kappas[] = {0.7f, 0.0f};
  for (int k = 0; k < 2; k++) {
    CHECK(nn_wnlinear_init(&l, &rng) == FS_OK);
    fs_engine_reset(&eng);
    fs_tensor *tx = fs_tensor_from_host(&eng, 3, (int[]){NB, NT, IN}, in);
    CHECK(nn_wnlinear_init_data(&eng, &l, tx, kappas[k]) == FS_OK);
    fs_tensor *y = nn_wnlinear_forward(&eng, &l, tx);
    CHECK(fs_tensor_to_host(&eng, y, out) == FS_OK);
    for (int o = 0; o < OUT; o++) {
      double m = 0, var = 0;
      for (int r = 0; r < ROWS; r++) m += out[r * OUT + o] / (double)ROWS;
      for (int r = 0; r < ROWS; r++) var += (out[r * OUT + o] - m) * (out[r * OUT + o] - m) / (ROWS - 1);
      if (kappas[k] == 0.0f) {
        for (int r = 0; r < ROWS; r++) CHECK(out[r * OUT + o] == 0.0f);
      } else {
        CHECK_CLOSE(m, 0.0, 1e-5, 0);
        CHECK_CLOSE(sqrt(var), kappas[k], 1e-5, 1e-4);
      }
    }
  }
  /* κ = 0: g = 0, so v gets no gradient until g moves (docs/model.md#weight-normalised-linear) */
  fs_tensor *tx = fs_tensor_from_host(&eng, 3, (int[]){NB, NT, IN}, in);
  fs_params_zero_grad(&params);
  CHECK(fs_backward(&eng, fs_sum_all(&eng, nn_wnlinear_forward(&eng, &l, tx))) == FS_OK);
  const float *grad = fs_params_slot(&params, 1);
  float v_grad = 0, g_grad = 0;
  for (int i = 0; i < OUT * IN; i++) v_grad = fmaxf(v_grad, fabsf(grad[l.v->data - params.block + i]));
  for (int i = 0; i < OUT; i++) g_grad = fmaxf(g_grad, fabsf(grad[l.g->data - params.block + i]));
  CHECK(v_grad == 0.0f && g_grad > 0.0f);
  fs_params_free(&params);
}

/* Layer norm on [nb, nt, width] against a double reference, with a gradient check: the CPU kernel
 * takes rows in groups and columns in lanes, so shapes that leave partial groups and lanes. */
static void test_layernorm(int nb, int nt, int width) {
  fs_params params;
  fs_params_init(&params, fs_backend_cpu());
  nn_layernorm n;
  CHECK(nn_layernorm_declare(&n, &params, "norm", width) == FS_OK && fs_params_allocate(&params, 0) == FS_OK);
  nn_layernorm_init(&n, fs_backend_cpu());
  test_fill_uniform(n.gain->data, width, 0.5f, 1.5f, 7);
  test_fill_uniform(n.bias->data, width, -0.5f, 0.5f, 8);
  int rows = nb * nt;
  float *in_host = malloc(sizeof(float) * rows * width), *got = malloc(sizeof(float) * rows * width);
  test_fill_uniform(in_host, rows * width, -1, 1, 10);
  gradcheck_input input[] = {{3, {nb, nt, width}, in_host, 0}};
  fs_engine_reset(&eng);
  fs_tensor *in = fs_tensor_from_host(&eng, 3, input[0].shape, in_host);
  CHECK(fs_tensor_to_host(&eng, nn_layernorm_forward(&eng, &n, in), got) == FS_OK);
  double err = 0;
  for (int r = 0; r < rows; r++) {
    const float *xr = in_host + r * width;
    double mu = 0, var = 0;
    for (int j = 0; j < width; j++) mu += xr[j] / (double)width;
    for (int j = 0; j < width; j++) var += (xr[j] - mu) * (xr[j] - mu) / width;
    for (int j = 0; j < width; j++) {
      double want = (xr[j] - mu) / sqrt(var + 1e-5) * n.gain->data[j] + n.bias->data[j];
      err = fmax(err, fabs(got[r * width + j] - want));
    }
  }
  CHECK_MSG(err < 1e-5, "layer norm [%d, %d, %d] error %g", nb, nt, width, err);
  CHECK(module_gradcheck(&eng, "layer norm", layernorm_forward, &n, &params, 1, input) == 0);
  free(in_host);
  free(got);
  fs_params_free(&params);
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 16 << 20, 4 << 20) != FS_OK) return 1;
  test_fill_uniform(x, B * T * IN, -1, 1, 9);
  test_linear();
  test_wnlinear();
  test_wnlinear_data_init();
  test_layernorm(B, T, IN);
  test_layernorm(1, 7, 21);
  fs_engine_free(&eng);
  return test_summary();
}
