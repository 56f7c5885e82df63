/* Elementwise ops: forward against double-precision references, backward against finite
 * differences, broadcasting, and shape errors. */
#include "gradcheck.h"
#include "test.h"

static fs_engine eng;

static fs_tensor *op_add(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_add(e, x[0], x[1]);
}
static fs_tensor *op_sub(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_sub(e, x[0], x[1]);
}
static fs_tensor *op_mul(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_mul(e, x[0], x[1]);
}
static fs_tensor *op_div(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_div(e, x[0], x[1]);
}

typedef fs_tensor *(*unary_op)(fs_engine *, fs_tensor *);
static fs_tensor *op_unary(fs_engine *e, fs_tensor **x, void *c) { return (*(unary_op *)c)(e, x[0]); }
static fs_tensor *op_scale(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_scale(e, x[0], -1.5f);
}
static fs_tensor *op_add_scalar(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_add_scalar(e, x[0], 0.25f);
}

static double ref_binary(int op, double a, double b) {
  return op == 0 ? a + b : op == 1 ? a - b : op == 2 ? a * b : a / b;
}

/* a [2,3,4] with b [3,1] (broadcast over the first and last axes), forward and backward. */
static void test_binary_broadcast(void) {
  gradcheck_fn fns[] = {op_add, op_sub, op_mul, op_div};
  const char *names[] = {"add", "sub", "mul", "div"};
  for (int op = 0; op < 4; op++) {
    float a[24], b[3];
    test_fill_uniform(a, 24, -1.0f, 1.0f, 1);
    test_fill_uniform(b, 3, 0.5f, 1.5f, 2); /* away from 0 for div */
    fs_engine_reset(&eng);
    fs_tensor *ta = fs_tensor_from_host(&eng, 3, (int[]){2, 3, 4}, a);
    fs_tensor *tb = fs_tensor_from_host(&eng, 2, (int[]){3, 1}, b);
    fs_tensor *out = fns[op](&eng, (fs_tensor *[]){ta, tb}, NULL);
    CHECK(out && out->ndim == 3 && out->shape[0] == 2 && out->shape[1] == 3 && out->shape[2] == 4);
    float got[24];
    fs_tensor_to_host(&eng, out, got);
    double err = 0;
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 3; j++)
        for (int k = 0; k < 4; k++) {
          int idx = (i * 3 + j) * 4 + k;
          err = fmax(err, fabs(got[idx] - ref_binary(op, a[idx], b[j])));
        }
    CHECK_MSG(err < 1e-6, "%s forward max error %g", names[op], err);
    gradcheck_input in[] = {{3, {2, 3, 4}, a, 0}, {2, {3, 1}, b, 0}};
    CHECK_MSG(gradcheck(&eng, names[op], fns[op], NULL, 2, in, 1e-3, 1e-3, 1e-2) == 0, "%s gradient", names[op]);
  }
}

