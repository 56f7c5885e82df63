/* Paired bootstrap resampling on a toy metric (mean of per-segment values) whose statistics are
 * known: a system that differs only by noise is not significant, a clearly better one is, the CI
 * shrinks with more segments, and the seed makes it reproducible. */
#include <stdlib.h>

#include "eval/bootstrap.h"
#include "test.h"

static double mean_score(const void *options, const double *summed) {
  (void)options;
  return 100.0 * summed[0] / summed[1];
}

int main(void) {
  enum { N = 400 };
  static double base[N * 2], noisy[N * 2], better[N * 2];
  for (int i = 0; i < N; i++) {
    double v = (i * 37 % 100) / 100.0; /* spread values in [0, 1) */
    base[2 * i] = v;
    noisy[2 * i] = v + (i % 2 ? 0.05 : -0.05); /* same mean, different segments */
    better[2 * i] = v + 0.2 > 1 ? 1 : v + 0.2;
    base[2 * i + 1] = noisy[2 * i + 1] = better[2 * i + 1] = 1.0;
  }
  const double *systems[] = {base, noisy, better};
  fs_metric_stats m = {2, mean_score, NULL};
  fs_bootstrap_result r[3], again[3];
  fs_paired_bootstrap(&m, systems, 3, N, 1000, 12345, r);
  CHECK_CLOSE(r[0].score, r[1].score, 1e-12, 0);
  CHECK_CLOSE(r[0].mean, r[0].score, 1.0, 0);
  CHECK(r[0].ci > 0.5 && r[0].ci < 5.0);
  CHECK(r[0].p_value == 1.0);
  CHECK_MSG(r[1].p_value > 0.2, "noise-only system p = %g", r[1].p_value);
  CHECK_MSG(r[2].p_value < 0.01, "better system p = %g", r[2].p_value);
  fs_paired_bootstrap(&m, systems, 3, N, 1000, 12345, again);
  CHECK(again[2].mean == r[2].mean && again[2].ci == r[2].ci && again[2].p_value == r[2].p_value);
  fs_paired_bootstrap(&m, systems, 3, N / 4, 1000, 12345, again);
  CHECK(again[0].ci > r[0].ci); /* fewer segments, wider interval */
  return test_summary();
}
