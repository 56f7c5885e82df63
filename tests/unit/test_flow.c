/* The flow prior: exact round trips in both directions, log-determinants against finite-difference
 * Jacobians (per layer and for a whole tiny prior), the identity-parameter density of spec
 * docs/model.md#flow-prior, pads staying zero, and gradient checks of every layer type. */
#include "flow/prior.h"
#include "gradcheck.h"
#include "test.h"

enum { F = 16, S = 3, DSRC = 8 };
static fs_engine eng;
static fs_params params;
static flow_prior prior;
static float src_host[2 * S * DSRC];
static float src_mask_host[2 * S] = {1, 1, 1, 1, 1, 0};

static void build_prior(int levels, const int *steps) {
  fs_params_init(&params, fs_backend_cpu());
  flow_prior_config cfg = {F, levels, steps, 32, {DSRC, 2, 16}};
  CHECK(flow_prior_declare(&prior, &params, "prior", &cfg, fs_backend_cpu()) == FS_OK);
  CHECK(fs_params_allocate(&params, 0) == FS_OK);
  nn_init_rng rng = {fs_backend_cpu(), 17, 0};
  CHECK(flow_prior_init(&prior, &rng) == FS_OK);
}

static void free_prior(void) {
  flow_prior_free(&prior);
  fs_params_free(&params);
}

static flow_input make_input(fs_engine *e, int batch, int length, const float *mask) {
  test_fill_uniform(src_host, 2 * S * DSRC, -1, 1, 3);
  flow_input in = {batch, length, mask, fs_tensor_from_host(e, 3, (int[]){batch, S, DSRC}, src_host),
                   fs_tensor_from_host(e, 2, (int[]){batch, S}, src_mask_host)};
  return in;
}

/* Random z [B, T, F] zeroed on pads. */
static void masked_values(float *z, int batch, int length, const float *mask, unsigned seed) {
  test_fill_uniform(z, batch * length * F, -1.5f, 1.5f, seed);
  for (int i = 0; i < batch * length; i++)
    if (mask[i] == 0.0f)
      for (int j = 0; j < F; j++) z[i * F + j] = 0.0f;
}

static void test_structure(void) {
  const int steps[3] = {4, 4, 2};
  build_prior(3, steps);
  int couplings[3] = {0}, actnorms[3] = {0}, linears[3] = {0};
  for (int k = 0; k < 3; k++)
    for (int i = 0; i < prior.n_layers[k]; i++) {
      flow_layer_kind kind = prior.layers[k][i].kind;
      couplings[k] += kind == FLOW_LAYER_COUPLING;
      actnorms[k] += kind == FLOW_LAYER_ACTNORM;
      linears[k] += kind == FLOW_LAYER_MHLINEAR;
    }
  /* the counts of the paper's flow (docs/model.md#levels): 51/51/18 couplings, 25/25/9 ActNorms, 8/8/4 MH-linears */
  CHECK(couplings[0] == 51 && couplings[1] == 51 && couplings[2] == 18);
  CHECK(actnorms[0] == 25 && actnorms[1] == 25 && actnorms[2] == 9);
  CHECK(linears[0] == 8 && linears[1] == 8 && linears[2] == 4);
  free_prior();
}