static void test_unary(void) {
  struct {
    const char *name;
    unary_op fn;
    double (*ref)(double);
    float lo, hi;
  } cases[] = {
      {"relu", fs_relu, NULL, -1, 1},   {"elu", fs_elu, NULL, -2, 2},       {"sigmoid", fs_sigmoid, NULL, -3, 3},
      {"exp", fs_exp, exp, -2, 2},      {"log", fs_ln, log, 0.5f, 3},       {"softplus", fs_softplus, NULL, -3, 3},
      {"sqrt", fs_sqrt, sqrt, 0.5f, 3}, {"square", fs_square, NULL, -2, 2},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    float x[30];
    test_fill_uniform(x, 30, cases[c].lo, cases[c].hi, 7 + (unsigned)c);
    /* keep relu/elu away from the kink at 0 where the finite difference is meaningless */
    for (int i = 0; i < 30; i++)
      if (fabsf(x[i]) < 0.05f) x[i] = 0.1f;
    fs_engine_reset(&eng);
    fs_tensor *t = fs_tensor_from_host(&eng, 2, (int[]){5, 6}, x);
    fs_tensor *y = cases[c].fn(&eng, t);
    float got[30];
    CHECK(fs_tensor_to_host(&eng, y, got) == FS_OK);
    double err = 0;
    for (int i = 0; i < 30; i++) {
      double v = x[i], want;
      if (cases[c].ref) want = cases[c].ref(v);
      else if (!strcmp(cases[c].name, "relu")) want = v > 0 ? v : 0;
      else if (!strcmp(cases[c].name, "elu")) want = v > 0 ? v : expm1(v);
      else if (!strcmp(cases[c].name, "sigmoid")) want = 1 / (1 + exp(-v));
      else if (!strcmp(cases[c].name, "softplus")) want = log1p(exp(v));
      else want = v * v;
      err = fmax(err, fabs(got[i] - want) / fmax(1.0, fabs(want)));
    }
    CHECK_MSG(err < 1e-6, "%s forward max error %g", cases[c].name, err);
    gradcheck_input in[] = {{2, {5, 6}, x, 0}};
    CHECK_MSG(gradcheck(&eng, cases[c].name, op_unary, &cases[c].fn, 1, in, 1e-3, 1e-3, 1e-2) == 0, "%s gradient",
              cases[c].name);
  }
  float x[6];
  test_fill_uniform(x, 6, -1, 1, 3);
  gradcheck_input in[] = {{1, {6}, x, 0}};
  CHECK(gradcheck(&eng, "scale", op_scale, NULL, 1, in, 1e-3, 1e-3, 1e-2) == 0);
  CHECK(gradcheck(&eng, "add_scalar", op_add_scalar, NULL, 1, in, 1e-3, 1e-3, 1e-2) == 0);
}

/* A tensor used twice must receive the sum of both gradient paths. */
static fs_tensor *op_reuse(fs_engine *e, fs_tensor **x, void *c) {
  (void)c;
  return fs_mul(e, fs_exp(e, x[0]), x[0]);
}
static void test_reuse(void) {
  float x[8];
  test_fill_uniform(x, 8, -1, 1, 5);
  gradcheck_input in[] = {{1, {8}, x, 0}};
  CHECK(gradcheck(&eng, "x*exp(x)", op_reuse, NULL, 1, in, 1e-3, 1e-3, 1e-2) == 0);
}

static void test_errors(void) {
  fs_engine_reset(&eng);
  fs_tensor *a = fs_tensor_zeros(&eng, 2, (int[]){2, 3});
  fs_tensor *b = fs_tensor_zeros(&eng, 2, (int[]){4, 3});
  CHECK(fs_add(&eng, a, b) == NULL);
  CHECK(fs_engine_status(&eng) == FS_ERR_ARG);
  CHECK(strstr(fs_last_error(), "[2, 3]") && strstr(fs_last_error(), "[4, 3]"));
  /* sticky: later ops return NULL, the first message is kept */
  CHECK(fs_exp(&eng, a) == NULL);
  CHECK(strstr(fs_last_error(), "broadcast") != NULL);
  CHECK(fs_exp(&eng, NULL) == NULL);
  fs_engine_reset(&eng);
  CHECK(fs_engine_status(&eng) == FS_OK);
  CHECK(fs_exp(&eng, NULL) == NULL && fs_engine_status(&eng) == FS_ERR_ARG);
  fs_engine_reset(&eng);
  CHECK(fs_tensor_new(&eng, 5, (int[]){1, 1, 1, 1, 1}) == NULL);
  fs_engine_reset(&eng);
  /* exhausting the arena is an error with the sizes, not a crash */
  CHECK(fs_tensor_new(&eng, 1, (int[]){1 << 28}) == NULL);
  CHECK(fs_engine_status(&eng) == FS_ERR_MEMORY && strstr(fs_last_error(), "arena") != NULL);
}

int main(void) {
  if (fs_engine_init(&eng, fs_backend_cpu(), 64 << 20, 8 << 20) != FS_OK) {
    fprintf(stderr, "%s\n", fs_last_error());
    return 1;
  }
  test_binary_broadcast();
  test_unary();
  test_reuse();
  test_errors();
  fs_engine_free(&eng);
  return test_summary();
}
