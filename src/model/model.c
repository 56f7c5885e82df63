/* The model interface over both network types: the implementation; model/model.h describes it. */
#include "model/model.h"

#include <string.h>

fs_status fs_model_create(fs_model *m, const flowseq_hparams *h, const fs_backend *be, uint64_t seed,
                          int n_optimizer_slots) {
  memset(m, 0, sizeof *m);
  m->type = h->type;
  return m->type == FS_MODEL_TRANSFORMER ? transformer_create(&m->transformer, h, be, seed, n_optimizer_slots)
                                         : flowseq_model_create(&m->flowseq, h, be, seed, n_optimizer_slots);
}

void fs_model_free(fs_model *m) {
  if (m->type == FS_MODEL_TRANSFORMER) transformer_free(&m->transformer);
  else flowseq_model_free(&m->flowseq);
}

fs_params *fs_model_params(fs_model *m) {
  return m->type == FS_MODEL_TRANSFORMER ? &m->transformer.params : &m->flowseq.params;
}

flowseq_hparams *fs_model_hparams(fs_model *m) {
  return m->type == FS_MODEL_TRANSFORMER ? &m->transformer.h : &m->flowseq.h;
}

fs_status fs_model_loss(fs_engine *e, fs_model *m, const flowseq_batch *b, flowseq_phase phase, float kl_weight,
                        flowseq_losses *out) {
  if (m->type == FS_MODEL_TRANSFORMER) return transformer_loss(e, &m->transformer, b, out);
  return flowseq_loss(e, &m->flowseq, b, phase, kl_weight, out);
}

bool fs_model_pretrains(const fs_model *m) { return m->type == FS_MODEL_FLOWSEQ; }

bool fs_model_samples_loss(const fs_model *m) { return m->type == FS_MODEL_FLOWSEQ; }

fs_status fs_model_sync(fs_model *m) { return m->type == FS_MODEL_FLOWSEQ ? flow_prior_sync(&m->flowseq.prior) : FS_OK; }
