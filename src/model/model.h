/* The one interface the trainer, checkpoints and decoding front ends use for either network
 * model.type names: FlowSeq (model/flowseq.h) or the autoregressive Transformer
 * (model/transformer.h). Only what differs between the two is dispatched here; everything
 * type-specific (FlowSeq's inits and pre-training, its flow inverses, beam search) stays with
 * its model. */
#ifndef FLOWSEQ_MODEL_MODEL_H
#define FLOWSEQ_MODEL_MODEL_H

#include "model/flowseq.h"
#include "model/transformer.h"

typedef struct {
  fs_model_type type;
  union {
    fs_flowseq flowseq;         /* type FS_MODEL_FLOWSEQ */
    fs_transformer transformer; /* type FS_MODEL_TRANSFORMER */
  };
} fs_model;

/* The network h->type names, declared and allocated with every weight zero: the model to load
 * weights into (model/model_dir.h; see fs_flowseq_alloc). */
fs_status fs_model_alloc(fs_model *m, const fs_hparams *h, const fs_backend *be, int n_optimizer_slots);
/* Its random initialisation from `seed`, for training from scratch. */
fs_status fs_model_init_random(fs_model *m, uint64_t seed);
/* Both: a new, randomly initialised network. */
fs_status fs_model_create(fs_model *m, const fs_hparams *h, const fs_backend *be, uint64_t seed, int n_optimizer_slots);
void fs_model_free(fs_model *m);
fs_params *fs_model_params(fs_model *m);
fs_hparams *fs_model_hparams(fs_model *m);

/* The training loss of a batch: FlowSeq's of the phase (fs_flowseq_loss), the Transformer's
 * cross-entropy (fs_transformer_loss; it has only the main phase and no KL). */
fs_status fs_model_loss(fs_engine *e, fs_model *m, const fs_batch *b, fs_loss_phase phase, float kl_weight,
                        fs_flowseq_losses *out);
/* The per-sentence loss parts of l ([batch] each) on the host: recon at host[0..batch), length at
 * host[batch..2·batch), KL at host[2·batch..3·batch); a part the model lacks reads as zeros. */
fs_status fs_model_loss_parts_to_host(fs_engine *e, const fs_flowseq_losses *l, int batch, float *host);
/* Whether training begins with FlowSeq's data-dependent inits and auto-encoder pre-training. */
bool fs_model_pretrains(const fs_model *m);
/* Whether the validation loss is random (FlowSeq samples its posterior; the Transformer's is exact). */
bool fs_model_samples_loss(const fs_model *m);
/* Brings derived state up to date after the weights changed (FlowSeq's flow inverses). */
fs_status fs_model_sync(fs_model *m);

#endif
