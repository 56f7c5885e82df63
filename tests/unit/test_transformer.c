/* The autoregressive Transformer and its decoders on tiny configurations: spot gradient checks of
 * the loss; causality (a position's logits ignore the target tokens from that position on);
 * incremental decoding equal to the full teacher-forced pass; beam 1 equal to greedy; beam search
 * equal to exhaustive search where every output can be enumerated; every returned hypothesis's
 * log-probability equal to its teacher-forced score; teacher rescoring, which encodes each source
 * once for all of its candidates, equal to the full pass over each candidate alone; and two pairs
 * learned by heart. */
#include <string.h>

#include "decode/beam.h"
#include "decode/rescore.h"
#include "spot_check.h"
#include "test.h"
#include "tiny_model.h"

enum { B = TINY_B, S = TINY_S, T = TINY_T, V = TINY_V };
static fs_engine eng;
static fs_transformer model;

static fs_hparams fs_transformer_hparams(void) {
  fs_hparams h = tiny_hparams();
  h.type = FS_MODEL_TRANSFORMER;
  h.decoder_layers = 2;
  return h;
}

static double loss_value(void) {
  fs_engine_reset(&eng);
  fs_flowseq_losses l;
  fs_transformer_loss(&eng, &model, &tiny_batch, &l);
  float v;
  fs_tensor_to_host(&eng, l.loss, &v);
  return v;
}

static fs_status loss_backward(void) {
  fs_engine_reset(&eng);
  fs_flowseq_losses l;
  FS_TRY(fs_transformer_loss(&eng, &model, &tiny_batch, &l));
  CHECK(l.kl == NULL && l.length == NULL);
  return fs_backward(&eng, l.loss);
}

static void test_gradients(void) {
  eng.training = false;
  eng.grad_enabled = true;
  const char *names[] = {"embed",
                         "encoder.layers.0.self_attn.w_in",
                         "decoder.layers.0.self_attn.w_in",
                         "decoder.layers.1.src_attn.b_in",
                         "decoder.layers.1.ffn.out.weight",
                         "decoder.out.bias"};
  for (size_t k = 0; k < sizeof names / sizeof *names; k++)
    spot_check(&model.params, names[k], loss_backward, loss_value);
}

/* Log-softmax rows of the teacher-forced logits [B, T, V], in double. */
static void teacher_forced_log_probs(const fs_batch *b, double *out) {
  fs_engine_reset(&eng);
  fs_tensor *logits = fs_transformer_logits(&eng, &model, b);
  static float host[B * T * V];
  CHECK(logits && fs_tensor_to_host(&eng, logits, host) == FS_OK);
  for (int r = 0; r < b->batch * b->tgt_len; r++) {
    double max = -1e300, sum = 0;
    for (int v = 0; v < V; v++) max = fmax(max, host[r * V + v]);
    for (int v = 0; v < V; v++) sum += exp(host[r * V + v] - max);
    for (int v = 0; v < V; v++) out[r * V + v] = host[r * V + v] - max - log(sum);
  }
}

/* Changing the target token at position 3 of sentence 0 changes the logits of positions 4.. only
 * (position t reads the tokens before t). */
static void test_causal(void) {
  eng.grad_enabled = false;
  static double before[B * T * V], after[B * T * V];
  teacher_forced_log_probs(&tiny_batch, before);
  int32_t tgt[B * T];
  memcpy(tgt, tiny_tgt, sizeof tgt);
  tgt[3] = 4;
  fs_batch changed = tiny_batch;
  changed.tgt = tgt;
  teacher_forced_log_probs(&changed, after);
  double same = 0, moved = 0;
  for (int t = 0; t < T; t++)
    for (int v = 0; v < V; v++) {
      double d = fabs(before[t * V + v] - after[t * V + v]);
      if (t <= 3) same = fmax(same, d);
      else if (t == 4) moved = fmax(moved, d);
    }
  CHECK_MSG(same == 0.0 && moved > 1e-4, "earlier positions moved by %g, position 4 by %g", same, moved);
}

