/* Paired bootstrap resampling (Koehn 2004) over per-segment sufficient statistics, as
 * sacreBLEU's --paired-bs does it: the same n resampled index sets for every system; per system
 * the mean and the 95% CI (half the spread between the sorted samples at n//40 and n-n//40-1);
 * per system against the baseline (system 0) the p-value (c + 1) / (n + 1), where c counts the
 * samples whose centred |Δ| exceeds the observed |Δ|.
 *
 * The statistics match sacreBLEU's; the numbers do not match bit for bit, because the index
 * sets come from our Philox stream, not numpy's PCG64. */
#ifndef FLOWSEQ_EVAL_BOOTSTRAP_H
#define FLOWSEQ_EVAL_BOOTSTRAP_H

#include <stdint.h>

/* A metric as seen by the resampler: `width` statistics per segment, summed, then scored. */
typedef struct {
  int width;
  double (*score)(const void *options, const double *summed);
  const void *options;
} fs_metric_stats;

typedef struct {
  double score;    /* on the full test set */
  double mean, ci; /* over the resamples */
  double p_value;  /* against system 0 (1 for system 0 itself) */
} fs_bootstrap_result;

/* stats[s] holds n_lines * width values for system s. */
void fs_paired_bootstrap(const fs_metric_stats *m, const double *const *stats, int n_systems, int n_lines,
                         int n_samples, uint64_t seed, fs_bootstrap_result *out);

#endif
