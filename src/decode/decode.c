/* Parallel decoding: the implementation; decode/decode.h describes the interface. */
#include "decode/decode.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/kernel_math.h" /* fs_sum_exp */
#include "core/alloc.h"
#include "nn/losses.h"

fs_decode_options fs_decode_defaults(fs_decode_mode mode) {
  fs_decode_options o = {mode, 1, 1, 0.0f, 4, 1, NULL, NULL, false, NULL};
  if (mode == FS_DECODE_NPD) {
    o.lengths = 3;
    o.samples = 5;
    o.tau = 1.0f;
  } else if (mode == FS_DECODE_IWD) {
    o.lengths = 3;
  }
  return o;
}

void fs_candidates_free(fs_candidate *c, int n) {
  for (int i = 0; i < n && c; i++) free(c[i].tokens);
  free(c);
}

/* Host arrays of a batch whose rows are sources repeated per candidate, with target length T
 * and target rows given by `tgt` (or EOS placeholders) and per-row valid lengths. */
typedef struct {
  int32_t *src, *tgt;
  float *src_mask, *tgt_mask;
  fs_batch view;
} host_batch;

static void host_batch_build(host_batch *h, const int32_t *src, const float *src_mask, int src_len,
                             const int *row_source, int rows, int tgt_len, const int *valid,
                             const int32_t *const *tgt_rows, int eos) {
  h->src = fs_malloc(sizeof(int32_t) * rows * src_len);
  h->src_mask = fs_malloc(sizeof(float) * rows * src_len);
  h->tgt = fs_malloc(sizeof(int32_t) * rows * tgt_len);
  h->tgt_mask = fs_malloc(sizeof(float) * rows * tgt_len);
  for (int r = 0; r < rows; r++) {
    memcpy(h->src + r * src_len, src + row_source[r] * src_len, sizeof(int32_t) * src_len);
    memcpy(h->src_mask + r * src_len, src_mask + row_source[r] * src_len, sizeof(float) * src_len);
    for (int t = 0; t < tgt_len; t++) {
      bool in = t < valid[r];
      h->tgt_mask[r * tgt_len + t] = in ? 1.0f : 0.0f;
      h->tgt[r * tgt_len + t] = in && tgt_rows ? tgt_rows[r][t] : in ? eos : 0;
    }
  }
  h->view = (fs_batch){rows, src_len, tgt_len, h->src, h->tgt, h->src_mask, h->tgt_mask};
}

static void host_batch_free(host_batch *h) {
  free(h->src);
  free(h->tgt);
  free(h->src_mask);
  free(h->tgt_mask);
}

/* Length log-probabilities [B, 2R+1] of the sources (host, malloc'd). */
static float *length_log_probs(fs_engine *e, fs_flowseq *m, const int32_t *src, const float *src_mask, int batch,
                               int src_len, int *src_lengths) {
  int unit = m->length.unit, classes = 2 * m->length.range + 1;
  int *rows = fs_malloc(sizeof(int) * batch), *valid = fs_malloc(sizeof(int) * batch);
  for (int b = 0; b < batch; b++) {
    rows[b] = b;
    valid[b] = unit;
    src_lengths[b] = 0;
    for (int t = 0; t < src_len; t++) src_lengths[b] += src_mask[b * src_len + t] != 0.0f;
  }
  host_batch hb;
  host_batch_build(&hb, src, src_mask, src_len, rows, batch, unit, valid, NULL, m->h.eos_id);
  fs_inputs in;
  float *lp = NULL;
  if (fs_inputs_build(e, &hb.view, &in) == FS_OK) {
    fs_tensor *ctx = NULL;
    fs_encoder_forward(e, &m->encoder, m->embed.src, &m->positions, &in, &ctx);
    fs_tensor *t = fs_length_log_probs(e, &m->length, ctx, src_lengths);
    lp = fs_malloc(sizeof(float) * batch * classes);
    if (fs_tensor_to_host(e, t, lp) != FS_OK) {
      free(lp);
      lp = NULL;
    }
  }
  host_batch_free(&hb);
  free(rows);
  free(valid);
  return lp;
}

