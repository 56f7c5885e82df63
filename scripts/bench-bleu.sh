#!/usr/bin/env bash
# Time to score newstest2013 (3,000 sentences; BLEU and chrF) with flowseq bleu, as a ratio to
# Python sacreBLEU on the same files in the same run (best of 5 each). Two Python figures: the
# sacrebleu CLI (what a user runs, interpreter start-up included) and the scoring call alone
# inside Python (sacrebleu.metrics corpus_score on already loaded lines).
#   scripts/bench-bleu.sh        (FLOWSEQ_BIN=path skips the build; FLOWSEQ_CORPORA=dir)
set -euo pipefail
cd "$(dirname "$0")/.."
corpora="${FLOWSEQ_CORPORA:-../shared/corpora}"
bin="${FLOWSEQ_BIN:-}"
if [ -z "$bin" ]; then
  bash scripts/build.sh >/dev/null
  bin=./build/flowseq
fi
python3 -c 'import sacrebleu' 2>/dev/null || { echo "bench-bleu: the Python sacrebleu package is not installed" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gzip -dc "$corpora/wmt/newstest2013.en.gz" >"$tmp/ref"
# a hypothesis that drops every fifth word
awk '{ n = split($0, w, " "); s = ""; for (i = 1; i <= n; i++) if (i % 5) s = s (s ? " " : "") w[i]; print s }' "$tmp/ref" >"$tmp/hyp"
best() { # best wall seconds of 5 runs of "$@"
  local best=999999 t0 t1
  for _ in 1 2 3 4 5; do
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    best=$(awk -v a="$best" -v t0="$t0" -v t1="$t1" 'BEGIN { d = t1 - t0; print (d < a ? d : a) }')
  done
  echo "$best"
}
python_api() { # best seconds of 5 corpus_score calls inside Python
  python3 - "$1" "$tmp/ref" "$tmp/hyp" <<'PY'
import sys, time
from sacrebleu.metrics import BLEU, CHRF
metric, ref, hyp = sys.argv[1:]
refs = [l.rstrip() for l in open(ref, encoding="utf-8", newline="\n")]
hyps = [l.rstrip() for l in open(hyp, encoding="utf-8", newline="\n")]
best = 1e9
for _ in range(5):
    m = BLEU() if metric == "bleu" else CHRF()  # a fresh metric each time: no tokenizer cache carried over
    t = time.perf_counter(); m.corpus_score(hyps, [refs]); best = min(best, time.perf_counter() - t)
print(best)
PY
}
echo "newstest2013.en, 3000 sentences, best of 5 runs"
for metric in bleu chrf; do
  ours=$(best "$bin" bleu "$tmp/ref" -i "$tmp/hyp" -m $metric -f text)
  cli=$(best sacrebleu "$tmp/ref" -i "$tmp/hyp" -m $metric -f text)
  api=$(python_api $metric)
  awk -v m=$metric -v a="$ours" -v b="$cli" -v c="$api" 'BEGIN {
    printf "%-5s flowseq bleu %.3f s | sacrebleu CLI %.3f s (%.1fx flowseq) | sacrebleu corpus_score alone %.3f s (%.1fx)\n",
           m, a, b, b / a, c, c / a }'
done
