/* Data parallelism across the threads of one process: each training batch is cut into one shard
 * of sentences per thread; every thread runs the forward and backward pass of its shard on an
 * engine and a gradient block of its own, and the blocks are summed into the parameters' gradients.
 *
 * Why not split every op over the threads instead: the model's matrix products are small (width
 * 256 to 512) and most of its other kernels are memory-bound, so on a few cores each op spends
 * much of its time starting, dividing and joining threads. Inside a worker's parallel region
 * OpenBLAS and the kernels' own OpenMP loops run on that worker's thread alone (a nested region
 * gets one thread), so the only synchronisation left is one join per batch.
 *
 * What is computed: the gradient of the batch's loss, a mean over its sentences, exactly as one
 * engine would compute it on the whole batch, with one difference: shard k's dropout masks and
 * posterior noise come from a stream of its own (fs_worker_stream). With one worker the stream is
 * the batch's and the result is bit-identical to a plain fs_model_loss + fs_backward. The number
 * of shards is min(workers, sentences), so results depend on the worker count as they would on a
 * different batching, and a resumed run with the same count repeats an uninterrupted one exactly.
 *
 * CPU only: on a GPU one engine keeps the device busy and the trainer uses one worker. */
#ifndef FLOWSEQ_TRAIN_WORKERS_H
#define FLOWSEQ_TRAIN_WORKERS_H

#include "model/model.h"

typedef struct {
  fs_engine engine; /* worker 0 borrows the caller's engine instead */
  float *grads;     /* own gradient block (workers 1..n−1), the layout of the model's */
  int rows;         /* sentences in the last shard */
  float *parts;     /* their loss parts on the host: recon [rows], length [rows], KL [rows] */
  int parts_cap;
  fs_status status;
  char message[512]; /* the worker thread's error message (fs_last_error is per thread) */
} fs_worker;

typedef struct {
  int count;
  fs_worker *w;
  fs_engine *main; /* worker 0's engine: the caller's, whose gemm_flops counts every worker's */
  fs_params *params;
} fs_workers;

/* `count` workers for model m: worker 0 runs on `main`, workers 1.. get engines with main's arena
 * sizes and precision, and gradient blocks of their own. count 1 allocates nothing. */
fs_status fs_workers_init(fs_workers *w, int count, fs_engine *main, fs_model *m);
void fs_workers_free(fs_workers *w);

/* The random stream of shard k of the batch whose stream is `batch_stream` (shard 0: that stream). */
uint64_t fs_worker_stream(uint64_t batch_stream, int k);

/* The sums of a batch's per-sentence loss parts. */
typedef struct {
  double recon, length, kl;
} fs_loss_sums;

/* Forward and backward of batch b (dropout on when `training`), its shards on the workers in
 * parallel, adding d(mean loss over b's sentences)/dθ into the model's gradient block, or with
 * `first` replacing what it held (worker 0 zeroes it inside its shard, while the other workers
 * zero their own blocks: zeroing it before the join left the other threads idle). Leaves every
 * worker's engine as it found it (mode and random stream) and adds the loss parts of b's sentences
 * to `sums`, one sentence after the other in b's order. */
fs_status fs_workers_accumulate(fs_workers *w, fs_model *m, const fs_batch *b, fs_loss_phase phase, float kl_weight,
                                bool training, bool first, uint64_t batch_stream, fs_loss_sums *sums);

#endif