/* The top-l classes of one sentence with a positive length (docs/model.md#length-predictor "prediction"). */
static int top_lengths(const fs_flowseq *m, const float *lp, int src_length, int l, int *lengths, double *logprobs) {
  int classes = 2 * m->length.range + 1, found = 0;
  bool *taken = fs_calloc(classes, sizeof(bool));
  for (; found < l; found++) {
    int best = -1;
    for (int k = 0; k < classes; k++) {
      int len = src_length + k - m->length.range;
      if (taken[k] || len <= 0 || len > m->h.max_length || lp[k] < -1e8f) continue; /* beyond the position table */
      if (best < 0 || lp[k] > lp[best]) best = k;
    }
    if (best < 0) break;
    taken[best] = true;
    lengths[found] = src_length + best - m->length.range;
    logprobs[found] = lp[best];
  }
  free(taken);
  return found;
}

/* Per-row log-softmax statistics on the host: argmax id and its log-probability. Rows over the
 * threads, the sum through the vectorised fs_sum_exp: a double exp per vocabulary entry here was
 * a quarter of argmax decoding and half of npd. */
static void argmax_rows(const float *logits, int64_t rows, int vocab, int32_t *ids, double *logprob) {
#pragma omp parallel for schedule(static) if (rows * vocab > 32768)
  for (int64_t r = 0; r < rows; r++) {
    const float *z = logits + r * vocab;
    float max = z[0];
    for (int v = 1; v < vocab; v++) max = z[v] > max ? z[v] : max; /* a max reduction vectorises */
    int best = 0;
    while (z[best] != max) best++; /* the first index holding it, as a scan for the argmax gives */
    ids[r] = best;
    logprob[r] = -log(fs_sum_exp(vocab, z, max));
  }
}

/* The best id of a logit row other than `shared` and the two special ids: a substituted EOS would
 * end the sentence there, a padding id print nothing. -1 when no id is left. */
static int runner_up(const float *z, int V, int shared, int eos, int pad) {
  int best = -1;
  for (int v = 0; v < V; v++)
    if (v != shared && v != eos && v != pad && (best < 0 || z[v] > z[best])) best = v;
  return best;
}

int fs_substitute_repeats(const float *logits, int T, int V, int eos, int pad, const bool *keep, int32_t *ids,
                          double *logprob) {
  int changed = 0;
  for (int t = 1; t < T; t++) {
    int32_t shared = ids[t];
    if (shared != ids[t - 1] || shared == eos || (keep && keep[shared])) continue;
    const float *before = logits + (int64_t)(t - 1) * V, *here = logits + (int64_t)t * V;
    int other_before = runner_up(before, V, shared, eos, pad), other_here = runner_up(here, V, shared, eos, pad);
    if (other_before < 0 || other_here < 0) continue;
    float gap_before = before[shared] - before[other_before], gap_here = here[shared] - here[other_here];
    if (gap_here <= gap_before) ids[t] = other_here, logprob[t] -= gap_here;
    else ids[t - 1] = other_before, logprob[t - 1] -= gap_before;
    changed++;
  }
  return changed;
}

/* The encoded sources of `rows` candidates, candidate r being of sentence row_source[r] of the
 * batch: the encoder runs once per sentence and its output is gathered per candidate (npd has
 * 15 candidates a sentence, and ran the encoder on each). */
