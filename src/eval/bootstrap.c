/* Paired bootstrap resampling: the implementation; eval/bootstrap.h describes the interface. */
#include "eval/bootstrap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/philox.h"

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Score of the segments idx[0..n) (or all segments when idx is NULL). */
static double score_of(const fs_metric_stats *m, const double *stats, const int *idx, int n, double *sum) {
  memset(sum, 0, sizeof(double) * m->width);
  for (int i = 0; i < n; i++) {
    const double *row = stats + (int64_t)(idx ? idx[i] : i) * m->width;
    for (int k = 0; k < m->width; k++) sum[k] += row[k];
  }
  return m->score(m->options, sum);
}

void fs_paired_bootstrap(const fs_metric_stats *m, const double *const *stats, int n_systems, int n_lines,
                         int n_samples, uint64_t seed, fs_bootstrap_result *out) {
  int *idx = fs_malloc(sizeof(int) * n_lines);
  double *sum = fs_malloc(sizeof(double) * m->width);
  double *samples = fs_malloc(sizeof(double) * n_samples * n_systems); /* [system][sample] */
  for (int s = 0; s < n_systems; s++) out[s].score = score_of(m, stats[s], NULL, n_lines, sum);
  for (int r = 0; r < n_samples; r++) {
    for (int i = 0; i < n_lines; i++) {
      int j = (int)(fs_rand_uniform(seed, (uint64_t)r * n_lines + i) * n_lines);
      idx[i] = j < n_lines ? j : n_lines - 1;
    }
    for (int s = 0; s < n_systems; s++) samples[s * n_samples + r] = score_of(m, stats[s], idx, n_lines, sum);
  }
  double *diff = fs_malloc(sizeof(double) * n_samples);
  for (int s = 0; s < n_systems; s++) {
    const double *mine = samples + s * n_samples, *base = samples;
    out[s].p_value = 1.0;
    if (s > 0) {
      double mean_diff = 0.0, observed = fabs(out[0].score - out[s].score);
      for (int r = 0; r < n_samples; r++) mean_diff += (diff[r] = fabs(mine[r] - base[r])) / n_samples;
      int above = 0;
      for (int r = 0; r < n_samples; r++) above += diff[r] - mean_diff > observed;
      out[s].p_value = (above + 1.0) / (n_samples + 1.0);
    }
    double *sorted = fs_malloc(sizeof(double) * n_samples), mean = 0.0;
    memcpy(sorted, mine, sizeof(double) * n_samples);
    qsort(sorted, n_samples, sizeof(double), compare_doubles);
    for (int r = 0; r < n_samples; r++) mean += sorted[r] / n_samples;
    int lower = n_samples / 40, upper = n_samples - lower - 1;
    out[s].mean = mean;
    out[s].ci = 0.5 * (sorted[upper] - sorted[lower]);
    free(sorted);
  }
  free(diff);
  free(samples);
  free(sum);
  free(idx);
}
