#!/usr/bin/env bash
# Decoding speed and quality of a model on Multi30k test_2016: sentences/s and mean latency per
# sentence by source length bucket (<=10, <=20, <=40, <=80 subword tokens) for each decoding mode
# at batch 1 and batched; then sacreBLEU and chrF of each mode on the whole test set. Modes: a
# FlowSeq model's argmax, npd (3x5) and iwd (3x1, K=4); an autoregressive Transformer's greedy
# and beam 4; with the BLEU, the share of lines with a word repeated next to itself
# (eval/errors.sh). --teacher DIR (a Transformer) adds the teacher's greedy and beam 4 and FlowSeq's npd
# and iwd ranked by the teacher (--rescore) to a FlowSeq model's modes.
#   scripts/bench-decode.sh [MODEL_DIR] [--teacher DIR] [--lines N] [--baseline REV [--rounds R]]
# Default model: models/flowseq-small-multi30k (the bundled one). --lines N times only the first
# N lines (batch 1 is slow); BLEU always covers all 1000. Without --baseline it times
# build/flowseq (scripts/build.sh builds it), which picks its OpenBLAS kernel itself (flowseq
# info says which and why).
# --baseline REV: builds REV and the working tree (or takes $FLOWSEQ_BIN as the new binary) in a
# temporary directory; per mode and batching both translate the same timed lines with the same
# model R times each (default 2) in ABBA order, and the best sentences/s of each and the speed-up
# are printed (no length buckets); then both translate the whole test set, printing sentences/s,
# the BLEU of each and whether the outputs are identical. Both binaries run in the caller's
# environment; the result is the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { echo "usage: scripts/bench-decode.sh [MODEL_DIR] [--teacher DIR] [--lines N] [--baseline REV [--rounds R]]" >&2; exit 2; }
model=models/flowseq-small-multi30k lines=0 baseline='' rounds=2 teacher=
while [ $# -gt 0 ]; do
  case "$1" in
    --lines) [ $# -ge 2 ] || usage; lines=$2; shift ;;
    --baseline) [ $# -ge 2 ] || usage; baseline=$2; shift ;;
    --rounds) [ $# -ge 2 ] || usage; rounds=$2; shift ;;
    --teacher) [ $# -ge 2 ] || usage; teacher=$2; shift ;;
    -*) usage ;;
    *) model=$1 ;;
  esac
  shift
done
[[ $lines =~ ^[0-9]+$ && $rounds =~ ^[1-9][0-9]*$ ]] || usage
[ -f "$model/spm.model" ] || { echo "bench-decode: no model in $model" >&2; exit 2; }
if [ -n "$baseline" ] && ! git rev-parse --verify --quiet "$baseline^{commit}" >/dev/null; then
  echo "bench-decode: no such revision: $baseline" >&2; exit 2
fi
corpora="${FLOWSEQ_CORPORA:-../shared/corpora}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$baseline" ]; then
  command -v spm_encode >/dev/null || { echo "bench-decode: spm_encode (Debian package sentencepiece) is needed to bucket by length" >&2; exit 1; }
  bin=./build/flowseq
else
  echo "building baseline $baseline and the new tree in $tmp ..."
  bash scripts/build-rev.sh "$baseline" "$tmp/base"
  base=$tmp/base/build/flowseq
  if [ -n "${FLOWSEQ_BIN:-}" ]; then
    bin=$FLOWSEQ_BIN
  else
    bash scripts/build-rev.sh --worktree "$tmp/new"
    bin=$tmp/new/build/flowseq
  fi
fi
gzip -dc "$corpora/multi30k/test_2016_flickr.de.gz" >"$tmp/src"
gzip -dc "$corpora/multi30k/test_2016_flickr.en.gz" >"$tmp/ref"
if [ "$lines" -gt 0 ]; then head -n "$lines" "$tmp/src" >"$tmp/timed"; else cp "$tmp/src" "$tmp/timed"; fi
is_transformer() { grep -q '^  type: transformer' "$1/config.yaml"; }
# each mode: name|model directory|translate options
if is_transformer "$model"; then
  modes=("greedy|$model|--beam 1" "beam 4|$model|--beam 4")
else
  npd="--decode npd --lengths 3 --samples 5 --tau 1.0" iwd="--decode iwd --lengths 3 --samples 1 --iw-samples 4"
  modes=("argmax|$model|--decode argmax" "npd 3x5|$model|$npd" "iwd 3x1 K=4|$model|$iwd")
  if [ -n "$teacher" ]; then
    is_transformer "$teacher" || { echo "bench-decode: --teacher $teacher is not a Transformer model" >&2; exit 2; }
    modes+=("npd 3x5 teacher|$model|$npd --rescore $teacher" "iwd 3x1 teacher|$model|$iwd --rescore $teacher"
      "teacher greedy|$teacher|--beam 1" "teacher beam 4|$teacher|--beam 4")
  fi
