/* The training loop: the implementation; train/trainer.h describes the interface. */
#include "train/trainer.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/profile.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/philox.h"
#include "data/batcher.h"
#include "data/dataset.h"
#include "decode/search.h"
#include "eval/bleu.h"
#include "train/checkpoint.h"
#include "train/dist.h"
#include "train/metrics.h"
#include "train/schedule.h"
#include "train/signals.h"
#include "train/workers.h"

typedef struct {
  fs_config *cfg;
  fs_spm *spm;
  fs_pairs train, valid;
  fs_text valid_refs; /* raw validation references, for BLEU */
  fs_batcher batcher;
  fs_model model;
  fs_adamw adamw;
  fs_engine engine;
  fs_workers workers; /* the threads a batch is split over (worker 0 runs on `engine`) */
  fs_progress progress;
  fs_metrics metrics;
  double started;
  long sentences, target_tokens;
  fs_loss_sums sums; /* of the sentences since the last log line */
  double window_start, window_flops;
  long window_tokens, window_sentences;
  bool stop;             /* a rank received SIGINT/SIGTERM: every rank knows it after the same update */
  bool validates;        /* train.valid_src and valid_tgt are set */
  bool interrupted;      /* a signal cut the running validation short */
  double seconds_before; /* train_seconds of the checkpoint resumed from */
} trainer;

/* In a multi-process job rank 0 speaks for all: it writes the checkpoints, the metrics and the
 * log, and validates; the other ranks only compute. */
static bool leader(void) { return fs_dist_rank() == 0; }

/* Reads and encodes a parallel corpus; keep_tgt (if not NULL) receives the raw target side. Training
 * data (clean) is filtered by train.max_length and train.max_ratio; validation data only loses the
 * pairs that do not fit the model's position table (tokens, EOS and fillers to the length unit). */
static fs_status load_side(trainer *t, const char *src, const char *tgt, bool clean, fs_pairs *out, const char *what,
                           fs_text *keep_tgt) {
  fs_text s, g;
  FS_TRY(fs_parallel_read(src, tgt, &s, &g));
  const fs_hparams *h = &t->cfg->model;
  int table = h->max_length - fs_length_unit(h);
  fs_clean_options o = {clean ? t->cfg->train.max_length : table, clean ? t->cfg->train.max_ratio : 0, false};
  fs_clean_counts c;
  fs_status st = fs_pairs_encode(t->spm, &s, &g, &o, out, &c);
  fs_text_free(&s);
  if (keep_tgt) *keep_tgt = g;
  else fs_text_free(&g);
  if (st == FS_OK) /* pairs dropped are a warning: --quiet keeps it */
    (c.kept < c.read ? fs_warn : fs_log)("data",
                                         "%s: %d pairs read, %d kept (%d empty, %d too long, %d bad length ratio)",
                                         what, c.read, c.kept, c.empty, c.too_long, c.bad_ratio);
  if (st == FS_OK && c.kept == 0) st = fs_error(FS_ERR_ARG, "%s: no pair is left after cleaning", what);
  return st;
}

/* A batch of up to n training sentences drawn by the seed (for the data-dependent inits). */
static fs_status init_batch(trainer *t, int n, uint64_t stream, fs_batch *out, fs_batcher *b) {
  fs_batcher_options o = t->batcher.o;
  o.max_tokens = 1 << 30;
  o.max_sentences = n;
  o.seed = t->cfg->train.seed + stream;
  FS_TRY(fs_batcher_init(b, &t->train, &o, 0));
  fs_batcher_get(b, 0, out, NULL);
  return FS_OK;
}

static fs_status save(trainer *t) {
  /* the open log window over all ranks (every rank saves at the same updates): resumed, rank 0
   * starts from it and the next log line averages the same updates as without the interruption */
  double window[5] = {t->sums.recon, t->sums.kl, t->sums.length, (double)t->window_tokens, (double)t->window_sentences};
  fs_dist_sum_doubles(window, 5);
  if (!leader()) return FS_OK;
  fs_progress *g = &t->progress;
  g->window.recon = window[0], g->window.kl = window[1], g->window.length = window[2];
  g->window.tokens = (long)window[3], g->window.sentences = (long)window[4];
  g->train_seconds = t->seconds_before + (fs_seconds() - t->started);
  t->progress.rng_offset = t->engine.rng_offset;
  t->progress.skipped = t->adamw.skipped;
  fs_status s = fs_checkpoint_save(t->cfg->train.output, t->cfg, &t->model, &t->adamw, &t->progress, t->cfg->train.spm);
  if (s == FS_OK) fs_log("train", "checkpoint saved to %s", t->cfg->train.output);
  return s;
}

