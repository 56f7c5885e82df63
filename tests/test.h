/* A minimal test harness shared by every C test: CHECK macros that count failures, and a
 * closing line in the form CI reads ("N passed, N failed"). A test that cannot run (missing
 * corpus or device) calls SKIP(...) which exits 77, CTest's skip code in this project. */
#ifndef FLOWSEQ_TESTS_TEST_H
#define FLOWSEQ_TESTS_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_passed_, test_failed_;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) test_passed_++;                                                  \
    else {                                                                     \
      test_failed_++;                                                          \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

#define CHECK_MSG(cond, ...)                                                   \
  do {                                                                         \
    if (cond) test_passed_++;                                                  \
    else {                                                                     \
      test_failed_++;                                                          \
      fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
    }                                                                          \
  } while (0)

/* |a - b| <= atol + rtol * |b| */
#define CHECK_CLOSE(a, b, atol, rtol)                                                             \
  do {                                                                                            \
    double a_ = (a), b_ = (b);                                                                    \
    CHECK_MSG(fabs(a_ - b_) <= (atol) + (rtol)*fabs(b_), "%s = %.9g, %s = %.9g", #a, a_, #b, b_); \
  } while (0)

#define SKIP(...)                 \
  do {                            \
    fprintf(stderr, "SKIP: ");    \
    fprintf(stderr, __VA_ARGS__); \
    fputc('\n', stderr);          \
    exit(77);                     \
  } while (0)

static inline int test_summary(void) {
  printf("%d passed, %d failed\n", test_passed_, test_failed_);
  return test_failed_ ? 1 : 0;
}

/* dir/name, in one of 8 rotating buffers (a call may name several files at once). */
static inline const char *test_path_in(const char *dir, const char *name) {
  static char buf[8][512];
  static int k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

/* Whether the file at path holds exactly `expected` (up to 4095 bytes); prints it when not. */
static inline int test_file_equals(const char *path, const char *expected) {
  static char buf[4096];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = '\0';
  if (strcmp(buf, expected)) fprintf(stderr, "file %s holds:\n%s\n", path, buf);
  return !strcmp(buf, expected);
}

/* Directory of the shared corpora: $FLOWSEQ_CORPORA, else ../shared/corpora next to the source. */
static inline const char *test_corpora_dir(void) {
  static char path[4096];
  const char *env = getenv("FLOWSEQ_CORPORA");
  if (env && *env) return env;
  const char *src = getenv("FLOWSEQ_SOURCE_DIR");
  snprintf(path, sizeof path, "%s/../shared/corpora", src ? src : ".");
  return path;
}

#endif
