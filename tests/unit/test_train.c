/* Training infrastructure: YAML configs (presets load, errors name file:line:key, overrides,
 * dump round trip), AdamW+AMSGrad against a double-precision reference with clipping, phase
 * filters and the NaN skip, the schedules, safetensors round trips and rejections, and atomic
 * checkpoint directories with the .prev fallback. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "tiny_model.h"
#include "train/checkpoint.h"
#include "train/safetensors.h"
#include "train/schedule.h"

static char dir[] = "/tmp/flowseq-train-XXXXXX";

static const char *at(const char *name) {
  static char buf[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

/* Spec §7's update in double for one scalar parameter. */
static void reference_adam(double *p, double g, double *m, double *u, double *umax, double lr, double wd, int k) {
  *m = 0.9 * *m + 0.1 * g;
  *u = 0.999 * *u + 0.001 * g * g;
  if (*u > *umax) *umax = *u;
  *p -= lr * wd * *p;
  *p -= lr * sqrt(1 - pow(0.999, k)) / (1 - pow(0.9, k)) * *m / (sqrt(*umax) + 1e-8);
}

static void test_optimizer(void) {
  fs_params p;
  fs_params_init(&p, fs_backend_cpu());
  fs_tensor *a = fs_param_add(&p, "encoder.w", 1, (int[]){3}), *b = fs_param_add(&p, "prior.w", 1, (int[]){2});
  CHECK(fs_params_allocate(&p, 3) == FS_OK);
  float init[5] = {0.5f, -1.0f, 2.0f, 0.3f, -0.7f};
  memcpy(a->data, init, 12);
  memcpy(b->data, init + 3, 8);
  fs_adamw opt;
  fs_adamw_options o = {0.9, 0.999, 1e-8, 1e-2, 1.0, true};
  CHECK(fs_adamw_init(&opt, &p, &o) == FS_OK);
  double ref[3], m[3] = {0}, u[3] = {0}, umax[3] = {0};
  for (int i = 0; i < 3; i++) ref[i] = init[i];
  fs_param_filter pretrain = {"prior."};
  for (int k = 1; k <= 3; k++) {
    float grads[3] = {0.1f * k, -0.2f, k == 2 ? 3.0f : 0.05f}; /* step 2's norm exceeds the clip */
    memcpy(a->grad, grads, 12);
    b->grad[0] = b->grad[1] = 0.0f;
    double norm;
    CHECK(fs_adamw_step(&opt, 1e-2, 1.0, &pretrain, &norm));
    double n = sqrt(grads[0] * grads[0] + grads[1] * grads[1] + grads[2] * grads[2]), scale = n > 1.0 ? 1.0 / (n + 1e-6) : 1.0;
    CHECK_CLOSE(norm, n, 1e-6, 1e-6);
    for (int i = 0; i < 3; i++) reference_adam(&ref[i], grads[i] * scale, &m[i], &u[i], &umax[i], 1e-2, 1e-2, k);
  }
  for (int i = 0; i < 3; i++) CHECK_CLOSE(a->data[i], ref[i], 1e-6, 1e-5);
  CHECK(b->data[0] == init[3] && b->data[1] == init[4]); /* filtered out: no update, no decay */
  CHECK(opt.steps[0] == 3 && opt.steps[1] == 0);
  a->grad[0] = NAN;
  double norm;
  float before = a->data[1];
  CHECK(!fs_adamw_step(&opt, 1e-2, 1.0, NULL, &norm) && opt.skipped == 1 && a->data[1] == before && opt.steps[0] == 3);
  fs_adamw_free(&opt);
  fs_params_free(&p);

  fs_lr_schedule expo = {5e-4, false, 0.999995, 4000};
  CHECK_CLOSE(fs_lr_at(&expo, 0), 1e-7 + (5e-4 - 1e-7) / 4000, 1e-15, 1e-9);
  CHECK_CLOSE(fs_lr_at(&expo, 3999), 5e-4, 1e-15, 1e-9);
  CHECK_CLOSE(fs_lr_at(&expo, 4000 + 30000), 5e-4 * pow(0.999995, 30000), 1e-15, 1e-9);
  fs_lr_schedule inv = {1e-3, true, 0, 10000};
  CHECK(fs_lr_at(&inv, 9999) == 1e-3);
  CHECK_CLOSE(fs_lr_at(&inv, 39999), 1e-3 * 0.5, 1e-15, 1e-9);
  CHECK(fs_kl_weight(0, 10000) == 1e-4 && fs_kl_weight(9999, 10000) == 1.0 && fs_kl_weight(50000, 10000) == 1.0);
}