/* A periodic main-phase save, also kept as OUTPUT.u<update> for averaging with train.keep_last. */
static fs_status save_and_keep(trainer *t) {
  FS_TRY(save(t));
  const fs_train_config *tc = &t->cfg->train;
  if (!leader() || tc->keep_last == 0) return FS_OK;
  return fs_checkpoint_keep(tc->output, t->progress.total_updates, tc->keep_last, t->cfg, &t->model, tc->spm);
}

/* Adds the validation NLL of every batch of b (unsmoothed reconstruction + KL per sentence,
 * averaged over k_samples posterior samples) to *total and its target tokens to *tokens. */
static fs_status add_validation_nll(trainer *t, fs_batcher *b, int k_samples, double *total, long *tokens) {
  fs_status s = FS_OK;
  for (int k = 0; s == FS_OK && !t->interrupted && k < b->n_batches; k++) {
    fs_batch batch;
    fs_batcher_get(b, k, &batch, NULL);
    for (int r = 0; r < batch.batch * batch.tgt_len; r++) *tokens += batch.tgt_mask[r] != 0.0f;
    float *parts = fs_malloc(sizeof(float) * 3 * batch.batch); /* recon, length, KL */
    for (int sample = 0; s == FS_OK && sample < k_samples; sample++) {
      if ((t->interrupted = fs_stop_requested())) break; /* a signal is answered within a forward pass */
      fs_engine_reset(&t->engine);
      fs_flowseq_losses l;
      s = fs_model_loss(&t->engine, &t->model, &batch, FS_LOSS_MAIN, 1.0f, &l);
      if (s == FS_OK) s = fs_model_loss_parts_to_host(&t->engine, &l, batch.batch, parts);
      for (int r = 0; s == FS_OK && r < batch.batch; r++) *total += (parts[r] + parts[2 * batch.batch + r]) / k_samples;
    }
    free(parts);
  }
  return s;
}

/* Validation NLL per target token and its perplexity: FlowSeq's unsmoothed reconstruction + KL
 * averaged over valid_samples posterior samples (docs/model.md#training-objective), the
 * Transformer's unsmoothed cross-entropy. The samples continue the running random stream. */
static fs_status validate(trainer *t, double *nll, double *ppl) {
  fs_batcher b;
  fs_batcher_options o = t->batcher.o;
  o.shuffle = false;
  FS_TRY(fs_batcher_init(&b, &t->valid, &o, 0));
  fs_model *m = &t->model;
  int k_samples = fs_model_samples_loss(m) && t->cfg->train.valid_samples > 0 ? t->cfg->train.valid_samples : 1;
  fs_hparams *h = fs_model_hparams(m);
  float smoothing = h->label_smoothing;
  h->label_smoothing = 0.0f;
  fs_engine_mode previous = fs_engine_enter(&t->engine, fs_engine_eval());
  double total = 0.0;
  long tokens = 0;
  fs_status s = fs_model_sync(m);
  if (s == FS_OK) s = add_validation_nll(t, &b, k_samples, &total, &tokens);
  fs_engine_restore(&t->engine, previous);
  h->label_smoothing = smoothing;
  fs_batcher_free(&b);
  *nll = tokens ? total / tokens : 0.0;
  *ppl = exp(*nll);
  return s;
}

/* Detokenized sacreBLEU of the validation set decoded the cheapest way (FlowSeq argmax,
 * Transformer greedy; flow inverses synced by the caller). Decoding draws from a seed of its own
 * and puts the running random stream back (fs_decode). */
static fs_status validation_bleu(trainer *t, double *bleu) {
  fs_batcher b;
  fs_batcher_options o = t->batcher.o;
  o.shuffle = false;
  FS_TRY(fs_batcher_init(&b, &t->valid, &o, 0));
  fs_search_options d = fs_search_fastest();
  int n = t->valid.count;
  char **hyps = fs_calloc(n, sizeof *hyps);
  const char **refs = fs_malloc(sizeof *refs * n);
  fs_status s = FS_OK;
  for (int k = 0; s == FS_OK && k < b.n_batches; k++) {
    if ((t->interrupted = fs_stop_requested())) break;
    fs_batch batch;
    const int *rows;
    fs_batcher_get(&b, k, &batch, &rows);
    fs_candidate *c = NULL;
    int count = 0, *best = fs_malloc(sizeof(int) * batch.batch);
    s = fs_search(&t->engine, &t->model, batch.src, batch.src_mask, batch.batch, batch.src_len, &d, &c, &count, best);
    for (int r = 0; s == FS_OK && r < batch.batch; r++)
      s = fs_spm_decode(t->spm, c[best[r]].tokens, c[best[r]].output_length, &hyps[rows[r]]);
    fs_candidates_free(c, count);
    free(best);
  }
  for (int i = 0; i < n; i++) refs[i] = t->valid_refs.lines[t->valid.line[i] - 1];
  if (s == FS_OK && !t->interrupted) {
    fs_bleu_options bo = fs_bleu_defaults();
    const char *const *ref_streams[1] = {refs};
    *bleu = fs_bleu_corpus(&bo, (const char *const *)hyps, ref_streams, 1, n).score;
  }
  for (int i = 0; i < n; i++) free(hyps[i]);
  free(hyps);
  free(refs);
  fs_batcher_free(&b);
  return s;
}

