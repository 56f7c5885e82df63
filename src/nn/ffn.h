/* Position-wise feed-forward block (docs/model.md#feed-forward):
 *   out = LN(x + drop(W2 · drop(ReLU(W1 x + b1)) + b2)). */
#ifndef FLOWSEQ_NN_FFN_H
#define FLOWSEQ_NN_FFN_H

#include "nn/layernorm.h"
#include "nn/linear.h"

typedef struct {
  nn_linear in, out; /* W1 [H, D], W2 [D, H] */
  nn_layernorm norm;
  float dropout;
} nn_ffn;

fs_status nn_ffn_declare(nn_ffn *f, fs_params *p, const char *name, int dim, int hidden, float dropout);
fs_status nn_ffn_init(nn_ffn *f, nn_init_rng *r);
fs_tensor *nn_ffn_forward(fs_engine *e, const nn_ffn *f, fs_tensor *x);

#endif
