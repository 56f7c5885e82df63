/* AdamW with AMSGrad exactly as docs/model.md#optimiser (the original's custom optimiser): decoupled
 * weight decay p ← p − lr·wd·p right before the Adam step, bias correction folded into the step
 * size, eps added to the uncorrected root, one step counter per parameter tensor. Parameters
 * outside the active set (the flow during pre-training) get no update, no decay, and keep their
 * counters. Global-norm clipping and the NaN guard come first. */
#ifndef FLOWSEQ_TRAIN_OPTIMIZER_H
#define FLOWSEQ_TRAIN_OPTIMIZER_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/params.h"

typedef struct {
  double beta1, beta2, eps, weight_decay, clip; /* clip <= 0: no clipping */
  bool amsgrad;
} fs_adamw_options;

typedef struct {
  fs_adamw_options o;
  fs_params *params; /* with 3 optimizer slots: m, u, u_max */
  int64_t *steps;    /* per parameter */
  int64_t skipped;   /* updates skipped for a non-finite gradient norm */
} fs_adamw;

fs_status fs_adamw_init(fs_adamw *a, fs_params *params, const fs_adamw_options *o);
void fs_adamw_free(fs_adamw *a);
/* Fresh moments and counters (each training phase starts a new optimiser, docs/model.md#optimiser). */
void fs_adamw_reset(fs_adamw *a);

/* Active parameters of a step: all, or all but those whose name starts with `exclude_prefix`. */
typedef struct {
  const char *exclude_prefix;
} fs_param_filter;

/* One update with learning rate lr, gradients first divided by grad_divisor (accumulation).
 * Returns false (and counts it) when the gradient norm is not finite: nothing is changed.
 * *grad_norm receives the norm before clipping. */
bool fs_adamw_step(fs_adamw *a, double lr, double grad_divisor, const fs_param_filter *active, double *grad_norm);

#endif
