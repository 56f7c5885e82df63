/* Left-to-right decoding of the autoregressive Transformer (docs/transformer.md#decoding):
 *   greedy  the most probable token at each position, until EOS
 *   beam    K prefixes per sentence, batched over sentences (a decoder row per prefix) on the
 *           incremental state of model/transformer.h. Each step extends every live prefix by every
 *           token and ranks the best 2K extensions; an extension by EOS among the first K becomes
 *           a finished hypothesis scored by its log-probability divided by length^α (the length
 *           with EOS), and the best K others are the next live prefixes. A sentence keeps its K
 *           best finished hypotheses and is done when no prefix is live or when it has its
 *           n-best finished and its best live prefix, ended at the next position, would not
 *           enter them (fairseq stops at the first K finished, which loses the best hypothesis
 *           whenever poor short ones end first; waiting for K finished, as Hugging Face does,
 *           ran most batches to the length limit). The batch stops when every sentence is done.
 * At a sentence's last allowed position, only EOS may be chosen: outputs have at most
 * max_length_a · (source tokens) + max_length_b tokens (EOS included), and never more than
 * model.max_length. PAD is never chosen.
 *
 * Results are fs_candidate rows (tokens, output_length, decoder_logprob = log p(y|x) with
 * the EOS, score = minus the length-normalised log-probability: lower is better), so translate,
 * sample and score handle both model types alike. */
#ifndef FLOWSEQ_DECODE_BEAM_H
#define FLOWSEQ_DECODE_BEAM_H

#include "decode/decode.h"
#include "model/transformer.h"

typedef struct {
  int beam;             /* K; 1 = greedy */
  int nbest;            /* hypotheses returned per sentence, 1..K */
  float length_penalty; /* α: score = log p / length^α (0 = raw log-probability) */
  float max_length_a, max_length_b;
} fs_beam_options;

/* beam 4 (the paper's teacher), 1-best, α = 1, at most 2·S + 10 tokens. */
fs_beam_options fs_beam_defaults(void);

/* Decodes B sources (ids [B, S] with EOS, mask [B, S]). *candidates receives o->nbest (greedy:
 * 1) candidates per sentence, grouped by sentence and best first (free with
 * fs_candidates_free); best[b] indexes sentence b's first. Gradients must be off. */
fs_status fs_beam_search(fs_engine *e, fs_transformer *m, const int32_t *src, const float *src_mask, int batch,
                         int src_len, const fs_beam_options *o, fs_candidate **candidates, int *n, int *best);

/* Greedy decoding, written out on its own (the reference beam search with K = 1 must equal). */
fs_status fs_greedy_search(fs_engine *e, fs_transformer *m, const int32_t *src, const float *src_mask, int batch,
                           int src_len, const fs_beam_options *o, fs_candidate **candidates, int *n, int *best);

/* log p(y|x) of given pairs under teacher forcing (evaluation mode, engine reset): B sources,
 * tgt[b] and tgt_len[b] as fs_transformer_score. */
fs_status fs_transformer_score_pairs(fs_engine *e, fs_transformer *m, const int32_t *src, const float *src_mask,
                                     int batch, int src_len, const int32_t *const *tgt, const int *tgt_len,
                                     double *logprob, int *n_tokens);

#endif
