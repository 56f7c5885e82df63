/* The autoregressive Transformer (docs/transformer.md): FlowSeq's source encoder, a decoder of
 * the same decoder-style layers with causal self-attention over the shifted target, and the tied
 * output projection; trained by label-smoothed cross-entropy with teacher forcing. It is the
 * teacher of sequence-level distillation and of teacher-rescored noisy parallel decoding.
 *
 * Decoding runs one position at a time on a fs_transformer_state: the source is encoded once and
 * each layer's cross-attention keys and values projected once; each step appends the new
 * position's self-attention keys and values to a per-layer cache, so a step costs the same at
 * any position (apart from attending over the longer cache). */
#ifndef FLOWSEQ_MODEL_TRANSFORMER_H
#define FLOWSEQ_MODEL_TRANSFORMER_H

#include "model/encoder.h"
#include "model/flowseq.h"

typedef struct {
  fs_hparams h;
  const fs_backend *be;
  fs_params params;
  fs_embeddings embed;
  nn_positions positions;
  fs_encoder encoder;
  int layers;
  nn_decoder_layer layer[FS_MAX_LAYERS]; /* self-attention causal */
} fs_transformer;

/* Allocation without initialisation, the random initialisation, and both, as fs_flowseq_alloc,
 * fs_flowseq_init_random and fs_flowseq_create. */
fs_status fs_transformer_alloc(fs_transformer *m, const fs_hparams *h, const fs_backend *be, int n_optimizer_slots);
fs_status fs_transformer_init_random(fs_transformer *m, uint64_t seed);
fs_status fs_transformer_create(fs_transformer *m, const fs_hparams *h, const fs_backend *be, uint64_t seed,
                                int n_optimizer_slots);
void fs_transformer_free(fs_transformer *m);

/* Logits [B, T, V] of every target position with teacher forcing: position t reads the target
 * tokens before it (EOS stands for the start at t = 0). */
fs_tensor *fs_transformer_logits(fs_engine *e, fs_transformer *m, const fs_batch *b);

/* The training loss: out->recon [B] = label-smoothed cross-entropy summed over each sentence's
 * target positions (tokens and the EOS), out->loss = Σ recon / B; kl and length are NULL. */
fs_status fs_transformer_loss(fs_engine *e, fs_transformer *m, const fs_batch *b, fs_flowseq_losses *out);

/* ---- decoding ---- */

/* The source side of decoding, computed once per sentence and shared by every row that translates
 * it (beam copies, rescored candidates): the source mask [rows, S] and each layer's cross-attention
 * keys and values [rows, S, 2d]. */
typedef struct {
  int rows;
  fs_tensor *src_mask;
  fs_tensor *src_kv[FS_MAX_LAYERS];
} fs_transformer_source;

/* Encodes B sources (ids [B, S] with EOS, mask [B, S]) and projects each layer's keys and values:
 * out->rows = B. Gradients must be off; the tensors live in the engine until it is reset. */
fs_status fs_transformer_encode(fs_engine *e, fs_transformer *m, const int32_t *src, const float *src_mask, int batch,
                                int src_len, fs_transformer_source *out);
/* Row r of *out is row sentence[r] of *in (rows picked and repeated, nothing re-encoded). */
fs_status fs_transformer_source_rows(fs_engine *e, const fs_transformer *m, const fs_transformer_source *in,
                                     const int32_t *sentence, int rows, fs_transformer_source *out);
/* Teacher-forced log p(y|x) of each row's target given its source side: tgt[r] holds tgt_len[r]
 * ids without EOS (r < source->rows); logprob[r] is the sum over the tokens and the EOS, whose
 * count goes to n_tokens[r] when it is not NULL. Gradients must be off; allocates in the engine. */
fs_status fs_transformer_score(fs_engine *e, fs_transformer *m, const fs_transformer_source *source,
                               const int32_t *const *tgt, const int *tgt_len, double *logprob, int *n_tokens);

/* Incremental decoding: one position at a time, each row's self-attention keys and values cached. */
typedef struct {
  int rows;                          /* decoder rows: batch x copies */
  int steps;                         /* positions decoded so far */
  fs_transformer_source source;      /* each row's source side */
  fs_tensor *self_kv[FS_MAX_LAYERS]; /* self-attention cache per layer, [rows, steps, 2d] */
  fs_engine_mark mark;               /* the engine after the encoder: each step frees back to here */
} fs_transformer_state;

/* Encodes B sources (ids [B, S] with EOS, mask [B, S]) once, for `copies` decoder rows each (row
 * b·copies + k serves sentence b: beam search keeps a beam per copy). Gradients must be off;
 * the state lives in the engine until its next reset. */
fs_status fs_transformer_start(fs_engine *e, fs_transformer *m, const int32_t *src, const float *src_mask, int batch,
                               int src_len, int copies, fs_transformer_state *st);
/* Decodes position st->steps: row r continues the prefix of row parent[r] (NULL: its own) with
 * token prev[r] (the previous position's token, EOS at the first), and gets log p(· | prefix, x)
 * in log_probs [rows, V] (host memory). parent[r] must serve the same sentence as r. */
fs_status fs_transformer_step(fs_engine *e, fs_transformer *m, fs_transformer_state *st, const int32_t *prev,
                              const int32_t *parent, float *log_probs);

#endif
