/* Shape ops: forward by index arithmetic, backward by finite differences, the round trips the
 * flow relies on (odd/even split and re-interleave, feature halves), and argument errors. */
#include "gradcheck.h"
#include "test.h"

static fs_engine eng;

static fs_tensor *op_permute(fs_engine *e, fs_tensor **x, void *c) { return fs_permute(e, x[0], c); }
static fs_tensor *op_slice_odd_time(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_slice(e, x[0], 1, 1, x[0]->shape[1], 2);
}
static fs_tensor *op_concat(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_concat(e, 2, x, -1);
}
static fs_tensor *op_stack(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_stack(e, 2, x, 2);
}
static fs_tensor *op_reshape_sq(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  /* [2,4,3] -> [2,2,6] (the flow's squeeze), squared so the gradient depends on the values */
  return fs_square(e, fs_reshape(e, x[0], 3, (int[]){2, -1, 6}));
}
static fs_tensor *op_split_second(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  fs_tensor *parts[2];
  fs_split(e, x[0], 2, 2, (int[]){1, 2}, parts);
  return fs_mul(e, parts[1], parts[1]);
}

static void test_permute(void) {
  float x[2 * 3 * 4 * 5];
  test_fill_uniform(x, 120, -1, 1, 1);
  int perm[4] = {2, 0, 3, 1};
  fs_engine_reset(&eng);
  fs_tensor *t = fs_tensor_from_host(&eng, 4, (int[]){2, 3, 4, 5}, x);
  fs_tensor *y = fs_permute(&eng, t, perm);
  CHECK(y && y->shape[0] == 4 && y->shape[1] == 2 && y->shape[2] == 5 && y->shape[3] == 3);
  float got[120];
  fs_tensor_to_host(&eng, y, got);
  int bad = 0;
  for (int a = 0; a < 4; a++)
    for (int b = 0; b < 2; b++)
      for (int c = 0; c < 5; c++)
        for (int d = 0; d < 3; d++) /* y[a,b,c,d] = x[b,d,a,c] */
          bad += got[((a * 2 + b) * 5 + c) * 3 + d] != x[((b * 3 + d) * 4 + a) * 5 + c];
  CHECK(bad == 0);
  gradcheck_input in[] = {{4, {2, 3, 4, 5}, x, 0}};
  CHECK(gradcheck(&eng, "permute", op_permute, perm, 1, in, 1e-3, 1e-3, 1e-2) == 0);
  fs_engine_reset(&eng);
  t = fs_tensor_from_host(&eng, 2, (int[]){3, 4}, x);
  y = fs_transpose(&eng, t, 0, -1);
  fs_tensor_to_host(&eng, y, got);
  CHECK(y->shape[0] == 4 && y->shape[1] == 3 && got[1 * 3 + 2] == x[2 * 4 + 1]);
}

