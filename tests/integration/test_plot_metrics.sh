#!/usr/bin/env bash
# scripts/plot-metrics.sh: the example in its header names a metrics file that exists and plots;
# the learning-rate axis is drawn so that its ticks stay distinct (a log scale with exponent
# labels: the default labels printed 0.0001-like ticks that could not be told apart). The
# gnuplot commands are caught by a stand-in gnuplot first, then drawn by the real one if present.
source "$(dirname "$0")/lib.sh"
script="$src/scripts/plot-metrics.sh"
example=$(grep -oE '^#   scripts/plot-metrics.sh [^ ]+' "$script" | awk '{ print $3 }')
check "the header has a usage example ($example)" test -n "$example"
check "the usage example's metrics file exists ($example)" test -f "$src/$example"

mkdir -p "$dir/stand-in"
printf '#!/bin/sh\ncat >"%s/commands.gp"\n' "$dir" >"$dir/stand-in/gnuplot"
chmod +x "$dir/stand-in/gnuplot"
PATH="$dir/stand-in:$PATH" bash "$script" "$src/$example" "$dir/caught.png" >/dev/null 2>&1
lr_panel=$(awk '/set title "learning rate/ { on = 1 } on { print } on && /^  plot/ { exit }' "$dir/commands.gp")
check "the learning-rate panel uses a log scale:
$lr_panel" grep -q "set logscale y" <<<"$lr_panel"
check "the learning-rate ticks are labelled in exponent form" grep -qE 'set format y "%[.0-9]*e"' <<<"$lr_panel"

if command -v gnuplot >/dev/null; then
  bash "$script" "$src/$example" "$dir/plot.png" >/dev/null 2>"$dir/plot.err"
  check "the example plots as a PNG (stderr: $(cat "$dir/plot.err"))" grep -q PNG <(head -c 8 "$dir/plot.png")
  check "gnuplot has nothing to warn about" test ! -s "$dir/plot.err"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
