#!/usr/bin/env bash
# flowseq bleu against the Python sacreBLEU package on newstest2013 with perturbed hypotheses:
# the text output (BLEU, chrF, chrF++; several option sets; corpus and sentence level) must be
# identical to the last printed digit.
set -euo pipefail
corpora="${FLOWSEQ_CORPORA:-${FLOWSEQ_SOURCE_DIR:-.}/../shared/corpora}"
ref="$corpora/wmt/newstest2013.en.gz"
[ -f "$ref" ] || { echo "SKIP: $ref not found (set FLOWSEQ_CORPORA)"; exit 77; }
python3 -c 'import sacrebleu' 2>/dev/null || { echo "SKIP: the Python sacrebleu package is not installed"; exit 77; }
bin="${FLOWSEQ_BIN:?FLOWSEQ_BIN must name the flowseq binary}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 "$(dirname "$0")/perturb_hyps.py" "$ref" "$dir"
option_sets=(
  "-m bleu chrf"
  "-m bleu -lc"
  "-m bleu -tok none"
  "-m bleu -s floor"
  "-m bleu -s add-k -sv 2"
  "-m bleu -s none -w 3"
  "-m chrf -cw 2"
  "-m chrf --chrf-eps-smoothing -cw 2"
  "-m bleu -b -w 4"
)
failures=0 compared=0
compare() { # label, args...
  local label=$1; shift
  local want got
  want=$(cd "$dir" && sacrebleu "$@" -f text 2>/dev/null)
  got=$(cd "$dir" && "$bin" bleu "$@" -f text)
  compared=$((compared + 1))
  if [ "$want" != "$got" ]; then
    failures=$((failures + 1))
    echo "MISMATCH ($label): $*"
    diff <(echo "$want") <(echo "$got") | head -5
  fi
}
for hyp in "$dir"/hyp.*; do
  h=$(basename "$hyp")
  for opts in "${option_sets[@]}"; do
    # shellcheck disable=SC2086
    compare "$h" ref1 -i "$h" $opts
  done
  compare "$h two refs" ref1 ref2 -i "$h" -m bleu chrf
done
# sentence level on a slice (one score per line)
head -n 300 "$dir/hyp.mixed" > "$dir/hyp.sl"
head -n 300 "$dir/ref1" > "$dir/ref.sl"
compare "sentence level" ref.sl -i hyp.sl -sl
compare "sentence level chrF" ref.sl -i hyp.sl -sl -m chrf
echo "$((compared - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
