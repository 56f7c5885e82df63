#!/usr/bin/env bash
# Diversity of sampled translations, as the FlowSeq paper's analysis reports it (after Shen et
# al. 2019): with k samples per sentence,
#   pairwise BLEU  = mean over ordered pairs (i, j), i != j, of corpus BLEU(sample i, ref = sample j)
#                    (lower = more diverse)
#   reference BLEU = mean over i of corpus BLEU(sample i, ref = REF)   (higher = more faithful)
#   eval/diversity.sh NBEST REF
# NBEST is Moses n-best ("id ||| text ||| features ||| total", as `flowseq sample` writes) with
# the same number k >= 2 of samples for every sentence id 0..n-1.
set -euo pipefail
if [ $# -ne 2 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: eval/diversity.sh NBEST REF" >&2
  exit 2
fi
# the flowseq binary: $FLOWSEQ_BIN, else build/flowseq of this checkout, else flowseq on PATH
bin="${FLOWSEQ_BIN:-$(dirname "$0")/../build/flowseq}"
if [ -z "${FLOWSEQ_BIN:-}" ] && [ ! -x "$bin" ] && command -v flowseq >/dev/null; then bin=$(command -v flowseq); fi
[ -x "$bin" ] || { echo "eval/diversity.sh: $bin not found: build first (scripts/build.sh), put flowseq on PATH or set FLOWSEQ_BIN" >&2; exit 1; }
nbest=$1 ref=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# sample j of every sentence into $tmp/sample.j, checking ids and counts
awk -F' [|][|][|] ' -v dir="$tmp" '
  { id = $1 + 0; if (!(id in seen)) { order[n++] = id }; k_of[id]++; seen[id] = 1
    print $2 > (dir "/sample." (k_of[id] - 1)) }
  END { k = k_of[order[0]]
        for (i = 0; i < n; i++) if (k_of[order[i]] != k || order[i] != i) {
          print "diversity: sentence " order[i] " has " k_of[order[i]] " samples, expected " k " (ids must run 0..n-1)" > "/dev/stderr"; exit 1 }
        print k > (dir "/k") }' "$nbest"
k=$(cat "$tmp/k")
[ "$k" -ge 2 ] || { echo "diversity: need at least 2 samples per sentence, found $k" >&2; exit 1; }
# BLEU of system $3 against reference $2, appended to $tmp/scores as "$1 SCORE" ($1: ref or pair). A failure
# stops the script: a score missing from the means would make them wrong, not just absent.
score() {
  local bleu
  bleu=$("$bin" bleu "$2" -i "$3" -b -w 4 -f text) || { echo "eval/diversity.sh: flowseq bleu $2 -i $3 failed" >&2; exit 1; }
  echo "$1 $bleu" >>"$tmp/scores"
}
for ((i = 0; i < k; i++)); do
  score ref "$ref" "$tmp/sample.$i"
  for ((j = 0; j < k; j++)); do
    [ $i -eq $j ] || score pair "$tmp/sample.$j" "$tmp/sample.$i"
  done
done
awk -v k="$k" '$1 == "ref" { r += $2 } $1 == "pair" { p += $2 }
  END { printf "samples per sentence: %d\npairwise BLEU:  %.2f\nreference BLEU: %.2f\n", k, p / (k * (k - 1)), r / k }' "$tmp/scores"
