/* Parallel decoding on a tiny model trained through all three phases on two pairs: argmax
 * reproduces the training targets, npd with one length, one sample and τ = 0 equals argmax, iwd
 * picks the candidate its own formula ranks best, the same seed gives the same output, and an
 * external rescorer (the teacher's hook) sees each candidate's source and decides the choice. */
#include <string.h>

#include "decode/decode.h"
#include "decode/runner.h"
#include "test.h"
#include "tiny_model.h"

static fs_engine eng;
static flowseq_model model;

static void decode(const flowseq_decode_options *o, flowseq_candidate **c, int *n, int *best) {
  CHECK_MSG(flowseq_decode(&eng, &model, tiny_src, tiny_src_mask, TINY_B, TINY_S, o, c, n, best) == FS_OK, "%s",
            fs_last_error());
}

/* The decoded output of sentence b equals its training target (tokens before the first EOS). */
static bool reproduces_target(const flowseq_candidate *c, int b) {
  int len = 0;
  while (len < TINY_T && tiny_tgt[b * TINY_T + len] != 2) len++;
  return c->output_length == len && memcmp(c->tokens, tiny_tgt + b * TINY_T, sizeof(int32_t) * len) == 0;
}

/* Post-processing: only a token equal to its predecessor goes; later repeats of it stay. */
static void test_collapse_repeats(void) {
  int32_t t[] = {5, 5, 5, 7, 5, 9, 9, 7};
  int n = flowseq_collapse_repeats(t, 8);
  CHECK_MSG(n == 5 && t[0] == 5 && t[1] == 7 && t[2] == 5 && t[3] == 9 && t[4] == 7, "collapsed to %d tokens", n);
  CHECK(flowseq_collapse_repeats(t, 0) == 0);
}

/* Batches are sized by the widest point of decoding: candidates, times K posterior samples in iwd. */
static void test_rows_per_sentence(void) {
  flowseq_decode_options o = flowseq_decode_defaults(FLOWSEQ_DECODE_ARGMAX);
  CHECK(flowseq_decode_rows_per_sentence(&o) == 1);
  o = flowseq_decode_defaults(FLOWSEQ_DECODE_NPD);
  o.lengths = 3, o.samples = 5;
  CHECK(flowseq_decode_rows_per_sentence(&o) == 15);
  o = flowseq_decode_defaults(FLOWSEQ_DECODE_IWD);
  o.lengths = 3, o.samples = 1, o.iw_samples = 4;
  CHECK(flowseq_decode_rows_per_sentence(&o) == 12);
}

/* A stand-in for the teacher: arbitrary scores, and a check that candidate i's source row is the
 * source of its sentence. */
static int rescored, wrong_sources;
static fs_status fake_rescorer(void *context, const int32_t *src, const float *src_mask, int batch, int src_len,
                               const flowseq_candidate *c, int n, double *scores) {
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
  flowseq_decode_options o = flowseq_decode_defaults(FLOWSEQ_DECODE_NPD);
  o.lengths = 2, o.samples = 3;
  o.rescore = fake_rescorer;
  flowseq_candidate *c;
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
  flowseq_candidates_free(c, n);
}

int main(void) {
  test_collapse_repeats();
  test_rows_per_sentence();
  if (fs_engine_init(&eng, fs_backend_cpu(), 256 << 20, 64 << 20) != FS_OK) return 1;
  flowseq_hparams h = tiny_hparams();
  h.encoder_dropout = h.posterior_dropout = h.decoder_dropout = h.posterior_token_dropout = 0.0f;
  h.length_dropout = 0.0f;
  CHECK(flowseq_model_create(&model, &h, fs_backend_cpu(), 11, 3) == FS_OK);
  tiny_train(&eng, &model, 150, 250);
  CHECK(flow_prior_sync(&model.prior) == FS_OK);

  flowseq_candidate *argmax, *npd, *iwd, *again;
  int n_argmax, n_npd, n_iwd, n_again, best_argmax[TINY_B], best_npd[TINY_B], best_iwd[TINY_B], best_again[TINY_B];
  flowseq_decode_options o = flowseq_decode_defaults(FLOWSEQ_DECODE_ARGMAX);
  decode(&o, &argmax, &n_argmax, best_argmax);
  CHECK(n_argmax == TINY_B);
  for (int b = 0; b < TINY_B; b++)
    CHECK_MSG(reproduces_target(&argmax[best_argmax[b]], b), "sentence %d: argmax output of length %d", b,
              argmax[best_argmax[b]].output_length);

  o = flowseq_decode_defaults(FLOWSEQ_DECODE_NPD);
  o.lengths = 1;
  o.samples = 1;
  o.tau = 0.0f;
  decode(&o, &npd, &n_npd, best_npd);
  for (int b = 0; b < TINY_B; b++) {
    const flowseq_candidate *x = &argmax[best_argmax[b]], *y = &npd[best_npd[b]];
    CHECK(x->length == y->length && memcmp(x->tokens, y->tokens, sizeof(int32_t) * x->length) == 0);
  }

  o = flowseq_decode_defaults(FLOWSEQ_DECODE_IWD);
  o.samples = 2;
  o.tau = 0.8f;
  decode(&o, &iwd, &n_iwd, best_iwd);
  CHECK(n_iwd > TINY_B);
  for (int b = 0; b < TINY_B; b++) {
    int expected = -1;
    for (int i = 0; i < n_iwd; i++) {
      if (iwd[i].sentence != b) continue;
      double s = -(iwd[i].iwd_logprob + iwd[i].length_logprob) / iwd[i].length;
      CHECK_CLOSE(iwd[i].score, s, 1e-9, 0);
      if (expected < 0 || s < iwd[expected].score) expected = i;
    }
    CHECK(best_iwd[b] == expected);
    CHECK_MSG(reproduces_target(&iwd[best_iwd[b]], b), "iwd sentence %d", b);
  }
  decode(&o, &again, &n_again, best_again);
  CHECK(n_again == n_iwd);
  for (int i = 0; i < n_iwd && i < n_again; i++)
    CHECK(again[i].score == iwd[i].score && memcmp(again[i].tokens, iwd[i].tokens, sizeof(int32_t) * iwd[i].length) == 0);

  test_external_rescorer();
  flowseq_candidates_free(argmax, n_argmax);
  flowseq_candidates_free(npd, n_npd);
  flowseq_candidates_free(iwd, n_iwd);
  flowseq_candidates_free(again, n_again);
  flowseq_model_free(&model);
  fs_engine_free(&eng);
  return test_summary();
}
