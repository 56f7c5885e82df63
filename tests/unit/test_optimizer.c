/* AdamW + AMSGrad (docs/model.md#optimiser) against a double-precision reference of the spec's
 * formulas over several steps: global-norm clipping, gradient-accumulation scaling, the phase
 * filter (inactive parameters: no update, no decay, counters kept), the NaN/Inf skip, plain Adam
 * without AMSGrad, fresh state per phase; and the learning-rate and KL-weight schedules. */
#include <string.h>

#include "test.h"
#include "train/optimizer.h"
#include "train/schedule.h"

typedef struct {
  double p, m, u, umax;
  int k;
} ref_param;

/* docs/model.md#optimiser for one scalar: g already clipped/scaled. */
static void reference_step(ref_param *r, double g, double lr, double wd, bool amsgrad) {
  r->k++;
  r->m = 0.9 * r->m + 0.1 * g;
  r->u = 0.999 * r->u + 0.001 * g * g;
  r->umax = amsgrad ? fmax(r->umax, r->u) : r->u;
  r->p -= lr * wd * r->p;
  r->p -= lr * sqrt(1 - pow(0.999, r->k)) / (1 - pow(0.9, r->k)) * r->m / (sqrt(r->umax) + 1e-8);
}

typedef struct {
  fs_params params;
  fs_tensor *enc, *prior;
  fs_adamw opt;
  ref_param ref[5]; /* enc[0..2], prior[0..1] */
} fixture;

static void setup(fixture *f, bool amsgrad, double clip) {
  memset(f, 0, sizeof *f);
  fs_params_init(&f->params, fs_backend_cpu());
  f->enc = fs_param_add(&f->params, "encoder.w", 1, (int[]){3});
  f->prior = fs_param_add(&f->params, "prior.w", 1, (int[]){2});
  CHECK(fs_params_allocate(&f->params, 3) == FS_OK);
  const float init[5] = {0.5f, -1.0f, 2.0f, 0.3f, -0.7f};
  memcpy(f->enc->data, init, sizeof(float) * 3);
  memcpy(f->prior->data, init + 3, sizeof(float) * 2);
  for (int i = 0; i < 5; i++) f->ref[i].p = init[i];
  fs_adamw_options o = {0.9, 0.999, 1e-8, 1e-2, clip, amsgrad};
  CHECK(fs_adamw_init(&f->opt, &f->params, &o) == FS_OK);
}

static void teardown(fixture *f) {
  fs_adamw_free(&f->opt);
  fs_params_free(&f->params);
}

static float *value(fixture *f, int i) { return i < 3 ? &f->enc->data[i] : &f->prior->data[i - 3]; }
static float *grad(fixture *f, int i) { return i < 3 ? &f->enc->grad[i] : &f->prior->grad[i - 3]; }

/* Runs steps with given gradients (summed over `divisor` micro-batches) through both and compares. */
static void run_and_compare(fixture *f, int steps, double divisor, const fs_param_filter *filter, bool amsgrad,
                            double clip) {
  int active = filter ? 3 : 5;
  for (int k = 1; k <= steps; k++) {
    double g[5] = {0.1 * k, -0.2, k == 2 ? 3.0 : 0.05, 0.4 / k, k % 2 ? -0.3 : 0.6}; /* step 2 exceeds the clip */
    double sum = 0;
    for (int i = 0; i < 5; i++) {
      *grad(f, i) = (float)(g[i] * divisor);
      if (i < active) sum += g[i] * g[i];
    }
    double norm, n = sqrt(sum), scale = clip > 0 && n > clip ? clip / (n + 1e-6) : 1.0;
    CHECK(fs_adamw_step(&f->opt, 1e-2, divisor, filter, &norm));
    CHECK_CLOSE(norm, n, 1e-6, 1e-6);
    for (int i = 0; i < active; i++) reference_step(&f->ref[i], g[i] * scale, 1e-2, 1e-2, amsgrad);
  }
  for (int i = 0; i < 5; i++) CHECK_CLOSE(*value(f, i), f->ref[i].p, 1e-6, 1e-5);
}

