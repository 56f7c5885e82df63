/* The approximate posterior q(z|y,x) (docs/model.md#posterior): a diagonal Gaussian per target
 * position from a non-causal decoder-style stack over the target embeddings (whole tokens dropped
 * with the token-dropout rate) with cross-attention to the source. */
#ifndef FLOWSEQ_MODEL_POSTERIOR_H
#define FLOWSEQ_MODEL_POSTERIOR_H

#include "model/encoder.h"
#include "nn/linear.h"

typedef struct {
  int layers;
  float token_dropout;
  nn_decoder_layer layer[FS_MAX_LAYERS];
  nn_wnlinear mu, logvar; /* μ and λ = log σ² heads */
} fs_posterior;

fs_status fs_posterior_declare(fs_posterior *q, fs_params *p, const fs_hparams *h);
fs_status fs_posterior_init(fs_posterior *q, nn_init_rng *r);

/* The hidden states before the two heads [B, T, d]. */
fs_tensor *fs_posterior_hidden(fs_engine *e, const fs_posterior *q, fs_tensor *embedding, const nn_positions *pos,
                               const fs_inputs *in, fs_tensor *src_enc);
/* μ and λ (masked) from the hidden states. */
void fs_posterior_heads(fs_engine *e, const fs_posterior *q, fs_tensor *hidden, const fs_inputs *in, fs_tensor **mu,
                        fs_tensor **logvar);
/* z = μ + exp(λ/2) ⊙ ε with ε ~ N(0, I) masked (ε = 0 when `mean`), and
 * log q(z) = −½ Σ_valid (λ + ε²) − ½ T_valid d ln 2π per sentence [B]. ε is a constant for
 * back-propagation: log q depends on λ directly, μ and λ also reach the loss through z. */
fs_tensor *fs_posterior_sample(fs_engine *e, fs_tensor *mu, fs_tensor *logvar, const fs_inputs *in, bool mean,
                               fs_tensor **log_q);

#endif
