/* Data-parallel worker threads (train/workers.h) on tiny models and a five-sentence batch:
 *   - without randomness (dropout off; FlowSeq's pre-training uses the posterior mean), 2 and 3
 *     workers give the gradient and loss sums of one engine's plain forward and backward of the
 *     whole batch, for FlowSeq and the Transformer;
 *   - with dropout and posterior noise (FlowSeq's main phase), 3 workers in parallel give what the
 *     three shards give computed one after the other on one engine, each loss weighted by its
 *     share of the sentences (no race, no lost or doubled gradient); the same with bf16 products,
 *     which the workers' engines take from the main engine (an fp32 worker would be 1e-3 off);
 *   - one worker is bit-identical to the plain pass on the batch's own stream;
 *   - a worker's failure reaches the caller with its message, and accumulating adds to what the
 *     gradient block held. */
#include "model/model.h"
#include "test.h"
#include "tiny_model.h"
#include "train/workers.h"

enum { B = 5, S = TINY_S, T = TINY_T };
static const int32_t src[B * S] = {4, 5, 6, 7, 2, 8, 9, 2, 0, 0, 5, 5, 11, 2, 0, 6, 4, 2, 0, 0, 10, 9, 8, 7, 2};
static const int32_t tgt[B * T] = {5, 6, 7, 8, 9, 10, 11, 2, 4, 4, 9, 2, 0,  0,  0, 0, 7, 7, 3, 2,
                                   0, 0, 0, 0, 6, 5,  2,  2, 0, 0, 0, 0, 11, 10, 9, 8, 7, 6, 5, 2};
static const float src_mask[B * S] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
static const float tgt_mask[B * T] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1,
                                      0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
static const fs_batch batch = {B, S, T, src, tgt, src_mask, tgt_mask};
static const uint64_t stream = 0x5eed;

static fs_engine eng;

/* One engine's forward and backward of batch b on random stream `seed`, its loss scaled by
 * `weight`, adding into the gradient block; adds the loss parts to sums in sentence order. */
static void plain_pass(fs_model *m, const fs_batch *b, fs_loss_phase phase, bool training, uint64_t seed, float weight,
                       fs_loss_sums *sums) {
  fs_engine_reset(&eng);
  fs_engine_mode previous = fs_engine_enter(
      &eng, (fs_engine_mode){.grad_enabled = true, .training = training, .own_stream = true, .seed = seed});
  fs_flowseq_losses l;
  CHECK_MSG(fs_model_loss(&eng, m, b, phase, 0.5f, &l) == FS_OK, "%s", fs_last_error());
  fs_tensor *loss = weight == 1.0f ? l.loss : fs_scale(&eng, l.loss, weight);
  CHECK(fs_backward(&eng, loss) == FS_OK);
  fs_engine_restore(&eng, previous);
  float parts[3 * B];
  CHECK(fs_model_loss_parts_to_host(&eng, &l, b->batch, parts) == FS_OK);
  for (int r = 0; r < b->batch; r++) {
    sums->recon += parts[r];
    sums->length += parts[b->batch + r];
    sums->kl += parts[2 * b->batch + r];
  }
}

/* Fills the gradient block with a value no gradient has: `first` must replace all of it. */
static void spoil_gradients(fs_params *p) {
  for (int64_t i = 0; i < p->total; i++) fs_params_slot(p, 1)[i] = 1e30f;
}

/* The gradient block of m after `workers` workers compute the batch's gradient as an update's
 * first batch. */
static void worker_pass(fs_model *m, int workers, fs_loss_phase phase, bool training, float *grads,
                        fs_loss_sums *sums) {
  fs_params *p = fs_model_params(m);
  spoil_gradients(p);
  fs_workers w;
  CHECK(fs_workers_init(&w, workers, &eng, m) == FS_OK);
  CHECK(fs_workers_accumulate(&w, m, &batch, phase, 0.5f, training, true, stream, sums) == FS_OK);
  fs_workers_free(&w);
  memcpy(grads, fs_params_slot(p, 1), sizeof(float) * p->total);
}

static void check_blocks_close(const float *got, const float *want, int64_t n, const char *what) {
  double scale = 0, worst = 0;
  for (int64_t i = 0; i < n; i++) scale = fmax(scale, fabs(want[i]));
  for (int64_t i = 0; i < n; i++) worst = fmax(worst, fabs(got[i] - want[i]));
  CHECK_MSG(scale > 0 && worst <= 1e-5 * scale, "%s: largest gradient difference %.3g of largest gradient %.3g", what,
            worst, scale);
}

/* A tiny model with zeroed gradients and room for two gradient blocks (in place: a model holds
 * pointers into itself). */
typedef struct {
  fs_model m;
  fs_params *p;
  float *want, *got;
  fs_loss_sums want_sums, sums;
} fixture;

static void fixture_open(fixture *f, fs_model_type type) {
  fs_hparams h = tiny_hparams();
  h.type = type;
  CHECK(fs_model_create(&f->m, &h, fs_backend_cpu(), 7, 0) == FS_OK);
  f->p = fs_model_params(&f->m);
  f->want = malloc(sizeof(float) * f->p->total);
  f->got = malloc(sizeof(float) * f->p->total);
  f->want_sums = f->sums = (fs_loss_sums){0, 0, 0};
  fs_params_zero_grad(f->p);
}

static void fixture_close(fixture *f) {
  free(f->want);
  free(f->got);
  fs_model_free(&f->m);
}

