/* AdamW with AMSGrad (docs/model.md#optimiser): the implementation; train/optimizer.h describes the interface. */
#include "train/optimizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

fs_status fs_adamw_init(fs_adamw *a, fs_params *params, const fs_adamw_options *o) {
  if (params->n_slots < 5) return fs_error(FS_ERR_INTERNAL, "AdamW needs 3 optimizer slots in the parameter block");
  a->o = *o;
  a->params = params;
  a->steps = calloc(params->count ? params->count : 1, sizeof(int64_t));
  a->skipped = 0;
  return a->steps ? FS_OK : fs_error(FS_ERR_MEMORY, "optimizer: out of memory");
}

void fs_adamw_free(fs_adamw *a) {
  free(a->steps);
  a->steps = NULL;
}

void fs_adamw_reset(fs_adamw *a) {
  fs_params *p = a->params;
  p->be->fill(fs_params_slot(p, 2), p->total * 3, 0.0f);
  memset(a->steps, 0, sizeof(int64_t) * p->count);
}

static bool is_active(const fs_param *p, const fs_param_filter *f) {
  return !f || !f->exclude_prefix || strncmp(p->name, f->exclude_prefix, strlen(f->exclude_prefix)) != 0;
}

bool fs_adamw_step(fs_adamw *a, double lr, double grad_divisor, const fs_param_filter *active, double *grad_norm) {
  fs_params *p = a->params;
  const fs_backend *be = p->be;
  double sum = 0.0;
  for (int i = 0; i < p->count; i++)
    if (is_active(p->items[i], active)) sum += be->sum_squares(p->items[i]->tensor.numel, p->items[i]->tensor.grad);
  double norm = sqrt(sum) / grad_divisor;
  *grad_norm = norm;
  if (!isfinite(norm)) { /* docs/model.md#optimiser: skip the update, count it */
    a->skipped++;
    return false;
  }
  double scale = 1.0 / grad_divisor;
  if (a->o.clip > 0 && norm > a->o.clip) scale *= a->o.clip / (norm + 1e-6);
  for (int i = 0; i < p->count; i++) {
    fs_param *prm = p->items[i];
    if (!is_active(prm, active)) continue;
    int64_t k = ++a->steps[i], n = prm->tensor.numel;
    double step_size = lr * sqrt(1.0 - pow(a->o.beta2, (double)k)) / (1.0 - pow(a->o.beta1, (double)k));
    float *m = fs_params_slot(p, 2) + prm->offset, *u = fs_params_slot(p, 3) + prm->offset;
    float *umax = a->o.amsgrad ? fs_params_slot(p, 4) + prm->offset : NULL;
    be->adamw(n, prm->tensor.data, prm->tensor.grad, m, u, umax, (float)scale, (float)lr, (float)a->o.beta1,
              (float)a->o.beta2, (float)a->o.eps, (float)a->o.weight_decay, (float)step_size);
  }
  return true;
}
