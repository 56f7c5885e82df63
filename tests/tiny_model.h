/* A tiny FlowSeq configuration and a two-pair batch for model and decoding tests, plus a plain
 * AdamW step over the whole parameter block (bias correction folded into the step size). */
#ifndef FLOWSEQ_TESTS_TINY_MODEL_H
#define FLOWSEQ_TESTS_TINY_MODEL_H

#include <math.h>

#include "model/flowseq.h"

enum { TINY_B = 2, TINY_S = 5, TINY_T = 8, TINY_V = 12, TINY_D = 16 };
static const int32_t tiny_src[TINY_B * TINY_S] = {4, 5, 6, 7, 2, 8, 9, 2, 0, 0};
static const int32_t tiny_tgt[TINY_B * TINY_T] = {5, 6, 7, 8, 9, 10, 11, 2, 4, 4, 9, 2, 0, 0, 0, 0};
static const float tiny_src_mask[TINY_B * TINY_S] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
static const float tiny_tgt_mask[TINY_B * TINY_T] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
static const fs_batch tiny_batch = {TINY_B, TINY_S, TINY_T, tiny_src, tiny_tgt, tiny_src_mask, tiny_tgt_mask};

static inline fs_hparams tiny_hparams(void) {
  fs_hparams h = {0};
  h.vocab = TINY_V;
  h.pad_id = 0;
  h.eos_id = 2;
  h.d = TINY_D;
  h.ffn_hidden = 24;
  h.encoder_layers = h.posterior_layers = h.decoder_layers = 1;
  h.encoder_heads = h.posterior_heads = h.decoder_heads = 2;
  h.encoder_dropout = h.posterior_dropout = h.decoder_dropout = 0.1f;
  h.posterior_token_dropout = 0.2f;
  h.label_smoothing = 0.1f;
  h.length_range = 4;
  h.length_dropout = 0.33f;
  h.flow_levels = 2;
  h.flow_steps[0] = h.flow_steps[1] = 1;
  h.flow_hidden = 16;
  h.flow_heads = 2;
  h.max_length = 32;
  h.share_embed = h.tie_weights = true;
  return h;
}

/* One AdamW update (no weight decay) of every parameter; `step` counts from 1. The parameters
 * must have been allocated with 3 optimizer slots. */
static inline void tiny_adam_step(fs_params *p, int step, double lr) {
  double b1 = 0.9, b2 = 0.999;
  float step_size = (float)(lr * sqrt(1 - pow(b2, step)) / (1 - pow(b1, step)));
  p->be->adamw(p->total, fs_params_slot(p, 0), fs_params_slot(p, 1), fs_params_slot(p, 2), fs_params_slot(p, 3),
               fs_params_slot(p, 4), 1.0f, (float)lr, (float)b1, (float)b2, 1e-8f, 0.0f, step_size);
}

/* Trains m on the tiny batch through the three phases (pre-training, prior init, main phase
 * with KL warm-up), without dropout randomness mattering. Returns the last reconstruction sum. */
static inline float tiny_train(fs_engine *e, fs_flowseq *m, int pretrain_steps, int main_steps) {
  fs_engine_reset(e);
  fs_flowseq_init_posterior_mean(e, m, &tiny_batch);
  e->training = true;
  float recon_sum = 0;
  for (int step = 1; step <= pretrain_steps + main_steps; step++) {
    bool main = step > pretrain_steps;
    if (step == pretrain_steps + 1) {
      fs_engine_reset(e);
      fs_flowseq_init_prior(e, m, &tiny_batch);
      e->training = true;
    }
    fs_params_zero_grad(&m->params);
    fs_engine_reset(e);
    fs_flowseq_losses l;
    float kl_weight = main ? fminf(1.0f, (step - pretrain_steps) / 50.0f) : 0.0f;
    fs_flowseq_loss(e, m, &tiny_batch, main ? FS_LOSS_MAIN : FS_LOSS_PRETRAIN, kl_weight, &l);
    fs_backward(e, l.loss);
    float recon[TINY_B];
    fs_tensor_to_host(e, l.recon, recon);
    recon_sum = recon[0] + recon[1];
    tiny_adam_step(&m->params, main ? step - pretrain_steps : step, 3e-3);
  }
  e->training = false;
  return recon_sum;
}

#endif