static void test_amsgrad_with_clipping_and_filter(void) {
  fixture f;
  setup(&f, true, 1.0);
  fs_param_filter pretrain = {"prior."};
  run_and_compare(&f, 4, 1.0, &pretrain, true, 1.0);
  CHECK(f.prior->data[0] == 0.3f && f.prior->data[1] == -0.7f); /* filtered out: no update, no decay */
  CHECK(f.opt.steps[0] == 4 && f.opt.steps[1] == 0);
  run_and_compare(&f, 3, 1.0, NULL, true, 1.0); /* main phase: all active; the prior's counter starts at 1 */
  CHECK(f.opt.steps[0] == 7 && f.opt.steps[1] == 3);
  fs_adamw_reset(&f.opt); /* a new phase: fresh moments and counters */
  CHECK(f.opt.steps[0] == 0 && fs_params_slot(&f.params, 2)[0] == 0.0f && fs_params_slot(&f.params, 4)[1] == 0.0f);
  teardown(&f);
}

static void test_accumulation_and_plain_adam(void) {
  fixture f;
  setup(&f, false, 0.0); /* no AMSGrad, no clipping; gradients summed over 4 micro-batches */
  run_and_compare(&f, 5, 4.0, NULL, false, 0.0);
  teardown(&f);
}

static void test_nan_skip(void) {
  fixture f;
  setup(&f, true, 1.0);
  run_and_compare(&f, 2, 1.0, NULL, true, 1.0);
  int64_t total = f.params.total;
  float *before = malloc(sizeof(float) * 4 * total); /* data and the three moment slots */
  memcpy(before, fs_params_slot(&f.params, 0), sizeof(float) * total);
  memcpy(before + total, fs_params_slot(&f.params, 2), sizeof(float) * 3 * total);
  const float bad[2] = {NAN, INFINITY};
  for (int b = 0; b < 2; b++) {
    *grad(&f, 4) = bad[b];
    double norm;
    CHECK(!fs_adamw_step(&f.opt, 1e-2, 1.0, NULL, &norm) && !isfinite(norm));
    CHECK(f.opt.skipped == b + 1 && f.opt.steps[0] == 2 && f.opt.steps[1] == 2);
  }
  CHECK(!memcmp(before, fs_params_slot(&f.params, 0), sizeof(float) * total) &&
        !memcmp(before + total, fs_params_slot(&f.params, 2), sizeof(float) * 3 * total));
  free(before);
  /* a NaN in a filtered-out parameter does not matter */
  fs_param_filter pretrain = {"prior."};
  double norm;
  CHECK(fs_adamw_step(&f.opt, 1e-2, 1.0, &pretrain, &norm) && f.opt.skipped == 2);
  teardown(&f);
}

static void test_schedules(void) {
  fs_lr_schedule expo = {5e-4, false, 0.999995, 4000}; /* pre-training: warm-up from 1e-7 */
  CHECK_CLOSE(fs_lr_at(&expo, 0), 1e-7 + (5e-4 - 1e-7) / 4000, 1e-15, 1e-9);
  CHECK_CLOSE(fs_lr_at(&expo, 1999), 1e-7 + (5e-4 - 1e-7) * 0.5, 1e-15, 1e-9);
  CHECK_CLOSE(fs_lr_at(&expo, 3999), 5e-4, 1e-15, 1e-9);
  CHECK_CLOSE(fs_lr_at(&expo, 4000 + 30000), 5e-4 * pow(0.999995, 30000), 1e-15, 1e-9);
  fs_lr_schedule main = {5e-4, false, 0.999995, 0}; /* main phase: no warm-up; spec's ×0.86 after 30k */
  CHECK(fs_lr_at(&main, 0) == 5e-4);
  CHECK_CLOSE(fs_lr_at(&main, 30000) / 5e-4, 0.8607, 1e-4, 0);
  CHECK_CLOSE(fs_lr_at(&main, 500000) / 5e-4, 0.0821, 1e-4, 0);
  fs_lr_schedule inv = {1e-3, true, 0, 10000};
  CHECK(fs_lr_at(&inv, 0) == 1e-3 && fs_lr_at(&inv, 9999) == 1e-3);
  CHECK_CLOSE(fs_lr_at(&inv, 39999), 1e-3 * 0.5, 1e-15, 1e-9);
  CHECK(fs_lr_at(&inv, 20000) < fs_lr_at(&inv, 10000));
  CHECK(fs_kl_weight(0, 10000) == 1e-4 && fs_kl_weight(4999, 10000) == 0.5);
  CHECK(fs_kl_weight(9999, 10000) == 1.0 && fs_kl_weight(50000, 10000) == 1.0 && fs_kl_weight(0, 0) == 1.0);
}

int main(void) {
  test_amsgrad_with_clipping_and_filter();
  test_accumulation_and_plain_adam();
  test_nan_skip();
  test_schedules();
  return test_summary();
}
