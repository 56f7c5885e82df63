/* Token embeddings and output projection: the implementation; model/embeddings.h describes the interface. */
#include "model/embeddings.h"

fs_status fs_embeddings_declare(fs_embeddings *m, fs_params *p, const fs_hparams *h) {
  int V = h->vocab, d = h->d;
  m->src = fs_param_add(p, h->share_embed ? "embed" : "src_embed", 2, (int[]){V, d});
  m->tgt = h->share_embed ? m->src : fs_param_add(p, "tgt_embed", 2, (int[]){V, d});
  m->out_weight = h->tie_weights ? m->tgt : fs_param_add(p, "decoder.out.weight", 2, (int[]){V, d});
  m->out_bias = fs_param_add(p, "decoder.out.bias", 1, (int[]){V});
  return m->src && m->tgt && m->out_weight && m->out_bias ? FS_OK : FS_ERR_ARG;
}

fs_status fs_embeddings_init(fs_embeddings *m, nn_init_rng *r, const fs_hparams *h) {
  FS_TRY(nn_init_embedding(r, m->src, h->pad_id));
  if (!h->share_embed) FS_TRY(nn_init_embedding(r, m->tgt, h->pad_id));
  if (!h->tie_weights) FS_TRY(nn_init_uniform(r, m->out_weight, 0.1f));
  nn_init_const(r->be, m->out_bias, 0.0f);
  return FS_OK;
}
