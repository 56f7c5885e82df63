#!/usr/bin/env bash
# What a translation should copy from its source, and how often it does:
#   eval/copy.sh HYP SRC [REF]
#
#   digits kept     of the source lines with a digit, the share whose every digit string (a
#                   maximal run of 0-9: "1.500,25" has 1, 500 and 25) is a digit string of the
#                   translation too; number formats may differ ("1.500" -> "1,500"), spelled-out
#                   numbers count as lost;
#   "?" kept        of the source lines ending in "?" (trailing spaces aside), the share whose
#                   translation ends in "?" too;
#   names kept      with REF: of the name-like source words, the share the translation contains
#                   as a word. Name-like: capitalized (A-Z, Ä, Ö, Ü), not the first word of the
#                   line nor after a word ending in . ! ? or :, and a word of the reference, so
#                   that German nouns ("Hund" -> "dog") drop out and names ("Tom", "Berlin")
#                   stay. Words are whitespace-separated with the punctuation around them
#                   removed; a translation word also counts without an "'s" ("Tom's").
# Files may be gzipped; HYP, SRC and REF have a line each per sentence.
set -euo pipefail
usage() {
  echo "usage: eval/copy.sh HYP SRC [REF]" >&2
  echo "  prints the shares of source digits, final question marks and (with REF) names the translation keeps" >&2
  exit 2
}
case "${1:-}" in -h | --help | "") usage ;; esac
[ $# -ge 2 ] && [ $# -le 3 ] || usage
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=""
for side in hyp src ref; do
  f=${1:-}
  shift || true
  [ -n "$f" ] || { : >"$tmp/$side"; continue; }
  case "$f" in *.gz) gzip -dc "$f" ;; *) cat "$f" ;; esac >"$tmp/$side" 2>/dev/null || { echo "eval/copy.sh: cannot read $f" >&2; exit 1; }
  lines=$(wc -l <"$tmp/$side")
  [ -z "$n" ] || [ "$lines" -eq "$n" ] || { echo "eval/copy.sh: $f has $lines lines, the hypotheses $n" >&2; exit 1; }
  n=$lines
done
[ "$n" -gt 0 ] || { echo "eval/copy.sh: the hypothesis file is empty" >&2; exit 1; }

# One awk pass over the hypotheses (file 1), the references (file 2, empty without REF) and the
# sources (file 3), which are scored line by line against the first two. awk works on bytes here:
# a byte of 0x80 and above counts as part of a word, and the typographic quotes are removed by
# name.
awk -v has_ref="$( [ -s "$tmp/ref" ] && echo 1 || echo 0)" '
  function bare(w) {
    gsub(/^([[:punct:]]|„|“|”|‚|‘|’|«|»)+|([[:punct:]]|„|“|”|‚|‘|’|«|»)+$/, "", w)
    return w
  }
  function words(line, set,   n, i, t, w) {
    split("", set); n = split(line, t, /[ \t]+/)
    for (i = 1; i <= n; i++) { w = bare(t[i]); if (w != "") { set[w] = 1; sub(/(\047|’)s$/, "", w); set[w] = 1 } }
  }
  function digit_strings(line, set,   d) {
    split("", set)
    while (match(line, /[0-9]+/)) { set[substr(line, RSTART, RLENGTH)] = 1; line = substr(line, RSTART + RLENGTH) }
  }
  function ends_in_question(line) { sub(/[ \t]+$/, "", line); return line ~ /\?$/ }
  FILENAME == ARGV[1] { hyp[FNR] = $0; next }
  FILENAME == ARGV[2] { ref[FNR] = $0; next }
  {
    h = hyp[FNR]
    digit_strings($0, want); digit_strings(h, got)
    if (length(want)) { digit_lines++; all = 1; for (d in want) if (!(d in got)) all = 0; digit_kept += all }
    if (ends_in_question($0)) { questions++; question_kept += ends_in_question(h) }
    if (!has_ref) next
    words(h, hyp_words); words(ref[FNR], ref_words)
    n = split($0, t, /[ \t]+/); initial = 1
    for (i = 1; i <= n; i++) {
      w = bare(t[i])
      if (!initial && w ~ /^([A-Z]|Ä|Ö|Ü)/ && (w in ref_words)) { names++; name_kept += (w in hyp_words) }
      if (t[i] != "") initial = t[i] ~ /[.!?:]([[:punct:]]|“|”|«|»)*$/
    }
  }
  function share(k, of) { return of ? sprintf("%.1f %%", 100 * k / of) : "-" }
  END {
    printf "%-20s %d\n", "lines", FNR
    printf "%-20s %-8s (%d of %d lines with digits)\n", "digits kept", share(digit_kept, digit_lines), digit_kept, digit_lines
    printf "%-20s %-8s (%d of %d lines ending in \"?\")\n", "\"?\" kept", share(question_kept, questions), question_kept, questions
    if (has_ref) printf "%-20s %-8s (%d of %d name-like words)\n", "names kept", share(name_kept, names), name_kept, names
  }' "$tmp/hyp" "$tmp/ref" "$tmp/src"
