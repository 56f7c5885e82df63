/* Left-to-right decoding of the Transformer: the implementation; decode/beam.h describes the interface. */
#include "decode/beam.h"

#include "core/alloc.h"
#include "nn/losses.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

fs_beam_options fs_beam_defaults(void) { return (fs_beam_options){4, 1, 1.0f, 2.0f, 10.0f}; }

/* Output positions (EOS included) sentence b may use: a·(its source length with EOS) + b, at
 * least 1 and at most model.max_length. */
static int position_limit(const fs_beam_options *o, const fs_transformer *m, const float *src_mask, int src_len) {
  int n = 0;
  for (int t = 0; t < src_len; t++) n += src_mask[t] != 0.0f;
  double limit = floor(o->max_length_a * n + o->max_length_b);
  return limit < 1 ? 1 : limit > m->h.max_length ? m->h.max_length : (int)limit;
}

/* A finished hypothesis: `length` tokens then EOS, with its log-probability (EOS included). */
static fs_status candidate_set(fs_candidate *c, int sentence, const int32_t *tokens, int length, double logprob,
                               float length_penalty, int eos) {
  memset(c, 0, sizeof *c);
  c->sentence = sentence;
  c->length = length + 1;
  c->tokens = malloc(sizeof(int32_t) * (length + 1));
  if (!c->tokens) return fs_error(FS_ERR_MEMORY, "decoding: out of memory");
  memcpy(c->tokens, tokens, sizeof(int32_t) * length);
  c->tokens[length] = eos;
  c->output_length = length;
  c->decoder_logprob = logprob;
  c->score = -logprob / pow(length + 1, length_penalty);
  return FS_OK;
}

fs_status fs_greedy_search(fs_engine *e, fs_transformer *m, const int32_t *src, const float *src_mask, int batch,
                           int src_len, const fs_beam_options *o, fs_candidate **candidates, int *n, int *best) {
  int V = m->h.vocab, eos = m->h.eos_id, pad = m->h.pad_id, longest = 0;
  *candidates = NULL;
  *n = 0;
  fs_transformer_state st;
  FS_TRY(fs_transformer_start(e, m, src, src_mask, batch, src_len, 1, &st));
  int *limit = fs_malloc(sizeof(int) * batch), *length = fs_calloc(batch, sizeof(int));
  for (int b = 0; b < batch; b++) {
    limit[b] = position_limit(o, m, src_mask + (int64_t)b * src_len, src_len);
    longest = limit[b] > longest ? limit[b] : longest;
  }
  int32_t *prev = fs_malloc(sizeof(int32_t) * batch), *tokens = fs_malloc(sizeof(int32_t) * batch * longest);
  double *logprob = fs_calloc(batch, sizeof(double));
  bool *done = fs_calloc(batch, sizeof(bool));
  float *lp = fs_malloc(sizeof(float) * batch * V);
  for (int b = 0; b < batch; b++) prev[b] = eos;
  fs_status s = FS_OK;
  int open = batch;
  for (int t = 0; s == FS_OK && open > 0; t++) {
    s = fs_transformer_step(e, m, &st, prev, NULL, lp);
    for (int b = 0; s == FS_OK && b < batch; b++) {
      if (done[b]) continue;
      const float *row = lp + (int64_t)b * V;
      int pick = eos; /* forced at the last allowed position */
      if (t < limit[b] - 1) {
        pick = -1;
        for (int v = 0; v < V; v++)
          if (v != pad && (pick < 0 || row[v] > row[pick])) pick = v; /* the first maximum */
      }
      logprob[b] += row[pick];
      if (pick == eos) {
        done[b] = true;
        open--;
      } else {
        tokens[(int64_t)b * longest + length[b]++] = pick;
        prev[b] = pick;
      }
    }
  }
  if (s == FS_OK) {
    *candidates = fs_calloc(batch, sizeof(fs_candidate));
    for (int b = 0; s == FS_OK && b < batch; b++) {
      s = candidate_set(&(*candidates)[b], b, tokens + (int64_t)b * longest, length[b], logprob[b], o->length_penalty,
                        eos);
      *n = b + 1;
      best[b] = b;
    }
  }
  free(limit);
  free(length);
  free(prev);
  free(tokens);
  free(logprob);
  free(done);
  free(lp);
  return s;
}