static fs_tensor *encode_candidates(fs_engine *e, fs_flowseq *m, const int32_t *src, const float *src_mask, int batch,
                                    int src_len, const int *row_source, int rows) {
  int *sentence = fs_malloc(sizeof(int) * batch), *one = fs_malloc(sizeof(int) * batch);
  for (int i = 0; i < batch; i++) sentence[i] = i, one[i] = 1;
  host_batch hb;
  host_batch_build(&hb, src, src_mask, src_len, sentence, batch, 1, one, NULL, m->h.eos_id);
  fs_inputs in;
  fs_tensor *enc = NULL, *ctx;
  if (fs_inputs_build(e, &hb.view, &in) == FS_OK)
    enc = fs_encoder_forward(e, &m->encoder, m->embed.src, &m->positions, &in, &ctx);
  fs_ids *ids = fs_ids_from_host(e, row_source, rows);
  fs_tensor *per_sentence = fs_reshape(e, enc, 2, (int[]){batch, src_len * m->h.d});
  fs_tensor *out = ids ? fs_reshape(e, fs_embedding(e, per_sentence, ids), 3, (int[]){rows, src_len, m->h.d}) : NULL;
  host_batch_free(&hb);
  free(sentence);
  free(one);
  return out;
}

/* Decodes every candidate: v = τ·ε (or 0), z = f(v; x), ŷ = argmax p(y|z, x). b holds the
 * candidates' rows, candidate r being of source sentence row_source[r]. Fills tokens, prior and
 * decoder log-probabilities. */
static fs_status generate(fs_engine *e, fs_flowseq *m, const fs_batch *b, const int32_t *src, const float *src_mask,
                          int batch, const int *row_source, const float *noise_scale, const fs_decode_options *o,
                          fs_candidate *c) {
  fs_inputs in;
  FS_TRY(fs_inputs_build(e, b, &in));
  int N = b->batch, T = b->tgt_len, d = m->h.d, V = m->h.vocab;
  fs_tensor *src_enc = encode_candidates(e, m, src, src_mask, batch, b->src_len, row_source, N);
  bool noise = false; /* argmax decodes from v = 0: no noise to draw */
  for (int r = 0; r < N; r++) noise = noise || noise_scale[r] != 0.0f;
  fs_tensor *v = noise ? fs_mul(e, fs_mul(e, fs_normal(e, 3, (int[]){N, T, d}), in.tgt_mask3),
                                fs_tensor_from_host(e, 3, (int[]){N, 1, 1}, noise_scale))
                       : fs_tensor_zeros(e, 3, (int[]){N, T, d});
  flow_input fin = {N, T, b->tgt_mask, src_enc, in.src_mask};
  fs_tensor *logdet = NULL;
  fs_tensor *z = flow_prior_generate(e, &m->prior, v, &fin, &logdet);
  /* log p(z|x) = log N(v) − Σ generate log-dets (docs/model.md#departures-from-the-original-code: the original adds them, a bug) */
  fs_tensor *prior = fs_sub(e, flow_gaussian_log_density(e, v, in.tgt_mask3, in.tgt_count), logdet);
  fs_tensor *logits =
      fs_decoder_forward(e, &m->decoder, z, &m->positions, &in, src_enc, m->embed.out_weight, m->embed.out_bias);
  if (!logits) return fs_engine_status(e);
  float *host_logits = fs_malloc(sizeof(float) * logits->numel), *prior_host = fs_malloc(sizeof(float) * N);
  int32_t *ids = fs_malloc(sizeof(int32_t) * N * T);
  double *lp = fs_malloc(sizeof(double) * N * T);
  fs_status s = fs_tensor_to_host(e, logits, host_logits);
  if (s == FS_OK) s = fs_tensor_to_host(e, prior, prior_host);
  if (s == FS_OK) {
    argmax_rows(host_logits, (int64_t)N * T, V, ids, lp);
    for (int r = 0; o->substitute_repeats && r < N; r++) /* the candidate's own length: padding stays */
      fs_substitute_repeats(host_logits + (int64_t)r * T * V, c[r].length, V, m->h.eos_id, m->h.pad_id,
                            o->repeat_is_text, ids + (int64_t)r * T, lp + (int64_t)r * T);
    for (int r = 0; r < N; r++) {
      c[r].tokens = fs_malloc(sizeof(int32_t) * c[r].length);
      c[r].decoder_logprob = 0.0;
      c[r].output_length = c[r].length;
      for (int t = 0; t < c[r].length; t++) {
        c[r].tokens[t] = ids[r * T + t];
        c[r].decoder_logprob += lp[r * T + t];
        if (ids[r * T + t] == m->h.eos_id && c[r].output_length == c[r].length) c[r].output_length = t;
      }
      c[r].prior_logprob = prior_host[r];
    }
  }
  free(host_logits);
  free(prior_host);
  free(ids);
  free(lp);
  return s;
}

