/* Engine plumbing: the Philox streams, arena reuse across steps, the parameter block,
 * backward's argument checks, and mode changes put back by fs_engine_restore. */
#include "core/philox.h"
#include <string.h>

#include "ops/ops.h"
#include "ops/params.h"
#include "test.h"

static void test_rng(void) {
  const fs_backend *be = fs_backend_cpu();
  enum { N = 100000 };
  static float a[N], b[N], c[N];
  be->rand_uniform(N, 7, 0, a);
  be->rand_uniform(N, 7, 0, b);
  CHECK(memcmp(a, b, sizeof a) == 0);
  be->rand_uniform(N - 5, 7, 5, c); /* an offset is the same stream, shifted */
  CHECK(memcmp(a + 5, c, sizeof(float) * (N - 5)) == 0);
  /* blocks of four from one Philox call: every element at every offset (both threads' ranges,
   * starts inside a block) equals the element-wise definition */
  bool same = true;
  for (int i = 0; i < N - 5; i++) same = same && c[i] == fs_rand_uniform(7, 5 + (uint64_t)i);
  CHECK(same);
  /* dropout masks, eight elements a block: likewise, and about 30 % of them dropped */
  be->dropout_mask(N - 3, 0.3f, 7, 3, b);
  same = true;
  int dropped = 0;
  for (int i = 0; i < N - 3; i++) {
    same = same && b[i] == fs_dropout_mask(7, 3 + (uint64_t)i, 0.3f) && (b[i] == 0.0f || b[i] == 1.0f / 0.7f);
    dropped += b[i] == 0.0f;
  }
  CHECK(same);
  CHECK_CLOSE(dropped / (double)(N - 3), 0.3, 0.005, 0);
  be->rand_uniform(N, 8, 0, b);
  CHECK(memcmp(a, b, sizeof a) != 0);
  double mean = 0, var = 0;
  float lo = 1, hi = 0;
  for (int i = 0; i < N; i++) {
    mean += a[i] / N;
    lo = fminf(lo, a[i]);
    hi = fmaxf(hi, a[i]);
  }
  CHECK_CLOSE(mean, 0.5, 0.005, 0);
  CHECK(lo > 0.0f && hi < 1.0f);
  be->rand_normal(N, 3, 0, a);
  mean = 0;
  for (int i = 0; i < N; i++) mean += a[i] / N;
  for (int i = 0; i < N; i++) var += (a[i] - mean) * (a[i] - mean) / N;
  CHECK_CLOSE(mean, 0.0, 0.01, 0);
  CHECK_CLOSE(var, 1.0, 0.02, 0);
  /* the kernels are the shared philox.h functions: element k of a call = fs_rand_normal(seed, k) */
  CHECK(a[12345] == fs_rand_normal(3, 12345));
}

static void test_arena_reuse(void) {
  fs_engine e;
  CHECK(fs_engine_init(&e, fs_backend_cpu(), 16 << 20, 1 << 20) == FS_OK);
  size_t first_used = 0;
  for (int step = 0; step < 50; step++) {
    fs_engine_reset(&e);
    CHECK(e.device.used == 0 && e.host.used == 0 && e.tape_len == 0);
    fs_tensor *x = fs_tensor_zeros(&e, 2, (int[]){64, 64});
    x->requires_grad = true;
    fs_tensor *loss = fs_sum_all(&e, fs_square(&e, fs_matmul(&e, x, x, false, true)));
    CHECK(fs_backward(&e, loss) == FS_OK);
    if (step == 0) first_used = e.device.used;
    else if (e.device.used != first_used)
      CHECK_MSG(0, "step %d used %zu bytes, first step %zu", step, e.device.used, first_used);
  }
  CHECK(e.device.peak == first_used);
  /* backward needs a scalar */
  fs_engine_reset(&e);
  fs_tensor *v = fs_tensor_zeros(&e, 1, (int[]){3});
  CHECK(fs_backward(&e, v) == FS_ERR_ARG && strstr(fs_last_error(), "scalar"));
  fs_engine_free(&e);
}

/* fs_engine_release: kept tensors keep their values and move down to the mark, an older tensor
 * stays where it is, the memory in between is freed; with gradients it changes nothing. */
