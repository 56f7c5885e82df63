#!/usr/bin/env bash
# Do two revisions train the same model? Trains a config with an older revision and with the
# working tree from the same seed, tokenizer and data, logging every few updates, and draws both
# loss curves (reconstruction, KL, length per sentence) in one PNG, with the mean relative gap
# of the reconstruction loss printed. Speed work must leave the curves on top of each other
# (within float noise: summation orders differ).
#   scripts/compare-loss.sh REV OUT.png [CONFIG] [PRE_UPDATES] [MAIN_UPDATES]
# Default: models/flowseq-small.yaml, 40 pre-training and 120 main-phase updates, Multi30k from
# ../shared/corpora ($FLOWSEQ_CORPORA overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] && [ $# -le 5 ] || { echo "usage: scripts/compare-loss.sh REV OUT.png [CONFIG] [PRE] [MAIN]" >&2; exit 2; }
rev=$1 png=$2 config=${3:-models/flowseq-small.yaml} pre=${4:-40} main=${5:-120}
[ -f "$config" ] || { echo "compare-loss: no such config: $config" >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "compare-loss: gnuplot is not installed (scripts/install-deps.sh)" >&2; exit 1; }
data=${FLOWSEQ_CORPORA:-../shared/corpora}/multi30k
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash scripts/build-rev.sh "$rev" "$tmp/base"
bash scripts/build-rev.sh --worktree "$tmp/new"
"$tmp/new/build/flowseq" vocab -i "$data/train.de.gz" -i "$data/train.en.gz" --vocab-size 8000 --sample 20000 \
  -o "$tmp/spm.model" 2>/dev/null
for who in base new; do
  "$tmp/$who/build/flowseq" train -c "$config" --train.train_src "$data/train.de.gz" --train.train_tgt "$data/train.en.gz" \
    --train.valid_src "$data/val.de.gz" --train.valid_tgt "$data/val.en.gz" --train.spm "$tmp/spm.model" \
    --train.output "$tmp/$who.run" --train.init_steps "$pre" --train.max_updates "$main" --train.log_every 5 \
    --train.valid_every 1000000 --train.init_batch_size 32 2>"$tmp/$who.log" || { tail -3 "$tmp/$who.log" >&2; exit 1; }
  # update (pre-training and main phase counted on), recon, kl, length
  awk -F'\t' 'NR > 1 && $3 != "valid" { n++; print n * 5 "\t" $4 "\t" $5 "\t" $6 }' "$tmp/$who.run.metrics.tsv" >"$tmp/$who.tsv"
done
paste "$tmp/base.tsv" "$tmp/new.tsv" |
  awk -F'\t' '{ gap += ($6 - $2) / $2; n++ } END { printf "reconstruction loss, new vs %s: mean relative gap %+.2f%% over %d points\n", "'"$rev"'", 100 * gap / n, n }'
gnuplot <<GP
set terminal pngcairo size 1400,450 noenhanced
set output "$png"
set datafile separator "\t"
set multiplot layout 1,3 title "flowseq: $rev vs working tree, $(basename "$config"), $pre pre-training + $main main-phase updates"
set xlabel "update"
set arrow from $pre, graph 0 to $pre, graph 1 nohead dashtype 2
do for [c in "2 3 4"] {
  col = int(c)
  set title (col == 2 ? "reconstruction" : col == 3 ? "KL" : "length") . " (per sentence)"
  plot "$tmp/base.tsv" using 1:col with lines lw 2 title "$rev", "$tmp/new.tsv" using 1:col with lines dashtype 2 lw 2 title "working tree"
}
unset multiplot
GP
echo "[compare-loss] wrote $png"
