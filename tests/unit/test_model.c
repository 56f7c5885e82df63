/* The FlowSeq model on a tiny configuration: the training loss of both phases and each of its
 * parts (reconstruction, KL = log q − log p, length) equal a double-precision recomputation from
 * their definitions (tests/model_reference.h), pads stay exactly zero, spot gradient checks of
 * the whole loss through every module, the length classes of docs/model.md#length-predictor,
 * and a pre-training overfit of a few synthetic pairs. */
#include "gradcheck.h"
#include "model_reference.h"
#include "spot_check.h"
#include "model/flowseq.h"
#include "test.h"
#include "tiny_model.h"

enum { B = TINY_B, T = TINY_T, D = TINY_D, V = TINY_V };
static fs_engine eng;
static fs_flowseq model;
static const float *tgt_mask = tiny_tgt_mask;
static const fs_batch batch = {TINY_B, TINY_S, TINY_T, tiny_src, tiny_tgt, tiny_src_mask, tiny_tgt_mask};

typedef struct {
  double recon[B], kl[B], length[B], loss;
  bool pads_zero; /* z, μ and λ are exactly 0 on padded positions */
} reference_losses;

/* The loss of `phase` recomputed on the host in double (docs/model.md#training-objective). The
 * modules run forward once more, in evaluation mode with the loss's random offset, so that the
 * posterior noise is the same draw; what the test adds up itself:
 *   recon_b = Σ_valid (1 − ε)(−ℓ_y) + (ε/V) Σ_v (−ℓ_v), ℓ = log_softmax of the decoder's logits
 *   KL_b    = log q(z|y,x) − log p(z|x): log q the Gaussian density of z under (μ, λ), and
 *             log p = log N(v) + Σ logdet with v, logdet from the flow's normalise direction
 *   len_b   = (1 − ε)(−ℓ_class) + (ε/K_adm) Σ_admissible (−ℓ_k) over the length log-probs
 *   loss    = Σ_b (recon_b + w·KL_b + len_b) / B   (KL only in the main phase) */
static reference_losses reference_loss(fs_loss_phase phase, double w, uint64_t rng_offset) {
  reference_losses r = {.pads_zero = true};
  int R = model.length.range, u = model.length.unit, classes = 2 * R + 1;
  double eps = model.h.label_smoothing;
  int src_len[B], tgt_len[B];
  for (int b = 0; b < B; b++) {
    src_len[b] = tgt_len[b] = 0;
    for (int t = 0; t < TINY_S; t++) src_len[b] += tiny_src_mask[b * TINY_S + t] != 0.0f;
    for (int t = 0; t < T; t++) tgt_len[b] += tgt_mask[b * T + t] != 0.0f;
  }
  fs_engine_reset(&eng);
  eng.rng_offset = rng_offset;
  fs_inputs in;
  CHECK(fs_inputs_build(&eng, &batch, &in) == FS_OK);
  fs_tensor *ctx, *mu, *logvar, *log_q, *logdet = NULL;
  fs_tensor *src_enc = fs_encoder_forward(&eng, &model.encoder, model.embed.src, &model.positions, &in, &ctx);
  fs_tensor *length_lp = fs_length_log_probs(&eng, &model.length, ctx, src_len);
  fs_tensor *hidden = fs_posterior_hidden(&eng, &model.posterior, model.embed.tgt, &model.positions, &in, src_enc);
  fs_posterior_heads(&eng, &model.posterior, hidden, &in, &mu, &logvar);
  fs_tensor *z = fs_posterior_sample(&eng, mu, logvar, &in, phase == FS_LOSS_PRETRAIN, &log_q);
  flow_input fin = {B, T, tgt_mask, src_enc, in.src_mask};
  fs_tensor *v = phase == FS_LOSS_MAIN ? flow_prior_normalise(&eng, &model.prior, z, &fin, &logdet) : NULL;
  fs_tensor *logits = fs_decoder_forward(&eng, &model.decoder, z, &model.positions, &in, src_enc,
                                         model.embed.out_weight, model.embed.out_bias);
  CHECK_MSG(fs_engine_status(&eng) == FS_OK, "%s", fs_last_error());
  static float hz[B * T * D], hmu[B * T * D], hlv[B * T * D], hv[B * T * D], hlogits[B * T * V], hlen[B * 64];
  float hlogdet[B] = {0};
  fs_tensor_to_host(&eng, z, hz);
  fs_tensor_to_host(&eng, mu, hmu);
  fs_tensor_to_host(&eng, logvar, hlv);
  fs_tensor_to_host(&eng, logits, hlogits);
  fs_tensor_to_host(&eng, length_lp, hlen);
  if (v) fs_tensor_to_host(&eng, v, hv), fs_tensor_to_host(&eng, logdet, hlogdet);
  r.loss = 0.0;
  for (int b = 0; b < B; b++) {
    const float *row = hz + b * T * D; /* valid positions are a prefix: tgt_len[b] rows of width D */
    for (int i = tgt_len[b] * D; i < T * D; i++)
      r.pads_zero &= row[i] == 0.0f && hmu[b * T * D + i] == 0.0f && hlv[b * T * D + i] == 0.0f;
    r.recon[b] = 0.0;
    for (int t = 0; t < tgt_len[b]; t++)
      r.recon[b] += ref_smoothed_nll(hlogits + (b * T + t) * V, V, tiny_tgt[b * T + t], eps);
    r.kl[b] = 0.0;
    if (phase == FS_LOSS_MAIN) {
      double log_p = ref_log_normal(hv + b * T * D, tgt_len[b], D) + hlogdet[b];
      r.kl[b] = ref_log_q(row, hmu + b * T * D, hlv + b * T * D, tgt_len[b], D) - log_p;
    }
    const float *lp = hlen + b * classes;
    int admissible = 0, target = ref_length_class(src_len[b], tgt_len[b], R, u);
    double smoothed = 0.0;
    for (int k = 0; k < classes; k++)
      if ((src_len[b] + k - R) % u == 0) admissible++, smoothed -= lp[k];
    r.length[b] = (1.0 - eps) * -lp[target] + eps / admissible * smoothed;
    r.loss += (r.recon[b] + w * r.kl[b] + r.length[b]) / B;
  }
  return r;
}

