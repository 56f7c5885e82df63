#!/usr/bin/env bash
# Issue 22, "nothing lost": a write that fails is an error, whatever the command and wherever it
# writes. Writing to /dev/full (every write fails with ENOSPC, as on a full disk), translate,
# sample, score, bleu, info, --version and --help on standard output, and translate, sample, prep,
# vocab and distill into a file, exit non-zero with a message naming the output ("stdout" or the
# file) and the cause, "No space left on device". translate stops at the first failed write rather
# than at the end: the run never reads the second window of its input. Before the fix the
# standard-output runs exited 0, and translate -o and prep did not say why.
source "$(dirname "$0")/lib.sh"
model="$src/models/flowseq-small-multi30k"
[ -f "$model/model.safetensors" ] || { echo "SKIP: no bundled model at $model"; exit 77; }
[ -w /dev/full ] && ! (echo x >/dev/full) 2>/dev/null || { echo "SKIP: no /dev/full to write to"; exit 77; }
printf 'Ein Hund läuft durch den Schnee.\nZwei Katzen schlafen.\nEine Frau liest ein Buch.\n' >"$dir/x.de"
printf 'A dog runs through the snow.\nTwo cats sleep.\nA woman reads a book.\n' >"$dir/x.en"

# fails WHAT NAME COMMAND...: COMMAND must exit non-zero with "NAME: ... No space left on device"
fails() {
  local what=$1 name=$2
  shift 2
  "$@" 2>"$dir/err" </dev/null
  local rc=$?
  check "$what: exits non-zero" test $rc -ne 0
  check "$what: says '$name: ... No space left on device' ($(tail -n 1 "$dir/err"))" \
    grep -q "$name: .*No space left on device" "$dir/err"
}
# on standard output: the command's stdout is /dev/full
on_stdout() { "$@" >/dev/full; }

m="$model"
fails "translate > /dev/full" stdout on_stdout "$bin" translate -m "$m" -i "$dir/x.de" --quiet
fails "translate -o /dev/full" /dev/full "$bin" translate -m "$m" -i "$dir/x.de" -o /dev/full --quiet
fails "sample > /dev/full" stdout on_stdout "$bin" sample -m "$m" -n 2 -i "$dir/x.de" --quiet
fails "sample -o /dev/full" /dev/full "$bin" sample -m "$m" -n 2 -i "$dir/x.de" -o /dev/full --quiet
fails "score > /dev/full" stdout on_stdout "$bin" score -m "$m" -s "$dir/x.de" -t "$dir/x.en" --quiet
fails "bleu > /dev/full" stdout on_stdout "$bin" bleu "$dir/x.en" -i "$dir/x.en"
fails "bleu -f text --paired-bs > /dev/full" stdout on_stdout \
  "$bin" bleu "$dir/x.en" -i "$dir/x.en" "$dir/x.de" -f text --paired-bs --paired-bs-n 10
fails "info > /dev/full" stdout on_stdout "$bin" info
fails "--version > /dev/full" stdout on_stdout "$bin" --version
fails "translate --help > /dev/full" stdout on_stdout "$bin" translate --help
fails "prep -o /dev/full" /dev/full \
  "$bin" prep --spm "$m/spm.model" --src "$dir/x.de" --tgt "$dir/x.en" -o /dev/full --quiet
for i in $(seq 20); do cat "$dir/x.de" "$dir/x.en"; done >"$dir/text"
fails "vocab -o /dev/full" /dev/full "$bin" vocab -i "$dir/text" --vocab-size 100 -o /dev/full
# distill writes OUT.partial beside OUT (never /dev/full.partial): make that the full device
ln -s /dev/full "$dir/d.en.partial"
fails "distill (OUT.partial on a full device)" "$dir/d.en.partial" \
  "$bin" distill -m "$m" -i "$dir/x.de" -o "$dir/d.en" --quiet
check "distill leaves no OUT" test ! -e "$dir/d.en"
rm -f "$dir/d.en.partial" "$dir/d.en.partial.progress"
# OUT is replaced by renaming OUT.partial over it: a device (as root: /dev/full itself) or a FIFO
# must be refused instead (a FIFO here, harmless to an unfixed binary)
mkfifo "$dir/fifo"
"$bin" distill -m "$m" -i "$dir/x.de" -o "$dir/fifo" --quiet 2>"$dir/err"
check "distill -o FIFO is refused and the FIFO stays ($(tail -n 1 "$dir/err"))" \
  bash -c 'grep -q "fifo: not a regular file" "$1" && test -p "$2" && test ! -e "$2.partial"' - "$dir/err" "$dir/fifo"

# Stopping at once: 5000 short lines, then one longer than the model's positions. translate
# decodes a window of 4096 lines first; its output fills the stdio buffer many times over, so a
# failing output stops the run before the second window, whose over-long line would be noted in
# the log, is read.
long=$(for i in $(seq 100); do printf 'Ein Mann spielt. '; done)
{ yes 'Ein Hund.' | head -n 5000; echo "$long"; } >"$dir/many.de"
"$bin" translate -m "$m" -i "$dir/many.de" -o "$dir/many.en" 2>"$dir/err"
check "translate of 5001 lines to a file works and notes line 5001" \
  bash -c 'test "$(wc -l <"$1")" -eq 5001 && grep -q "line 5001 has" "$2"' - "$dir/many.en" "$dir/err"
"$bin" translate -m "$m" -i "$dir/many.de" -o /dev/full 2>"$dir/err"
rc=$?
check "translate -o /dev/full of 5001 lines fails (rc $rc)" test $rc -ne 0
check "... with the cause ($(tail -n 1 "$dir/err"))" grep -q "/dev/full: write failed: No space left on device" "$dir/err"
check "... at the first failed write: line 5001 is never read" bash -c '! grep -q "line 5001 has" "$1"' - "$dir/err"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
