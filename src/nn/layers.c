/* The two transformer layers FlowSeq is built from: the implementation; nn/layers.h describes the interface. */
#include "nn/layers.h"

fs_status nn_encoder_layer_declare(nn_encoder_layer *l, fs_params *p, const char *name, int dim, int heads, int hidden,
                                   float dropout) {
  char buf[FS_PARAM_NAME_MAX];
  FS_TRY(nn_attention_declare(&l->self, p, nn_name(buf, name, "self_attn"), dim, heads, dropout));
  return nn_ffn_declare(&l->ffn, p, nn_name(buf, name, "ffn"), dim, hidden, dropout);
}

fs_status nn_encoder_layer_init(nn_encoder_layer *l, nn_init_rng *r) {
  FS_TRY(nn_attention_init(&l->self, r));
  return nn_ffn_init(&l->ffn, r);
}

fs_tensor *nn_encoder_layer_forward(fs_engine *e, const nn_encoder_layer *l, fs_tensor *x, fs_tensor *mask) {
  x = nn_attention_forward(e, &l->self, x, x, x, mask);
  return nn_ffn_forward(e, &l->ffn, x);
}

fs_status nn_decoder_layer_declare(nn_decoder_layer *l, fs_params *p, const char *name, int dim, int heads, int hidden,
                                   float dropout) {
  char buf[FS_PARAM_NAME_MAX];
  FS_TRY(nn_attention_declare(&l->self, p, nn_name(buf, name, "self_attn"), dim, heads, dropout));
  FS_TRY(nn_attention_declare(&l->cross, p, nn_name(buf, name, "src_attn"), dim, heads, dropout));
  return nn_ffn_declare(&l->ffn, p, nn_name(buf, name, "ffn"), dim, hidden, dropout);
}

fs_status nn_decoder_layer_init(nn_decoder_layer *l, nn_init_rng *r) {
  FS_TRY(nn_attention_init(&l->self, r));
  FS_TRY(nn_attention_init(&l->cross, r));
  return nn_ffn_init(&l->ffn, r);
}

fs_tensor *nn_decoder_layer_forward(fs_engine *e, const nn_decoder_layer *l, fs_tensor *x, fs_tensor *mask,
                                    fs_tensor *src, fs_tensor *src_mask) {
  x = nn_attention_forward(e, &l->self, x, x, x, mask);
  x = nn_attention_forward(e, &l->cross, x, src, src, src_mask);
  return nn_ffn_forward(e, &l->ffn, x);
}

fs_tensor *nn_decoder_layer_forward_memory(fs_engine *e, const nn_decoder_layer *l, fs_tensor *x, fs_tensor *mask,
                                           fs_tensor *src_kv, fs_tensor *src_mask) {
  x = nn_attention_forward(e, &l->self, x, x, x, mask);
  x = nn_attention_forward_memory(e, &l->cross, x, src_kv, src_mask);
  return nn_ffn_forward(e, &l->ffn, x);
}

fs_tensor *nn_decoder_layer_step(fs_engine *e, const nn_decoder_layer *l, fs_tensor *x, fs_tensor **self_cache,
                                 fs_tensor *src_kv, fs_tensor *src_mask) {
  x = nn_attention_forward_step(e, &l->self, x, self_cache);
  x = nn_attention_forward_memory(e, &l->cross, x, src_kv, src_mask);
  return nn_ffn_forward(e, &l->ffn, x);
}
