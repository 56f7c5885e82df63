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
  fs_hparams h;
  const fs_backend *be;
  fs_params params;
  fs_embeddings embed;
  nn_positions positions; /* width d */
  fs_encoder encoder;
  fs_posterior posterior;
  fs_decoder decoder;
  fs_length length;
  flow_prior prior;
} fs_flowseq;

/* Declares the parameters and allocates their block (with n_optimizer_slots moment blocks, or
 * FS_PARAMS_NO_GRADIENTS for a model that only decodes), every weight zero: the model to load
 * saved weights into (model/model_dir.h). */
fs_status fs_flowseq_alloc(fs_flowseq *m, const fs_hparams *h, const fs_backend *be, int n_optimizer_slots);
/* The random initialisation of docs/model.md#initialisation, drawn from `seed`: a model trained
 * from scratch. */
fs_status fs_flowseq_init_random(fs_flowseq *m, uint64_t seed);
/* Both: a new, randomly initialised model. */
fs_status fs_flowseq_create(fs_flowseq *m, const fs_hparams *h, const fs_backend *be, uint64_t seed,
                            int n_optimizer_slots);
void fs_flowseq_free(fs_flowseq *m);

typedef enum {
  FS_LOSS_PRETRAIN, /* auto-encoding on the posterior mean: recon(z = μ) + length; flow unused */
  FS_LOSS_MAIN,     /* the ELBO: recon + w·KL + length with one posterior sample */
} fs_loss_phase;

typedef struct {
  fs_tensor *loss;   /* [1]: (Σ recon + w Σ KL + Σ length) / B */
  fs_tensor *recon;  /* [B] label-smoothed reconstruction per sentence */
  fs_tensor *kl;     /* [B] log q − log p per sentence (NULL in pre-training) */
  fs_tensor *length; /* [B] length loss per sentence */
} fs_flowseq_losses;

/* The phase's loss on a batch (gradients recorded if e->grad_enabled). */
fs_status fs_flowseq_loss(fs_engine *e, fs_flowseq *m, const fs_batch *b, fs_loss_phase phase, float kl_weight,
                          fs_flowseq_losses *out);

/* docs/model.md#training-procedure, step 2: data-dependent init of the posterior μ head (κ = 0.05), gradients off. */
fs_status fs_flowseq_init_posterior_mean(fs_engine *e, fs_flowseq *m, const fs_batch *b);
/* docs/model.md#training-procedure, step 4: data-dependent init of the log σ² head (κ = 0.05), then of the flow on one
 * posterior sample per sentence (ActNorms from statistics, coupling outputs to zero). */
fs_status fs_flowseq_init_prior(fs_engine *e, fs_flowseq *m, const fs_batch *b);

#endif
