/* Parallel decoding on a tiny model trained through all three phases on two pairs: argmax
 * reproduces the training targets, npd with one length, one sample and τ = 0 equals argmax, the
 * iwd estimate of every candidate equals a double-precision recomputation from its definition
 * (for K = 1 the single term log p(z|x) + log p(y|z,x) − log q(z|y,x)) and iwd picks the best
 * candidate by it, the same seed gives the same output, and an external rescorer (the teacher's
 * hook) sees each candidate's source and decides the choice. */
#include <string.h>

#include "decode/decode.h"
#include "decode/runner.h"
#include "model_reference.h"
#include "test.h"
#include "tiny_model.h"

static fs_engine eng;
static fs_flowseq model;

static void decode(const fs_decode_options *o, fs_candidate **c, int *n, int *best) {
  CHECK_MSG(fs_decode(&eng, &model, tiny_src, tiny_src_mask, TINY_B, TINY_S, o, c, n, best) == FS_OK, "%s",
            fs_last_error());
}

/* The decoded output of sentence b equals its training target (tokens before the first EOS). */
static bool reproduces_target(const fs_candidate *c, int b) {
  int len = 0;
  while (len < TINY_T && tiny_tgt[b * TINY_T + len] != 2) len++;
  return c->output_length == len && memcmp(c->tokens, tiny_tgt + b * TINY_T, sizeof(int32_t) * len) == 0;
}

/* Post-processing: only a token equal to its predecessor goes; later repeats of it stay. */
static void test_collapse_repeats(void) {
  int32_t t[] = {5, 5, 5, 7, 5, 9, 9, 7};
  int n = fs_collapse_repeats(t, 8, NULL);
  CHECK_MSG(n == 5 && t[0] == 5 && t[1] == 7 && t[2] == 5 && t[3] == 9 && t[4] == 7, "collapsed to %d tokens", n);
  CHECK(fs_collapse_repeats(t, 0, NULL) == 0);
  /* ids marked as text (digits, bytes) keep their repeats: "1 0 0" stays "100" */
  int32_t d[] = {4, 6, 6, 6, 4, 4};
  const bool keep[8] = {[6] = true};
  n = fs_collapse_repeats(d, 6, keep);
  CHECK_MSG(n == 5 && d[0] == 4 && d[1] == 6 && d[2] == 6 && d[3] == 6 && d[4] == 4, "collapsed to %d tokens", n);
}

/* Repeat substitution on hand-made logits (V = 5), the expected ids and log-probabilities worked
 * out by hand: of two neighbours with the same argmax, the one whose runner-up is closer gives way
 * (the later one on a tie); EOS and kept ids (digit pieces) are never replaced. */
static void test_substitute_repeats(void) {
  const float logits[4 * 5] = {
      0, 5, 1,    0, 0,    /* argmax 1, runner-up 2 at gap 4 */
      0, 4, 3.5f, 0, 0,    /* argmax 1 again, runner-up 2 at gap 0.5: this one takes 2 */
      0, 0, 1,    6, 5.8f, /* argmax 3, runner-up 4 at gap 0.2: this earlier one takes 4 */
      0, 0, 0,    6, 2,    /* argmax 3, runner-up 4 at gap 4 */
  };
  int32_t ids[4] = {1, 1, 3, 3};
  double lp[4] = {-1, -1, -1, -1};
  CHECK(fs_substitute_repeats(logits, 4, 5, 0, -1, NULL, ids, lp) == 2);
  CHECK_MSG(ids[0] == 1 && ids[1] == 2 && ids[2] == 4 && ids[3] == 3, "ids %d %d %d %d, expected 1 2 4 3", ids[0],
            ids[1], ids[2], ids[3]);
  CHECK(lp[0] == -1 && fabs(lp[1] + 1.5) < 1e-6 && fabs(lp[2] + 1.2) < 1e-6 && lp[3] == -1);

  const float tie[2 * 5] = {0, 3, 1, 0, 0, 0, 3, 1, 0, 0}; /* equal gaps: the later position gives way */
  int32_t t_ids[2] = {1, 1};
  double t_lp[2] = {0, 0};
  fs_substitute_repeats(tie, 2, 5, 0, -1, NULL, t_ids, t_lp);
  CHECK(t_ids[0] == 1 && t_ids[1] == 2 && t_lp[1] == -2);

  int32_t eos[2] = {2, 2}, digits[2] = {3, 3};
  double e_lp[2] = {0, 0};
  bool keep[5] = {false, false, false, true, false};
  CHECK(fs_substitute_repeats(tie, 2, 5, 2, -1, NULL, eos, e_lp) == 0 && eos[0] == 2 && eos[1] == 2);
  CHECK(fs_substitute_repeats(tie, 2, 5, 0, -1, keep, digits, e_lp) == 0 && digits[0] == 3 && digits[1] == 3);
  /* the runner-up of both positions is 2, EOS here: the next best is 0, or 3 when 0 is padding */
  int32_t no_eos[2] = {1, 1}, no_pad[2] = {1, 1};
  fs_substitute_repeats(tie, 2, 5, 2, -1, NULL, no_eos, e_lp);
  CHECK_MSG(no_eos[1] == 0, "took %d, expected 0", no_eos[1]);
  fs_substitute_repeats(tie, 2, 5, 2, 0, NULL, no_pad, e_lp);
  CHECK_MSG(no_pad[1] == 3, "took %d, expected 3 (the first of equal logits)", no_pad[1]);
}

