/* The FlowSeq model on a tiny configuration: the ELBO's KL term equals log q − log p computed
 * independently, pads stay exactly zero, spot gradient checks of the whole loss through every
 * module, the length classes of docs/model.md#length-predictor, and a pre-training overfit of a few synthetic pairs. */
#include "gradcheck.h"
#include "spot_check.h"
#include "model/flowseq.h"
#include "test.h"
#include "tiny_model.h"

enum { B = TINY_B, T = TINY_T };
static fs_engine eng;
static flowseq_model model;
static const float *tgt_mask = tiny_tgt_mask;
static const flowseq_batch batch = {TINY_B, TINY_S, TINY_T, tiny_src, tiny_tgt, tiny_src_mask, tiny_tgt_mask};

static void test_kl_and_pads(void) {
  fs_engine_reset(&eng);
  eng.training = false;
  eng.seed = 5;
  CHECK(flowseq_init_posterior_mean(&eng, &model, &batch) == FS_OK);
  fs_engine_reset(&eng);
  CHECK(flowseq_init_prior(&eng, &model, &batch) == FS_OK);
  fs_engine_reset(&eng);
  eng.rng_offset = 100;
  flowseq_losses l;
  CHECK_MSG(flowseq_loss(&eng, &model, &batch, FLOWSEQ_MAIN, 0.5f, &l) == FS_OK, "%s", fs_last_error());
  float kl[B], recon[B], len[B], loss;
  fs_tensor_to_host(&eng, l.kl, kl);
  fs_tensor_to_host(&eng, l.recon, recon);
  fs_tensor_to_host(&eng, l.length, len);
  fs_tensor_to_host(&eng, l.loss, &loss);
  CHECK_CLOSE(loss, (recon[0] + recon[1] + 0.5 * (kl[0] + kl[1]) + len[0] + len[1]) / 2, 1e-4, 1e-5);
  CHECK(recon[0] > 0 && len[0] > 0 && isfinite(kl[0]) && isfinite(kl[1]));

  /* independently: the same posterior sample, log N(z; μ, σ²) by the textbook formula, and the
   * prior density of z by a separate call */
  fs_engine_reset(&eng);
  eng.rng_offset = 100;
  flowseq_inputs in;
  flowseq_inputs_build(&eng, &batch, &in);
  fs_tensor *ctx, *mu, *logvar, *log_q;
  fs_tensor *src_enc = flowseq_encoder_forward(&eng, &model.encoder, model.embed.src, &model.positions, &in, &ctx);
  /* the loss draws length and dropout randomness before the posterior noise only in training;
   * evaluation mode draws the noise first, so offsets line up */
  fs_tensor *hidden = flowseq_posterior_hidden(&eng, &model.posterior, model.embed.tgt, &model.positions, &in, src_enc);
  flowseq_posterior_heads(&eng, &model.posterior, hidden, &in, &mu, &logvar);
  fs_tensor *z = flowseq_posterior_sample(&eng, mu, logvar, &in, false, &log_q);
  flow_input fin = {B, T, tgt_mask, src_enc, in.src_mask};
  fs_tensor *log_p = flow_prior_log_density(&eng, &model.prior, z, &fin);
  static float hz[B * T * 16], hmu[B * T * 16], hlv[B * T * 16];
  float lp[B];
  fs_tensor_to_host(&eng, z, hz);
  fs_tensor_to_host(&eng, mu, hmu);
  fs_tensor_to_host(&eng, logvar, hlv);
  fs_tensor_to_host(&eng, log_p, lp);
  int pads_zero = 1;
  for (int b = 0; b < B; b++) {
    double lq = 0;
    for (int t = 0; t < T; t++)
      for (int j = 0; j < 16; j++) {
        int i = (b * T + t) * 16 + j;
        if (tgt_mask[b * T + t] == 0.0f) {
          pads_zero &= hz[i] == 0.0f && hmu[i] == 0.0f && hlv[i] == 0.0f;
          continue;
        }
        double var = exp(hlv[i]), diff = hz[i] - hmu[i];
        lq += -0.5 * (diff * diff / var + hlv[i] + log(2 * M_PI));
      }
    CHECK_CLOSE(kl[b], lq - lp[b], 2e-3, 1e-4);
  }
  CHECK(pads_zero);
}