/* Feeding the targets one position at a time through the decoder state gives the teacher-forced
 * log-probabilities at every real position. */
static void test_incremental_equals_full(void) {
  eng.grad_enabled = false;
  static double full[B * T * V];
  teacher_forced_log_probs(&tiny_batch, full);
  fs_engine_reset(&eng);
  fs_transformer_state st;
  CHECK(fs_transformer_start(&eng, &model, tiny_src, tiny_src_mask, B, S, 1, &st) == FS_OK);
  int32_t prev[B] = {2, 2};
  float step[B * V];
  double err = 0;
  for (int t = 0; t < T; t++) {
    CHECK_MSG(fs_transformer_step(&eng, &model, &st, prev, NULL, step) == FS_OK, "%s", fs_last_error());
    for (int b = 0; b < B; b++) {
      if (tiny_tgt_mask[b * T + t] != 0.0f)
        for (int v = 0; v < V; v++) err = fmax(err, fabs(step[b * V + v] - full[(b * T + t) * V + v]));
      prev[b] = tiny_tgt[b * T + t];
    }
  }
  CHECK_MSG(err < 1e-5, "incremental vs full log-probabilities: %g", err);
  CHECK(st.steps == T && st.self_kv[0]->shape[1] == T);
}

/* Teacher rescoring of candidates of both sentences, in mixed order and in chunks of two rows,
 * against each candidate's own full teacher-forced pass (its source encoded on its own):
 * −log p(y|x) / (|y| + 1). */
static void test_rescore_shares_sources(void) {
  eng.grad_enabled = false;
  static const int32_t y[5][4] = {{5, 6, 7, 0}, {4, 9, 0, 0}, {4, 4, 9, 11}, {5, 0, 0, 0}, {10, 0, 0, 0}};
  static const int len[5] = {3, 2, 4, 1, 0}, sentence[5] = {1, 0, 1, 0, 1};
  fs_candidate c[5];
  for (int i = 0; i < 5; i++)
    c[i] = (fs_candidate){.sentence = sentence[i], .tokens = (int32_t *)y[i], .output_length = len[i]};
  fs_teacher_rescorer r = {&eng, &model, 2};
  double scores[5];
  CHECK_MSG(fs_teacher_rescore(&r, tiny_src, tiny_src_mask, B, S, c, 5, scores) == FS_OK, "%s", fs_last_error());
  double err = 0;
  for (int i = 0; i < 5; i++) {
    int32_t tgt[T] = {0};
    float tgt_mask[T] = {0};
    for (int t = 0; t <= len[i]; t++) tgt[t] = t < len[i] ? y[i][t] : 2, tgt_mask[t] = 1.0f;
    int b = sentence[i];
    fs_batch one = {1, S, len[i] + 1, tiny_src + b * S, tgt, tiny_src_mask + b * S, tgt_mask};
    static double lp[T * V];
    teacher_forced_log_probs(&one, lp);
    double sum = 0;
    for (int t = 0; t <= len[i]; t++) sum += lp[t * V + tgt[t]];
    err = fmax(err, fabs(scores[i] - -sum / (len[i] + 1)));
  }
  CHECK_MSG(err < 1e-5, "shared-source rescoring vs each candidate's full pass: %g", err);
}

static void free_all(fs_candidate *c, int n) { fs_candidates_free(c, n); }

/* Each candidate's log-probability is its teacher-forced score. */
static double score_error(const fs_candidate *c, int n, const int32_t *src, const float *mask) {
  double err = 0;
  for (int i = 0; i < n; i++) {
    const int32_t *tokens = c[i].tokens;
    int len = c[i].output_length;
    double lp;
    int b = c[i].sentence;
    fs_transformer_score_pairs(&eng, &model, src + b * S, mask + b * S, 1, S, &tokens, &len, &lp, NULL);
    err = fmax(err, fabs(lp - c[i].decoder_logprob) / fmax(1.0, fabs(lp)));
  }
  return err;
}