/* Batches are sized by the widest point of decoding: candidates, times K posterior samples in iwd. */
static void test_rows_per_sentence(void) {
  fs_decode_options o = fs_decode_defaults(FS_DECODE_ARGMAX);
  CHECK(fs_decode_rows_per_sentence(&o) == 1);
  o = fs_decode_defaults(FS_DECODE_NPD);
  o.lengths = 3, o.samples = 5;
  CHECK(fs_decode_rows_per_sentence(&o) == 15);
  o = fs_decode_defaults(FS_DECODE_IWD);
  o.lengths = 3, o.samples = 1, o.iw_samples = 4;
  CHECK(fs_decode_rows_per_sentence(&o) == 12);
}

/* Batching a plan of seven lines (lengths 3 3 4 5 5 6 9, EOS making each one longer): each batch
 * is cut by whichever bound comes first, the tokens (the batch's rows x its longest line x rows per
 * sentence) or the count of sentences; one line always makes a batch, however long. */
static void test_batch_bounds(void) {
  int lengths[] = {3, 3, 4, 5, 5, 6, 9}, order[] = {0, 1, 2, 3, 4, 5, 6};
  int32_t ids[9] = {0};
  fs_source lines[7];
  for (int i = 0; i < 7; i++) lines[i] = (fs_source){ids, lengths[i]};
  struct {
    long max_tokens;
    int max_sentences, rows_per_sentence, expected[8]; /* batch sizes, then 0 */
  } cases[] = {
      {1000, 0, 1, {7}},                /* nothing binds */
      {1000, 2, 1, {2, 2, 2, 1}},       /* the count alone */
      {1000, 3, 1, {3, 3, 1}},          /* the count alone */
      {18, 0, 1, {3, 2, 1, 1}},         /* tokens alone: 4 x 6 = 24 > 18, 3 x 7 = 21, 2 x 10 = 20 */
      {18, 2, 1, {2, 2, 2, 1}},         /* both: the count binds first */
      {36, 0, 3, {2, 2, 1, 1, 1}},      /* x 3 rows a sentence: 2 x 4 x 3 = 24, 3 x 5 x 3 = 45 */
      {1, 5, 1, {1, 1, 1, 1, 1, 1, 1}}, /* one line a batch, even over max_tokens */
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    fs_source_plan p = {lines, 7, order, 7, 0};
    fs_source_batch b;
    int got[8] = {0}, n = 0;
    while (n < 8 &&
           fs_source_plan_next(&p, 2, cases[k].max_tokens, cases[k].max_sentences, cases[k].rows_per_sentence, &b) ==
               FS_OK &&
           b.rows) {
      got[n++] = b.rows;
      fs_source_batch_free(&b);
    }
    CHECK_MSG(!memcmp(got, cases[k].expected, sizeof got), "case %zu: batches %d %d %d %d %d, expected %d %d %d %d %d",
              k, got[0], got[1], got[2], got[3], got[4], cases[k].expected[0], cases[k].expected[1],
              cases[k].expected[2], cases[k].expected[3], cases[k].expected[4]);
  }
}