static void test_release(void) {
  fs_engine e;
  CHECK(fs_engine_init(&e, fs_backend_cpu(), 16 << 20, 1 << 20) == FS_OK);
  e.grad_enabled = false;
  float host[6] = {1, 2, 3, 4, 5, 6}, got[6];
  fs_tensor *old = fs_tensor_from_host(&e, 1, (int[]){6}, host);
  fs_engine_mark mark = fs_engine_mark_now(&e);
  fs_tensor *big = fs_tensor_zeros(&e, 2, (int[]){512, 512});
  fs_tensor *keep[3] = {fs_scale(&e, old, 2.0f), NULL, old};
  CHECK(big && keep[0]);
  fs_engine_release(&e, mark, 3, keep);
  CHECK(fs_engine_status(&e) == FS_OK && keep[1] == NULL && keep[2]->data == old->data);
  CHECK_MSG(e.device.used < mark.device + 1024, "%zu bytes above the mark after release", e.device.used - mark.device);
  fs_tensor_to_host(&e, keep[0], got);
  for (int i = 0; i < 6; i++) CHECK(got[i] == 2 * host[i]);
  e.grad_enabled = true;
  mark = fs_engine_mark_now(&e);
  fs_tensor *y = fs_scale(&e, old, 3.0f), *before = y;
  size_t used = e.device.used;
  fs_engine_release(&e, mark, 1, &y);
  CHECK(y == before && e.device.used == used);
  fs_engine_free(&e);
}

static void test_params(void) {
  fs_params p;
  fs_params_init(&p, fs_backend_cpu());
  fs_tensor *w = fs_param_add(&p, "layer.w", 2, (int[]){3, 5});
  fs_tensor *b = fs_param_add(&p, "layer.b", 1, (int[]){5});
  CHECK(w && b);
  CHECK(fs_param_add(&p, "layer.w", 1, (int[]){2}) == NULL && strstr(fs_last_error(), "twice"));
  CHECK(fs_params_allocate(&p, 3) == FS_OK);
  CHECK(p.n_slots == 5 && w->data == fs_params_slot(&p, 0) && b->data == w->data + 16);
  CHECK(w->grad == fs_params_slot(&p, 1) && ((uintptr_t)b->data % 64) == 0);
  CHECK(fs_params_find(&p, "layer.b") && fs_params_find(&p, "layer.b")->offset == 16);
  CHECK(fs_param_add(&p, "late", 1, (int[]){1}) == NULL);
  w->grad[3] = 1.0f;
  fs_params_zero_grad(&p);
  CHECK(w->grad[3] == 0.0f);
  fs_params_free(&p);
}

/* Entering a mode and restoring: flags always come back; a stream of the mode's own is undone,
 * the current stream's progress is kept; nested changes unwind in order. */
static void test_modes(void) {
  fs_engine e;
  CHECK(fs_engine_init(&e, fs_backend_cpu(), 1 << 20, 1 << 20) == FS_OK);
  fs_engine_mode base = {.grad_enabled = true, .training = true, .own_stream = true, .seed = 11, .rng_offset = 5};
  fs_engine_enter(&e, base);
  CHECK(e.grad_enabled && e.training && e.seed == 11 && e.rng_offset == 5);

  fs_engine_mode outer = fs_engine_enter(&e, fs_engine_eval());
  CHECK(!e.grad_enabled && !e.training && e.seed == 11 && e.rng_offset == 5);
  fs_rng_take(&e, 100); /* the running stream moves on */
  fs_engine_mode inner = fs_engine_enter(&e, fs_engine_eval_seeded(99));
  CHECK(e.seed == 99 && e.rng_offset == 0);
  fs_rng_take(&e, 7);
  fs_engine_restore(&e, inner);
  CHECK(!e.grad_enabled && e.seed == 11 && e.rng_offset == 105);
  fs_engine_restore(&e, outer);
  CHECK(e.grad_enabled && e.training && e.seed == 11 && e.rng_offset == 105);
  fs_engine_free(&e);
}

int main(void) {
  test_rng();
  test_arena_reuse();
  test_release();
  test_params();
  test_modes();
  return test_summary();
}