/* One extension of a live prefix: its row, the token and the new log-probability. */
typedef struct {
  double logprob;
  int row, token;
} extension;

/* The best `keep` extensions of sentence b's rows, best first (ties: lower row, then lower
 * token, first); returns how many there are. */
static int best_extensions(const float *lp, const double *prefix_logprob, int first_row, int rows, int V, int pad,
                           int eos, bool eos_only, int keep, extension *out) {
  int count = 0;
  for (int r = first_row; r < first_row + rows; r++) {
    if (prefix_logprob[r] == -INFINITY) continue;
    const float *row = lp + (int64_t)r * V;
    for (int v = eos_only ? eos : 0; v < (eos_only ? eos + 1 : V); v++) {
      double score = prefix_logprob[r] + row[v];
      if (v == pad || score == -INFINITY || (count == keep && score <= out[count - 1].logprob)) continue;
      int at = count < keep ? count++ : keep - 1;
      while (at > 0 && out[at - 1].logprob < score) out[at] = out[at - 1], at--;
      out[at] = (extension){score, r, v};
    }
  }
  return count;
}

/* The n-th lowest (best) score among h[0..count), count >= n (ties ranked by position). */
static double nth_best_score(const fs_candidate *h, int count, int n) {
  for (int i = 0; i < count; i++) {
    int ahead = 0;
    for (int j = 0; j < count; j++) ahead += h[j].score < h[i].score || (h[j].score == h[i].score && j < i);
    if (ahead == n - 1) return h[i].score;
  }
  return INFINITY;
}

/* Adds a finished hypothesis to a sentence's list of at most K, replacing the worst when full
 * (and not adding it when it is no better than that). */
static fs_status keep_finished(fs_candidate *h, int *count, int K, int sentence, const int32_t *tokens, int length,
                               double logprob, float length_penalty, int eos) {
  fs_candidate c;
  FS_TRY(candidate_set(&c, sentence, tokens, length, logprob, length_penalty, eos));
  int at = *count < K ? (*count)++ : -1;
  if (at < 0) {
    for (int i = 0; i < K; i++)
      if (at < 0 || h[i].score > h[at].score) at = i;
    if (c.score >= h[at].score) {
      free(c.tokens);
      return FS_OK;
    }
    free(h[at].tokens);
  }
  h[at] = c;
  return FS_OK;
}

/* Sorts n hypotheses best (lowest score) first, stably: on a tie the one finished first leads. */
static void sort_by_score(fs_candidate *h, int n) {
  for (int i = 1; i < n; i++) {
    fs_candidate x = h[i];
    int j = i;
    for (; j > 0 && h[j - 1].score > x.score; j--) h[j] = h[j - 1];
    h[j] = x;
  }
}