static void test_beam_one_is_greedy(void) {
  fs_beam_options o = fs_beam_defaults();
  o.beam = 1;
  fs_candidate *g, *k;
  int ng, nk, bg[B], bk[B];
  fs_engine_reset(&eng);
  CHECK(fs_greedy_search(&eng, &model, tiny_src, tiny_src_mask, B, S, &o, &g, &ng, bg) == FS_OK);
  fs_engine_reset(&eng);
  CHECK(fs_beam_search(&eng, &model, tiny_src, tiny_src_mask, B, S, &o, &k, &nk, bk) == FS_OK);
  CHECK(ng == B && nk == B);
  for (int b = 0; b < B && ng == B && nk == B; b++) {
    CHECK_MSG(g[bg[b]].output_length == k[bk[b]].output_length &&
                  !memcmp(g[bg[b]].tokens, k[bk[b]].tokens, sizeof(int32_t) * g[bg[b]].output_length) &&
                  g[bg[b]].decoder_logprob == k[bk[b]].decoder_logprob,
              "sentence %d: greedy and beam 1 differ", b);
    CHECK(g[bg[b]].output_length <= (int)(2 * 5 + 10)); /* max_len_a · |source with EOS| + b */
  }
  CHECK_MSG(score_error(g, ng, tiny_src, tiny_src_mask) < 1e-5, "greedy log-probabilities");
  free_all(g, ng);
  free_all(k, nk);
}

/* Beam search with a beam wider than the number of prefixes keeps every hypothesis, so its best
 * must be the exhaustive optimum: at most 3 output positions (the last one EOS), so with the 10
 * tokens other than PAD (never chosen) and EOS there are 1 + 10 + 100 outputs, each scored
 * independently by teacher forcing. */
enum { N_OUT = 1 + (V - 2) + (V - 2) * (V - 2) };
static void test_beam_is_exhaustive(float alpha) {
  fs_beam_options o = {128, 5, alpha, 0.0f, 3.0f};
  const int32_t src[S] = {3, 5, 4, 2, 0};
  const float mask[S] = {1, 1, 1, 1, 0};
  static int32_t all[N_OUT][2];
  int lens[N_OUT], n_all = 0, tok[V - 2], n_tok = 0;
  for (int v = 1; v < V; v++)
    if (v != 2) tok[n_tok++] = v;
  lens[n_all++] = 0;
  for (int i = 0; i < n_tok; i++) all[n_all][0] = tok[i], lens[n_all++] = 1;
  for (int i = 0; i < n_tok; i++)
    for (int j = 0; j < n_tok; j++) all[n_all][0] = tok[i], all[n_all][1] = tok[j], lens[n_all++] = 2;
  static double normalised[N_OUT];
  for (int i = 0; i < n_all; i++) {
    const int32_t *y = all[i];
    double lp;
    CHECK(fs_transformer_score_pairs(&eng, &model, src, mask, 1, S, &y, &lens[i], &lp, NULL) == FS_OK);
    normalised[i] = lp / pow(lens[i] + 1, alpha);
  }
  static int rank[N_OUT];
  for (int i = 0; i < n_all; i++) rank[i] = i;
  for (int i = 0; i < n_all; i++) /* selection sort, best first */
    for (int j = i + 1; j < n_all; j++)
      if (normalised[rank[j]] > normalised[rank[i]]) {
        int x = rank[i];
        rank[i] = rank[j];
        rank[j] = x;
      }
  fs_candidate *c;
  int n, best;
  fs_engine_reset(&eng);
  CHECK_MSG(fs_beam_search(&eng, &model, src, mask, 1, S, &o, &c, &n, &best) == FS_OK, "%s", fs_last_error());
  CHECK(n == 5 && best == 0);
  for (int i = 0; i < n && n == 5; i++) {
    int want = rank[i];
    bool same = c[i].output_length == lens[want] && !memcmp(c[i].tokens, all[want], sizeof(int32_t) * lens[want]);
    CHECK_MSG(same && fabs(-c[i].score - normalised[want]) < 1e-5, "alpha %g, rank %d: beam and exhaustive differ",
              alpha, i);
  }
  free_all(c, n);
}