/* The log line and metrics row of the last log_every updates, with the loss parts, tokens and
 * FLOPs summed over the ranks (every rank calls it: the sums are a collective). */
static void log_line(trainer *t, const fs_lr_schedule *sched, double kl_weight, double grad_norm) {
  fs_progress *g = &t->progress;
  double job[6] = {t->sums.recon,
                   t->sums.kl,
                   t->sums.length,
                   (double)t->window_tokens,
                   (double)t->window_sentences,
                   t->engine.gemm_flops - t->window_flops};
  fs_dist_sum_doubles(job, 6);
  double sum_recon = job[0], sum_kl = job[1], sum_length = job[2], tokens = job[3], sentences = job[4];
  double elapsed = fs_seconds() - t->window_start, tok_s = tokens / (elapsed > 0 ? elapsed : 1);
  double gflops = job[5] / (elapsed > 0 ? elapsed : 1) / 1e9;
  long remaining = g->phase == FS_PHASE_PRETRAIN ? t->cfg->train.init_steps - g->update + t->cfg->train.max_updates
                                                 : t->cfg->train.max_updates - g->update;
  double per_update = elapsed / t->cfg->train.log_every, eta = remaining * per_update;
  double n = sentences ? sentences : 1;
  char parts[128];
  if (fs_model_pretrains(&t->model))
    snprintf(parts, sizeof parts, "recon %.3f kl %.3f len %.3f (per sentence) | kl_w %.3f", sum_recon / n, sum_kl / n,
             sum_length / n, kl_weight);
  else
    snprintf(parts, sizeof parts, "ce %.3f per sentence, %.3f per token", sum_recon / n,
             sum_recon / (tokens ? tokens : 1));
  fs_log("train", "%s ep %d upd %ld | %s | lr %.2e |g| %.3f | %.0f tgt tok/s, %.1f GEMM GFLOP/s | ETA %.0fh%02.0fm",
         g->phase == FS_PHASE_PRETRAIN ? "pre " : "main", g->data.epoch, g->total_updates, parts,
         fs_lr_at(sched, g->update - 1), grad_norm, tok_s, gflops, floor(eta / 3600), fmod(eta / 60, 60));
  fs_metrics_row row =
      fs_metrics_row_empty(g->total_updates, g->data.epoch, g->phase == FS_PHASE_PRETRAIN ? "pretrain" : "main");
  row.recon = sum_recon / n, row.kl = sum_kl / n, row.length = sum_length / n;
  row.kl_weight = kl_weight, row.lr = fs_lr_at(sched, g->update - 1), row.grad_norm = grad_norm, row.tok_per_s = tok_s;
  if (leader() && fs_metrics_append(&t->metrics, &row) != FS_OK) fs_log("train", "%s", fs_last_error());
  t->sums = (fs_loss_sums){0, 0, 0};
  t->window_tokens = t->window_sentences = 0;
  t->window_start = fs_seconds();
  t->window_flops = t->engine.gemm_flops;
}

/* The random stream of the batch at `at`: element epoch·2^32 + batch + 1 of the splitmix64
 * sequence of the seed, a Philox key of its own. */
static uint64_t batch_stream(uint64_t seed, fs_data_position at) {
  return fs_splitmix64(seed, ((uint64_t)(uint32_t)at.epoch << 32 | (uint32_t)at.next_batch) + 1);
}

/* Forward and backward of the batch at `at` of the current epoch's plan, adding into the gradients
 * (split over the worker threads, train/workers.h). Its dropout masks and posterior noise come
 * from the batch's own stream, not the running counter: a batch draws the same numbers whichever
 * rank computes it after whichever others, so N ranks compute what one process accumulating N
 * times as many batches does. The running stream (data-dependent inits, validation) is left
 * where it was. */
static fs_status accumulate(trainer *t, fs_loss_phase phase, double kl_weight, fs_data_position at, bool first) {
  fs_batch batch;
  fs_batcher_get(&t->batcher, at.next_batch, &batch, NULL);
  FS_TRY(fs_workers_accumulate(&t->workers, &t->model, &batch, phase, (float)kl_weight, true, first,
                               batch_stream(t->engine.seed, at), &t->sums));
  for (int r = 0; r < batch.batch * batch.tgt_len; r++) t->window_tokens += batch.tgt_mask[r] != 0.0f;
  t->window_sentences += batch.batch;
  return FS_OK;
}