/* float32 sums of a few hundred terms against double: they agree to about 1e-6 relative */
static bool agrees(double value, double reference) { return fabs(value - reference) <= 1e-4 + 2e-5 * fabs(reference); }

/* fs_flowseq_loss of a phase against the reference, part by part and in total. */
static void check_loss(fs_loss_phase phase, float w, uint64_t rng_offset) {
  fs_engine_reset(&eng);
  eng.rng_offset = rng_offset;
  fs_flowseq_losses l;
  CHECK_MSG(fs_flowseq_loss(&eng, &model, &batch, phase, w, &l) == FS_OK, "%s", fs_last_error());
  float kl[B] = {0}, recon[B], len[B], loss;
  if (l.kl) fs_tensor_to_host(&eng, l.kl, kl);
  fs_tensor_to_host(&eng, l.recon, recon);
  fs_tensor_to_host(&eng, l.length, len);
  fs_tensor_to_host(&eng, l.loss, &loss);
  CHECK((phase == FS_LOSS_MAIN) == (l.kl != NULL));
  reference_losses ref = reference_loss(phase, w, rng_offset);
  const char *name = phase == FS_LOSS_MAIN ? "main" : "pretrain";
  for (int b = 0; b < B; b++) {
    CHECK_MSG(agrees(recon[b], ref.recon[b]), "%s, sentence %d: recon %.6f, reference %.6f", name, b, recon[b],
              ref.recon[b]);
    CHECK_MSG(agrees(kl[b], ref.kl[b]), "%s, sentence %d: KL %.6f, reference %.6f", name, b, kl[b], ref.kl[b]);
    CHECK_MSG(agrees(len[b], ref.length[b]), "%s, sentence %d: length loss %.6f, reference %.6f", name, b, len[b],
              ref.length[b]);
    CHECK(recon[b] > 0 && len[b] > 0 && isfinite(kl[b]));
  }
  CHECK_MSG(agrees(loss, ref.loss), "%s: loss %.6f, reference %.6f", name, loss, ref.loss);
  CHECK(ref.pads_zero);
}

static void test_loss_and_pads(void) {
  fs_engine_reset(&eng);
  eng.training = false; /* no dropout: the recomputation meets the same posterior noise and nothing else */
  eng.seed = 5;
  CHECK(fs_flowseq_init_posterior_mean(&eng, &model, &batch) == FS_OK);
  fs_engine_reset(&eng);
  CHECK(fs_flowseq_init_prior(&eng, &model, &batch) == FS_OK);
  check_loss(FS_LOSS_MAIN, 0.5f, 100);
  check_loss(FS_LOSS_PRETRAIN, 0.5f, 100);
}

/* ---- spot gradient checks: a few elements of parameters across the model ---- */

static fs_loss_phase checked_phase;

/* The loss of the phase under check, with the same noise every evaluation. */
static double loss_value(void) {
  fs_engine_reset(&eng);
  eng.rng_offset = 7;
  fs_flowseq_losses l;
  fs_flowseq_loss(&eng, &model, &batch, checked_phase, 0.7f, &l);
  float v;
  fs_tensor_to_host(&eng, l.loss, &v);
  return v;
}

static fs_status loss_backward(void) {
  fs_engine_reset(&eng);
  eng.rng_offset = 7;
  fs_flowseq_losses l;
  FS_TRY(fs_flowseq_loss(&eng, &model, &batch, checked_phase, 0.7f, &l));
  return fs_backward(&eng, l.loss);
}