static void test_round_trips(void) {
  const int steps[3] = {1, 1, 1};
  build_prior(3, steps);
  float mask[2 * 8] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
  static float z[2 * 8 * F], back[2 * 8 * F], v[2 * 8 * F];
  for (int length = 4; length <= 8; length += 4) {
    float m[16];
    for (int b = 0; b < 2; b++)
      for (int t = 0; t < length; t++) m[b * length + t] = length == 4 ? (b == 0 || t < 4) : mask[b * 8 + t];
    masked_values(z, 2, length, m, 5 + length);
    fs_engine_reset(&eng);
    eng.grad_enabled = false;
    flow_input in = make_input(&eng, 2, length, m);
    fs_tensor *tz = fs_tensor_from_host(&eng, 3, (int[]){2, length, F}, z);
    fs_tensor *ld_n = NULL, *ld_g = NULL;
    fs_tensor *tv = flow_prior_normalise(&eng, &prior, tz, &in, &ld_n);
    fs_tensor *tz2 = flow_prior_generate(&eng, &prior, tv, &in, &ld_g);
    CHECK_MSG(fs_engine_status(&eng) == FS_OK, "%s", fs_last_error());
    int n = 2 * length * F;
    fs_tensor_to_host(&eng, tz2, back);
    fs_tensor_to_host(&eng, tv, v);
    double err = 0;
    int pads_zero = 1;
    for (int i = 0; i < n; i++) {
      err = fmax(err, fabs(back[i] - z[i]));
      if (m[i / F] == 0.0f) pads_zero &= v[i] == 0.0f && back[i] == 0.0f;
    }
    CHECK_MSG(err < 1e-4, "g(f(z)) - z max %g at length %d", err, length);
    CHECK(pads_zero);
    float ln[2], lg[2];
    fs_tensor_to_host(&eng, ld_n, ln);
    fs_tensor_to_host(&eng, ld_g, lg);
    CHECK_CLOSE(ln[0], -lg[0], 1e-3, 1e-4);
    CHECK_CLOSE(ln[1], -lg[1], 1e-3, 1e-4);
    /* and the other way: f(g(v)) = v */
    fs_tensor *tvv = fs_tensor_from_host(&eng, 3, (int[]){2, length, F}, z); /* z's values as a v */
    fs_tensor *gz = flow_prior_generate(&eng, &prior, tvv, &in, &ld_g);
    fs_tensor_to_host(&eng, flow_prior_normalise(&eng, &prior, gz, &in, &ld_n), back);
    err = 0;
    for (int i = 0; i < n; i++) err = fmax(err, fabs(back[i] - z[i]));
    CHECK_MSG(err < 1e-4, "f(g(v)) - v max %g at length %d", err, length);
  }
  eng.grad_enabled = true;
  free_prior();
}

/* log|det| of the Jacobian of z → v over the valid entries of sentence 0, by central differences
 * in double, against the flow's own log-determinant. */
static double numeric_logdet(int length, const float *mask, const float *z0, int n_valid_entries) {
  int n = n_valid_entries;
  double *jac = calloc((size_t)n * n, sizeof(double));
  static float z[8 * F], vp[8 * F], vm[8 * F];
  const double h = 1e-2;
  for (int col = 0; col < n; col++) {
    for (int sign = 0; sign < 2; sign++) {
      memcpy(z, z0, sizeof(float) * length * F);
      z[col] += sign ? -h : h;
      fs_engine_reset(&eng);
      eng.grad_enabled = false;
      flow_input in = make_input(&eng, 1, length, mask);
      fs_tensor *ld = NULL;
      fs_tensor *v =
          flow_prior_normalise(&eng, &prior, fs_tensor_from_host(&eng, 3, (int[]){1, length, F}, z), &in, &ld);
      fs_tensor_to_host(&eng, v, sign ? vm : vp);
    }
    for (int row = 0; row < n; row++) jac[row * n + col] = (vp[row] - vm[row]) / (2 * h);
  }
  double logdet = test_logabsdet_lu(n, jac);
  free(jac);
  eng.grad_enabled = true;
  return logdet;
}

static void test_logdet_jacobian(void) {
  const int steps[2] = {1, 1};
  build_prior(2, steps);
  /* one sentence of 4 valid positions out of 6 (the valid entries come first in memory) */
  float mask[6] = {1, 1, 1, 1, 0, 0};
  static float z[6 * F];
  masked_values(z, 1, 6, mask, 21);
  /* move W away from orthogonal (log|det W| = 0 would hide a wrong head count) */
  float w[16 * 16];
  for (int k = 0; k < prior.levels; k++)
    for (int i = 0; i < prior.n_layers[k]; i++)
      if (prior.layers[k][i].kind == FLOW_LAYER_MHLINEAR) {
        test_fill_uniform(w, 16 * 16, -0.2f, 0.2f, 90 + i);
        for (int j = 0; j < 16; j++) w[j * 16 + j] += 1.3f;
        eng.be->upload(prior.layers[k][i].mhlinear.weight->data, w, sizeof w);
      }
  CHECK(flow_prior_sync(&prior) == FS_OK);
  fs_engine_reset(&eng);
  flow_input in = make_input(&eng, 1, 6, mask);
  fs_tensor *ld = NULL;
  flow_prior_normalise(&eng, &prior, fs_tensor_from_host(&eng, 3, (int[]){1, 6, F}, z), &in, &ld);
  float analytic;
  fs_tensor_to_host(&eng, ld, &analytic);
  double numeric = numeric_logdet(6, mask, z, 4 * F);
  CHECK_MSG(fabs(analytic - numeric) < 2e-3 * fmax(1.0, fabs(numeric)), "flow log-det %g, numeric %g", analytic,
            numeric);
  free_prior();
}