/* One optimizer update over the next N · train.accumulate batches of the plan (N ranks), with
 * their mean gradient. Rank r computes the batches k ≡ r (mod N) among them, the gradients are
 * summed by one all-reduce over the gradient block, and every rank takes the same step: the
 * update one process accumulating N · train.accumulate batches makes. The data position counts
 * the job's batches, so a checkpoint resumes with any number of ranks. */
static fs_status update(trainer *t, fs_loss_phase phase, const fs_lr_schedule *sched, double kl_weight,
                        double *grad_norm) {
  fs_progress *g = &t->progress;
  fs_params *p = fs_model_params(&t->model);
  int ranks = fs_dist_size(), batches = (t->cfg->train.accumulate > 0 ? t->cfg->train.accumulate : 1) * ranks;
  bool first = true; /* the update's first batch on this rank replaces the old gradients */
  for (int k = 0; k < batches; k++) {
    if (g->data.next_batch >= t->batcher.n_batches) { /* this epoch's plan is used up */
      g->data.epoch++;
      g->data.next_batch = 0;
      fs_batcher_set_epoch(&t->batcher, g->data.epoch);
    }
    if (k % ranks == fs_dist_rank()) {
      FS_TRY(accumulate(t, phase, kl_weight, g->data, first));
      first = false;
    }
    g->data.next_batch++;
  }
  if (first) fs_params_zero_grad(p); /* no batch here: this rank adds nothing to the sum */
  FS_TRY(fs_dist_sum_floats(p->be, fs_params_slot(p, 1), p->total));
  /* a signal reaches one rank (or each at its own moment): all stop after the same update */
  t->stop = fs_dist_any(fs_stop_requested());
  if (t->stop) fs_log("train", "SIGINT/SIGTERM received: stopping after update %ld", g->total_updates + 1);
  fs_param_filter filter = {phase == FS_LOSS_PRETRAIN ? "prior." : NULL};
  if (!fs_adamw_step(&t->adamw, fs_lr_at(sched, g->update), batches, &filter, grad_norm))
    fs_warn("train", "update %ld skipped: gradient norm is not finite (%ld skipped so far)", g->total_updates + 1,
            t->adamw.skipped);
  g->update++;
  g->total_updates++;
  return FS_OK;
}

typedef enum { VALID_GO_ON, VALID_EARLY_STOP, VALID_INTERRUPTED } valid_verdict;

/* Validation, best-model tracking and early stopping. As in the original
 * (docs/model.md#training-procedure), the model counts as better when perplexity or BLEU improves.
 * A signal during validation abandons it at the next batch: the running random stream goes back
 * to where it was and progress.yaml marks the validation pending, so a resumed run validates this
 * update first and continues exactly as an uninterrupted one. */
static valid_verdict validate_and_track(trainer *t) {
  double nll, ppl, bleu = 0.0;
  fs_progress *g = &t->progress;
  uint64_t stream = t->engine.rng_offset;
  g->pending_validation = 0;
  fs_status s = validate(t, &nll, &ppl);
  if (s == FS_OK && !t->interrupted && validation_bleu(t, &bleu) != FS_OK)
    fs_log("valid", "validation decoding failed: %s", fs_last_error());
  if (t->interrupted) {
    t->engine.rng_offset = stream;
    g->pending_validation = 1;
    fs_log("valid", "SIGINT/SIGTERM received: validation of update %ld abandoned (it runs first on resume)",
           g->total_updates);
    return VALID_INTERRUPTED;
  }
  if (s != FS_OK) {
    fs_log("valid", "validation failed: %s", fs_last_error());
    return VALID_GO_ON;
  }
  bool first = g->best_valid_nll == 0, better_nll = first || nll < g->best_valid_nll,
       better_bleu = first || bleu > g->best_valid_bleu;
  if (better_nll) g->best_valid_nll = nll, g->best_nll_update = g->total_updates;
  if (better_bleu) g->best_valid_bleu = bleu, g->best_bleu_update = g->total_updates;
  g->bad_validations = better_nll || better_bleu ? 0 : g->bad_validations + 1;
  fs_log("valid", "update %ld: NLL %.4f per token, perplexity %.2f%s, BLEU %.2f%s (%s, sacreBLEU 13a)",
         g->total_updates, nll, ppl, better_nll ? " (best)" : "", bleu, better_bleu ? " (best)" : "",
         fs_model_pretrains(&t->model) ? "argmax" : "greedy");
  fs_metrics_row row = fs_metrics_row_empty(g->total_updates, g->data.epoch, "valid");
  row.valid_nll = nll, row.valid_ppl = ppl, row.valid_bleu = bleu;
  if (fs_metrics_append(&t->metrics, &row) != FS_OK) fs_log("valid", "%s", fs_last_error());
  if (!g->bad_validations) {
    char *best = fs_concat(t->cfg->train.output, "", ".best"); /* beside the checkpoint, which is replaced whole */
    if (fs_checkpoint_save(best, t->cfg, &t->model, NULL, NULL, t->cfg->train.spm) != FS_OK)
      fs_log("valid", "could not save the best model: %s", fs_last_error());
    free(best);
  }
  return t->cfg->train.patience > 0 && g->bad_validations >= t->cfg->train.patience ? VALID_EARLY_STOP : VALID_GO_ON;
}