static void test_slices_and_round_trip(void) {
  float x[2 * 6 * 4];
  test_fill_uniform(x, 48, -1, 1, 2);
  fs_engine_reset(&eng);
  fs_tensor *t = fs_tensor_from_host(&eng, 3, (int[]){2, 6, 4}, x);
  fs_tensor *even = fs_slice(&eng, t, 1, 0, 6, 2), *odd = fs_slice(&eng, t, 1, 1, 6, 2);
  float ev[24];
  fs_tensor_to_host(&eng, even, ev);
  CHECK(even->shape[1] == 3 && ev[(1 * 3 + 2) * 4 + 3] == x[(1 * 6 + 4) * 4 + 3]);
  /* re-interleave: stack at axis 2 then view as [B, L, F] gives back x exactly */
  fs_tensor *back = fs_reshape(&eng, fs_stack(&eng, 2, (fs_tensor *[]){even, odd}, 2), 3, (int[]){2, 6, 4});
  float got[48];
  fs_tensor_to_host(&eng, back, got);
  CHECK(memcmp(got, x, sizeof x) == 0);
  /* odd/even features and halves */
  fs_tensor *fe = fs_slice(&eng, t, 2, 0, 4, 2), *fo = fs_slice(&eng, t, 2, 1, 4, 2);
  back = fs_reshape(&eng, fs_stack(&eng, 2, (fs_tensor *[]){fe, fo}, 3), 3, (int[]){2, 6, 4});
  fs_tensor_to_host(&eng, back, got);
  CHECK(memcmp(got, x, sizeof x) == 0);
  fs_tensor *halves[2];
  CHECK(fs_split(&eng, t, -1, 2, (int[]){2, 2}, halves) == FS_OK);
  back = fs_concat(&eng, 2, halves, 2);
  fs_tensor_to_host(&eng, back, got);
  CHECK(memcmp(got, x, sizeof x) == 0);
  CHECK(fs_engine_status(&eng) == FS_OK);

  gradcheck_input in[] = {{3, {2, 6, 4}, x, 0}};
  CHECK(gradcheck(&eng, "slice odd", op_slice_odd_time, NULL, 1, in, 1e-3, 1e-3, 1e-2) == 0);
  CHECK(gradcheck(&eng, "split", op_split_second, NULL, 1, (gradcheck_input[]){{3, {2, 4, 3}, x, 0}}, 1e-3, 1e-3,
                  1e-2) == 0);
  CHECK(gradcheck(&eng, "reshape", op_reshape_sq, NULL, 1, (gradcheck_input[]){{3, {2, 4, 3}, x, 0}}, 1e-3, 1e-3,
                  1e-2) == 0);
  float y[2 * 6 * 3];
  test_fill_uniform(y, 36, -1, 1, 3);
  gradcheck_input two[] = {{3, {2, 6, 4}, x, 0}, {3, {2, 6, 3}, y, 0}};
  CHECK(gradcheck(&eng, "concat", op_concat, NULL, 2, two, 1e-3, 1e-3, 1e-2) == 0);
  gradcheck_input same[] = {{3, {2, 3, 4}, x, 0}, {3, {2, 3, 4}, y, 0}};
  CHECK(gradcheck(&eng, "stack", op_stack, NULL, 2, same, 1e-3, 1e-3, 1e-2) == 0);
}

static void test_errors(void) {
  fs_engine_reset(&eng);
  fs_tensor *t = fs_tensor_zeros(&eng, 2, (int[]){3, 4});
  CHECK(fs_reshape(&eng, t, 2, (int[]){5, 2}) == NULL && strstr(fs_last_error(), "reshape"));
  fs_engine_reset(&eng);
  t = fs_tensor_zeros(&eng, 2, (int[]){3, 4});
  CHECK(fs_permute(&eng, t, (int[]){0, 0}) == NULL && strstr(fs_last_error(), "permutation"));
  fs_engine_reset(&eng);
  t = fs_tensor_zeros(&eng, 2, (int[]){3, 4});
  CHECK(fs_slice(&eng, t, 1, 2, 9, 1) == NULL && fs_engine_status(&eng) == FS_ERR_ARG);
  fs_engine_reset(&eng);
  t = fs_tensor_zeros(&eng, 2, (int[]){3, 4});
  fs_tensor *u = fs_tensor_zeros(&eng, 2, (int[]){2, 5});
  CHECK(fs_concat(&eng, 2, (fs_tensor *[]){t, u}, 1) == NULL && strstr(fs_last_error(), "[2, 5]"));
  fs_engine_reset(&eng);
  t = fs_tensor_zeros(&eng, 2, (int[]){3, 4});
  fs_tensor *parts[2];
  CHECK(fs_split(&eng, t, 1, 2, (int[]){1, 2}, parts) == FS_ERR_ARG);
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 64 << 20, 8 << 20) != FS_OK) return 1;
  test_permute();
  test_slices_and_round_trip();
  test_errors();
  fs_engine_free(&eng);
  return test_summary();
}
