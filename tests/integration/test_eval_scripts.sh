#!/usr/bin/env bash
# eval/ scripts: usage text on bad calls; diversity.sh on a hand-made n-best whose numbers are
# known (identical samples give pairwise BLEU 100, and reference BLEU equals flowseq bleu of a
# sample); compare.sh runs the paired bootstrap; bleu.sh reports a missing model clearly;
# copy.sh counts kept digits, question marks and names on hand-made lines.
set -uo pipefail
bin="${FLOWSEQ_BIN:?FLOWSEQ_BIN must name the flowseq binary}"
src="${FLOWSEQ_SOURCE_DIR:?FLOWSEQ_SOURCE_DIR must name the source tree}"
export FLOWSEQ_BIN="$bin"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
passed=0 failed=0
check() { # description, command...
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
for script in bleu compare copy diversity errors; do
  "$src/eval/$script.sh" >"$dir/out" 2>&1
  check "$script.sh without arguments exits 2 with usage text" \
    bash -c "[ $? -eq 2 ] && grep -q '^usage: eval/$script.sh' '$dir/out'"
done

printf 'the cat sat on the mat today\nthere is a dog in the garden\n' >"$dir/ref"
# k = 2 identical samples per sentence
for id in 0 1; do
  line=$(sed -n "$((id + 1))p" "$dir/ref" | sed 's/the /a /')
  for _ in 1 2; do echo "$id ||| $line ||| len=-1.0 prior=-2.0 dec=-3.0 ||| -6.0"; done
done >"$dir/nbest"
"$src/eval/diversity.sh" "$dir/nbest" "$dir/ref" >"$dir/div" 2>&1
check "diversity: identical samples have pairwise BLEU 100" grep -q '^pairwise BLEU:  100.00$' "$dir/div"
awk -F' [|][|][|] ' 'NR % 2 { print $2 }' "$dir/nbest" >"$dir/sample"
want=$("$bin" bleu "$dir/ref" -i "$dir/sample" -b -w 2 -f text)
check "diversity: reference BLEU = flowseq bleu of a sample ($want)" grep -q "^reference BLEU: $want$" "$dir/div"
head -n 3 "$dir/nbest" >"$dir/uneven"
"$src/eval/diversity.sh" "$dir/uneven" "$dir/ref" >"$dir/out" 2>&1
check "diversity: uneven sample counts are an error" bash -c "[ $? -ne 0 ] && grep -q 'expected 2' '$dir/out'"

printf 'the cat sat on a mat today\nthere is one dog in a garden\n' >"$dir/sys2"
"$src/eval/compare.sh" "$dir/ref" "$dir/sample" "$dir/sys2" -- --paired-bs-n 200 >"$dir/cmp" 2>&1
check "compare.sh: paired bootstrap with p-values" bash -c "[ $? -eq 0 ] && grep -q 'p = ' '$dir/cmp' && grep -q 'bs:200' '$dir/cmp'"

# errors.sh on four lines whose counts are known: one repeated word ("the the", also across
# punctuation and case: "dog Dog."), one word outside the lexicon ("gardenn"), hypothesis lengths
# 7, 5, 5 and 2 against 7, 6, 5 and 3 reference words.
printf 'the the cat sat on a mat\nthere is a dog Dog.\nthere is one gardenn here\na b\n' >"$dir/hyp4"
printf 'the cat sat on a mat today\nthere is a dog in it\nthere is one garden here\na b c\n' >"$dir/ref4"
printf 'w w w\nw w w w w w w w w w\nw w w w w w w w w w w w w w w w\nw\n' >"$dir/src4"
"$src/eval/errors.sh" "$dir/hyp4" "$dir/ref4" --src "$dir/src4" --lexicon "$dir/ref4" >"$dir/err4" 2>&1
check "errors.sh: repeated words in 2 of 4 lines" grep -q '^repeated word (lines) *50.0 %$' "$dir/err4"
check "errors.sh: a word outside the lexicon, 1 of 19 words" grep -q "^broken words *25.0 % of lines, 5.26 % of words$" "$dir/err4"
check "errors.sh: the length ratio is 19/21 words" grep -q "^length ratio (words) *0.905$" "$dir/err4"
check "errors.sh: 2 of 4 lines shorter, none longer" grep -q '^lines vs reference *50.0 % shorter, 0.0 % longer$' "$dir/err4"
check "errors.sh: BLEU per source-length bucket (1-9: 2 lines, 10-14: 1, 15-19: 1)" \
  bash -c "grep -q '01-09 .*(2 lines)' '$dir/err4' && grep -q '10-14 .*(1 lines)' '$dir/err4' && grep -q '15-19 .*(1 lines)' '$dir/err4'"
sed -n 2p "$dir/hyp4" >"$dir/h2"; sed -n 2p "$dir/ref4" >"$dir/r2"; head -n 1 "$dir/hyp4" >"$dir/h1"
want=$("$bin" bleu "$dir/r2" -i "$dir/h2" -b -f text 2>/dev/null)
check "errors.sh: the 10-14 bucket's BLEU is flowseq bleu of its one line ($want)" grep -q "10-14 *$want " "$dir/err4"
"$src/eval/errors.sh" "$dir/hyp4" "$dir/h1" >"$dir/out" 2>&1
check "errors.sh: a reference of another length is an error" bash -c "[ $? -eq 1 ] && grep -q 'has 1 lines' '$dir/out'"

# copy.sh on six lines whose counts are known: digits all kept in line 1 of the 2 lines with
# digits (line 3 loses 93; 1.500,25 -> 1,500.25 keeps 1, 500, 25); "?" kept in line 6 of 2 (line 6
# ends in "?" and spaces); names kept: Berlin, Maria (as "Maria's"), Anna, not Paul; Tom and Bei
# are sentence-initial, Hans and Euro are not words of the reference.
printf 'Tom lebt seit 2019 in Berlin.\nSprichst du Französisch?\nNummer 93 und 1.500,25 Euro.\nIch sehe Maria und Hans.\nWo ist Anna? Bei Paul.\nIst das wahr ?  \n' >"$dir/csrc"
printf "Tom lives since 2019 in Berlin.\nYou speak French.\nnumber 533 and 1,500.25 euros.\nI see Maria's and John.\nWhere is Anna? With Pablo.\nIs that true?\n" >"$dir/chyp"
printf 'Tom has lived in Berlin since 2019.\nDo you speak French?\nNumber 93 and 1,500.25 euros.\nI see Maria and John.\nWhere is Anna? With Paul.\nIs that true?\n' >"$dir/cref"
"$src/eval/copy.sh" "$dir/chyp" "$dir/csrc" "$dir/cref" >"$dir/copy" 2>&1
check "copy.sh: digits kept in 1 of 2 lines" grep -q '^digits kept *50.0 % *(1 of 2 lines with digits)$' "$dir/copy"
check "copy.sh: \"?\" kept in 1 of 2 lines" grep -q '^"?" kept *50.0 % *(1 of 2 lines ending in "?")$' "$dir/copy"
check "copy.sh: 3 of 4 names kept" grep -q '^names kept *75.0 % *(3 of 4 name-like words)$' "$dir/copy"
gzip -c "$dir/csrc" >"$dir/csrc.gz"
"$src/eval/copy.sh" "$dir/csrc" "$dir/csrc.gz" >"$dir/copy" 2>&1
check "copy.sh: a source as its own translation keeps everything, no names without REF" \
  bash -c "grep -q '^digits kept *100.0 %' '$dir/copy' && grep -q '^\"?\" kept *100.0 %' '$dir/copy' && ! grep -q names '$dir/copy'"
head -n 2 "$dir/chyp" >"$dir/chyp2"
"$src/eval/copy.sh" "$dir/chyp2" "$dir/csrc" >"$dir/out" 2>&1
check "copy.sh: a source of another length is an error" bash -c "[ $? -eq 1 ] && grep -q 'has 6 lines' '$dir/out'"

"$src/eval/bleu.sh" "$dir/no-model" "$dir/ref" "$dir/ref" >"$dir/out" 2>&1
check "bleu.sh: a missing model directory fails with a message" bash -c "[ $? -ne 0 ] && [ -s '$dir/out' ]"
# issue 13: every script stops with a clear error when a step fails, and finds the binary as
# FLOWSEQ_BIN, else build/flowseq of its checkout, else flowseq on PATH. The copies under
# $dir/eval have no build/ next to them.
mkdir -p "$dir/eval" "$dir/path"
cp "$src"/eval/*.sh "$dir/eval/"
"$src/eval/diversity.sh" "$dir/nbest" "$dir/missing-ref" >"$dir/out" 2>&1
check "diversity.sh: a failing bleu step is an error, not a score" \
  bash -c "[ $? -ne 0 ] && grep -q 'flowseq bleu .* failed' '$dir/out' && ! grep -q 'BLEU:' '$dir/out'"
for call in "diversity.sh $dir/nbest $dir/ref" "compare.sh $dir/ref $dir/sample $dir/sys2" "bleu.sh $dir/no-model $dir/ref $dir/ref"; do
  env -u FLOWSEQ_BIN PATH="$dir/path:/usr/bin:/bin" bash $dir/eval/$call >"$dir/out" 2>&1
  check "eval/${call%% *} without a binary stops with a clear error" \
    bash -c "[ $? -eq 1 ] && grep -q 'not found: build first' '$dir/out' && ! grep -q 'BLEU' '$dir/out'"
done
ln -s "$bin" "$dir/path/flowseq"
env -u FLOWSEQ_BIN PATH="$dir/path:/usr/bin:/bin" bash "$dir/eval/diversity.sh" "$dir/nbest" "$dir/ref" >"$dir/out" 2>&1
check "diversity.sh finds flowseq on PATH" grep -q '^pairwise BLEU:  100.00$' "$dir/out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