/* With FLOWSEQ_PROFILE=1: where the phase's time went (rank 0's), then a fresh count for the next phase. */
static void profile_phase(const char *phase, double *phase_start, long updates) {
  const char *profile = getenv("FLOWSEQ_PROFILE");
  if (!profile || strcmp(profile, "1") || !leader()) return;
  fs_log("train", "time split of the %s phase:", phase);
  fs_profile_report(stderr, fs_seconds() - *phase_start, updates);
  fs_profile_reset();
  *phase_start = fs_seconds();
}

/* After a data-dependent init: rank 0's weights on every rank. The ranks computed the same init
 * from the same batch, but a reduction may round differently with another thread count. */
static fs_status share_weights(trainer *t) {
  fs_params *p = fs_model_params(&t->model);
  return fs_dist_broadcast_floats(p->be, fs_params_slot(p, 0), p->total);
}

/* Updates between checkpoints: train.save_every, else one per validation (or per valid_every
 * updates when there is no validation set). */
static int save_interval(const fs_train_config *tc) { return tc->save_every > 0 ? tc->save_every : tc->valid_every; }

/* The main phase's work after an update: validation (rank 0, the others wait for its verdict)
 * and the periodic save. *early_stop tells whether validation asks to stop; a signal during
 * validation sets t->stop, and the save is then left to the caller (a stop saves once). */
static fs_status validate_and_save(trainer *t, bool *early_stop) {
  const fs_train_config *tc = &t->cfg->train;
  long u = t->progress.update;
  if (!t->validates) t->progress.pending_validation = 0; /* resumed without the validation set */
  if (t->validates && u % tc->valid_every == 0) {
    valid_verdict v = leader() ? validate_and_track(t) : VALID_GO_ON;
    *early_stop = fs_dist_broadcast_flag(v == VALID_EARLY_STOP);
    if (fs_dist_broadcast_flag(v == VALID_INTERRUPTED)) t->stop = true;
  }
  if (u % save_interval(tc) == 0 && !t->stop) FS_TRY(save_and_keep(t));
  return FS_OK;
}

/* The end of a run (finished, or stopped to resume later): updates, wall time, the best
 * validation scores and where the models are. */
static void summary(const fs_config *cfg, const fs_progress *g, double this_run) {
  const fs_train_config *tc = &cfg->train;
  double total = g->train_seconds > this_run ? g->train_seconds : this_run;
  fs_log("train", "%s: %ld updates, wall time %.0fh%02.0fm%02.0fs (this run %.0fh%02.0fm%02.0fs)",
         g->phase == FS_PHASE_DONE ? "training finished" : "training stopped (the same command resumes it)",
         g->total_updates, floor(total / 3600), fmod(floor(total / 60), 60), fmod(floor(total), 60),
         floor(this_run / 3600), fmod(floor(this_run / 60), 60), fmod(floor(this_run), 60));
  bool validated = g->best_valid_nll != 0;
  if (validated)
    fs_log("train", "best validation: BLEU %.2f at update %ld, NLL %.4f per token at update %ld", g->best_valid_bleu,
           g->best_bleu_update, g->best_valid_nll, g->best_nll_update);
  char *best = fs_concat(tc->output, "", ".best");
  bool has_best = validated && access(best, F_OK) == 0;
  fs_log("train", "%s model: %s; best model: %s", g->phase == FS_PHASE_DONE ? "final" : "last saved", tc->output,
         has_best                        ? best
         : tc->valid_src[0] || validated ? "none yet"
                                         : "none (no validation set)");
  free(best);
}

