#!/usr/bin/env bash
# Decoding speed and quality of a model on Multi30k test_2016: sentences/s and mean latency per
# sentence by source length bucket (<=10, <=20, <=40, <=80 subword tokens) for argmax, npd (3x5)
# and iwd (3x1, K=4), at batch 1 and batched; then sacreBLEU of each mode on the whole test set.
#   scripts/bench-decode.sh [MODEL_DIR] [--lines N]   (default models/flowseq-small-multi30k)
# --lines N times only the first N lines (batch 1 is slow); BLEU always covers all 1000.
# Run with env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
model=models/flowseq-small-multi30k lines=0
while [ $# -gt 0 ]; do
  case "$1" in --lines) lines=$2; shift ;; *) model=$1 ;; esac
  shift
done
corpora="${FLOWSEQ_CORPORA:-../shared/corpora}"
bin=./build/flowseq
command -v spm_encode >/dev/null || { echo "bench-decode: spm_encode (Debian package sentencepiece) is needed to bucket by length" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gzip -dc "$corpora/multi30k/test_2016_flickr.de.gz" >"$tmp/src"
gzip -dc "$corpora/multi30k/test_2016_flickr.en.gz" >"$tmp/ref"
if [ "$lines" -gt 0 ]; then head -n "$lines" "$tmp/src" >"$tmp/timed"; else cp "$tmp/src" "$tmp/timed"; fi
spm_encode --model="$model/spm.model" <"$tmp/timed" | awk '{ print NF }' >"$tmp/len"
paste "$tmp/len" "$tmp/timed" | awk -F'\t' -v d="$tmp" '{ b = $1 <= 10 ? 10 : $1 <= 20 ? 20 : $1 <= 40 ? 40 : 80; print $2 > (d "/bucket." b) }'
modes=("argmax|--decode argmax" "npd 3x5|--decode npd --lengths 3 --samples 5 --tau 1.0" "iwd 3x1 K=4|--decode iwd --lengths 3 --samples 1 --iw-samples 4")
# seconds a command takes; a failed command stops the benchmark (a command substitution would
# otherwise swallow the failure and time the error)
elapsed() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null || { echo "bench-decode: failed: $*" >&2; return 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}
printf '%-14s %-8s %7s %7s %12s %14s\n' mode batch bucket lines "sent/s" "ms/sentence"
for m in "${modes[@]}"; do
  name=${m%%|*} opts=${m#*|}
  for batch in 1 batched; do
    tokens=$([ $batch = 1 ] && echo 1 || echo 1024)
    for b in 10 20 40 80; do
      f="$tmp/bucket.$b"
      [ -s "$f" ] || continue
      n=$(wc -l <"$f")
      # shellcheck disable=SC2086
      s=$(elapsed "$bin" translate -m "$model" -i "$f" --quiet --max-tokens $tokens $opts) || exit 1
      awk -v m="$name" -v bt=$batch -v b="<=$b" -v n="$n" -v s="$s" 'BEGIN { printf "%-14s %-8s %7s %7d %12.2f %14.1f\n", m, bt, b, n, n / s, 1000 * s / n }'
    done
  done
done
echo
printf '%-14s %8s  %s\n' mode "sent/s" "sacreBLEU on test_2016 ($(wc -l <"$tmp/src") lines, batched)"
for m in "${modes[@]}"; do
  name=${m%%|*} opts=${m#*|}
  # shellcheck disable=SC2086
  s=$(elapsed "$bin" translate -m "$model" -i "$tmp/src" -o "$tmp/hyp" --quiet $opts) || exit 1
  printf '%-14s %8.2f  %s\n' "$name" "$(awk -v n="$(wc -l <"$tmp/src")" -v s="$s" 'BEGIN { print n / s }')" \
    "$("$bin" bleu "$tmp/ref" -i "$tmp/hyp" -f text)"
done
