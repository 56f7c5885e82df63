#!/usr/bin/env bash
# translate with the bundled model (position table of 128) and the default --max-length (250):
# one line longer than the table is truncated with a warning, and every line is still translated
# (issue 13: the whole run failed with no output).
source "$(dirname "$0")/lib.sh"
model="$src/models/flowseq-small-multi30k"
[ -f "$model/model.safetensors" ] || { echo "SKIP: no bundled model at $model"; exit 77; }
long=$(for i in $(seq 100); do printf 'Ein Mann spielt. '; done)
printf 'Ein Hund läuft.\n%s\nZwei Katzen schlafen.\n' "$long" >"$dir/in.de"
"$bin" translate -m "$model" -i "$dir/in.de" -o "$dir/out.en" 2>"$dir/err"
rc=$?
check "translate succeeds with a line longer than the position table (rc $rc: $(tail -n 1 "$dir/err"))" test $rc -eq 0
check "every line is translated" test "$(cat "$dir/out.en" 2>/dev/null | wc -l)" -eq 3
check "the long line is truncated with a warning" grep -q "line 2 has .* tokens: truncated to 127 (the model's position table" "$dir/err"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
