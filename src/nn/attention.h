/* Multi-head attention block exactly as FlowSeq has it (docs/model.md#attention): one packed input
 * projection W_in [3D, D] (rows 0..D-1 give Q from the query, D..2D-1 give K from the key,
 * 2D..3D-1 give V from the value), Q scaled by (D/n)^-½, key padding masked, per-head outputs
 * concatenated with NO output projection, dropout, then a residual on the query and post-LN:
 *   out = LN(dropout(attention) + query). */
#ifndef FLOWSEQ_NN_ATTENTION_H
#define FLOWSEQ_NN_ATTENTION_H

#include "nn/layernorm.h"

typedef struct {
  int dim, heads;
  float dropout;
  bool causal;     /* self-attention of an autoregressive decoder: position i sees keys 0..i */
  fs_tensor *w_in; /* [3D, D] */
  fs_tensor *b_in; /* [3D] */
  nn_layernorm norm;
} nn_attention;

fs_status nn_attention_declare(nn_attention *a, fs_params *p, const char *name, int dim, int heads, float dropout);
/* Xavier-uniform on each D x D block of W_in, zero bias, LN gain 1 / bias 0 (docs/model.md#initialisation). */
fs_status nn_attention_init(nn_attention *a, nn_init_rng *r);
/* query [B, Tq, D], key/value [B, Tk, D], key_mask [B, Tk] of {0,1}. Returns [B, Tq, D]. */
fs_tensor *nn_attention_forward(fs_engine *e, const nn_attention *a, fs_tensor *query, fs_tensor *key, fs_tensor *value,
                                fs_tensor *key_mask);

/* ---- incremental decoding: the same block, without recomputing what earlier steps had ---- */
/* A fixed memory's keys and values, projected once: [B, Tk, 2D], K in the first D columns. */
fs_tensor *nn_attention_memory(fs_engine *e, const nn_attention *a, fs_tensor *memory);
/* nn_attention_forward(query, memory, memory, key_mask) from nn_attention_memory's projection. */
fs_tensor *nn_attention_forward_memory(fs_engine *e, const nn_attention *a, fs_tensor *query, fs_tensor *memory_kv,
                                       fs_tensor *key_mask);
/* Causal self-attention of one new position x [B, 1, D] over itself and the t earlier positions
 * whose keys and values *cache holds ([B, t, 2D], NULL when t = 0); *cache is replaced by
 * [B, t + 1, 2D] with x's appended. Equals row t of nn_attention_forward over all t + 1
 * positions with a->causal set and no padding. */
fs_tensor *nn_attention_forward_step(fs_engine *e, const nn_attention *a, fs_tensor *x, fs_tensor **cache);

#endif