static void test_gradients(void) {
  eng.training = false; /* dropout off: deterministic apart from the fixed posterior noise */
  const char *names[] = {"embed",
                         "encoder.layers.0.self_attn.w_in",
                         "posterior.mu.v",
                         "posterior.logvar.g",
                         "decoder.pos_attn.w_in",
                         "decoder.out.bias",
                         "length.out.weight",
                         "prior.level0.1.layer.ffn.in.weight",
                         "prior.level0.0.log_scale"};
  checked_phase = FS_LOSS_MAIN;
  for (size_t k = 0; k < sizeof names / sizeof *names; k++)
    spot_check(&model.params, names[k], loss_backward, loss_value);
  checked_phase = FS_LOSS_PRETRAIN;
  spot_check(&model.params, "posterior.mu.v", loss_backward, loss_value);
}

static void test_length_classes(void) {
  /* S = 10, R = 4, unit 4: T = 12 → class 12−10+4 = 6; T = 20 is clipped to S+R = 14 → 12 → 6;
   * T = 4 is raised to S−R = 6 → 8 → class 2 */
  fs_length l = {.range = 4, .unit = 4};
  CHECK(fs_length_class(&l, 10, 12) == 6);
  CHECK(fs_length_class(&l, 10, 20) == 6);
  CHECK(fs_length_class(&l, 10, 4) == 2);
  CHECK(fs_length_class(&l, 1, 4) == 7); /* 4 ≤ S+R = 5: class 4−1+4 */
  CHECK(model.length.unit == 2);         /* two flow levels: the unit is 2 */
}

/* Pre-training (recon + length on z = μ) with AdamW drives the reconstruction of two pairs
 * towards zero. */
static void test_overfit(void) {
  fs_flowseq m;
  fs_hparams h = tiny_hparams();
  h.encoder_dropout = h.posterior_dropout = h.decoder_dropout = h.posterior_token_dropout = 0.0f;
  h.label_smoothing = 0.0f;
  CHECK(fs_flowseq_create(&m, &h, fs_backend_cpu(), 3, 3) == FS_OK);
  float first = tiny_train(&eng, &m, 1, 0), last = tiny_train(&eng, &m, 150, 0);
  CHECK_MSG(last < 0.05f * first && last < 1.0f, "reconstruction %g -> %g", first, last);
  fs_flowseq_free(&m);
}

/* train.precision bf16: the tiny model trained from one seed and one dropout stream with fp32 and
 * with bf16 products reaches a finite reconstruction loss within 5 % of fp32's, and its weights
 * differ from fp32's (the setting took effect). */
static void test_bf16_training(void) {
  enum { PRETRAIN = 60, MAIN = 60 };
  fs_hparams h = tiny_hparams();
  float recon[2], *weights[2] = {NULL, NULL};
  int64_t total = 0;
  for (int k = 0; k < 2; k++) {
    fs_flowseq m;
    CHECK(fs_flowseq_create(&m, &h, fs_backend_cpu(), 5, 3) == FS_OK);
    fs_engine_mode previous =
        fs_engine_enter(&eng, (fs_engine_mode){.grad_enabled = true, .own_stream = true, .seed = 9, .rng_offset = 0});
    eng.precision = k ? FS_BF16 : FS_FP32;
    recon[k] = tiny_train(&eng, &m, PRETRAIN, MAIN);
    eng.precision = FS_FP32;
    fs_engine_restore(&eng, previous);
    total = m.params.total;
    weights[k] = malloc(sizeof(float) * total);
    m.params.be->download(weights[k], fs_params_slot(&m.params, 0), sizeof(float) * total);
    fs_flowseq_free(&m);
  }
  printf("tiny preset after %d + %d updates: reconstruction %.5f (fp32), %.5f (bf16)\n", PRETRAIN, MAIN, recon[0],
         recon[1]);
  CHECK_MSG(isfinite(recon[1]) && fabsf(recon[1] - recon[0]) <= 0.05f * recon[0], "fp32 %g, bf16 %g", recon[0],
            recon[1]);
  CHECK(memcmp(weights[0], weights[1], sizeof(float) * total) != 0);
  free(weights[0]);
  free(weights[1]);
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 128 << 20, 32 << 20) != FS_OK) return 1;
  fs_hparams h = tiny_hparams();
  CHECK_MSG(fs_flowseq_create(&model, &h, fs_backend_cpu(), 1, 0) == FS_OK, "%s", fs_last_error());
  test_loss_and_pads();
  test_gradients();
  test_length_classes();
  test_overfit();
  test_bf16_training();
  fs_flowseq_free(&model);
  fs_engine_free(&eng);
  return test_summary();
}