/* No randomness: the workers' sharded gradient equals the whole batch's on one engine. */
static void test_equals_whole_batch(fs_model_type type, fs_loss_phase phase, const char *what) {
  fixture f;
  fixture_open(&f, type);
  plain_pass(&f.m, &batch, phase, false, stream, 1.0f, &f.want_sums);
  memcpy(f.want, fs_params_slot(f.p, 1), sizeof(float) * f.p->total);
  for (int workers = 2; workers <= 3; workers++) {
    fs_loss_sums sums = {0, 0, 0};
    worker_pass(&f.m, workers, phase, false, f.got, &sums);
    check_blocks_close(f.got, f.want, f.p->total, what);
    CHECK_CLOSE(sums.recon, f.want_sums.recon, 1e-4, 1e-5);
    CHECK_CLOSE(sums.length, f.want_sums.length, 1e-4, 1e-5);
    CHECK_CLOSE(sums.kl, f.want_sums.kl, 1e-4, 1e-5);
  }
  fixture_close(&f);
}

/* Randomness on: 3 workers in parallel equal the three shards one after the other. */
static void test_equals_sequential_shards(void) {
  fixture f;
  fixture_open(&f, FS_MODEL_FLOWSEQ);
  int bounds[4] = {0, 1, 3, 5}; /* ⌊5k/3⌋ */
  for (int k = 0; k < 3; k++) {
    int lo = bounds[k], rows = bounds[k + 1] - lo;
    fs_batch shard = {rows, S, T, src + lo * S, tgt + lo * T, src_mask + lo * S, tgt_mask + lo * T};
    plain_pass(&f.m, &shard, FS_LOSS_MAIN, true, fs_worker_stream(stream, k), (float)rows / B, &f.want_sums);
  }
  memcpy(f.want, fs_params_slot(f.p, 1), sizeof(float) * f.p->total);
  worker_pass(&f.m, 3, FS_LOSS_MAIN, true, f.got, &f.sums);
  check_blocks_close(f.got, f.want, f.p->total, "flowseq main phase, 3 workers vs 3 shards in turn");
  CHECK_CLOSE(f.sums.kl, f.want_sums.kl, 1e-4, 1e-5);
  CHECK_CLOSE(f.sums.recon, f.want_sums.recon, 1e-4, 1e-5);
  CHECK(f.want_sums.kl != 0.0);
  fixture_close(&f);
}

/* One worker: exactly the plain pass; accumulating adds to the block. */
static void test_one_worker_exact(void) {
  fixture f;
  fixture_open(&f, FS_MODEL_FLOWSEQ);
  plain_pass(&f.m, &batch, FS_LOSS_MAIN, true, stream, 1.0f, &f.want_sums);
  memcpy(f.want, fs_params_slot(f.p, 1), sizeof(float) * f.p->total);
  worker_pass(&f.m, 1, FS_LOSS_MAIN, true, f.got, &f.sums);
  CHECK(!memcmp(f.got, f.want, sizeof(float) * f.p->total));
  CHECK(f.sums.recon == f.want_sums.recon && f.sums.kl == f.want_sums.kl && f.sums.length == f.want_sums.length);

  /* two workers on a block already holding a batch's gradient: it doubles */
  fs_workers w;
  CHECK(fs_workers_init(&w, 2, &eng, &f.m) == FS_OK);
  spoil_gradients(f.p);
  CHECK(fs_workers_accumulate(&w, &f.m, &batch, FS_LOSS_PRETRAIN, 0.0f, false, true, stream, &f.sums) == FS_OK);
  for (int64_t i = 0; i < f.p->total; i++) f.want[i] = 2.0f * fs_params_slot(f.p, 1)[i];
  CHECK(fs_workers_accumulate(&w, &f.m, &batch, FS_LOSS_PRETRAIN, 0.0f, false, false, stream, &f.sums) == FS_OK);
  check_blocks_close(fs_params_slot(f.p, 1), f.want, f.p->total, "two accumulations of the same batch");
  fs_workers_free(&w);
  fixture_close(&f);
}

/* A worker that runs out of arena fails the call with its own message. */
static void test_failure_reported(void) {
  fixture f;
  fixture_open(&f, FS_MODEL_FLOWSEQ);
  fs_engine small;
  CHECK(fs_engine_init(&small, fs_backend_cpu(), 64 << 10, 1 << 20) == FS_OK);
  fs_workers w;
  CHECK(fs_workers_init(&w, 2, &small, &f.m) == FS_OK);
  fs_status s = fs_workers_accumulate(&w, &f.m, &batch, FS_LOSS_MAIN, 1.0f, true, true, stream, &f.sums);
  CHECK(s == FS_ERR_MEMORY);
  CHECK_MSG(strstr(fs_last_error(), "arena exhausted") != NULL, "message: %s", fs_last_error());
  fs_workers_free(&w);
  fs_engine_free(&small);
  fixture_close(&f);
}

int main(void) {
  CHECK(fs_engine_init(&eng, fs_backend_cpu(), 64 << 20, 16 << 20) == FS_OK);
  test_equals_whole_batch(FS_MODEL_FLOWSEQ, FS_LOSS_PRETRAIN, "flowseq pre-training, 2-3 workers vs whole batch");
  test_equals_whole_batch(FS_MODEL_TRANSFORMER, FS_LOSS_MAIN, "transformer, 2-3 workers vs whole batch");
  test_equals_sequential_shards();
  eng.precision = FS_BF16;
  test_equals_sequential_shards();
  eng.precision = FS_FP32;
  test_one_worker_exact();
  test_failure_reported();
  fs_engine_free(&eng);
  return test_summary();
}