static fs_status run_phases(trainer *t) {
  double phase_start = fs_seconds();
  fs_train_config *tc = &t->cfg->train;
  fs_progress *g = &t->progress;
  long first_update = g->update; /* of this run, for the profile's per-step figures */
  fs_batch b;
  fs_batcher ib;
  if (g->phase == FS_PHASE_INIT && !fs_model_pretrains(&t->model)) g->phase = FS_PHASE_MAIN; /* the Transformer */
  if (g->phase == FS_PHASE_INIT) {
    FS_TRY(init_batch(t, tc->init_batch_size, 1, &b, &ib));
    fs_engine_reset(&t->engine);
    fs_status s = fs_flowseq_init_posterior_mean(&t->engine, &t->model.flowseq, &b);
    fs_batcher_free(&ib);
    FS_TRY(s);
    FS_TRY(share_weights(t));
    fs_log("train", "posterior mean head initialised from %d sentences", b.batch);
    g->phase = FS_PHASE_PRETRAIN; /* with init_steps = 0 it goes straight on to the prior init */
    g->update = 0;
  }
  while (g->phase == FS_PHASE_PRETRAIN) {
    int warm =
        tc->init_steps < tc->warmup ? tc->init_steps : tc->warmup; /* docs/model.md#schedules: min(4000, init_steps) */
    fs_lr_schedule sched = {tc->lr, !strcmp(tc->schedule, "inv_sqrt"), tc->gamma,
                            strcmp(tc->schedule, "inv_sqrt") ? warm : tc->warmup};
    double norm = 0;
    while (g->update < tc->init_steps && !t->stop) {
      FS_TRY(update(t, FS_LOSS_PRETRAIN, &sched, 0.0, &norm));
      if (g->update % tc->log_every == 0) log_line(t, &sched, 0.0, norm);
      if (g->update % save_interval(tc) == 0 && !t->stop) FS_TRY(save(t)); /* a stop saves once, below */
    }
    if (t->stop) {
      FS_TRY(save(t));
      if (leader()) summary(t->cfg, g, fs_seconds() - t->started);
      return FS_OK;
    }
    profile_phase("pre-training", &phase_start, g->update - first_update);
    first_update = 0; /* the main phase counts from 0 */
    FS_TRY(init_batch(t, tc->init_batch_size, 2, &b, &ib));
    fs_engine_reset(&t->engine);
    fs_status s = fs_flowseq_init_prior(&t->engine, &t->model.flowseq, &b);
    fs_batcher_free(&ib);
    FS_TRY(s);
    FS_TRY(share_weights(t));
    fs_log("train", "prior initialised (log-variance head, ActNorms, coupling outputs) from %d sentences", b.batch);
    fs_adamw_reset(&t->adamw); /* the main phase starts a fresh optimiser */
    g->phase = FS_PHASE_MAIN;
    g->update = 0;
    FS_TRY(save(t));
  }
  /* expo: a model without pre-training (the Transformer) warms up at the start of its main phase */
  bool inv_sqrt = !strcmp(tc->schedule, "inv_sqrt");
  fs_lr_schedule sched = {tc->lr, inv_sqrt, tc->gamma, inv_sqrt || !fs_model_pretrains(&t->model) ? tc->warmup : 0};
  double norm = 0;
  bool stop = false;
  /* a validation a signal cut short in the previous run comes first (every rank read the flag) */
  if (g->phase == FS_PHASE_MAIN && g->pending_validation) FS_TRY(validate_and_save(t, &stop));
  while (g->phase == FS_PHASE_MAIN && g->update < tc->max_updates && !stop && !t->stop) {
    double w = fs_kl_weight(g->update, tc->kl_warmup_steps);
    FS_TRY(update(t, FS_LOSS_MAIN, &sched, w, &norm));
    if (g->update % tc->log_every == 0) log_line(t, &sched, w, norm);
    FS_TRY(validate_and_save(t, &stop));
  }
  profile_phase("main", &phase_start, g->update - first_update);
  if (stop) fs_log("train", "early stopping: no validation improvement in %d validations", tc->patience);
  if (g->phase == FS_PHASE_MAIN && (stop || g->update >= tc->max_updates)) g->phase = FS_PHASE_DONE;
  FS_TRY(save(t));
  if (leader()) summary(t->cfg, g, fs_seconds() - t->started);
  return FS_OK;
}

/* The starting weights: the checkpoint in train.output (resuming), else those of
 * train.init_from (fine-tuning), else the random initialisation from train.seed. */