fi
# splits a mode into $name, $dir and $opts
mode_parts() { name=${1%%|*} rest=${1#*|}; dir=${rest%%|*} opts=${rest#*|}; }
# seconds a command takes; a failed command stops the benchmark (a command substitution would
# otherwise swallow the failure and time the error)
elapsed() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null || { echo "bench-decode: failed: $*" >&2; return 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}

if [ -n "$baseline" ]; then
  describe() { git log -1 --format='%h %s' "$1" | cut -c1-80; }
  echo "model: $model, $(wc -l <"$tmp/timed") timed lines, $rounds round(s), corpora $corpora"
  echo "baseline: $(describe "$baseline")"
  if [ -n "${FLOWSEQ_BIN:-}" ]; then echo "new:      $FLOWSEQ_BIN"
  else echo "new:      working tree at $(describe HEAD)$(git diff --quiet HEAD -- || echo ' + uncommitted changes')"; fi
  for who in base new; do
    b=$base; [ "$who" = new ] && b=$bin
    echo "flowseq info ($who):"; "$b" info | sed 's/^/  /'
  done
  n=$(wc -l <"$tmp/timed")
  for r in $(seq "$rounds"); do
    order="base new"; [ $((r % 2)) = 0 ] && order="new base"
    for m in "${modes[@]}"; do
      mode_parts "$m"
      for batch in 1 batched; do
        tokens=$([ $batch = 1 ] && echo 1 || echo 1024)
        for who in $order; do
          b=$base; [ "$who" = new ] && b=$bin
          # shellcheck disable=SC2086
          s=$(elapsed "$b" translate -m "$dir" -i "$tmp/timed" --quiet --max-tokens $tokens $opts) || exit 1
          printf '%s|%s|%s|%s\n' "$name" "$batch" "$who" "$s" >>"$tmp/results"
        done
      done
    done
  done
  echo
  awk -F'|' -v n="$n" '{ k = $1 "|" $2; if (!(k in order)) order[k] = ++nk; key[order[k]] = k
      if (!(($3 "|" k) in best) || $4 + 0 < best[$3 "|" k]) best[$3 "|" k] = $4 + 0 }
    END {
      printf "%-14s %-8s %7s %12s %12s %9s\n", "mode", "batch", "lines", "base sent/s", "new sent/s", "speed-up"
      for (i = 1; i <= nk; i++) {
        split(key[i], f, "|"); sb = best["base|" key[i]]; sn = best["new|" key[i]]
        printf "%-14s %-8s %7d %12.2f %12.2f %8.3fx\n", f[1], f[2], n, n / sb, n / sn, sb / sn
      }
    }' "$tmp/results"
  echo
  total=$(wc -l <"$tmp/src")
  printf '%-14s %12s %12s %9s %10s %10s  %s\n' mode "base sent/s" "new sent/s" speed-up "base BLEU" "new BLEU" "outputs ($total lines, batched, one run each)"
  for m in "${modes[@]}"; do
    mode_parts "$m"
    # shellcheck disable=SC2086
    sb=$(elapsed "$base" translate -m "$dir" -i "$tmp/src" -o "$tmp/hyp.base" --quiet $opts) || exit 1
    # shellcheck disable=SC2086
    sn=$(elapsed "$bin" translate -m "$dir" -i "$tmp/src" -o "$tmp/hyp.new" --quiet $opts) || exit 1
    diff=$(diff "$tmp/hyp.base" "$tmp/hyp.new" | grep -c '^>' || true)
    printf '%-14s %12.2f %12.2f %8.3fx %10s %10s  %s\n' "$name" "$(awk -v n="$total" -v s="$sb" 'BEGIN { print n / s }')" \
      "$(awk -v n="$total" -v s="$sn" 'BEGIN { print n / s }')" "$(awk -v a="$sb" -v b="$sn" 'BEGIN { print a / b }')" \
      "$("$base" bleu "$tmp/ref" -i "$tmp/hyp.base" -b -w 2)" "$("$bin" bleu "$tmp/ref" -i "$tmp/hyp.new" -b -w 2)" \
      "$([ "$diff" = 0 ] && echo identical || echo "$diff lines differ")"
  done
  exit 0
fi

spm_encode --model="$model/spm.model" <"$tmp/timed" | awk '{ print NF }' >"$tmp/len"
paste "$tmp/len" "$tmp/timed" | awk -F'\t' -v d="$tmp" '{ b = $1 <= 10 ? 10 : $1 <= 20 ? 20 : $1 <= 40 ? 40 : 80; print $2 > (d "/bucket." b) }'
printf '%-16s %-8s %7s %7s %12s %14s\n' mode batch bucket lines "sent/s" "ms/sentence"
for m in "${modes[@]}"; do
  mode_parts "$m"
  for batch in 1 batched; do
    tokens=$([ $batch = 1 ] && echo 1 || echo 1024)
    for b in 10 20 40 80; do
      f="$tmp/bucket.$b"
      [ -s "$f" ] || continue
      n=$(wc -l <"$f")
      # shellcheck disable=SC2086
      s=$(elapsed "$bin" translate -m "$dir" -i "$f" --quiet --max-tokens $tokens $opts) || exit 1
      awk -v m="$name" -v bt=$batch -v b="<=$b" -v n="$n" -v s="$s" 'BEGIN { printf "%-16s %-8s %7s %7d %12.2f %14.1f\n", m, bt, b, n, n / s, 1000 * s / n }'
    done
  done
done
echo
printf '%-16s %8s %9s  %s\n' mode "sent/s" "repeated" "sacreBLEU and chrF on test_2016 ($(wc -l <"$tmp/src") lines, batched)"
for m in "${modes[@]}"; do
  mode_parts "$m"
  # shellcheck disable=SC2086
  s=$(elapsed "$bin" translate -m "$dir" -i "$tmp/src" -o "$tmp/hyp" --quiet $opts) || exit 1
  # the share of lines with a word repeated next to itself (eval/errors.sh)
  repeated=$(FLOWSEQ_BIN=$bin eval/errors.sh "$tmp/hyp" | awk '/^repeated word/ { print $(NF - 1) "%" }')
  printf '%-16s %8.2f %9s  %s\n' "$name" "$(awk -v n="$(wc -l <"$tmp/src")" -v s="$s" 'BEGIN { print n / s }')" "$repeated" \
    "$("$bin" bleu "$tmp/ref" -i "$tmp/hyp" -m bleu chrf -f text | tr '\n' ' ')"
done