/* docs/model.md#flow-prior: ActNorms at s = b = 0, W = I, coupling outputs zeroed: every coupling scales its
 * transformed half by σ(2), so log p(z) = log N(v) + ln σ(2) · (valid elements transformed). */
static void test_identity_parameters(void) {
  const int steps[3] = {1, 1, 1};
  build_prior(3, steps);
  float mask[2 * 8] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
  static float z[2 * 8 * F];
  masked_values(z, 2, 8, mask, 31);
  fs_engine_reset(&eng);
  flow_input in = make_input(&eng, 2, 8, mask);
  fs_tensor *tz = fs_tensor_from_host(&eng, 3, (int[]){2, 8, F}, z);
  double transformed_per_position = 0; /* elements transformed per valid level-0 position, summed over couplings */
  float eye[16 * 16] = {0};
  for (int i = 0; i < 16; i++) eye[i * 16 + i] = 1.0f;
  for (int k = 0; k < prior.levels; k++)
    for (int i = 0; i < prior.n_layers[k]; i++) {
      flow_layer *l = &prior.layers[k][i];
      if (l->kind == FLOW_LAYER_ACTNORM) {
        nn_init_const(eng.be, l->actnorm.log_scale, 0.0f);
        nn_init_const(eng.be, l->actnorm.bias, 0.0f);
      } else if (l->kind == FLOW_LAYER_MHLINEAR) {
        eng.be->upload(l->mhlinear.weight->data, eye, sizeof(float) * l->mhlinear.head_dim * l->mhlinear.head_dim);
      } else {
        nn_init_const(eng.be, l->coupling.out.g, 0.0f);
        nn_init_const(eng.be, l->coupling.out.b, 0.0f);
        /* half the features of every position at this level, whose positions count 1/2^k each */
        transformed_per_position += (F / 2.0) / (1 << k);
      }
    }
  CHECK(flow_prior_sync(&prior) == FS_OK);
  fs_tensor *ld = NULL;
  fs_tensor *v = flow_prior_normalise(&eng, &prior, tz, &in, &ld);
  fs_tensor *logp = flow_prior_log_density(&eng, &prior, tz, &in);
  float got[2], vh[2 * 8 * F];
  fs_tensor_to_host(&eng, logp, got);
  fs_tensor_to_host(&eng, v, vh);
  for (int b = 0; b < 2; b++) {
    double valid = b == 0 ? 8 : 4, gauss = 0;
    for (int i = 0; i < 8 * F; i++) gauss += -0.5 * (double)vh[b * 8 * F + i] * vh[b * 8 * F + i];
    gauss -= 0.5 * valid * F * log(2 * M_PI);
    double want = gauss + log(1.0 / (1.0 + exp(-2.0))) * transformed_per_position * valid;
    CHECK_CLOSE(got[b], want, 1e-3, 1e-5);
  }
  free_prior();
}

/* ---- per-layer gradient checks (inputs and the layer's parameters) ---- */
static flow_level g_lvl;
static float g_mask[2 * 4] = {1, 1, 1, 1, 1, 1, 0, 0};
static flow_coupling g_coupling;
static flow_mhlinear g_mhlinear;
static int g_want_logdet;

static fs_tensor *pick(fs_tensor *y, fs_tensor *logdet) { return g_want_logdet ? logdet : y; }

static fs_tensor *op_actnorm(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  flow_level_build(e, 2, 4, g_mask, &g_lvl);
  flow_actnorm a = {F, x[1], x[2]};
  fs_tensor *ld = NULL, *y = flow_actnorm_normalise(e, &a, x[0], &g_lvl, &ld);
  return pick(y, ld);
}
static fs_tensor *op_mhlinear(fs_engine *e, fs_tensor **x, void *c) {
  flow_level_build(e, 2, 4, g_mask, &g_lvl);
  flow_mhlinear m = g_mhlinear;
  m.weight = x[1];
  m.strided = c != NULL;
  fs_tensor *ld = NULL, *y = flow_mhlinear_normalise(e, &m, x[0], &g_lvl, &ld);
  return pick(y, ld);
}
static fs_tensor *op_coupling(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  flow_level_build(e, 2, 4, g_mask, &g_lvl);
  flow_coupling cp = g_coupling;
  cp.out.v = x[1];
  cp.out.g = x[2];
  cp.out.b = x[3];
  fs_tensor *ld = NULL;
  flow_input in = make_input(e, 2, 4, g_mask);
  fs_tensor *y = flow_coupling_normalise(e, &cp, x[0], &g_lvl, in.src, in.src_mask, &ld);
  return pick(y, ld);
}