static fs_status load_or_init_weights(trainer *t) {
  fs_train_config *tc = &t->cfg->train;
  char *resume = fs_checkpoint_find(tc->output);
  if (resume) {
    fs_status s = fs_checkpoint_load(resume, &t->model, &t->adamw, &t->progress);
    fs_progress *g = &t->progress;
    t->adamw.skipped = g->skipped;
    t->seconds_before = g->train_seconds;
    if (leader()) { /* the log window open at the save, summed over the ranks then */
      t->sums = (fs_loss_sums){.recon = g->window.recon, .length = g->window.length, .kl = g->window.kl};
      t->window_tokens = g->window.tokens, t->window_sentences = g->window.sentences;
    }
    static const char *const phases[] = {"init", "pre-training", "main", "done"};
    if (s == FS_OK)
      fs_log("train", "resumed from %s: %s phase, update %ld, epoch %d", resume, phases[g->phase], g->total_updates,
             g->data.epoch);
    free(resume);
    return s;
  }
  if (tc->init_from[0]) {
    /* Fine-tuning (fairseq's --finetune-from-model): the weights are trained, so the
     * pre-training and the data-dependent inits are skipped and only the optimiser is new. */
    t->progress.phase = FS_PHASE_MAIN;
    FS_TRY(fs_model_dir_load_weights(tc->init_from, &t->model));
    fs_log("train", "main phase starts from the weights in %s (fresh optimiser)", tc->init_from);
    return FS_OK;
  }
  return fs_model_init_random(&t->model, (uint64_t)tc->seed);
}

/* Drops the pairs of a binarized dataset longer than train.max_length on either side, as the raw
 * text path does while encoding (prep may have used another limit); the kept pairs keep their
 * order and their line numbers (1-based places in the dataset). */
static void drop_long_pairs(fs_pairs *p, int max_length, const char *path) {
  int kept = 0, read = p->count;
  for (int i = 0; i < read; i++) {
    if (max_length > 0 && (p->src_len[i] > max_length || p->tgt_len[i] > max_length)) continue;
    p->src[kept] = p->src[i], p->tgt[kept] = p->tgt[i];
    p->src_len[kept] = p->src_len[i], p->tgt_len[kept] = p->tgt_len[i], p->line[kept] = p->line[i];
    kept++;
  }
  p->count = kept;
  (kept < read ? fs_warn : fs_log)("data", "train: %d pairs read from %s, %d kept (%d too long)", read, path, kept,
                                   read - kept);
}

/* A job whose checkpoint says it is done: it says so and changes nothing (no save, no metrics
 * row), as fairseq and Marian do when started again after their last update. */
static bool already_finished(const fs_config *cfg) {
  char *dir = fs_checkpoint_find(cfg->train.output);
  fs_progress g;
  bool done = dir && fs_checkpoint_load_progress(dir, &g) == FS_OK && g.phase == FS_PHASE_DONE;
  free(dir);
  if (done) {
    fs_log("train", "already finished: %ld updates; nothing to do", g.total_updates);
    if (leader()) summary(cfg, &g, 0);
  }
  return done;
}