/* docs/model.md#iwd: log p̂(y|x,T) = logsumexp_k [log p(z_k|x) + log p(y|z_k,x) − log q(z_k|y,x)] − ln K
 * with K posterior samples per candidate; the decoder term is the plain NLL over all T positions. */
static fs_status importance_weights(fs_engine *e, fs_flowseq *m, const int32_t *src, const float *src_mask, int src_len,
                                    fs_candidate *c, int n, int K) {
  int rows = n * K, T = 0;
  for (int i = 0; i < n; i++) T = c[i].length > T ? c[i].length : T;
  int *row_source = fs_malloc(sizeof(int) * rows), *valid = fs_malloc(sizeof(int) * rows);
  const int32_t **tgt_rows = fs_malloc(sizeof *tgt_rows * rows);
  for (int r = 0; r < rows; r++) {
    row_source[r] = c[r / K].sentence;
    valid[r] = c[r / K].length;
    tgt_rows[r] = c[r / K].tokens;
  }
  host_batch hb;
  host_batch_build(&hb, src, src_mask, src_len, row_source, rows, T, valid, tgt_rows, m->h.eos_id);
  fs_inputs in;
  fs_status s = fs_inputs_build(e, &hb.view, &in);
  float *weights = fs_malloc(sizeof(float) * rows);
  if (s == FS_OK) {
    fs_tensor *ctx, *mu, *logvar, *log_q;
    fs_tensor *src_enc = fs_encoder_forward(e, &m->encoder, m->embed.src, &m->positions, &in, &ctx);
    fs_tensor *hidden = fs_posterior_hidden(e, &m->posterior, m->embed.tgt, &m->positions, &in, src_enc);
    if (hidden) fs_posterior_heads(e, &m->posterior, hidden, &in, &mu, &logvar);
    fs_tensor *z = hidden ? fs_posterior_sample(e, mu, logvar, &in, false, &log_q) : NULL;
    flow_input fin = {rows, T, hb.tgt_mask, src_enc, in.src_mask};
    fs_tensor *log_p = flow_prior_log_density(e, &m->prior, z, &fin);
    fs_tensor *logits =
        fs_decoder_forward(e, &m->decoder, z, &m->positions, &in, src_enc, m->embed.out_weight, m->embed.out_bias);
    fs_tensor *nll = nn_sentence_cross_entropy(e, logits, in.tgt_ids, in.tgt_mask, 0.0f);
    fs_tensor *log_w = fs_sub(e, fs_sub(e, log_p, nll), log_q);
    s = fs_tensor_to_host(e, log_w, weights);
  }
  for (int i = 0; s == FS_OK && i < n; i++) {
    double max = -DBL_MAX, sum = 0.0;
    for (int k = 0; k < K; k++) max = fmax(max, weights[i * K + k]);
    for (int k = 0; k < K; k++) sum += exp(weights[i * K + k] - max);
    c[i].iwd_logprob = max + log(sum) - log((double)K);
  }
  free(weights);
  host_batch_free(&hb);
  free(row_source);
  free(valid);
  free(tgt_rows);
  return s;
}

int fs_decode_rows_per_sentence(const fs_decode_options *o) {
  if (o->mode == FS_DECODE_ARGMAX) return 1;
  int candidates = o->lengths * o->samples;
  return o->mode == FS_DECODE_IWD ? candidates * o->iw_samples : candidates;
}