static void test_safetensors(void) {
  float w[6] = {1, 2, 3, 4, 5, 6}, v[2] = {-1, 0.5f}, got[6];
  fs_st_tensor ts[2] = {{"layer.w", 2, (int[]){2, 3}, w}, {"layer.b", 1, (int[]){2}, v}};
  const char *meta[] = {"format", "flowseq"};
  CHECK(fs_safetensors_write(at("t.safetensors"), ts, 2, meta, 1) == FS_OK);
  fs_safetensors *f;
  CHECK(fs_safetensors_open(at("t.safetensors"), &f) == FS_OK);
  CHECK(fs_safetensors_get(f, "layer.w", 2, (int[]){2, 3}, got) == FS_OK && !memcmp(got, w, sizeof w));
  CHECK(fs_safetensors_get(f, "layer.w", 2, (int[]){3, 2}, got) == FS_ERR_FORMAT && strstr(fs_last_error(), "layer.w"));
  CHECK(fs_safetensors_get(f, "missing", 1, (int[]){2}, got) == FS_ERR_FORMAT && strstr(fs_last_error(), "missing"));
  CHECK(!strcmp(fs_safetensors_metadata(f, "format"), "flowseq"));
  fs_safetensors_close(f);
  /* truncated: the data no longer covers the offsets */
  struct stat st;
  stat(at("t.safetensors"), &st);
  CHECK(truncate(at("t.safetensors"), st.st_size - 4) == 0);
  CHECK(fs_safetensors_open(at("t.safetensors"), &f) == FS_ERR_FORMAT && strstr(fs_last_error(), "truncated"));
  write_text(at("junk.safetensors"), "not a safetensors file at all");
  CHECK(fs_safetensors_open(at("junk.safetensors"), &f) == FS_ERR_FORMAT);
  /* Python's reader agrees (when numpy and safetensors are installed) */
  CHECK(fs_safetensors_write(at("t.safetensors"), ts, 2, meta, 1) == FS_OK);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "python3 -c \"import safetensors.numpy as s; t = s.load_file('%s'); "
           "assert t['layer.w'].shape == (2, 3) and t['layer.w'][1, 2] == 6 and t['layer.b'][0] == -1\" 2>/dev/null",
           at("t.safetensors"));
  int rc = system("python3 -c 'import safetensors, numpy' 2>/dev/null");
  if (rc == 0) CHECK_MSG(system(cmd) == 0, "Python safetensors could not read our file");
  else fprintf(stderr, "note: Python safetensors not installed; its cross-check skipped\n");
}

static void test_checkpoint(void) {
  fs_config cfg;
  fs_config_defaults(&cfg);
  cfg.model = tiny_hparams();
  flowseq_model a, b;
  CHECK(flowseq_model_create(&a, &cfg.model, fs_backend_cpu(), 1, 3) == FS_OK);
  CHECK(flowseq_model_create(&b, &cfg.model, fs_backend_cpu(), 2, 3) == FS_OK);
  fs_adamw oa, ob;
  fs_adamw_options o = {0.9, 0.999, 1e-8, 0, 1, true};
  fs_adamw_init(&oa, &a.params, &o);
  fs_adamw_init(&ob, &b.params, &o);
  for (int64_t i = 0; i < a.params.total; i++) fs_params_slot(&a.params, 2)[i] = 0.001f * (float)(i % 97);
  oa.steps[3] = 42;
  fs_progress pa = {FS_PHASE_MAIN, 17, 117, 3, 9, 12345, 4.5, 1, 0}, pb;
  const char *ck = at("ck");
  CHECK(fs_checkpoint_save(ck, &cfg, &a, &oa, &pa, NULL) == FS_OK);
  mkdir(at("ck.tmp"), 0755); /* a stale half-written save must not matter */
  char *found = fs_checkpoint_find(ck);
  CHECK(found && !strcmp(found, ck));
  CHECK(fs_checkpoint_load(found, &b, &ob, &pb) == FS_OK);
  free(found);
  int same = 1; /* every parameter's slice (the alignment gaps between them are not stored) */
  for (int i = 0; i < a.params.count; i++)
    for (int slot = 0; slot < 5; slot += 2) {
      int64_t off = a.params.items[i]->offset, n = a.params.items[i]->tensor.numel;
      same &= !memcmp(fs_params_slot(&a.params, slot) + off, fs_params_slot(&b.params, slot) + off, sizeof(float) * n);
    }
  CHECK(same);
  CHECK(ob.steps[3] == 42 && pb.update == 17 && pb.total_updates == 117 && pb.next_batch == 9 && pb.rng_offset == 12345);
  /* a save interrupted after the old directory was moved aside: loading finds .prev */
  CHECK(rename(ck, at("ck.prev")) == 0);
  found = fs_checkpoint_find(ck);
  CHECK(found && strstr(found, "ck.prev"));
  free(found);
  fs_config other;
  CHECK(fs_checkpoint_config(at("ck.prev"), &other) == FS_OK && other.model.d == cfg.model.d);
  fs_adamw_free(&oa);
  fs_adamw_free(&ob);
  flowseq_model_free(&a);
  flowseq_model_free(&b);
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  test_optimizer();
  test_safetensors();
  test_checkpoint();
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return test_summary();
}