static fs_status train(fs_config *cfg) {
  trainer t;
  memset(&t, 0, sizeof t);
  t.cfg = cfg;
  t.started = fs_seconds();
  fs_train_config *tc = &cfg->train;
  if (already_finished(cfg)) return FS_OK;
  FS_TRY(fs_spm_load(tc->spm, &t.spm));
  cfg->model.vocab = fs_spm_vocab_size(t.spm);
  FS_TRY(fs_config_validate(cfg));
  fs_status s = FS_OK;
  /* an unset path would be reported as ": cannot open" naming nothing */
  const char *unset = !tc->train_data[0] && !tc->train_src[0]   ? "train.train_src (or train.train_data)"
                      : !tc->train_data[0] && !tc->train_tgt[0] ? "train.train_tgt"
                      : !tc->valid_src[0] && tc->valid_tgt[0]   ? "train.valid_src"
                      : tc->valid_src[0] && !tc->valid_tgt[0]   ? "train.valid_tgt"
                                                                : NULL;
  t.validates = tc->valid_src[0] && tc->valid_tgt[0]; /* neither set: training without validation */
  if (unset)
    s = fs_error(FS_ERR_ARG, "%s is not set: give it in the configuration or as --%s FILE", unset,
                 strchr(unset, ' ') ? "train.train_src" : unset);
  if (s != FS_OK) {
  } else if (tc->train_data[0]) {
    s = fs_dataset_load(tc->train_data, tc->spm, cfg->model.vocab, &t.train);
    if (s == FS_OK) drop_long_pairs(&t.train, tc->max_length, tc->train_data);
    if (s == FS_OK && t.train.count == 0)
      s = fs_error(FS_ERR_ARG, "train: no pair of %s is within train.max_length = %d", tc->train_data, tc->max_length);
  } else {
    s = load_side(&t, tc->train_src, tc->train_tgt, true, &t.train, "train", NULL);
  }
  if (s == FS_OK && t.validates)
    s = load_side(&t, tc->valid_src, tc->valid_tgt, false, &t.valid, "valid", &t.valid_refs);
  const fs_backend *be = fs_backend_default();
  if (s == FS_OK) s = fs_model_alloc(&t.model, &cfg->model, be, 3);
  fs_adamw_options ao = {tc->beta1, tc->beta2, tc->eps, tc->weight_decay, tc->grad_clip, tc->amsgrad};
  if (s == FS_OK) s = fs_adamw_init(&t.adamw, fs_model_params(&t.model), &ao);
  if (s == FS_OK) s = fs_engine_init(&t.engine, be, (size_t)tc->arena_mb << 20, 256 << 20);
  /* the products of everything this engine runs, validation and its decoding included, take
   * train.precision; the workers' engines copy it */
  t.engine.precision = tc->precision;
  if (s == FS_OK) s = load_or_init_weights(&t);
  /* on the CPU every thread trains on a shard of each batch (train/workers.h); a GPU takes it whole */
  int workers = strcmp(be->name, "cpu") ? 1 : omp_get_max_threads();
  if (s == FS_OK) s = fs_workers_init(&t.workers, workers, &t.engine, &t.model);
  /* the running random stream of the whole run (data-dependent inits, validation), continued
   * where the checkpoint left it: the engine's base mode, never restored */
  if (s == FS_OK)
    fs_engine_enter(
        &t.engine,
        (fs_engine_mode){
            .grad_enabled = true, .own_stream = true, .seed = (uint64_t)tc->seed, .rng_offset = t.progress.rng_offset});
  fs_batcher_options bo = {tc->max_tokens,
                           tc->max_sentences,
                           fs_length_unit(&cfg->model),
                           cfg->model.pad_id,
                           cfg->model.eos_id,
                           (uint64_t)tc->seed,
                           true};
  if (s == FS_OK) s = fs_batcher_init(&t.batcher, &t.train, &bo, t.progress.data.epoch);
  if (s == FS_OK && t.batcher.n_batches < 1)
    s = fs_error(FS_ERR_ARG, "train: the training data (%d pairs) makes no batch: nothing to train on", t.train.count);
  if (s == FS_OK && leader()) {
    char *metrics = fs_concat(tc->output, "", ".metrics.tsv");
    s = fs_metrics_open(&t.metrics, metrics, t.progress.total_updates);
    free(metrics);
  }
  if (s == FS_OK) {
    fs_log("train", "%s: %lld parameters, %d batches per epoch, backend %s, %s matrix products",
           cfg->model.type == FS_MODEL_TRANSFORMER ? "transformer" : "flowseq",
           (long long)fs_model_params(&t.model)->total, t.batcher.n_batches, be->name,
           tc->precision == FS_BF16 ? "bf16" : "fp32");
    if (t.workers.count > 1)
      fs_log("train", "%d threads: each batch is split into %d shards of sentences trained in parallel",
             t.workers.count, t.workers.count);
    int ranks = fs_dist_size(), accumulate = tc->accumulate > 0 ? tc->accumulate : 1;
    if (ranks > 1)
      fs_log("train",
             "data parallel over %d ranks (%s): %d ranks x %d accumulated = %d batches of up to %d target tokens "
             "per update, learning rate as configured",
             ranks, fs_dist_library(), ranks, accumulate, ranks * accumulate, tc->max_tokens);
    if (!t.validates)
      fs_log("train",
             "no validation set (train.valid_src and valid_tgt unset): no validation, no best model; "
             "a checkpoint every %d updates",
             save_interval(tc));
    fs_signals_install();
    t.window_start = fs_seconds();
    s = run_phases(&t);
    /* the activation memory the run needed: on a GPU the whole arena is taken at the start, so this
     * is what train.arena_mb could be lowered to (scripts/gpu-check.sh reports it) */
    fs_log("train", "device arena: peak %.0f MiB of %d MiB (train.arena_mb)", t.engine.device.peak / 1048576.0,
           tc->arena_mb);
  }
  fs_metrics_close(&t.metrics);
  fs_batcher_free(&t.batcher);
  fs_workers_free(&t.workers);
  fs_engine_free(&t.engine);
  fs_adamw_free(&t.adamw);
  fs_model_free(&t.model);
  fs_pairs_free(&t.train);
  fs_pairs_free(&t.valid);
  if (t.valid_refs.lines) fs_text_free(&t.valid_refs);
  fs_spm_free(t.spm);
  return s;
}

fs_status fs_train(fs_config *cfg) {
  FS_TRY(fs_dist_init());
  if (!leader()) fs_log_set_level(FS_LOG_SILENT);
  fs_status s = train(cfg);
  /* the other ranks would wait for this one in their next collective forever */
  if (s != FS_OK && fs_dist_size() > 1) {
    fprintf(stderr, "flowseq train: rank %d of %d: %s (ending the job)\n", fs_dist_rank(), fs_dist_size(),
            fs_last_error());
    fs_dist_abort(1);
  }
  fs_dist_finalize();
  return s;
}
