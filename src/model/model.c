/* The model interface over both network types: the implementation; model/model.h describes it. */
#include "model/model.h"

#include <string.h>

fs_status fs_model_alloc(fs_model *m, const fs_hparams *h, const fs_backend *be, int n_optimizer_slots) {
  memset(m, 0, sizeof *m);
  m->type = h->type;
  return m->type == FS_MODEL_TRANSFORMER ? fs_transformer_alloc(&m->transformer, h, be, n_optimizer_slots)
                                         : fs_flowseq_alloc(&m->flowseq, h, be, n_optimizer_slots);
}

fs_status fs_model_init_random(fs_model *m, uint64_t seed) {
  return m->type == FS_MODEL_TRANSFORMER ? fs_transformer_init_random(&m->transformer, seed)
                                         : fs_flowseq_init_random(&m->flowseq, seed);
}

fs_status fs_model_create(fs_model *m, const fs_hparams *h, const fs_backend *be, uint64_t seed,
                          int n_optimizer_slots) {
  FS_TRY(fs_model_alloc(m, h, be, n_optimizer_slots));
  return fs_model_init_random(m, seed);
}

void fs_model_free(fs_model *m) {
  if (m->type == FS_MODEL_TRANSFORMER) fs_transformer_free(&m->transformer);
  else fs_flowseq_free(&m->flowseq);
}

fs_params *fs_model_params(fs_model *m) {
  return m->type == FS_MODEL_TRANSFORMER ? &m->transformer.params : &m->flowseq.params;
}

fs_hparams *fs_model_hparams(fs_model *m) {
  return m->type == FS_MODEL_TRANSFORMER ? &m->transformer.h : &m->flowseq.h;
}

fs_status fs_model_loss(fs_engine *e, fs_model *m, const fs_batch *b, fs_loss_phase phase, float kl_weight,
                        fs_flowseq_losses *out) {
  if (m->type == FS_MODEL_TRANSFORMER) return fs_transformer_loss(e, &m->transformer, b, out);
  return fs_flowseq_loss(e, &m->flowseq, b, phase, kl_weight, out);
}

fs_status fs_model_loss_parts_to_host(fs_engine *e, const fs_flowseq_losses *l, int batch, float *host) {
  const fs_tensor *parts[3] = {l->recon, l->length, l->kl};
  for (int k = 0; k < 3; k++) {
    if (parts[k]) FS_TRY(fs_tensor_to_host(e, parts[k], host + (size_t)k * batch));
    else memset(host + (size_t)k * batch, 0, sizeof(float) * batch);
  }
  return FS_OK;
}

bool fs_model_pretrains(const fs_model *m) { return m->type == FS_MODEL_FLOWSEQ; }

bool fs_model_samples_loss(const fs_model *m) { return m->type == FS_MODEL_FLOWSEQ; }

fs_status fs_model_sync(fs_model *m) {
  return m->type == FS_MODEL_FLOWSEQ ? flow_prior_sync(&m->flowseq.prior) : FS_OK;
}
