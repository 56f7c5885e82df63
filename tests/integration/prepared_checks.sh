# Checks of a directory written by scripts/prepare-de-en.sh, shared by test_prepare_de_en.sh and
# test_prepare_de_en_corpora.sh (sourced after lib.sh; each function is one or more check calls):
#   prepared_counts_add_up DIR      every corpus's lines read equal the sum of its fates, the
#                                   total row sums the rows, and the files have the counted lines
#   prepared_held_out_apart DIR     no held-out German side, case-folded, is a training German
#                                   side, and validation and test share none
#   prepared_digits_kept DIR        every training pair's English side has each digit run of
#                                   its German side
#   prepared_same_bytes DIR1 DIR2   two runs wrote the same files

# exits 0 when every row's fates (the columns from "empty" to "train") add up to its lines read
# and the total row is the column sums
counts_consistent() {
  awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "train") train = i; next }
    $1 == "total" { for (i = 2; i <= NF; i++) if ($i != sum[i]) bad = 1; seen_total = 1; next }
    { fates = 0; for (i = 3; i <= train; i++) fates += $i; if (fates != $2) bad = 1
      for (i = 2; i <= NF; i++) sum[i] += $i }
    END { exit bad || !seen_total }' "$1/counts.tsv"
}
# the total of COLUMN in counts.tsv (train: with the number copies) equals the lines of FILE
column_is_lines() { # dir, column, file
  local want
  want=$(awk -F'\t' -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == col) c = i; if ($i == "number-copies") copies = i } }
    $1 == "total" { print $c + (col == "train" ? $copies : 0) }' "$1/counts.tsv")
  [ -n "$want" ] && [ "$want" -eq "$(wc -l <"$1/$3")" ]
}
prepared_counts_add_up() {
  check "counts.tsv: each corpus's lines read are the sum of its fates, the total sums the rows" counts_consistent "$1"
  local split side
  for split in train valid test; do
    for side in de en; do check "$split.$side has the counted lines" column_is_lines "$1" "$split" "$split.$side"; done
  done
}
# exits 0 when no line of FILES... (case-folded) is a line of FILE0
none_shared() { # file0, files...
  python3 -c 'import sys
key = lambda p: {l.rstrip("\n").casefold() for l in open(p, encoding="utf-8")}
first = key(sys.argv[1])
sys.exit(any(first & key(p) for p in sys.argv[2:]))' "$@"
}
prepared_held_out_apart() {
  check "no held-out German side (case-folded) is a training German side" none_shared "$1/train.de" "$1/valid.de" "$1/test.de"
  check "validation and test share no German side (case-folded)" none_shared "$1/valid.de" "$1/test.de"
}
# exits 0 when each maximal digit run of a line of DE is a digit run of the same line of EN
digit_runs_kept() { # de, en
  paste -d '\n' "$1" "$2" | awk '
    function runs(line, into) { split("", into)
      while (match(line, /[0-9]+/)) { into[substr(line, RSTART, RLENGTH)] = 1; line = substr(line, RSTART + RLENGTH) } }
    NR % 2 == 1 { runs($0, de); next }
    { runs($0, en); for (r in de) if (!(r in en)) { print "digits lost: line " NR / 2 ": " r; bad = 1 } }
    END { exit bad }'
}
prepared_digits_kept() {
  check "every training pair keeps its German digit runs in English" digit_runs_kept "$1/train.de" "$1/train.en"
}
prepared_same_bytes() {
  local f
  for f in train.de train.en valid.de valid.en test.de test.en counts.tsv; do
    check "two runs write the same $f" cmp -s "$1/$f" "$2/$f"
  done
}
