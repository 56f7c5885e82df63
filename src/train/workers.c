/* Data-parallel worker threads: the implementation; train/workers.h describes the interface. */
#include "train/workers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/philox.h"

fs_status fs_workers_init(fs_workers *w, int count, fs_engine *main, fs_model *m) {
  memset(w, 0, sizeof *w);
  w->count = count > 1 ? count : 1;
  w->main = main;
  w->params = fs_model_params(m);
  w->w = fs_calloc(w->count, sizeof *w->w);
  const fs_backend *be = main->be;
  for (int k = 1; k < w->count; k++) {
    fs_worker *wk = &w->w[k];
    FS_TRY(fs_engine_init(&wk->engine, be, main->device.capacity, main->host.capacity));
    wk->engine.precision = main->precision;
    wk->grads = be->alloc(sizeof(float) * (size_t)w->params->total);
    if (!wk->grads)
      return fs_error(FS_ERR_MEMORY, "cannot allocate worker %d's gradient block (%.1f MiB)", k,
                      sizeof(float) * (double)w->params->total / 1048576.0);
  }
  return FS_OK;
}

void fs_workers_free(fs_workers *w) {
  for (int k = 1; k < w->count && w->w; k++) {
    if (w->w[k].engine.be) fs_engine_free(&w->w[k].engine);
    if (w->w[k].grads) w->main->be->free(w->w[k].grads);
  }
  for (int k = 0; k < w->count && w->w; k++) free(w->w[k].parts);
  free(w->w);
  memset(w, 0, sizeof *w);
}

uint64_t fs_worker_stream(uint64_t batch_stream, int k) {
  return k == 0 ? batch_stream : fs_splitmix64(batch_stream, (uint64_t)k);
}

/* Shard k of n: forward and backward on worker k's engine, in the calling thread. */
static void run_shard(fs_workers *w, int k, int n, fs_model *m, const fs_batch *b, fs_loss_phase phase, float kl_weight,
                      bool training, bool first, uint64_t batch_stream) {
  fs_worker *wk = &w->w[k];
  fs_engine *e = k == 0 ? w->main : &wk->engine;
  int lo = (int)((int64_t)b->batch * k / n), rows = (int)((int64_t)b->batch * (k + 1) / n) - lo;
  wk->rows = rows;
  fs_batch shard = {rows,
                    b->src_len,
                    b->tgt_len,
                    b->src + (size_t)lo * b->src_len,
                    b->tgt + (size_t)lo * b->tgt_len,
                    b->src_mask + (size_t)lo * b->src_len,
                    b->tgt_mask + (size_t)lo * b->tgt_len};
  if (k > 0) {
    e->be->fill(wk->grads, w->params->total, 0.0f);
    fs_engine_own_gradients(e, fs_params_slot(w->params, 1), wk->grads, w->params->total);
  } else if (first) {
    fs_params_zero_grad(w->params);
  }
  fs_engine_reset(e);
  fs_engine_mode shard_mode = {.grad_enabled = true,
                               .training = training,
                               .own_stream = true,
                               .seed = fs_worker_stream(batch_stream, k),
                               .rng_offset = 0};
  fs_engine_mode previous = fs_engine_enter(e, shard_mode);
  fs_flowseq_losses l;
  fs_status s = fs_model_loss(e, m, &shard, phase, kl_weight, &l);
  /* the shard's loss is a mean over its own sentences: weighted by its share, the shards' gradients
   * sum to that of the mean over the whole batch (one shard: no op, so the result stays bit-identical) */
  fs_tensor *loss = n > 1 && s == FS_OK ? fs_scale(e, l.loss, (float)rows / (float)b->batch) : l.loss;
  if (s == FS_OK) s = fs_backward(e, loss);
  fs_engine_restore(e, previous);
  if (wk->parts_cap < 3 * rows) {
    wk->parts_cap = 3 * rows;
    wk->parts = fs_realloc(wk->parts, sizeof(float) * wk->parts_cap);
  }
  if (s == FS_OK) s = fs_model_loss_parts_to_host(e, &l, rows, wk->parts);
  wk->status = s;
  if (s != FS_OK) snprintf(wk->message, sizeof wk->message, "%s", fs_last_error());
}

fs_status fs_workers_accumulate(fs_workers *w, fs_model *m, const fs_batch *b, fs_loss_phase phase, float kl_weight,
                                bool training, bool first, uint64_t batch_stream, fs_loss_sums *sums) {
  int n = w->count < b->batch ? w->count : b->batch;
  if (n <= 1) {
    run_shard(w, 0, 1, m, b, phase, kl_weight, training, first, batch_stream); /* every kernel keeps all its threads */
  } else {
#pragma omp parallel for num_threads(n) schedule(static, 1)
    for (int k = 0; k < n; k++) run_shard(w, k, n, m, b, phase, kl_weight, training, first, batch_stream);
  }
  for (int k = 0; k < n; k++) {
    fs_worker *wk = &w->w[k];
    if (wk->status != FS_OK) return fs_error(wk->status, "%s", wk->message);
    int rows = wk->rows;
    for (int r = 0; r < rows; r++) {
      sums->recon += wk->parts[r];
      sums->length += wk->parts[rows + r];
      sums->kl += wk->parts[2 * rows + r];
    }
  }
  /* the workers' gradient blocks into the model's; the block's length is a multiple of 16
   * (ops/params.h), which shapes it as rows of 16 for the elementwise kernel's int extents */
  float *grads = fs_params_slot(w->params, 1);
  const int shape[4] = {1, 1, (int)(w->params->total / 16), 16};
  const int64_t stride[4] = {0, 0, 16, 1};
  for (int k = 1; k < n; k++) {
    w->main->be->binary(FS_BIN_ADD, shape, grads, grads, stride, w->w[k].grads, stride);
    w->main->gemm_flops += w->w[k].engine.gemm_flops;
    w->w[k].engine.gemm_flops = 0;
  }
  return FS_OK;
}
