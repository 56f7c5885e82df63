/* The length predictor P(T|x) (docs/model.md#length-predictor): an MLP on the encoder state at the source
 * EOS classifies the difference T − S into 2R+1 classes, of which only those giving a target
 * length that is a multiple of the length unit are admissible. */
#ifndef FLOWSEQ_MODEL_LENGTH_H
#define FLOWSEQ_MODEL_LENGTH_H

#include "model/hparams.h"
#include "nn/linear.h"

typedef struct {
  int range, unit;
  float dropout;
  nn_linear hidden1, hidden2, out;
} fs_length;

fs_status fs_length_declare(fs_length *l, fs_params *p, const fs_hparams *h);
/* MLP weights as nn.Linear, its biases 0; output layer U(±0.1), bias 0 (docs/model.md#initialisation). */
fs_status fs_length_init(fs_length *l, nn_init_rng *r);

/* Log-probabilities [B, 2R+1] over the admissible classes of each sentence (inadmissible classes
 * get a log-probability of about −1e9, i.e. probability 0). src_lengths: S per sentence (EOS
 * included). */
fs_tensor *fs_length_log_probs(fs_engine *e, const fs_length *l, fs_tensor *ctx, const int *src_lengths);

/* The class of target length T for source length S: T clipped into [S−R, S+R] on multiples of
 * the unit (docs/model.md#length-predictor "training target"). */
int fs_length_class(const fs_length *l, int src_length, int tgt_length);

/* Label-smoothed loss per sentence [B]: (1−ε)(−log p_y) + ε/K_adm Σ_admissible (−log p_v). */
fs_tensor *fs_length_loss(fs_engine *e, const fs_length *l, fs_tensor *log_probs, const int *src_lengths,
                          const int *tgt_lengths, float eps);

#endif