/* A narrow beam over two sentences: hypotheses best first, each log-probability its teacher-
 * forced score (this catches a cache row that was not moved with its prefix). */
static void test_beam_scores(void) {
  fs_beam_options o = {3, 3, 1.0f, 2.0f, 4.0f};
  fs_candidate *c;
  int n, best[B];
  fs_engine_reset(&eng);
  CHECK(fs_beam_search(&eng, &model, tiny_src, tiny_src_mask, B, S, &o, &c, &n, best) == FS_OK);
  CHECK(n == 2 * 3 && best[0] == 0 && best[1] == 3);
  for (int i = 1; i < n; i++)
    if (c[i].sentence == c[i - 1].sentence) CHECK(c[i].score >= c[i - 1].score);
  CHECK_MSG(score_error(c, n, tiny_src, tiny_src_mask) < 1e-5, "beam log-probabilities");
  free_all(c, n);
}

/* Training with Adam on the two tiny pairs, then greedy decoding reproduces both targets. */
static void test_overfit(void) {
  fs_transformer m;
  fs_hparams h = fs_transformer_hparams();
  h.encoder_dropout = h.decoder_dropout = 0.0f;
  h.label_smoothing = 0.0f;
  CHECK(fs_transformer_create(&m, &h, fs_backend_cpu(), 3, 3) == FS_OK);
  eng.training = true;
  float loss = 0;
  for (int step = 1; step <= 200; step++) {
    fs_engine_reset(&eng);
    eng.grad_enabled = true;
    fs_params_zero_grad(&m.params);
    fs_flowseq_losses l;
    CHECK(fs_transformer_loss(&eng, &m, &tiny_batch, &l) == FS_OK && fs_backward(&eng, l.loss) == FS_OK);
    tiny_adam_step(&m.params, step, 3e-3);
    fs_tensor_to_host(&eng, l.loss, &loss);
  }
  eng.training = false;
  eng.grad_enabled = false;
  fs_beam_options o = fs_beam_defaults();
  fs_candidate *c;
  int n, best[B];
  fs_engine_reset(&eng);
  CHECK(fs_beam_search(&eng, &m, tiny_src, tiny_src_mask, B, S, &o, &c, &n, best) == FS_OK);
  const int want_len[B] = {7, 3};
  for (int b = 0; b < B; b++)
    CHECK_MSG(c[best[b]].output_length == want_len[b] &&
                  !memcmp(c[best[b]].tokens, tiny_tgt + b * T, sizeof(int32_t) * want_len[b]),
              "sentence %d not learned (loss %g; got %d tokens %d %d %d ...)", b, loss, c[best[b]].output_length,
              c[best[b]].tokens[0], c[best[b]].tokens[1], c[best[b]].tokens[2]);
  free_all(c, n);
  fs_transformer_free(&m);
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 128 << 20, 32 << 20) != FS_OK) return 1;
  fs_hparams h = fs_transformer_hparams();
  CHECK_MSG(fs_transformer_create(&model, &h, fs_backend_cpu(), 1, 0) == FS_OK, "%s", fs_last_error());
  test_gradients();
  test_causal();
  test_incremental_equals_full();
  test_rescore_shares_sources();
  test_beam_one_is_greedy();
  test_beam_is_exhaustive(0.0f);
  test_beam_is_exhaustive(1.0f);
  test_beam_scores();
  test_overfit();
  fs_transformer_free(&model);
  fs_engine_free(&eng);
  return test_summary();
}
