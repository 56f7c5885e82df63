#!/usr/bin/env bash
# Time to score newstest2013 (3,000 sentences; BLEU and chrF) with flowseq bleu, as a ratio to
# the Python sacreBLEU CLI on the same files in the same run (best of 5 each).
set -euo pipefail
cd "$(dirname "$0")/.."
corpora="${FLOWSEQ_CORPORA:-../shared/corpora}"
bash scripts/build.sh >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gzip -dc "$corpora/wmt/newstest2013.en.gz" >"$tmp/ref"
gzip -dc "$corpora/wmt/newstest2013.en.gz" | awk '{ n = split($0, w, " "); s = ""; for (i = 1; i <= n; i++) if (i % 5) s = s (s ? " " : "") w[i]; print s }' >"$tmp/hyp"
best() { # best wall seconds of 5 runs of "$@"
  local best=999999 t0 t1 dt
  for _ in 1 2 3 4 5; do
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    best=$(awk -v a="$best" -v b="$dt" 'BEGIN { print (b < a ? b : a) }')
  done
  echo "$best"
}
for metric in bleu chrf; do
  ours=$(best ./build/flowseq bleu "$tmp/ref" -i "$tmp/hyp" -m $metric -f text)
  theirs=$(best sacrebleu "$tmp/ref" -i "$tmp/hyp" -m $metric -f text)
  awk -v m=$metric -v a="$ours" -v b="$theirs" 'BEGIN { printf "%-5s 3000 sentences: flowseq %.3f s, sacrebleu %.3f s, speed-up %.1fx\n", m, a, b, b / a }'
done
