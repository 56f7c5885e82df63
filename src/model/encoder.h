/* Source encoder (docs/model.md#encoder): x = √d·E[ids] + PE, dropout 0.2 (fixed), transformer
 * encoder layers; src_enc = x ⊙ mask; ctx = the state at each sentence's last real position (EOS). */
#ifndef FLOWSEQ_MODEL_ENCODER_H
#define FLOWSEQ_MODEL_ENCODER_H

#include "model/batch.h"
#include "model/hparams.h"
#include "nn/layers.h"
#include "nn/positions.h"

#define FS_MAX_LAYERS 16
#define FS_EMBED_DROPOUT 0.2f /* hard-coded in the original for encoder and posterior */

typedef struct {
  int layers;
  nn_encoder_layer layer[FS_MAX_LAYERS];
} fs_encoder;

/* The batch's device-side view, built once per step and shared by every module. */
typedef struct {
  int batch, src_len, tgt_len;
  const float *host_tgt_mask;
  fs_ids *src_ids, *tgt_ids, *src_positions, *tgt_positions, *src_last; /* src_last: b·S + len_b − 1 */
  fs_tensor *src_mask, *tgt_mask, *tgt_mask3;                           /* [B,S], [B,T], [B,T,1] */
  fs_tensor *tgt_count;                                                 /* [B] valid target positions */
} fs_inputs;

fs_status fs_inputs_build(fs_engine *e, const fs_batch *b, fs_inputs *in);

fs_status fs_encoder_declare(fs_encoder *enc, fs_params *p, const fs_hparams *h);
fs_status fs_encoder_init(fs_encoder *enc, nn_init_rng *r);
/* Returns src_enc [B, S, d]; *ctx receives [B, d]. */
fs_tensor *fs_encoder_forward(fs_engine *e, const fs_encoder *enc, fs_tensor *embedding, const nn_positions *pos,
                              const fs_inputs *in, fs_tensor **ctx);

/* √d·E[ids] reshaped to [B, L, d]: the scaled embedding lookup both sides use. */
fs_tensor *fs_embed(fs_engine *e, fs_tensor *embedding, const fs_ids *ids, int batch, int length);

#endif
