#!/usr/bin/env bash
# Issue 22, "nothing lost": no command writes over one of its own inputs. For every command that
# writes a file (translate, sample, distill, prep, vocab), -o naming an input - by its own path,
# through a symlink, through a hard link - and for the commands that write to standard output
# (translate, score, bleu), standard output appended (>>) to an input, are refused before any
# work: "... is the same file as the input ...", exit 1, and the input keeps every byte. Before
# the fix each of these runs exited 0 with the input replaced by the output.
source "$(dirname "$0")/lib.sh"
model="$src/models/flowseq-small-multi30k"
[ -f "$model/model.safetensors" ] || { echo "SKIP: no bundled model at $model"; exit 77; }
printf 'Ein Hund läuft durch den Schnee.\nZwei Katzen schlafen.\nEine Frau liest ein Buch.\n' >"$dir/x.de"
printf 'A dog runs through the snow.\nTwo cats sleep.\nA woman reads a book.\n' >"$dir/x.en"
cp "$dir/x.en" "$dir/ref.en"
cp "$dir/x.en" "$dir/hyp.en"
# a model directory of our own: a run of an unfixed binary must not write over the bundled one
mkdir "$dir/m"
cp "$model/config.yaml" "$model/model.safetensors" "$model/spm.model" "$dir/m/"
m="$dir/m"

# names NAME FILE: NAME.link, a symlink to FILE, and NAME.hard, a hard link of it
names() {
  ln -s "$2" "$dir/$1.link"
  ln "$2" "$dir/$1.hard"
}
names de "$dir/x.de"
names en "$dir/x.en"

# refused WHAT KEEP STDOUT COMMAND...: COMMAND run with standard output appended to STDOUT must
# exit 1 saying that its output is an input, and leave KEEP (an input) as it was, with no
# temporary file beside it
refused() {
  local what=$1 keep=$2 out=$3
  shift 3
  cp "$keep" "$dir/before"
  "$@" >>"$out" 2>"$dir/err" </dev/null
  local rc=$?
  check "$what: exit 1 (rc $rc: $(tail -n 1 "$dir/err"))" test $rc -eq 1
  check "$what: the message says the output is an input" grep -q "is the same file as the input" "$dir/err"
  check "$what: $(basename "$keep") is unchanged" cmp -s "$keep" "$dir/before"
  check "$what: no temporary file is left" test -z "$(ls "$dir" "$dir/m" | grep -e '\.tmp-' -e '\.progress$')"
  cp "$dir/before" "$keep" # the next case starts from the original again
}

for o in x.de de.link de.hard; do
  refused "translate -o $o" "$dir/x.de" "$dir/stdout" "$bin" translate -m "$m" -i "$dir/x.de" -o "$dir/$o"
  refused "translate >> $o" "$dir/x.de" "$dir/$o" "$bin" translate -m "$m" -i "$dir/x.de"
  refused "sample -o $o" "$dir/x.de" "$dir/stdout" "$bin" sample -m "$m" -n 2 -i "$dir/x.de" -o "$dir/$o"
  refused "distill -o $o" "$dir/x.de" "$dir/stdout" "$bin" distill -m "$m" -i "$dir/x.de" -o "$dir/$o"
  refused "prep -o $o (--src)" "$dir/x.de" "$dir/stdout" \
    "$bin" prep --spm "$m/spm.model" --src "$dir/x.de" --tgt "$dir/x.en" -o "$dir/$o"
  refused "score >> $o (-s)" "$dir/x.de" "$dir/$o" "$bin" score -m "$m" -s "$dir/x.de" -t "$dir/x.en"
done
for o in x.en en.link en.hard; do
  refused "prep -o $o (--tgt)" "$dir/x.en" "$dir/stdout" \
    "$bin" prep --spm "$m/spm.model" --src "$dir/x.de" --tgt "$dir/x.en" -o "$dir/$o"
  refused "score >> $o (-t)" "$dir/x.en" "$dir/$o" "$bin" score -m "$m" -s "$dir/x.de" -t "$dir/x.en"
  refused "bleu >> $o (a system)" "$dir/x.en" "$dir/$o" "$bin" bleu "$dir/ref.en" -i "$dir/x.en"
  refused "bleu >> $o (the reference)" "$dir/x.en" "$dir/$o" "$bin" bleu "$dir/x.en" -i "$dir/hyp.en"
  refused "vocab -o $o (the second -i)" "$dir/x.en" "$dir/stdout" \
    "$bin" vocab -i "$dir/x.de" -i "$dir/x.en" --vocab-size 100 -o "$dir/$o"
done
# standard input is an input too; a model's files and a tokenizer are inputs; distill's
# OUT.partial must not be its input
refused "translate -o x.de < x.de" "$dir/x.de" "$dir/stdout" bash -c '"$1" translate -m "$2" -o "$3" <"$3"' - \
  "$bin" "$m" "$dir/x.de"
refused "bleu < x.en >> x.en" "$dir/x.en" "$dir/x.en" bash -c '"$1" bleu "$2" <"$2"' - "$bin" "$dir/x.en"
refused "translate -o MODEL/spm.model" "$m/spm.model" "$dir/stdout" \
  "$bin" translate -m "$m" -i "$dir/x.de" -o "$m/spm.model"
refused "prep -o --spm" "$m/spm.model" "$dir/stdout" \
  "$bin" prep --spm "$m/spm.model" --src "$dir/x.de" --tgt "$dir/x.en" -o "$m/spm.model"
cp "$dir/x.de" "$dir/y.partial"
refused "distill -i y.partial -o y" "$dir/y.partial" "$dir/stdout" \
  "$bin" distill -m "$m" -i "$dir/y.partial" -o "$dir/y"
rm -f "$dir/y.partial"

# what is not an input is still written
"$bin" translate -m "$m" -i "$dir/de.link" -o "$dir/out.en" --quiet 2>"$dir/err"
check "translate -i LINK -o another file works ($(tail -n 1 "$dir/err"))" test "$(wc -l <"$dir/out.en")" -eq 3
"$bin" translate -m "$m" --quiet <"$dir/x.de" >>"$dir/appended.en" 2>"$dir/err"
check "translate < x.de >> another file works ($(tail -n 1 "$dir/err"))" test "$(wc -l <"$dir/appended.en")" -eq 3
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