/* ---- spot gradient checks: a few elements of parameters across the model ---- */

static flowseq_phase checked_phase;

/* The loss of the phase under check, with the same noise every evaluation. */
static double loss_value(void) {
  fs_engine_reset(&eng);
  eng.rng_offset = 7;
  flowseq_losses l;
  flowseq_loss(&eng, &model, &batch, checked_phase, 0.7f, &l);
  float v;
  fs_tensor_to_host(&eng, l.loss, &v);
  return v;
}

static fs_status loss_backward(void) {
  fs_engine_reset(&eng);
  eng.rng_offset = 7;
  flowseq_losses l;
  FS_TRY(flowseq_loss(&eng, &model, &batch, checked_phase, 0.7f, &l));
  return fs_backward(&eng, l.loss);
}

static void test_gradients(void) {
  eng.training = false; /* dropout off: deterministic apart from the fixed posterior noise */
  const char *names[] = {"embed", "encoder.layers.0.self_attn.w_in", "posterior.mu.v", "posterior.logvar.g",
                         "decoder.pos_attn.w_in", "decoder.out.bias", "length.out.weight",
                         "prior.level0.1.layer.ffn.in.weight", "prior.level0.0.log_scale"};
  checked_phase = FLOWSEQ_MAIN;
  for (size_t k = 0; k < sizeof names / sizeof *names; k++) spot_check(&model.params, names[k], loss_backward, loss_value);
  checked_phase = FLOWSEQ_PRETRAIN;
  spot_check(&model.params, "posterior.mu.v", loss_backward, loss_value);
}

static void test_length_classes(void) {
  /* S = 10, R = 4, unit 4: T = 12 → class 12−10+4 = 6; T = 20 is clipped to S+R = 14 → 12 → 6;
   * T = 4 is raised to S−R = 6 → 8 → class 2 */
  flowseq_length l = {.range = 4, .unit = 4};
  CHECK(flowseq_length_class(&l, 10, 12) == 6);
  CHECK(flowseq_length_class(&l, 10, 20) == 6);
  CHECK(flowseq_length_class(&l, 10, 4) == 2);
  CHECK(flowseq_length_class(&l, 1, 4) == 7); /* 4 ≤ S+R = 5: class 4−1+4 */
  CHECK(model.length.unit == 2);               /* two flow levels: the unit is 2 */
}

/* Pre-training (recon + length on z = μ) with AdamW drives the reconstruction of two pairs
 * towards zero. */
static void test_overfit(void) {
  flowseq_model m;
  flowseq_hparams h = tiny_hparams();
  h.encoder_dropout = h.posterior_dropout = h.decoder_dropout = h.posterior_token_dropout = 0.0f;
  h.label_smoothing = 0.0f;
  CHECK(flowseq_model_create(&m, &h, fs_backend_cpu(), 3, 3) == FS_OK);
  float first = tiny_train(&eng, &m, 1, 0), last = tiny_train(&eng, &m, 150, 0);
  CHECK_MSG(last < 0.05f * first && last < 1.0f, "reconstruction %g -> %g", first, last);
  flowseq_model_free(&m);
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 128 << 20, 32 << 20) != FS_OK) return 1;
  flowseq_hparams h = tiny_hparams();
  CHECK_MSG(flowseq_model_create(&model, &h, fs_backend_cpu(), 1, 0) == FS_OK, "%s", fs_last_error());
  test_kl_and_pads();
  test_gradients();
  test_length_classes();
  test_overfit();
  flowseq_model_free(&model);
  fs_engine_free(&eng);
  return test_summary();
}
