#!/usr/bin/env bash
# Issue 22: translate streams. It reads a window of lines, decodes it and writes it before reading
# the next, so its peak memory (maximum RSS, /usr/bin/time -v) for 100,000 lines stays within
# 20 MB of its peak for 1,000 lines of the same kind; before the fix it read, encoded and held the
# whole input and every result first: 55 MB more for the 100,000 lines of this test.
#
# Decoding costs about a millisecond a line on one core whatever the line, so decoding 100,000
# lines would take minutes: one line in ten is a short sentence that is decoded, the other nine are
# 600 spaces, which SentencePiece reduces to nothing (translated as an empty line without
# decoding) but which must still be read and held like any text. The batch shape is the same in
# both runs (--max-tokens 256: a few dozen sentences, which the 100 sentences of the small run fill
# too), so the decoder's working memory is the same and only what the input holds differs.
source "$(dirname "$0")/lib.sh"
model="$src/models/flowseq-small-multi30k"
[ -f "$model/model.safetensors" ] || { echo "SKIP: no bundled model at $model"; exit 77; }
[ -x /usr/bin/time ] || { echo "SKIP: no /usr/bin/time (Debian package time)"; exit 77; }
sentence='Ein Hund läuft im Park.'
blank=$(printf '%600s' '')
lines() { # N: N lines, a sentence every tenth from the first, blanks between
  awk -v n="$1" -v s="$sentence" -v b="$blank" 'BEGIN { for (i = 0; i < n; i++) print (i % 10 ? b : s) }'
}
lines 1000 >"$dir/1k.de"
lines 100000 >"$dir/100k.de"

# peak_kb NAME: translates NAME.de into NAME.en; prints the maximum RSS in KB
peak_kb() {
  /usr/bin/time -v "$bin" translate -m "$model" -i "$dir/$1.de" -o "$dir/$1.en" --max-tokens 256 --quiet \
    2>"$dir/$1.time" || { echo "FAIL: translate of $1.de: $(grep -v '^\s' "$dir/$1.time" | tail -n 1)" >&2; return 1; }
  awk '/Maximum resident set size/ { print $NF }' "$dir/$1.time"
}
small=$(peak_kb 1k)
big=$(peak_kb 100k)
echo "maximum RSS: ${small} KB for 1,000 lines, ${big} KB for 100,000 lines"
check "both runs succeed" test -n "$small" -a -n "$big"
check "100,000 lines peak within 20 MB of 1,000 lines (${small:-?} KB vs ${big:-?} KB)" \
  test "${big:-999999999}" -le $((${small:-0} + 20 * 1024))

# the output: one line per input line, in input order
english=$(head -n 1 "$dir/1k.en")
check "the sentence is translated (\"$english\")" test -n "$english"
check "100,000 lines give 100,000 lines" test "$(wc -l <"$dir/100k.en")" -eq 100000
check "every tenth line is the sentence's translation, the others are empty, in input order" \
  awk -v e="$english" '{ want = (NR - 1) % 10 ? "" : e; if ($0 != want) { print "line " NR ": " $0; exit 1 } }' \
  "$dir/100k.en"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