/* The iwd estimate of docs/model.md#iwd for every candidate of a decode with options o,
 * recomputed on the host in double: K posterior samples z_k ~ q(z|y_c, x) per candidate,
 *   log w_k = log p(z_k|x) + Σ_{t<T_c} log p(y_t|z_k, x) − log q(z_k|y_c, x)
 *   log p̂(y_c|x, T_c) = log((1/K) Σ_k exp(log w_k))    (K = 1: log w_1 itself)
 * with log q the Gaussian density of z_k under the posterior's (μ, λ), log p(z|x) = log N(v) +
 * Σ logdet from the flow's normalise direction and log p(y|z,x) a log-softmax of the decoder's
 * logits. The modules run forward as parts; the sums are the test's own. To meet the same
 * posterior noise the test rebuilds decoding's batch of n·K rows (row i·K + k for candidate i,
 * sources repeated, targets padded to the longest candidate) and the random stream: decoding
 * starts at offset 0 of the option's seed and draws, in evaluation mode, only the candidates'
 * latent noise [n, T, d] (none when every candidate has v = 0: τ = 0 or one sample a length)
 * before the posterior noise [n·K, T, d]. Writes the estimate of candidate i into ref[i]. */
static void iwd_reference(const fs_decode_options *o, const fs_candidate *c, int n, double *ref) {
  enum { MAX_ROWS = 256, MAX_T = 64 };
  int K = o->iw_samples, rows = n * K, T = 0, d = model.h.d, V = model.h.vocab;
  for (int i = 0; i < n; i++) T = c[i].length > T ? c[i].length : T;
  CHECK_MSG(rows <= MAX_ROWS && T <= MAX_T, "%d rows of length %d: more than the reference has room for", rows, T);
  if (rows > MAX_ROWS || T > MAX_T) return;
  static int32_t src[MAX_ROWS * TINY_S], tgt[MAX_ROWS * MAX_T];
  static float src_mask[MAX_ROWS * TINY_S], tgt_mask[MAX_ROWS * MAX_T];
  for (int r = 0; r < rows; r++) {
    const fs_candidate *x = &c[r / K];
    memcpy(src + r * TINY_S, tiny_src + x->sentence * TINY_S, sizeof(int32_t) * TINY_S);
    memcpy(src_mask + r * TINY_S, tiny_src_mask + x->sentence * TINY_S, sizeof(float) * TINY_S);
    for (int t = 0; t < T; t++) {
      tgt[r * T + t] = t < x->length ? x->tokens[t] : 0;
      tgt_mask[r * T + t] = t < x->length ? 1.0f : 0.0f;
    }
  }
  fs_batch batch = {rows, TINY_S, T, src, tgt, src_mask, tgt_mask};
  fs_engine_reset(&eng);
  eng.training = false;
  eng.seed = o->seed;
  eng.rng_offset = o->tau > 0.0f && o->samples > 1 ? (uint64_t)n * T * d : 0;
  fs_inputs in;
  CHECK(fs_inputs_build(&eng, &batch, &in) == FS_OK);
  fs_tensor *ctx, *mu, *logvar, *log_q, *logdet = NULL;
  fs_tensor *src_enc = fs_encoder_forward(&eng, &model.encoder, model.embed.src, &model.positions, &in, &ctx);
  fs_tensor *hidden = fs_posterior_hidden(&eng, &model.posterior, model.embed.tgt, &model.positions, &in, src_enc);
  fs_posterior_heads(&eng, &model.posterior, hidden, &in, &mu, &logvar);
  fs_tensor *z = fs_posterior_sample(&eng, mu, logvar, &in, false, &log_q);
  flow_input fin = {rows, T, tgt_mask, src_enc, in.src_mask};
  fs_tensor *v = flow_prior_normalise(&eng, &model.prior, z, &fin, &logdet);
  fs_tensor *logits = fs_decoder_forward(&eng, &model.decoder, z, &model.positions, &in, src_enc,
                                         model.embed.out_weight, model.embed.out_bias);
  CHECK_MSG(fs_engine_status(&eng) == FS_OK, "%s", fs_last_error());
  float *hz = malloc(sizeof(float) * rows * T * d), *hmu = malloc(sizeof(float) * rows * T * d);
  float *hlv = malloc(sizeof(float) * rows * T * d), *hv = malloc(sizeof(float) * rows * T * d);
  float *hlogits = malloc(sizeof(float) * rows * T * V), hlogdet[MAX_ROWS];
  fs_tensor_to_host(&eng, z, hz);
  fs_tensor_to_host(&eng, mu, hmu);
  fs_tensor_to_host(&eng, logvar, hlv);
  fs_tensor_to_host(&eng, v, hv);
  fs_tensor_to_host(&eng, logdet, hlogdet);
  fs_tensor_to_host(&eng, logits, hlogits);
  for (int i = 0; i < n; i++) {
    double log_w[MAX_ROWS], max = -INFINITY, sum = 0.0;
    int L = c[i].length;
    for (int k = 0; k < K; k++) {
      int r = i * K + k;
      double log_p = ref_log_normal(hv + r * T * d, L, d) + hlogdet[r], log_y = 0.0;
      for (int t = 0; t < L; t++) log_y -= ref_smoothed_nll(hlogits + (r * T + t) * V, V, c[i].tokens[t], 0.0);
      log_w[k] = log_p + log_y - ref_log_q(hz + r * T * d, hmu + r * T * d, hlv + r * T * d, L, d);
      max = fmax(max, log_w[k]);
    }
    for (int k = 0; k < K; k++) sum += exp(log_w[k] - max);
    ref[i] = K == 1 ? log_w[0] : max + log(sum / K);
  }
  free(hz), free(hmu), free(hlv), free(hv), free(hlogits);
}