/* The candidates of sentence b at c[*count...]: its top `lengths_per` lengths (buffers of that
 * size), each with samples_per latents; the candidates' rows go to row_source, valid and noise. */
static void add_candidates(const fs_flowseq *m, const fs_decode_options *o, const float *lp, int b, int src_length,
                           int lengths_per, int samples_per, int *lengths, double *logprobs, fs_candidate *c,
                           int *row_source, int *valid, float *noise, int *count, int *T) {
  int found = top_lengths(m, lp + b * (2 * m->length.range + 1), src_length, lengths_per, lengths, logprobs);
  if (found == 0) found = 1, lengths[0] = m->length.unit, logprobs[0] = 0.0; /* no admissible length: shortest */
  for (int k = 0; k < found * samples_per; k++) {
    fs_candidate *x = &c[*count];
    x->sentence = b;
    x->length = lengths[k / samples_per];
    x->length_logprob = logprobs[k / samples_per];
    /* argmax and the first sample of each length in iwd decode from v = 0 (docs/model.md#argmax, docs/model.md#iwd) */
    bool zero = o->mode == FS_DECODE_ARGMAX || (o->mode == FS_DECODE_IWD && k % samples_per == 0);
    noise[*count] = zero ? 0.0f : o->tau;
    row_source[*count] = b;
    valid[*count] = x->length;
    *T = x->length > *T ? x->length : *T;
    (*count)++;
  }
}

/* Every candidate's score (lower is better) and each sentence's best: the model's own estimate,
 * or the external rescorer's. */
static fs_status rank(const fs_decode_options *o, const int32_t *src, const float *src_mask, int batch, int src_len,
                      fs_candidate *c, int count, int *best) {
  double *external = NULL;
  fs_status s = FS_OK;
  if (o->mode != FS_DECODE_ARGMAX && o->rescore) {
    external = fs_malloc(sizeof(double) * count);
    s = o->rescore(o->rescore_context, src, src_mask, batch, src_len, c, count, external);
  }
  for (int i = 0; s == FS_OK && i < count; i++) {
    double joint = o->mode == FS_DECODE_IWD ? c[i].iwd_logprob : c[i].prior_logprob + c[i].decoder_logprob;
    c[i].score = external ? external[i] : -(joint + c[i].length_logprob) / c[i].length;
  }
  for (int b = 0; b < batch; b++) best[b] = -1;
  for (int i = 0; s == FS_OK && i < count; i++)
    if (best[c[i].sentence] < 0 || c[i].score < c[best[c[i].sentence]].score) best[c[i].sentence] = i;
  free(external);
  return s;
}

/* fs_decode in the evaluation mode its caller entered. */
static fs_status decode(fs_engine *e, fs_flowseq *m, const int32_t *src, const float *src_mask, int batch, int src_len,
                        const fs_decode_options *o, fs_candidate **candidates, int *n, int *best) {
  int lengths_per = o->mode == FS_DECODE_ARGMAX ? 1 : o->lengths;
  int samples_per = o->mode == FS_DECODE_ARGMAX ? 1 : o->samples, per = lengths_per * samples_per;
  int *src_lengths = fs_malloc(sizeof(int) * batch);
  fs_engine_reset(e);
  float *lp = length_log_probs(e, m, src, src_mask, batch, src_len, src_lengths);
  fs_status s = lp ? FS_OK : fs_engine_status(e);
  fs_candidate *c = fs_calloc((size_t)batch * per, sizeof *c);
  int *row_source = fs_malloc(sizeof(int) * batch * per), *valid = fs_malloc(sizeof(int) * batch * per);
  int T = 0, count = 0;
  float *noise = fs_malloc(sizeof(float) * batch * per);
  int *lengths = fs_malloc(sizeof(int) * lengths_per);
  double *logprobs = fs_malloc(sizeof(double) * lengths_per);
  for (int b = 0; s == FS_OK && b < batch; b++)
    add_candidates(m, o, lp, b, src_lengths[b], lengths_per, samples_per, lengths, logprobs, c, row_source, valid,
                   noise, &count, &T);
  free(lp);
  free(lengths);
  free(logprobs);
  if (s == FS_OK) {
    host_batch hb;
    host_batch_build(&hb, src, src_mask, src_len, row_source, count, T, valid, NULL, m->h.eos_id);
    fs_engine_reset(e);
    s = generate(e, m, &hb.view, src, src_mask, batch, row_source, noise, o, c);
    host_batch_free(&hb);
  }
  if (s == FS_OK && o->mode == FS_DECODE_IWD) {
    fs_engine_reset(e);
    s = importance_weights(e, m, src, src_mask, src_len, c, count, o->iw_samples);
  }
  if (s == FS_OK) s = rank(o, src, src_mask, batch, src_len, c, count, best);
  free(noise);
  free(row_source);
  free(valid);
  free(src_lengths);
  if (s != FS_OK) {
    fs_candidates_free(c, count);
    return s;
  }
  *candidates = c;
  *n = count;
  return FS_OK;
}