static void test_layer_gradients(void) {
  static float x[2 * 4 * F], s[F], b[F], w[F * F];
  masked_values(x, 2, 4, g_mask, 41);
  test_fill_uniform(s, F, -0.3f, 0.3f, 42);
  test_fill_uniform(b, F, -0.3f, 0.3f, 43);
  gradcheck_input an[] = {{3, {2, 4, F}, x, 0}, {1, {F}, s, 0}, {1, {F}, b, 0}};
  for (g_want_logdet = 0; g_want_logdet < 2; g_want_logdet++)
    CHECK_MSG(gradcheck(&eng, "actnorm", op_actnorm, NULL, 3, an, 1e-3, 1e-3, 1e-2) == 0, "logdet=%d", g_want_logdet);

  fs_params p;
  fs_params_init(&p, fs_backend_cpu());
  CHECK(flow_mhlinear_declare(&g_mhlinear, &p, "m", F, false) == FS_OK && g_mhlinear.head_dim == 16);
  test_fill_uniform(w, F * F, -0.3f, 0.3f, 44);
  for (int i = 0; i < F; i++) w[i * F + i] += 1.0f;
  gradcheck_input ml[] = {{3, {2, 4, F}, x, 0}, {2, {F, F}, w, 0}};
  for (int strided = 0; strided < 2; strided++)
    for (g_want_logdet = 0; g_want_logdet < 2; g_want_logdet++)
      CHECK_MSG(gradcheck(&eng, "mhlinear", op_mhlinear, strided ? &eng : NULL, 2, ml, 1e-3, 1e-3, 1e-2) == 0,
                "strided=%d logdet=%d", strided, g_want_logdet);
  fs_params_free(&p);

  /* one coupling of each split pattern, with the attention mixing on the first */
  nn_positions half, full;
  nn_positions_create(&half, fs_backend_cpu(), F / 2, 8);
  nn_positions_create(&full, fs_backend_cpu(), F, 8);
  flow_coupling_config cfg = {DSRC, 2, 8};
  flow_split splits[3] = {FLOW_SPLIT_HALVES, FLOW_SPLIT_FEATURES, FLOW_SPLIT_TIME};
  for (int k = 0; k < 3; k++) {
    fs_params_init(&p, fs_backend_cpu());
    CHECK(flow_coupling_declare(&g_coupling, &p, "c", F, splits[k], k != 1, k == 0, &cfg,
                                splits[k] == FLOW_SPLIT_TIME ? &full : &half) == FS_OK);
    fs_params_allocate(&p, 0);
    nn_init_rng rng = {fs_backend_cpu(), 50 + k, 0};
    flow_coupling_init(&g_coupling, &rng);
    int out = g_coupling.out_dim, in = g_coupling.in_dim;
    float *v = malloc(sizeof(float) * out * in), *g = malloc(sizeof(float) * out), *bb = malloc(sizeof(float) * out);
    test_fill_uniform(v, out * in, -0.5f, 0.5f, 60 + k);
    test_fill_uniform(g, out, 0.2f, 0.6f, 70 + k);
    test_fill_uniform(bb, out, -0.3f, 0.3f, 80 + k);
    gradcheck_input cin[] = {{3, {2, 4, F}, x, 0}, {2, {out, in}, v, 0}, {1, {out}, g, 0}, {1, {out}, bb, 0}};
    for (g_want_logdet = 0; g_want_logdet < 2; g_want_logdet++)
      CHECK_MSG(gradcheck(&eng, "coupling", op_coupling, NULL, 4, cin, 1e-3, 2e-3, 2e-2) == 0, "split %d logdet=%d", k,
                g_want_logdet);
    free(v);
    free(g);
    free(bb);
    fs_params_free(&p);
  }
  nn_positions_free(&half, fs_backend_cpu());
  nn_positions_free(&full, fs_backend_cpu());
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 256 << 20, 64 << 20) != FS_OK) return 1;
  test_structure();
  test_round_trips();
  test_logdet_jacobian();
  test_identity_parameters();
  test_layer_gradients();
  fs_engine_free(&eng);
  return test_summary();
}
