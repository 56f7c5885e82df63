/* Learning-rate and KL-weight schedules (docs/model.md#schedules). */
#ifndef FLOWSEQ_TRAIN_SCHEDULE_H
#define FLOWSEQ_TRAIN_SCHEDULE_H

#include <stdbool.h>

typedef struct {
  double base_lr;
  bool inv_sqrt; /* else expo */
  double gamma;  /* expo: decay per update */
  int warmup;    /* expo: linear warm-up from 1e-7 (0 = none); inv_sqrt: flat updates */
} fs_lr_schedule;

/* lr for update t (0-based) of a phase. */
double fs_lr_at(const fs_lr_schedule *s, long t);
/* w_t = min(1, (t + 1) / warmup_steps), t counted from the start of the main phase. */
double fs_kl_weight(long t, long warmup_steps);

#endif