/* log P(T|x) of each sentence's length classes, from the length predictor on the tiny sources
 * ([TINY_B][2R+1], class k meaning T = S + k − R). */
static void length_log_probs(float *lp) {
  int S[TINY_B];
  for (int b = 0; b < TINY_B; b++) {
    S[b] = 0;
    for (int t = 0; t < TINY_S; t++) S[b] += tiny_src_mask[b * TINY_S + t] != 0.0f;
  }
  fs_engine_reset(&eng);
  eng.training = false;
  fs_inputs in;
  CHECK(fs_inputs_build(&eng, &tiny_batch, &in) == FS_OK);
  fs_tensor *ctx;
  fs_encoder_forward(&eng, &model.encoder, model.embed.src, &model.positions, &in, &ctx);
  CHECK(fs_tensor_to_host(&eng, fs_length_log_probs(&eng, &model.length, ctx, S), lp) == FS_OK);
}

/* iwd with options o: every candidate's estimate, length log-probability and score
 * −(log p̂ + log P(T|x)) / T against the references, and each sentence's choice the lowest
 * reference score (unless two are too close to call). */
static void check_iwd(const fs_decode_options *o, const char *what) {
  fs_candidate *c;
  int n, best[TINY_B], R = model.length.range;
  decode(o, &c, &n, best);
  CHECK(n == TINY_B * o->lengths * o->samples);
  double *ref = calloc(n, sizeof(double));
  float lp[TINY_B * 64];
  iwd_reference(o, c, n, ref);
  length_log_probs(lp);
  for (int b = 0; b < TINY_B; b++) {
    int S = 0, expected = -1;
    double runner_up = INFINITY, best_score = INFINITY;
    for (int t = 0; t < TINY_S; t++) S += tiny_src_mask[b * TINY_S + t] != 0.0f;
    for (int i = 0; i < n; i++) {
      if (c[i].sentence != b) continue;
      double length_lp = lp[b * (2 * R + 1) + c[i].length - S + R], score = -(ref[i] + length_lp) / c[i].length;
      CHECK_MSG(fabs(c[i].iwd_logprob - ref[i]) <= 1e-3 + 2e-5 * fabs(ref[i]),
                "%s, candidate %d (length %d): log p^ %.6f, reference %.6f", what, i, c[i].length, c[i].iwd_logprob,
                ref[i]);
      CHECK_MSG(fabs(c[i].length_logprob - length_lp) <= 1e-5, "%s, candidate %d: log P(T|x) %.6f, reference %.6f",
                what, i, c[i].length_logprob, length_lp);
      CHECK_MSG(fabs(c[i].score - score) <= 1e-4 + 2e-5 * fabs(score), "%s, candidate %d: score %.6f, reference %.6f",
                what, i, c[i].score, score);
      if (score < best_score) runner_up = best_score, best_score = score, expected = i;
      else if (score < runner_up) runner_up = score;
    }
    CHECK_MSG(best[b] == expected || runner_up - best_score < 1e-3,
              "%s, sentence %d: chose %d, the reference's best is %d", what, b, best[b], expected);
  }
  free(ref);
  fs_candidates_free(c, n);
}

/* A stand-in for the teacher: arbitrary scores, and a check that candidate i's source row is the
 * source of its sentence. */
static int rescored, wrong_sources;
static fs_status fake_rescorer(void *context, const int32_t *src, const float *src_mask, int batch, int src_len,
                               const fs_candidate *c, int n, double *scores) {
  (void)context, (void)src_mask;
  for (int i = 0; i < n; i++) {
    scores[i] = (double)((i * 7919) % 13);
    wrong_sources += batch != TINY_B || src_len != TINY_S ||
                     memcmp(src + c[i].sentence * src_len, tiny_src + c[i].sentence * TINY_S, sizeof(int32_t) * TINY_S);
  }
  rescored += n;
  return FS_OK;
}

