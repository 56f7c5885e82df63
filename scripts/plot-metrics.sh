#!/usr/bin/env bash
# Draws a training run's metrics (OUTPUT.metrics.tsv written by flowseq train) as a PNG: the loss
# parts per sentence (reconstruction, KL, length) over updates, and validation perplexity.
#   scripts/plot-metrics.sh models/flowseq-small-multi30k.metrics.tsv plot.png
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: scripts/plot-metrics.sh METRICS.tsv OUT.png" >&2; exit 2; fi
command -v gnuplot >/dev/null || { echo "plot-metrics: gnuplot is not installed (scripts/install-deps.sh)" >&2; exit 1; }
tsv=$1 png=$2
head -n 1 "$tsv" | grep -q "^update	epoch	phase	recon	kl	length" || { echo "plot-metrics: $tsv is not a flowseq metrics file" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk -F'\t' 'NR > 1 && $3 != "valid"' "$tsv" >"$tmp/train"
awk -F'\t' 'NR > 1 && $3 == "valid"' "$tsv" >"$tmp/valid"
gnuplot <<GP
set terminal png size 1200,500
set output "$png"
set datafile separator "\t"
set multiplot layout 1,2 title "flowseq training: $(basename "$tsv")"
set xlabel "update"
set ylabel "loss per sentence"
set key top right
plot "$tmp/train" using 1:4 with lines title "reconstruction", \
     "$tmp/train" using 1:5 with lines title "KL", \
     "$tmp/train" using 1:6 with lines title "length"
set ylabel "validation perplexity"
set logscale y
set y2label "BLEU"
set y2tics
plot "$tmp/valid" using 1:12 with linespoints title "valid PPL" axes x1y1, "$tmp/valid" using 1:13 with linespoints title "valid BLEU" axes x1y2
unset multiplot
GP
echo "[plot] wrote $png"
