#!/usr/bin/env bash
# flowseq bleu against the Python sacreBLEU package on newstest2013 with perturbed hypotheses:
# the output (text for BLEU, chrF, chrF++ with several option sets, corpus and sentence level;
# JSON for single systems, several systems and systems on standard input) must be identical to
# the last printed digit.
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
# further option sets, run on the hypotheses where they matter most
extra_sets=(
  "-m bleu chrf -f json"
  "-m bleu chrf -b -f json"
  "-m bleu chrf -sh"
  "-m bleu -lc -s floor -sv 0.05"
  "-m chrf --chrf-lowercase --chrf-whitespace -cw 1 -cc 4 --chrf-beta 3"
)
failures=0 compared=0
compare() { # label, args... (text output unless the args choose a format)
  local label=$1; shift
  local want got format=(-f text)
  [[ " $* " == *" -f "* ]] && format=()
  want=$(cd "$dir" && sacrebleu "$@" "${format[@]}" 2>/dev/null) || want="sacrebleu failed ($?)"
  got=$(cd "$dir" && "$bin" bleu "$@" "${format[@]}") || got="flowseq failed ($?)"
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
for h in hyp.mixed hyp.unicode hyp.empty; do
  for opts in "${extra_sets[@]}"; do
    # shellcheck disable=SC2086
    compare "$h" ref1 -i "$h" $opts
  done
done
compare "several systems" ref1 -i hyp.drop hyp.unicode hyp.case -m bleu chrf -f json
compare "several systems, two refs" ref1 ref2 -i hyp.drop hyp.mixed -w 2 -f json
paste "$dir/hyp.drop" "$dir/hyp.case" >"$dir/hyp.columns"
compare_stdin() { # input, args...: systems as TAB-separated columns of input on standard input
  local label="stdin $1" input=$1; shift
  local want got
  want=$(cd "$dir" && sacrebleu "$@" <"$input" 2>/dev/null) || want="sacrebleu failed ($?)"
  got=$(cd "$dir" && "$bin" bleu "$@" <"$input") || got="flowseq failed ($?)"
  compared=$((compared + 1))
  [ "$want" = "$got" ] || { failures=$((failures + 1)); echo "MISMATCH ($label)"; diff <(echo "$want") <(echo "$got") | head -5; }
}
compare_stdin hyp.columns ref1 -m bleu chrf -f json
compare_stdin hyp.drop ref1 -m bleu chrf -f text
# sentence level on a slice (one score per line)
head -n 300 "$dir/hyp.mixed" > "$dir/hyp.sl"
head -n 300 "$dir/ref1" > "$dir/ref.sl"
compare "sentence level" ref.sl -i hyp.sl -sl
compare "sentence level chrF" ref.sl -i hyp.sl -sl -m chrf
head -n 300 "$dir/hyp.unicode" > "$dir/hyp.slu"
compare "sentence level, lowercased" ref.sl -i hyp.slu -sl -lc -w 3
echo "$((compared - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