fs_status fs_beam_search(fs_engine *e, fs_transformer *m, const int32_t *src, const float *src_mask, int batch,
                         int src_len, const fs_beam_options *o, fs_candidate **candidates, int *n, int *best) {
  int K = o->beam, V = m->h.vocab, eos = m->h.eos_id, pad = m->h.pad_id, rows = batch * K, longest = 0;
  *candidates = NULL;
  *n = 0;
  if (K < 1 || o->nbest < 1 || o->nbest > K)
    return fs_error(FS_ERR_ARG, "beam search: beam %d and n-best %d (need 1 <= n-best <= beam)", K, o->nbest);
  fs_transformer_state st;
  FS_TRY(fs_transformer_start(e, m, src, src_mask, batch, src_len, K, &st));
  int *limit = fs_malloc(sizeof(int) * batch), *finished = fs_calloc(batch, sizeof(int));
  bool *done = fs_calloc(batch, sizeof(bool));
  for (int b = 0; b < batch; b++) {
    limit[b] = position_limit(o, m, src_mask + (int64_t)b * src_len, src_len);
    longest = limit[b] > longest ? limit[b] : longest;
  }
  int32_t *prev = fs_malloc(sizeof(int32_t) * rows), *parent = fs_malloc(sizeof(int32_t) * rows);
  int32_t *prefix = fs_malloc(sizeof(int32_t) * rows * longest),
          *next_prefix = fs_malloc(sizeof(int32_t) * rows * longest);
  double *logprob = fs_malloc(sizeof(double) * rows), *next_logprob = fs_malloc(sizeof(double) * rows);
  fs_candidate *hyps = fs_calloc((size_t)batch * K, sizeof *hyps); /* K slots per sentence */
  extension *ext = fs_malloc(sizeof(extension) * 2 * K);
  float *lp = fs_malloc(sizeof(float) * rows * V);
  for (int r = 0; r < rows; r++) {
    prev[r] = eos;
    parent[r] = r;
    logprob[r] = r % K == 0 ? 0.0 : -INFINITY; /* one empty prefix per sentence to start from */
  }
  fs_status s = FS_OK;
  int open = batch;
  for (int t = 0; s == FS_OK && open > 0; t++) {
    s = fs_transformer_step(e, m, &st, prev, t ? parent : NULL, lp);
    for (int b = 0; s == FS_OK && b < batch; b++) {
      int base = b * K, live = 0;
      if (!done[b]) {
        int count = best_extensions(lp, logprob, base, K, V, pad, eos, t == limit[b] - 1, 2 * K, ext);
        for (int i = 0; s == FS_OK && i < count; i++) {
          const extension *x = &ext[i];
          if (x->token == eos) { /* finished, if it ranks among the best K (as fairseq) */
            if (i < K)
              s = keep_finished(hyps + base, &finished[b], K, b, prefix + (int64_t)x->row * longest, t, x->logprob,
                                o->length_penalty, eos);
          } else if (live < K) {
            int r = base + live++;
            memcpy(next_prefix + (int64_t)r * longest, prefix + (int64_t)x->row * longest, sizeof(int32_t) * t);
            next_prefix[(int64_t)r * longest + t] = x->token;
            next_logprob[r] = x->logprob, parent[r] = x->row, prev[r] = x->token;
          }
        }
        /* done: nothing left, or the n-best are finished and the best live prefix, ending at the
         * next position, would not enter them (the usual heuristic: longer continuations only
         * lose log-probability, though a length penalty could still favour them) */
        bool beaten = finished[b] >= o->nbest && (live == 0 || next_logprob[base] / pow(t + 2, o->length_penalty) <=
                                                                   -nth_best_score(hyps + base, finished[b], o->nbest));
        if (live == 0 || beaten) done[b] = true, open--;
      }
      for (int r = base + live; r < base + K; r++) /* unused rows: no prefix */
        next_logprob[r] = -INFINITY, parent[r] = base, prev[r] = eos;
    }
    int32_t *swap = prefix;
    prefix = next_prefix, next_prefix = swap;
    double *swap_lp = logprob;
    logprob = next_logprob, next_logprob = swap_lp;
  }
  if (s == FS_OK) {
    int nbest = o->nbest;
    *candidates = fs_calloc((size_t)batch * nbest, sizeof(fs_candidate));
    for (int b = 0; b < batch; b++) {
      sort_by_score(hyps + b * K, finished[b]);
      best[b] = *n;
      for (int i = 0; i < finished[b]; i++) {
        if (i < nbest) (*candidates)[(*n)++] = hyps[b * K + i];
        else free(hyps[b * K + i].tokens);
      }
    }
  } else
    for (int i = 0; i < batch * K; i++) free(hyps[i].tokens);
  free(limit);
  free(finished);
  free(done);
  free(prev);
  free(parent);
  free(prefix);
  free(next_prefix);
  free(logprob);
  free(next_logprob);
  free(hyps);
  free(ext);
  free(lp);
  return s;
}

fs_status fs_transformer_score_pairs(fs_engine *e, fs_transformer *m, const int32_t *src, const float *src_mask,
                                     int batch, int src_len, const int32_t *const *tgt, const int *tgt_len,
                                     double *logprob, int *n_tokens) {
  fs_engine_mode previous = fs_engine_enter(e, fs_engine_eval());
  fs_engine_reset(e);
  fs_transformer_source source;
  fs_status s = fs_transformer_encode(e, m, src, src_mask, batch, src_len, &source);
  if (s == FS_OK) s = fs_transformer_score(e, m, &source, tgt, tgt_len, logprob, n_tokens);
  fs_engine_restore(e, previous);
  return s;
}
