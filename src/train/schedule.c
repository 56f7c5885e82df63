/* Learning-rate and KL-weight schedules: the implementation; train/schedule.h describes the interface. */
#include "train/schedule.h"

#include <math.h>

double fs_lr_at(const fs_lr_schedule *s, long t) {
  if (s->inv_sqrt) return t < s->warmup ? s->base_lr : s->base_lr * sqrt((double)s->warmup / (double)(t + 1));
  if (t < s->warmup) return 1e-7 + (s->base_lr - 1e-7) * (double)(t + 1) / s->warmup;
  return s->base_lr * pow(s->gamma, (double)(t - s->warmup));
}

double fs_kl_weight(long t, long warmup_steps) {
  if (warmup_steps <= 0) return 1.0;
  double w = (double)(t + 1) / (double)warmup_steps;
  return w < 1.0 ? w : 1.0;
}
