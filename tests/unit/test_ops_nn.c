/* The ops behind the network layers: softmax family (masked), layer norm, weight norm,
 * embedding, label-smoothed cross-entropy, dropout, the small-matrix inverse/log-det, fused
 * attention (layer-level checks are in test_nn_attention.c; also with bf16 operands) and the
 * flow's fused affine coupling. Forward against double-precision references, backward by finite
 * differences. */
#include "backend/kernel_math.h"
#include "gradcheck.h"
#include "test.h"

static fs_engine eng;

/* ---- softmax family ---- */
static float mask_2x5[10] = {1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
static fs_tensor *op_softmax_masked(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_softmax(e, x[0], fs_tensor_from_host(e, 2, (int[]){2, 5}, mask_2x5), 3);
}
/* log-softmax is -inf where masked, so its gradient is checked unmasked */
static fs_tensor *op_log_softmax(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_log_softmax(e, x[0], NULL, 1);
}

static void test_softmax(void) {
  float x[6 * 5];
  test_fill_uniform(x, 30, -2, 2, 1);
  for (int log_mode = 0; log_mode < 2; log_mode++) {
    fs_engine_reset(&eng);
    fs_tensor *t = fs_tensor_from_host(&eng, 2, (int[]){6, 5}, x);
    fs_tensor *m = fs_tensor_from_host(&eng, 2, (int[]){2, 5}, mask_2x5);
    fs_tensor *y = log_mode ? fs_log_softmax(&eng, t, m, 3) : fs_softmax(&eng, t, m, 3);
    float got[30];
    CHECK(fs_tensor_to_host(&eng, y, got) == FS_OK);
    double err = 0;
    for (int r = 0; r < 6; r++) {
      const float *mr = mask_2x5 + (r / 3) * 5;
      double max = -1e30, sum = 0;
      for (int j = 0; j < 5; j++)
        if (mr[j] && x[r * 5 + j] > max) max = x[r * 5 + j];
      for (int j = 0; j < 5; j++)
        if (mr[j]) sum += exp(x[r * 5 + j] - max);
      for (int j = 0; j < 5; j++) {
        double p = mr[j] ? exp(x[r * 5 + j] - max) / sum : 0, g = got[r * 5 + j];
        if (!log_mode) err = fmax(err, fabs(g - p));
        else if (mr[j]) err = fmax(err, fabs(g - log(p)));
        else err = fmax(err, g == -INFINITY ? 0 : 1);
      }
    }
    CHECK_MSG(err < 1e-6, "%s forward error %g", log_mode ? "log_softmax" : "softmax", err);
  }
  gradcheck_input in[] = {{2, {6, 5}, x, 0}};
  CHECK(gradcheck(&eng, "softmax", op_softmax_masked, NULL, 1, in, 1e-3, 1e-3, 1e-2) == 0);
  CHECK(gradcheck(&eng, "log_softmax", op_log_softmax, NULL, 1, in, 1e-3, 1e-3, 1e-2) == 0);
  /* a fully masked row is all zeros, not NaN */
  fs_engine_reset(&eng);
  float zero_mask[5] = {0};
  fs_tensor *y = fs_softmax(&eng, fs_tensor_from_host(&eng, 2, (int[]){1, 5}, x),
                            fs_tensor_from_host(&eng, 2, (int[]){1, 5}, zero_mask), 1);
  float got[5];
  fs_tensor_to_host(&eng, y, got);
  CHECK(got[0] == 0 && got[4] == 0);
  fs_engine_reset(&eng);
  CHECK(fs_softmax(&eng, fs_tensor_from_host(&eng, 2, (int[]){6, 5}, x),
                   fs_tensor_from_host(&eng, 2, (int[]){2, 5}, mask_2x5), 4) == NULL);
}

/* ---- layer norm and weight norm ---- */
static fs_tensor *op_layernorm(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_layernorm(e, x[0], x[1], x[2], 1e-5f);
}
static fs_tensor *op_weight_norm(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_weight_norm(e, x[0], x[1]);
}

static void test_norms(void) {
  float x[4 * 6], g[6], b[6];
  test_fill_uniform(x, 24, -2, 2, 2);
  test_fill_uniform(g, 6, 0.5f, 1.5f, 3);
  test_fill_uniform(b, 6, -0.5f, 0.5f, 4);
  fs_engine_reset(&eng);
  fs_tensor *y =
      fs_layernorm(&eng, fs_tensor_from_host(&eng, 2, (int[]){4, 6}, x), fs_tensor_from_host(&eng, 1, (int[]){6}, g),
                   fs_tensor_from_host(&eng, 1, (int[]){6}, b), 1e-5f);
  float got[24];
  fs_tensor_to_host(&eng, y, got);
  double err = 0;
  for (int r = 0; r < 4; r++) {
    double mu = 0, var = 0;
    for (int j = 0; j < 6; j++) mu += x[r * 6 + j] / 6.0;
    for (int j = 0; j < 6; j++) var += (x[r * 6 + j] - mu) * (x[r * 6 + j] - mu) / 6.0;
    for (int j = 0; j < 6; j++)
      err = fmax(err, fabs(got[r * 6 + j] - ((x[r * 6 + j] - mu) / sqrt(var + 1e-5) * g[j] + b[j])));
  }
  CHECK_MSG(err < 1e-5, "layernorm forward error %g", err);
  gradcheck_input in[] = {{2, {4, 6}, x, 0}, {1, {6}, g, 0}, {1, {6}, b, 0}};
  CHECK(gradcheck(&eng, "layernorm", op_layernorm, NULL, 3, in, 1e-3, 2e-3, 2e-2) == 0);

  float v[3 * 4], gw[3];
  test_fill_uniform(v, 12, -1, 1, 5);
  test_fill_uniform(gw, 3, 0.5f, 2, 6);
  fs_engine_reset(&eng);
  y = fs_weight_norm(&eng, fs_tensor_from_host(&eng, 2, (int[]){3, 4}, v),
                     fs_tensor_from_host(&eng, 1, (int[]){3}, gw));
  fs_tensor_to_host(&eng, y, got);
  err = 0;
  for (int i = 0; i < 3; i++) {
    double n = 0;
    for (int j = 0; j < 4; j++) n += (double)v[i * 4 + j] * v[i * 4 + j];
    for (int j = 0; j < 4; j++) err = fmax(err, fabs(got[i * 4 + j] - gw[i] * v[i * 4 + j] / sqrt(n)));
  }
  CHECK_MSG(err < 1e-6, "weight_norm forward error %g", err);
  gradcheck_input wn[] = {{2, {3, 4}, v, 0}, {1, {3}, gw, 0}};
  CHECK(gradcheck(&eng, "weight_norm", op_weight_norm, NULL, 2, wn, 1e-3, 1e-3, 1e-2) == 0);
}

/* ---- embedding and cross-entropy ---- */
static const int32_t ids5[5] = {3, 0, 3, 1, 2};
static fs_tensor *op_embedding(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_embedding(e, x[0], fs_ids_from_host(e, ids5, 5));
}
static fs_tensor *op_ce(fs_engine *e, fs_tensor **x, void *c) {
  return fs_cross_entropy(e, x[0], fs_ids_from_host(e, ids5, 5), *(float *)c);
}

static void test_embedding_and_ce(void) {
  float table[4 * 3];
  test_fill_uniform(table, 12, -1, 1, 7);
  fs_engine_reset(&eng);
  fs_tensor *y = op_embedding(&eng, (fs_tensor *[]){fs_tensor_from_host(&eng, 2, (int[]){4, 3}, table)}, NULL);
  float got[15];
  fs_tensor_to_host(&eng, y, got);
  CHECK(y->shape[0] == 5 && y->shape[1] == 3 && got[2 * 3 + 1] == table[3 * 3 + 1] && got[3 * 3] == table[3]);
  gradcheck_input in[] = {{2, {4, 3}, table, 0}}; /* id 3 used twice: scatter-add must sum */
  CHECK(gradcheck(&eng, "embedding", op_embedding, NULL, 1, in, 1e-3, 1e-3, 1e-2) == 0);

  float logits[5 * 7];
  test_fill_uniform(logits, 35, -3, 3, 8);
  for (int k = 0; k < 2; k++) {
    float eps = k ? 0.1f : 0.0f;
    fs_engine_reset(&eng);
    y = op_ce(&eng, (fs_tensor *[]){fs_tensor_from_host(&eng, 2, (int[]){5, 7}, logits)}, &eps);
    fs_tensor_to_host(&eng, y, got);
    double err = 0;
    for (int r = 0; r < 5; r++) {
      double max = -1e30, sum = 0, all = 0;
      for (int v = 0; v < 7; v++) max = fmax(max, logits[r * 7 + v]);
      for (int v = 0; v < 7; v++) sum += exp(logits[r * 7 + v] - max);
      double lse = max + log(sum);
      for (int v = 0; v < 7; v++) all += lse - logits[r * 7 + v];
      double want = (1 - eps) * (lse - logits[r * 7 + ids5[r]]) + eps / 7 * all;
      err = fmax(err, fabs(got[r] - want));
    }
    CHECK_MSG(err < 1e-5, "cross-entropy eps=%g forward error %g", eps, err);
    gradcheck_input ce_in[] = {{2, {5, 7}, logits, 0}};
    CHECK_MSG(gradcheck(&eng, "cross_entropy", op_ce, &eps, 1, ce_in, 1e-3, 1e-3, 1e-2) == 0, "eps=%g", eps);
  }
}

/* ---- dropout ---- */
static void test_dropout(void) {
  enum { N = 100000 };
  static float ones[N], got[N], again[N];
  for (int i = 0; i < N; i++) ones[i] = 1.0f;
  fs_engine_reset(&eng);
  eng.training = true;
  eng.seed = 42;
  eng.rng_offset = 0;
  fs_tensor *x = fs_tensor_from_host(&eng, 1, (int[]){N}, ones);
  fs_tensor_to_host(&eng, fs_dropout(&eng, x, 0.25f), got);
  int kept = 0, scaled_ok = 1;
  for (int i = 0; i < N; i++) {
    kept += got[i] != 0.0f;
    if (got[i] != 0.0f && fabsf(got[i] - 1.0f / 0.75f) > 1e-6f) scaled_ok = 0;
  }
  CHECK_MSG(fabs(kept / (double)N - 0.75) < 0.01, "kept fraction %g", kept / (double)N);
  CHECK(scaled_ok);
  eng.rng_offset = 0; /* same (seed, offset): same mask */
  fs_tensor_to_host(&eng, fs_dropout(&eng, x, 0.25f), again);
  CHECK(memcmp(got, again, sizeof got) == 0);
  fs_tensor_to_host(&eng, fs_dropout(&eng, x, 0.25f), again); /* offset advanced: a new mask */
  CHECK(memcmp(got, again, sizeof got) != 0);
  eng.training = false;
  CHECK(fs_dropout(&eng, x, 0.25f) == x);

  /* whole-token: every d-vector is all kept or all dropped; backward applies the same mask */
  eng.training = true;
  fs_engine_reset(&eng);
  fs_tensor *tok = fs_tensor_from_host(&eng, 3, (int[]){10, 50, 8}, ones);
  tok->requires_grad = true;
  fs_tensor *d = fs_dropout_tokens(&eng, tok, 0.5f);
  fs_backward(&eng, fs_sum_all(&eng, d));
  float grad[4000];
  fs_tensor_to_host(&eng, d, got);
  eng.be->download(grad, tok->grad, sizeof grad);
  int whole = 1, grad_ok = 1, dropped = 0;
  for (int v = 0; v < 500; v++) {
    for (int j = 0; j < 8; j++) {
      whole &= got[v * 8 + j] == got[v * 8];
      grad_ok &= grad[v * 8 + j] == got[v * 8 + j];
    }
    dropped += got[v * 8] == 0.0f;
  }
  CHECK(whole && grad_ok);
  CHECK_MSG(dropped > 200 && dropped < 300, "dropped %d of 500 tokens", dropped);
  eng.training = false;
}

/* ---- inverse and log|det| ---- */
static fs_tensor *op_logabsdet(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_logabsdet(e, x[0]);
}
static fs_tensor *op_inverse(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_inverse(e, x[0]);
}

/* log|det| of a float matrix through the shared LU reference. */
static double ref_logabsdet(int n, const float *a) {
  double m[32 * 32];
  for (int i = 0; i < n * n; i++) m[i] = a[i];
  return test_logabsdet_lu(n, m);
}

static void test_smallmat(void) {
  float w[32 * 32];
  test_fill_uniform(w, 32 * 32, -0.3f, 0.3f, 9);
  for (int i = 0; i < 32; i++) w[i * 32 + i] += 2.0f; /* well conditioned */
  fs_engine_reset(&eng);
  fs_tensor *tw = fs_tensor_from_host(&eng, 2, (int[]){32, 32}, w);
  fs_tensor *prod = fs_matmul(&eng, fs_inverse(&eng, tw), tw, false, false);
  fs_tensor *ld = fs_logabsdet(&eng, tw);
  float p[32 * 32], got_ld;
  fs_tensor_to_host(&eng, prod, p);
  fs_tensor_to_host(&eng, ld, &got_ld);
  double err = 0;
  for (int i = 0; i < 32; i++)
    for (int j = 0; j < 32; j++) err = fmax(err, fabs(p[i * 32 + j] - (i == j)));
  CHECK_MSG(err < 1e-5, "W^-1 W - I max %g", err);
  CHECK_CLOSE(got_ld, ref_logabsdet(32, w), 1e-4, 1e-6);

  float small[5 * 5];
  test_fill_uniform(small, 25, -0.5f, 0.5f, 10);
  for (int i = 0; i < 5; i++) small[i * 5 + i] += 1.5f;
  gradcheck_input in[] = {{2, {5, 5}, small, 0}};
  CHECK(gradcheck(&eng, "logabsdet", op_logabsdet, NULL, 1, in, 1e-3, 1e-3, 1e-2) == 0);
  CHECK(gradcheck(&eng, "inverse", op_inverse, NULL, 1, in, 1e-3, 1e-3, 1e-2) == 0);
  float singular[4] = {1, 2, 2, 4};
  fs_engine_reset(&eng);
  CHECK(fs_logabsdet(&eng, fs_tensor_from_host(&eng, 2, (int[]){2, 2}, singular)) == NULL);
  CHECK(strstr(fs_last_error(), "singular") != NULL);
}

/* ---- fused attention: queries and keys of different lengths, columns of wider tensors, a
 * sentence with no valid key; unmasked and causal (query i sees keys j <= i + ATK - ATQ) ---- */
enum { AB = 2, ATQ = 3, ATK = 5, AHEADS = 2, ADIM = 6 };
static float attention_mask[AB * ATK] = {1, 1, 1, 0, 0, 0, 0, 0, 0, 0}; /* sentence 1: no key */

/* q: columns [1, 7) of [AB, ATQ, 8]; k and v: columns [0, 6) and [6, 12) of one [AB, ATK, 12];
 * ctx points to the causal flag */
static fs_tensor *op_attention(fs_engine *e, fs_tensor **in, void *ctx) {
  fs_tensor *mask = fs_tensor_from_host(e, 2, (int[]){AB, ATK}, attention_mask);
  return fs_attention(e, in[0], 1, in[1], 0, in[1], ADIM, ADIM, AHEADS, mask, *(bool *)ctx);
}

/* x as a product of precision pr reads it */
static double operand(fs_precision pr, double x) { return pr == FS_BF16 ? fs_bf16_round((float)x) : x; }

/* The forward against the reference with each product's factors (q and k; the weights and v) as
 * the engine's precision reads them; the gradients by finite differences in fp32 only. */
static void test_attention(bool causal) {
  fs_precision pr = eng.precision;
  float q[AB * ATQ * 8], kv[AB * ATK * 12];
  test_fill_uniform(q, AB * ATQ * 8, -1.5f, 1.5f, 21);
  test_fill_uniform(kv, AB * ATK * 12, -1.5f, 1.5f, 22);
  fs_engine_reset(&eng);
  fs_tensor *out = op_attention(&eng,
                                (fs_tensor *[]){fs_tensor_from_host(&eng, 3, (int[]){AB, ATQ, 8}, q),
                                                fs_tensor_from_host(&eng, 3, (int[]){AB, ATK, 12}, kv)},
                                &causal);
  float got[AB * ATQ * ADIM];
  CHECK(fs_tensor_to_host(&eng, out, got) == FS_OK);
  double err = 0;
  const int dh = ADIM / AHEADS;
  for (int b = 0; b < AB; b++)
    for (int h = 0; h < AHEADS; h++)
      for (int i = 0; i < ATQ; i++) {
        double score[ATK], max = -1e300, sum = 0;
        bool seen[ATK];
        for (int j = 0; j < ATK; j++) {
          seen[j] = attention_mask[b * ATK + j] && (!causal || j <= i + ATK - ATQ);
          score[j] = 0;
          for (int d = 0; d < dh; d++)
            score[j] +=
                operand(pr, q[(b * ATQ + i) * 8 + 1 + h * dh + d]) * operand(pr, kv[(b * ATK + j) * 12 + h * dh + d]);
          score[j] /= sqrt((double)dh);
          if (seen[j] && score[j] > max) max = score[j];
        }
        for (int j = 0; j < ATK; j++) sum += seen[j] ? exp(score[j] - max) : 0;
        for (int d = 0; d < dh; d++) {
          double want = 0;
          for (int j = 0; j < ATK; j++)
            if (seen[j])
              want += operand(pr, exp(score[j] - max) / sum) * operand(pr, kv[(b * ATK + j) * 12 + ADIM + h * dh + d]);
          err = fmax(err, fabs(got[(b * ATQ + i) * ADIM + h * dh + d] - want));
        }
      }
  CHECK_MSG(err < 1e-5, "attention (causal %d, precision %d) forward error %g (sentence 1 has no key: all 0)", causal,
            pr, err);
  gradcheck_input in[] = {{3, {AB, ATQ, 8}, q, 0}, {3, {AB, ATK, 12}, kv, 0}};
  if (pr == FS_FP32)
    CHECK(gradcheck(&eng, causal ? "causal attention" : "attention", op_attention, &causal, 2, in, 1e-3, 2e-3, 1e-2) ==
          0);
  fs_engine_reset(&eng);
  fs_tensor *small = fs_tensor_from_host(&eng, 3, (int[]){AB, ATQ, 8}, q);
  CHECK(fs_attention(&eng, small, 3, small, 0, small, 0, ADIM, AHEADS, /* columns 3..9 of 8 */
                     fs_tensor_from_host(&eng, 2, (int[]){AB, ATQ}, attention_mask), causal) == NULL);
}

/* d sum(ctx ⊙ R) / d(q, kv) for a fixed R, at precision pr, into dq and dkv. */
static void attention_grads(fs_precision pr, bool causal, const float *q, const float *kv, float *dq, float *dkv) {
  float r[AB * ATQ * ADIM];
  test_fill_uniform(r, AB * ATQ * ADIM, -1, 1, 23);
  eng.precision = pr;
  fs_engine_reset(&eng);
  fs_tensor *tq = fs_tensor_from_host(&eng, 3, (int[]){AB, ATQ, 8}, q);
  fs_tensor *tkv = fs_tensor_from_host(&eng, 3, (int[]){AB, ATK, 12}, kv);
  tq->requires_grad = tkv->requires_grad = true;
  fs_tensor *ctx = op_attention(&eng, (fs_tensor *[]){tq, tkv}, &causal);
  fs_tensor *loss = fs_sum_all(&eng, fs_mul(&eng, ctx, fs_tensor_from_host(&eng, 3, (int[]){AB, ATQ, ADIM}, r)));
  CHECK(fs_backward(&eng, loss) == FS_OK);
  eng.be->download(dq, tq->grad, sizeof(float) * AB * ATQ * 8);
  eng.be->download(dkv, tkv->grad, sizeof(float) * AB * ATK * 12);
  eng.precision = FS_FP32;
}

/* The bf16 backward (its products' factors rounded, the softmax backward in fp32) stays within a
 * few bf16 roundings (u = 2^-8) of the fp32 gradients, which finite differences checked, and is
 * not them. */
static void test_attention_bf16_backward(bool causal) {
  float q[AB * ATQ * 8], kv[AB * ATK * 12];
  test_fill_uniform(q, AB * ATQ * 8, -1.5f, 1.5f, 21);
  test_fill_uniform(kv, AB * ATK * 12, -1.5f, 1.5f, 22);
  float dq[2][AB * ATQ * 8], dkv[2][AB * ATK * 12];
  attention_grads(FS_FP32, causal, q, kv, dq[0], dkv[0]);
  attention_grads(FS_BF16, causal, q, kv, dq[1], dkv[1]);
  double diff = 0, scale = 0;
  for (int i = 0; i < AB * ATQ * 8; i++)
    diff = fmax(diff, fabs(dq[1][i] - dq[0][i])), scale = fmax(scale, fabs(dq[0][i]));
  for (int i = 0; i < AB * ATK * 12; i++)
    diff = fmax(diff, fabs(dkv[1][i] - dkv[0][i])), scale = fmax(scale, fabs(dkv[0][i]));
  CHECK_MSG(diff > 0 && diff <= 8.0 / 256 * scale, "causal %d: bf16 gradients %g from fp32 (largest %g)", causal, diff,
            scale);
}

/* ---- the fused affine coupling ---- */
enum { CB = 2, CT = 3, CH = 4 };
static float coupling_mask[CB * CT] = {1, 1, 1, 1, 1, 0}; /* sentence 1 has a pad */

/* Both outputs in one vector, so the check covers the gradients reaching x and theta from the
 * transformed half and from the log-det. ctx: 1 for the inverse direction. */
static fs_tensor *op_coupling(fs_engine *e, fs_tensor **in, void *ctx) {
  fs_tensor *logdet, *mask = fs_tensor_from_host(e, 2, (int[]){CB, CT}, coupling_mask);
  fs_tensor *y = fs_affine_coupling(e, in[0], in[1], mask, ctx != NULL, &logdet);
  fs_tensor *parts[2] = {fs_reshape(e, y, 1, (int[]){-1}), logdet};
  return fs_concat(e, 2, parts, 0);
}

static void test_coupling(void) {
  float x[CB * CT * CH], theta[CB * CT * 2 * CH];
  test_fill_uniform(x, CB * CT * CH, -2, 2, 11);
  test_fill_uniform(theta, CB * CT * 2 * CH, -3, 3, 12);
  for (int inverse = 0; inverse < 2; inverse++) {
    fs_engine_reset(&eng);
    fs_tensor *out = op_coupling(&eng,
                                 (fs_tensor *[]){fs_tensor_from_host(&eng, 3, (int[]){CB, CT, CH}, x),
                                                 fs_tensor_from_host(&eng, 3, (int[]){CB, CT, 2 * CH}, theta)},
                                 inverse ? &eng : NULL);
    float got[CB * CT * CH + CB];
    CHECK(fs_tensor_to_host(&eng, out, got) == FS_OK);
    /* reference from the definition, in double: s = 1 / (1 + e^-(a+2)) */
    double err = 0, logdet[CB] = {0};
    for (int r = 0; r < CB * CT; r++)
      for (int j = 0; j < CH; j++) {
        double mu = theta[r * 2 * CH + j], a = theta[r * 2 * CH + CH + j], m = coupling_mask[r];
        double s = 1.0 / (1.0 + exp(-(a + 2.0))), xv = x[r * CH + j];
        double want = inverse ? (xv - mu) / s * m : (s * xv + mu) * m;
        err = fmax(err, fabs(got[r * CH + j] - want) / fmax(1.0, fabs(want)));
        logdet[r / CT] += (inverse ? -1 : 1) * m * log(s);
      }
    for (int b = 0; b < CB; b++) err = fmax(err, fabs(got[CB * CT * CH + b] - logdet[b]) / fmax(1.0, fabs(logdet[b])));
    CHECK_MSG(err < 1e-5, "affine coupling (inverse %d) forward error %g", inverse, err);
    gradcheck_input in[] = {{3, {CB, CT, CH}, x, 0}, {3, {CB, CT, 2 * CH}, theta, 0}};
    CHECK(gradcheck(&eng, inverse ? "coupling inverse" : "coupling", op_coupling, inverse ? &eng : NULL, 2, in, 1e-3,
                    2e-3, 1e-2) == 0);
  }
  /* the inverse undoes the forward step on valid positions */
  fs_engine_reset(&eng);
  fs_tensor *ld1, *ld2, *xt = fs_tensor_from_host(&eng, 3, (int[]){CB, CT, CH}, x);
  fs_tensor *th = fs_tensor_from_host(&eng, 3, (int[]){CB, CT, 2 * CH}, theta);
  fs_tensor *mask = fs_tensor_from_host(&eng, 2, (int[]){CB, CT}, coupling_mask);
  fs_tensor *back = fs_affine_coupling(&eng, fs_affine_coupling(&eng, xt, th, mask, false, &ld1), th, mask, true, &ld2);
  float round[CB * CT * CH], ld[2][CB];
  CHECK(fs_tensor_to_host(&eng, back, round) == FS_OK);
  fs_tensor_to_host(&eng, ld1, ld[0]);
  fs_tensor_to_host(&eng, ld2, ld[1]);
  double err = 0;
  for (int i = 0; i < CB * CT * CH; i++) err = fmax(err, fabs(round[i] - x[i] * coupling_mask[i / CH]));
  CHECK_MSG(err < 1e-5, "coupling round trip error %g", err);
  CHECK(ld[0][0] == -ld[1][0] && ld[0][1] == -ld[1][1]);
  fs_engine_reset(&eng);
  CHECK(fs_affine_coupling(&eng, xt, xt, mask, false, &ld1) == NULL && ld1 == NULL); /* theta must be [B,T,2h] */
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 64 << 20, 8 << 20) != FS_OK) return 1;
  test_softmax();
  test_norms();
  test_embedding_and_ce();
  test_dropout();
  test_smallmat();
  test_attention(false);
  test_attention(true);
  eng.precision = FS_BF16;
  test_attention(false);
  test_attention(true);
  eng.precision = FS_FP32;
  test_attention_bf16_backward(false);
  test_attention_bf16_backward(true);
  test_coupling();
  fs_engine_free(&eng);
  return test_summary();
}
