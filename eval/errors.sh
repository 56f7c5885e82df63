#!/usr/bin/env bash
# The typical errors of a translation output, as a table: what parallel decoding gets wrong that
# BLEU alone hides.
#   eval/errors.sh HYP [REF] [--src SRC] [--lexicon TEXT]...
#
#   repeated word   share of lines with a word repeated next to itself ("the the dog"), words
#                   compared case-folded with surrounding punctuation removed;
#   broken words    with --lexicon (any number of texts, typically the training targets):
#                   share of lines, and of words, with a word that no lexicon text contains,
#                   such as "runningcross" or "sunnyny", where subword pieces glued onto a word
#                   they do not belong to;
#   length          with REF: total hypothesis words over total reference words, the mean
#                   absolute relative length error per line, and the shares of lines that are
#                   shorter or longer than their reference;
#   BLEU by length  with REF and --src: corpus BLEU of the lines whose source has 1-9, 10-14,
#                   15-19, 20-29 and 30 or more words (sacreBLEU-exact, `flowseq bleu`).
# Files may be gzipped. Words are whitespace-separated.
set -euo pipefail
usage() {
  echo "usage: eval/errors.sh HYP [REF] [--src SRC] [--lexicon TEXT]..." >&2
  echo "  prints repeated-word and broken-word shares, length error against REF and BLEU by source length" >&2
  exit 2
}
hyp="" ref="" src="" lexicons=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage ;;
    --src) [ $# -ge 2 ] || usage; src=$2; shift 2 ;;
    --lexicon) [ $# -ge 2 ] || usage; lexicons+=("$2"); shift 2 ;;
    -*) echo "eval/errors.sh: unknown option $1" >&2; usage ;;
    *) if [ -z "$hyp" ]; then hyp=$1; elif [ -z "$ref" ]; then ref=$1; else usage; fi; shift ;;
  esac
done
[ -n "$hyp" ] || usage
[ -z "$src" ] || [ -n "$ref" ] || { echo "eval/errors.sh: --src needs REF (BLEU by source length)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat_any() { # FILE -> stdout, failing with the file's name
  case "$1" in *.gz) gzip -dc "$1" ;; *) cat "$1" ;; esac 2>/dev/null || { echo "eval/errors.sh: cannot read $1" >&2; exit 1; }
}
cat_any "$hyp" >"$tmp/hyp"
n=$(wc -l <"$tmp/hyp")
# the reference and source, decompressed beside the hypotheses, with as many lines
for side in ref src; do
  f=${!side}
  [ -n "$f" ] || continue
  cat_any "$f" >"$tmp/$side"
  [ "$(wc -l <"$tmp/$side")" -eq "$n" ] || { echo "eval/errors.sh: $f has $(wc -l <"$tmp/$side") lines, $hyp has $n" >&2; exit 1; }
done
lexicon_file=/dev/null
if [ ${#lexicons[@]} -gt 0 ]; then
  for f in "${lexicons[@]}"; do cat_any "$f"; done >"$tmp/lexicon"
  lexicon_file=$tmp/lexicon
fi
printf '%-28s %d\n' lines "$n"

# One awk pass: the lexicon's words first (file 1), then the hypotheses (file 2), then the
# references (file 3, /dev/null without REF). A word's key is its case-folded form without the
# punctuation around it; a word that is punctuation only has no key.
key_of='function key(w) { w = tolower(w); gsub(/^[[:punct:]]+|[[:punct:]]+$/, "", w); return w }'
awk -v has_lexicon="${#lexicons[@]}" -v has_ref="${ref:+1}" "$key_of"'
  FILENAME == ARGV[1] { for (i = 1; i <= NF; i++) { k = key($i); if (k != "") known[k] = 1 }; next }
  FILENAME == ARGV[2] {
    hyp_words[FNR] = NF; prev = ""; rep = 0; bad = 0
    for (i = 1; i <= NF; i++) {
      k = key($i)
      if (k != "" && k == prev) rep = 1
      prev = k
      if (has_lexicon && k != "" && !(k in known)) { bad++; bad_examples[k] = 1 }
    }
    repeated += rep; broken_lines += bad > 0; broken_words += bad; words += NF
    next
  }
  { ref_words[FNR] = NF }
  END {
    n = FNR_hyp = length(hyp_words)
    if (n == 0) { print "eval/errors.sh: the hypothesis file is empty" > "/dev/stderr"; exit 1 }
    printf "%-28s %.1f %%\n", "repeated word (lines)", 100 * repeated / n
    if (has_lexicon) {
      printf "%-28s %.1f %% of lines, %.2f %% of words\n", "broken words", 100 * broken_lines / n, words ? 100 * broken_words / words : 0
      shown = 0
      for (k in bad_examples) { if (shown < 8) list = list (shown ? ", " : "") k; shown++ }
      if (shown) printf "%-28s %s%s\n", "  e.g.", list, (shown > 8 ? ", ..." : "")
    }
    if (has_ref) {
      hyp_total = ref_total = err = shorter = longer = 0
      for (i = 1; i <= n; i++) {
        h = hyp_words[i]; r = ref_words[i]; hyp_total += h; ref_total += r
        err += (h > r ? h - r : r - h) / (r > 0 ? r : 1)
        shorter += h < r; longer += h > r
      }
      printf "%-28s %.3f\n", "length ratio (words)", ref_total ? hyp_total / ref_total : 0
      printf "%-28s %.1f %%\n", "length error per line", 100 * err / n
      printf "%-28s %.1f %% shorter, %.1f %% longer\n", "lines vs reference", 100 * shorter / n, 100 * longer / n
    }
  }' "$lexicon_file" "$tmp/hyp" "$( [ -n "$ref" ] && echo "$tmp/ref" || echo /dev/null)"

[ -n "$src" ] || exit 0
# the flowseq binary: $FLOWSEQ_BIN, else build/flowseq of this checkout, else flowseq on PATH
bin="${FLOWSEQ_BIN:-$(dirname "$0")/../build/flowseq}"
if [ -z "${FLOWSEQ_BIN:-}" ] && [ ! -x "$bin" ] && command -v flowseq >/dev/null; then bin=$(command -v flowseq); fi
[ -x "$bin" ] || { echo "eval/errors.sh: $bin not found: build first (scripts/build.sh), put flowseq on PATH or set FLOWSEQ_BIN" >&2; exit 1; }
# bucket of each line by its source's word count, as hyp.B / ref.B pairs
paste -d '\t' "$tmp/src" "$tmp/hyp" "$tmp/ref" | awk -F'\t' -v dir="$tmp" '{
  n = split($1, w, " "); b = n < 10 ? "01-09" : n < 15 ? "10-14" : n < 20 ? "15-19" : n < 30 ? "20-29" : "30+"
  print $2 > (dir "/hyp." b); print $3 > (dir "/ref." b) }'
echo "BLEU by source length (words):"
for bucket in 01-09 10-14 15-19 20-29 30+; do
  [ -f "$tmp/hyp.$bucket" ] || continue
  bleu=$("$bin" bleu "$tmp/ref.$bucket" -i "$tmp/hyp.$bucket" -b -f text) || { echo "eval/errors.sh: flowseq bleu failed on the $bucket bucket" >&2; exit 1; }
  printf '  %-26s %6s   (%d lines)\n' "$bucket" "$bleu" "$(wc -l <"$tmp/hyp.$bucket")"
done