static void test_external_rescorer(void) {
  fs_decode_options o = fs_decode_defaults(FS_DECODE_NPD);
  o.lengths = 2, o.samples = 3;
  o.rescore = fake_rescorer;
  fs_candidate *c;
  int n, best[TINY_B];
  decode(&o, &c, &n, best);
  CHECK(rescored == n && n > TINY_B && wrong_sources == 0);
  for (int b = 0; b < TINY_B; b++) {
    int expected = -1;
    for (int i = 0; i < n; i++)
      if (c[i].sentence == b && (expected < 0 || (i * 7919) % 13 < (expected * 7919) % 13)) expected = i;
    CHECK_MSG(best[b] == expected && c[best[b]].score == (double)((expected * 7919) % 13),
              "sentence %d: chose %d, the rescorer's best is %d", b, best[b], expected);
  }
  fs_candidates_free(c, n);
}

int main(void) {
  test_collapse_repeats();
  test_substitute_repeats();
  test_rows_per_sentence();
  test_batch_bounds();
  if (fs_engine_init(&eng, fs_backend_cpu(), 256 << 20, 64 << 20) != FS_OK) return 1;
  fs_hparams h = tiny_hparams();
  h.encoder_dropout = h.posterior_dropout = h.decoder_dropout = h.posterior_token_dropout = 0.0f;
  h.length_dropout = 0.0f;
  CHECK(fs_flowseq_create(&model, &h, fs_backend_cpu(), 11, 3) == FS_OK);
  tiny_train(&eng, &model, 150, 250);
  CHECK(flow_prior_sync(&model.prior) == FS_OK);

  fs_candidate *argmax, *npd, *iwd, *again;
  int n_argmax, n_npd, n_iwd, n_again, best_argmax[TINY_B], best_npd[TINY_B], best_iwd[TINY_B], best_again[TINY_B];
  fs_decode_options o = fs_decode_defaults(FS_DECODE_ARGMAX);
  decode(&o, &argmax, &n_argmax, best_argmax);
  CHECK(n_argmax == TINY_B);
  for (int b = 0; b < TINY_B; b++)
    CHECK_MSG(reproduces_target(&argmax[best_argmax[b]], b), "sentence %d: argmax output of length %d", b,
              argmax[best_argmax[b]].output_length);

  o = fs_decode_defaults(FS_DECODE_NPD);
  o.lengths = 1;
  o.samples = 1;
  o.tau = 0.0f;
  decode(&o, &npd, &n_npd, best_npd);
  for (int b = 0; b < TINY_B; b++) {
    const fs_candidate *x = &argmax[best_argmax[b]], *y = &npd[best_npd[b]];
    CHECK(x->length == y->length && memcmp(x->tokens, y->tokens, sizeof(int32_t) * x->length) == 0);
  }

  o = fs_decode_defaults(FS_DECODE_IWD);
  o.samples = 2;
  o.tau = 0.8f;
  decode(&o, &iwd, &n_iwd, best_iwd);
  CHECK(n_iwd > TINY_B);
  for (int b = 0; b < TINY_B; b++) CHECK_MSG(reproduces_target(&iwd[best_iwd[b]], b), "iwd sentence %d", b);
  check_iwd(&o, "iwd, K = 4, 2 samples at tau 0.8");
  fs_decode_options k1 = fs_decode_defaults(FS_DECODE_IWD);
  k1.iw_samples = 1;
  k1.tau = 0.5f; /* one sample a length: each is the length's v = 0 sample, whatever tau */
  check_iwd(&k1, "iwd, K = 1");
  k1.iw_samples = 4;
  k1.tau = 0.0f;
  k1.seed = 3;
  check_iwd(&k1, "iwd, K = 4, seed 3");
  decode(&o, &again, &n_again, best_again);
  CHECK(n_again == n_iwd);
  for (int i = 0; i < n_iwd && i < n_again; i++)
    CHECK(again[i].score == iwd[i].score &&
          memcmp(again[i].tokens, iwd[i].tokens, sizeof(int32_t) * iwd[i].length) == 0);

  test_external_rescorer();
  fs_candidates_free(argmax, n_argmax);
  fs_candidates_free(npd, n_npd);
  fs_candidates_free(iwd, n_iwd);
  fs_candidates_free(again, n_again);
  fs_flowseq_free(&model);
  fs_engine_free(&eng);
  return test_summary();
}
