#!/usr/bin/env bash
# What translate and sample write beside the translations, checked with the bundled models:
# --n-best N gives N Moses lines per sentence whose totals fall down the list, and a Transformer's
# totals equal the log-probability per token that `flowseq score` computes by teacher forcing (an
# independent path through the model); --scores puts the 1-best's score before it; sample --rescore
# ranks by the teacher and its total is the teacher's feature; --batch-size changes batches, not
# translations; a truncated line is still reported under --quiet; a directory where a model file
# belongs is named as such; options a command does not take are refused.
source "$(dirname "$0")/lib.sh"
teacher="$src/models/ar-small-multi30k" student="$src/models/flowseq-small-multi30k"
[ -f "$teacher/model.safetensors" ] && [ -f "$student/model.safetensors" ] || { echo "SKIP: bundled models missing"; exit 77; }
cat >"$dir/in.de" <<'EOF'
Ein Mann fährt mit dem Fahrrad über eine Brücke.

Zwei Hunde spielen im Schnee.
Eine Frau in einem roten Kleid singt auf einer Bühne.
Kinder spielen Fußball auf einer Wiese.
EOF
# every list: ids in input order, n lines per non-empty sentence, totals not rising down a list
lists_ok() { # file n
  awk -F' [|][|][|] ' -v n="$2" '
    { if (NR == 1 || $1 != id) { if (NR > 1 && count != n) bad = 1; id = $1; count = 0; last = "" }
      count++; if (last != "" && $4 + 0 > last + 1e-4) bad = 1; last = $4; ids[$1] = 1 }
    END { if (count != n) bad = 1; exit bad || !(0 in ids) || !(2 in ids) || !(4 in ids) || (1 in ids) }' "$1"
}

# Transformer n-best: 3 a sentence, total = dec / (tokens + 1) (length penalty 1), as score says
"$bin" translate -m "$teacher" -i "$dir/in.de" --n-best 3 --quiet >"$dir/ar.nbest"
check "teacher --n-best 3: 3 lists of 3, totals falling" lists_ok "$dir/ar.nbest" 3
awk -F' [|][|][|] ' '{ print $1 }' "$dir/ar.nbest" | while read -r i; do sed -n "$((i + 1))p" "$dir/in.de"; done >"$dir/ar.src"
awk -F' [|][|][|] ' '{ print $2 }' "$dir/ar.nbest" >"$dir/ar.hyp"
"$bin" score -m "$teacher" -s "$dir/ar.src" -t "$dir/ar.hyp" --quiet >"$dir/ar.score"
same_scores() { # nbest, score output: the n-best's dec and total against score's columns
  paste -d'\t' <(awk -F' [|][|][|] ' '{ sub(/dec=/, "", $3); print $3 "\t" $4 }' "$1") "$2" |
    awk -F'\t' '{ if ((($1 - $3)^2 > 1e-6) || (($2 - $4)^2 > 1e-6)) { print "line " NR ": " $0; bad = 1 } } END { exit bad }'
}
check "teacher --n-best: dec and total equal flowseq score's log p and log p per token" same_scores "$dir/ar.nbest" "$dir/ar.score"

# --scores: SCORE<TAB>1-best, the score that --n-best 1 gives, an empty line an empty score
"$bin" translate -m "$teacher" -i "$dir/in.de" --quiet >"$dir/ar.best"
"$bin" translate -m "$teacher" -i "$dir/in.de" --scores --quiet >"$dir/ar.scored"
"$bin" translate -m "$teacher" -i "$dir/in.de" --n-best 1 --quiet >"$dir/ar.1best"
check "--scores: the translations are translate's" cmp -s <(cut -f2- "$dir/ar.scored") "$dir/ar.best"
check "--scores: an empty line gets an empty score" test "$(sed -n 2p "$dir/ar.scored")" = "$(printf '\t')"
check "--scores: the scores are --n-best 1's totals" cmp -s <(cut -f1 "$dir/ar.scored" | sed /^$/d) \
  <(awk -F' [|][|][|] ' '{ print $4 }' "$dir/ar.1best")

# FlowSeq npd n-best: the total is the ranking score, so it falls down each list
"$bin" translate -m "$student" -i "$dir/in.de" --decode npd --n-best 4 --quiet >"$dir/fs.nbest"
check "FlowSeq npd --n-best 4: lists of 4, totals falling" lists_ok "$dir/fs.nbest" 4
check "FlowSeq npd --n-best: the first of each list is npd's translation" cmp -s \
  <(awk -F' [|][|][|] ' '!($1 in seen) { seen[$1]; print $2 }' "$dir/fs.nbest") \
  <("$bin" translate -m "$student" -i "$dir/in.de" --decode npd --quiet | sed /^$/d)
# sample ranked by the teacher: the total is the teacher feature, and falls
"$bin" sample -m "$student" -i "$dir/in.de" -n 6 --rescore "$teacher" --quiet >"$dir/fs.rescored"
check "sample --rescore: lists of 6, totals falling" lists_ok "$dir/fs.rescored" 6
check "sample --rescore: each total is its teacher feature" awk -F' [|][|][|] ' \
  '{ n = split($3, f, " "); sub(/teacher=/, "", f[n]); if (f[n] != $4) bad = 1 } END { exit bad || NR == 0 }' "$dir/fs.rescored"

# --batch-size: one sentence a batch translates as the default batches do
for m in "$teacher" "$student"; do
  "$bin" translate -m "$m" -i "$dir/in.de" --quiet >"$dir/default"
  "$bin" translate -m "$m" -i "$dir/in.de" --batch-size 1 --quiet >"$dir/one"
  check "--batch-size 1 translates as the default batches ($(basename "$m"))" cmp -s "$dir/default" "$dir/one"
done

# warnings survive --quiet, progress does not
{ echo "Ein Hund."; for i in $(seq 150); do printf 'Haus '; done; echo; } >"$dir/long.de"
"$bin" translate -m "$teacher" -i "$dir/long.de" --quiet >/dev/null 2>"$dir/err"
check "--quiet: the truncated line is reported" grep -q "warning: line 2 has [0-9]* tokens: truncated" "$dir/err"
check "--quiet: nothing else is" test "$(wc -l <"$dir/err")" -eq 1
"$bin" translate -m "$teacher" -i "$dir/in.de" --quiet >/dev/null 2>"$dir/err"
check "--quiet: a clean input logs nothing" test ! -s "$dir/err"

# a directory where a model file belongs
for f in config.yaml model.safetensors spm.model; do
  mkdir -p "$dir/m.$f" && cp "$student"/* "$dir/m.$f"/ && rm "$dir/m.$f/$f" && mkdir "$dir/m.$f/$f"
  echo Hallo | "$bin" translate -m "$dir/m.$f" >/dev/null 2>"$dir/err"
  check "$f as a directory: exit status 1" test $? -eq 1
  check "$f as a directory: named as one" grep -q "$dir/m.$f/$f: a directory, where a file was expected" "$dir/err"
done

# options a command does not take
refused() { # message, command...
  local m=$1; shift
  "$bin" "$@" >/dev/null 2>"$dir/err"
  local rc=$?
  [ "$rc" -eq 2 ] && grep -q -- "$m" "$dir/err"
}
check "--scores with --n-best is refused" refused "--scores adds a score" translate -m "$teacher" --scores --n-best 2
check "sample takes no --scores" refused "unknown option --scores" sample -m "$teacher" --scores
check "distill takes no --n-best" refused "unknown option --n-best" distill -m "$teacher" --n-best 2
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
