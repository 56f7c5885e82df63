/* The FlowSeq model (docs/model.md#overview): encoder, posterior q(z|y,x), flow prior p(z|x) with the
 * length predictor, decoder p(y|z,x), all parameters in one block, and the training objective
 * of each phase (docs/model.md#training-objective, docs/model.md#training-procedure). */
#ifndef FLOWSEQ_MODEL_FLOWSEQ_H
#define FLOWSEQ_MODEL_FLOWSEQ_H

#include "model/decoder.h"
#include "model/embeddings.h"
#include "model/length.h"
#include "model/posterior.h"

typedef struct {
  flowseq_hparams h;
  const fs_backend *be;
  fs_params params;
  model_embeddings embed;
  nn_positions positions;           /* width d */
  flowseq_encoder encoder;
  flowseq_posterior posterior;
  flowseq_decoder decoder;
  flowseq_length length;
  flow_prior prior;
} flowseq_model;

/* Declares, allocates (with n_optimizer_slots moment blocks, or FS_PARAMS_NO_GRADIENTS for a
 * model that only decodes) and randomly initialises (docs/model.md#initialisation) a model
 * from `seed`. */
fs_status flowseq_model_create(flowseq_model *m, const flowseq_hparams *h, const fs_backend *be, uint64_t seed,
                               int n_optimizer_slots);
void flowseq_model_free(flowseq_model *m);

typedef enum {
  FLOWSEQ_PRETRAIN, /* auto-encoding on the posterior mean: recon(z = μ) + length; flow unused */
  FLOWSEQ_MAIN,     /* the ELBO: recon + w·KL + length with one posterior sample */
} flowseq_phase;

typedef struct {
  fs_tensor *loss;   /* [1]: (Σ recon + w Σ KL + Σ length) / B */
  fs_tensor *recon;  /* [B] label-smoothed reconstruction per sentence */
  fs_tensor *kl;     /* [B] log q − log p per sentence (NULL in pre-training) */
  fs_tensor *length; /* [B] length loss per sentence */
} flowseq_losses;

/* The phase's loss on a batch (gradients recorded if e->grad_enabled). */
fs_status flowseq_loss(fs_engine *e, flowseq_model *m, const flowseq_batch *b, flowseq_phase phase, float kl_weight,
                       flowseq_losses *out);

/* docs/model.md#training-procedure, step 2: data-dependent init of the posterior μ head (κ = 0.05), gradients off. */
fs_status flowseq_init_posterior_mean(fs_engine *e, flowseq_model *m, const flowseq_batch *b);
/* docs/model.md#training-procedure, step 4: data-dependent init of the log σ² head (κ = 0.05), then of the flow on one
 * posterior sample per sentence (ActNorms from statistics, coupling outputs to zero). */
fs_status flowseq_init_prior(fs_engine *e, flowseq_model *m, const flowseq_batch *b);

#endif