fs_status fs_decode(fs_engine *e, fs_flowseq *m, const int32_t *src, const float *src_mask, int batch, int src_len,
                    const fs_decode_options *o, fs_candidate **candidates, int *n, int *best) {
  fs_engine_mode previous = fs_engine_enter(e, fs_engine_eval_seeded(o->seed));
  fs_status s = decode(e, m, src, src_mask, batch, src_len, o, candidates, n, best);
  fs_engine_restore(e, previous);
  return s;
}

/* fs_score_pairs in the evaluation mode its caller entered. */
static fs_status score_pairs(fs_engine *e, fs_flowseq *m, const int32_t *src, const float *src_mask, int batch,
                             int src_len, const int32_t *const *tgt, const int *tgt_len, int K, double *logprob,
                             double *length_logprob) {
  int *src_lengths = fs_malloc(sizeof(int) * batch), classes = 2 * m->length.range + 1;
  fs_engine_reset(e);
  float *lp = length_log_probs(e, m, src, src_mask, batch, src_len, src_lengths);
  fs_status s = lp ? FS_OK : fs_engine_status(e);
  fs_candidate *c = fs_calloc(batch, sizeof *c);
  for (int b = 0; s == FS_OK && b < batch; b++) {
    int T = (tgt_len[b] + 1 + m->length.unit - 1) / m->length.unit * m->length.unit;
    int k = T - src_lengths[b] + m->length.range;
    c[b].sentence = b;
    c[b].length = T;
    c[b].length_logprob = k >= 0 && k < classes && lp[b * classes + k] > -1e8f ? lp[b * classes + k] : -INFINITY;
    c[b].tokens = fs_malloc(sizeof(int32_t) * T);
    for (int t = 0; t < T; t++) c[b].tokens[t] = t < tgt_len[b] ? tgt[b][t] : m->h.eos_id;
  }
  free(lp);
  if (s == FS_OK) {
    fs_engine_reset(e);
    s = importance_weights(e, m, src, src_mask, src_len, c, batch, K);
  }
  for (int b = 0; s == FS_OK && b < batch; b++) {
    logprob[b] = c[b].iwd_logprob;
    length_logprob[b] = c[b].length_logprob;
  }
  fs_candidates_free(c, batch);
  free(src_lengths);
  return s;
}

fs_status fs_score_pairs(fs_engine *e, fs_flowseq *m, const int32_t *src, const float *src_mask, int batch, int src_len,
                         const int32_t *const *tgt, const int *tgt_len, int K, uint64_t seed, double *logprob,
                         double *length_logprob) {
  fs_engine_mode previous = fs_engine_enter(e, fs_engine_eval_seeded(seed));
  fs_status s = score_pairs(e, m, src, src_mask, batch, src_len, tgt, tgt_len, K, logprob, length_logprob);
  fs_engine_restore(e, previous);
  return s;
}
