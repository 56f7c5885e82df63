/* Parallel decoding (docs/model.md#decoding): length candidates from the length predictor, latent
 * samples through the generate direction of the flow, every target position decoded at once.
 *   argmax  top-1 length, v = 0                                          (docs/model.md#argmax)
 *   npd     top-l lengths × r samples at temperature τ, ranked by the model's own joint estimate
 *           −(log P(T|x) + log p(z|x) + log p(ŷ|z,x)) / T, or by an external rescorer
 *           (the autoregressive teacher, decode/rescore.h)              (docs/model.md#npd)
 *   iwd     l × r candidates (first sample of each length at v = 0), each scored by the
 *           importance-weighted estimate of log p(y|x) with K posterior samples,
 *           −(log p̂(y|x,T) + log P(T|x)) / T, or by the external rescorer (docs/model.md#iwd) */
#ifndef FLOWSEQ_DECODE_DECODE_H
#define FLOWSEQ_DECODE_DECODE_H

#include "model/flowseq.h"

typedef enum { FS_DECODE_ARGMAX, FS_DECODE_NPD, FS_DECODE_IWD } fs_decode_mode;

typedef struct fs_candidate {
  int sentence;           /* index of its source in the batch */
  int length;             /* T (a multiple of the length unit) */
  int32_t *tokens;        /* T decoded ids (malloc'd), including anything after the first EOS */
  int output_length;      /* tokens before the first EOS */
  double length_logprob;  /* log P(T|x) */
  double prior_logprob;   /* log p(z|x) of the latent it was decoded from */
  double decoder_logprob; /* log p(ŷ|z,x), summed over the T positions */
  double iwd_logprob;     /* log p̂(y|x,T) (iwd only, else 0) */
  double score;           /* lower is better */
} fs_candidate;

/* An external rescorer (e.g. the autoregressive teacher of decode/rescore.h): writes a score per
 * candidate, lower is better; candidate i translates source row candidates[i].sentence of src
 * ([batch, src_len] with EOS, mask src_mask). Returns a status. */
typedef fs_status (*fs_rescorer)(void *context, const int32_t *src, const float *src_mask, int batch, int src_len,
                                 const fs_candidate *candidates, int n, double *scores);

typedef struct {
  fs_decode_mode mode;
  int lengths;    /* l */
  int samples;    /* r */
  float tau;      /* temperature of the latent noise */
  int iw_samples; /* K (iwd) */
  uint64_t seed;
  fs_rescorer rescore; /* npd, iwd: replaces the model's own ranking when set */
  void *rescore_context;
  /* Where two neighbouring positions take the same token, one of them takes its runner-up instead
   * (fs_substitute_repeats); ids whose repeat_is_text entry is true (digit and byte pieces: "1 0
   * 0") are left as they are. repeat_is_text may be NULL (none). */
  bool substitute_repeats;
  const bool *repeat_is_text;
} fs_decode_options;

fs_decode_options fs_decode_defaults(fs_decode_mode mode);

/* Decoder rows one source sentence occupies at the widest point of fs_decode: its
 * candidates, and in iwd each candidate's K posterior samples. Batches are sized by it, since
 * activation memory grows with rows x length. */
int fs_decode_rows_per_sentence(const fs_decode_options *o);

/* Decodes B sources (ids [B, S] with EOS, mask [B, S]). *candidates receives all n = B·l·r
 * candidates grouped by sentence (free with fs_candidates_free); best[b] the index of
 * sentence b's chosen candidate. The model's multi-head linear inverses must be in sync
 * (flow_prior_sync after training). */
fs_status fs_decode(fs_engine *e, fs_flowseq *m, const int32_t *src, const float *src_mask, int batch, int src_len,
                    const fs_decode_options *o, fs_candidate **candidates, int *n, int *best);
void fs_candidates_free(fs_candidate *c, int n);

/* Repeat substitution on one decoded row of T positions: ids[t] is the argmax of logits[t]
 * ([T, V]) and logprob[t] its log-probability. A parallel decoder that hesitates between two
 * words often gives both neighbouring positions the likelier one ("a man in in shirt"), and
 * dropping the repeat leaves the sentence a word short. So, left to right, wherever ids[t] equals
 * ids[t-1], the one of the two positions whose best other token lies closer to the shared one
 * (the smaller logit gap; the later position on a tie) takes that token, and its logprob drops by
 * the gap. EOS and ids marked in keep (may be NULL) are never replaced, and neither EOS nor the
 * padding id `pad` is ever put in (-1: none). Returns how many
 * positions changed. On Multi30k test_2016 it moved the bundled FlowSeq's argmax from 30.4 to
 * 32.4 BLEU (docs/model.md#repeats). */
int fs_substitute_repeats(const float *logits, int T, int V, int eos, int pad, const bool *keep, int32_t *ids,
                          double *logprob);

/* Scores given translations: for each pair, the importance-weighted estimate log p̂(y|x,T) with
 * K posterior samples (docs/model.md#iwd) into logprob[b] and log P(T|x) into length_logprob[b], where
 * T is the target's length with EOS fillers to the length unit (−inf beyond the predictor's range).
 * tgt[b] holds tgt_len[b] ids without EOS. */
fs_status fs_score_pairs(fs_engine *e, fs_flowseq *m, const int32_t *src, const float *src_mask, int batch, int src_len,
                         const int32_t *const *tgt, const int *tgt_len, int K, uint64_t seed, double *logprob,
                         double *length_logprob);

#endif
