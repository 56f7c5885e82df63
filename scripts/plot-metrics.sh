#!/usr/bin/env bash
# Draws a training run's metrics (OUTPUT.metrics.tsv written by flowseq train, columns defined in
# src/train/metrics.h) as one PNG: the loss parts per sentence, learning rate and KL weight,
# gradient norm and throughput over updates, and, once validations exist, validation
# perplexity/NLL and BLEU. Columns are found by header name; absent ones are left out. The
# learning rate is drawn on a log scale with ticks like 1.0e-04, which stay distinct at any lr.
# A training run writes its metrics to OUTPUT.metrics.tsv (train.output); the example is the
# metrics of flowseq-tiny trained on 64 Multi30k pairs:
#   scripts/plot-metrics.sh examples/flowseq-tiny.metrics.tsv plot.png
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: scripts/plot-metrics.sh METRICS.tsv OUT.png" >&2; exit 2; fi
command -v gnuplot >/dev/null || { echo "plot-metrics: gnuplot is not installed (scripts/install-deps.sh)" >&2; exit 1; }
tsv=$1 png=$2
[ -r "$tsv" ] || { echo "plot-metrics: cannot read $tsv" >&2; exit 1; }
head -n 1 "$tsv" | grep -q "^update	.*phase" || { echo "plot-metrics: $tsv is not a flowseq metrics file (no update/phase header)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Rows of one kind with the named columns in the given order ("?" where a column or value is absent).
select_columns() { # kind (train|valid) column...
  local kind=$1; shift
  awk -F'\t' -v kind="$kind" -v want="$*" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; n = split(want, names, " "); next }
    (kind == "valid") != ($col["phase"] == "valid") { next }
    { line = ""
      for (k = 1; k <= n; k++) { v = (names[k] in col) ? $col[names[k]] : ""; line = line (k > 1 ? "\t" : "") (v == "" ? "?" : v) }
      print line }' "$tsv"
}
select_columns train update recon kl length kl_weight lr grad_norm tok_per_s >"$tmp/train"
select_columns valid update valid_nll valid_ppl valid_bleu >"$tmp/valid"
[ -s "$tmp/train" ] || [ -s "$tmp/valid" ] || { echo "plot-metrics: $tsv has no rows yet" >&2; exit 1; }
has_valid=$([ -s "$tmp/valid" ] && echo 1 || echo 0)
has_train=$([ -s "$tmp/train" ] && echo 1 || echo 0)

gnuplot <<GP
set terminal pngcairo size 1400,900 noenhanced
set output "$png"
set datafile separator "\t"
set datafile missing "?"
set multiplot layout 2,2 title "flowseq training: $(basename "$tsv")"
set xlabel "update"
set key top right
if ($has_train) {
  set title "loss parts (per sentence)"
  plot "$tmp/train" using 1:2 with lines title "reconstruction", "" using 1:3 with lines title "KL", \
       "" using 1:4 with lines title "length"
  set title "learning rate and KL weight"
  set ylabel "lr"; set y2label "KL weight"; set y2tics; set ytics nomirror
  set logscale y; set format y "%.1e"
  plot "$tmp/train" using 1:6 with lines title "lr", "" using 1:5 with lines axes x1y2 title "KL weight"
  unset logscale y; set format y "% h"
  set title "gradient norm (before clipping) and throughput"
  set ylabel "|g|"; set y2label "target tokens/s"
  plot "$tmp/train" using 1:7 with lines title "grad norm", "" using 1:8 with lines axes x1y2 title "tok/s"
  unset y2tics; unset y2label; unset ylabel; set ytics mirror
} else {
  set multiplot next; set multiplot next; set multiplot next
}
if ($has_valid) {
  set title "validation"
  set ylabel "perplexity / NLL per token"; set y2label "BLEU"; set y2tics; set ytics nomirror; set logscale y
  plot "$tmp/valid" using 1:3 with linespoints title "perplexity", "" using 1:2 with linespoints title "NLL", \
       "" using 1:4 with linespoints axes x1y2 title "BLEU"
} else {
  set title "validation"; unset key; set xrange [0:1]; set yrange [0:1]
  set label 1 "no validation yet" at 0.5,0.5 center
  plot NaN notitle
}
unset multiplot
GP
echo "[plot] wrote $png"
