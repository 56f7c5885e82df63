#!/usr/bin/env bash
# Checks that no module includes a header of a layer above its own. Each folder under src/ is a
# layer (docs/architecture.md#layers), ordered lowest first in `layers` below; a file may include
# headers of its own layer and of the layers before it. Reads the #include "LAYER/..." lines of
# every .c, .h, .cpp, .cu and .cuh file under src/ (system includes and includes without a
# folder are not layer edges), prints each upward include as FILE:LINE with both layers, and
# exits 1 if there is one, if a folder under src/ is missing from the order, or if the command line
# (src/cli) includes a decode/ header instead of decoding through include/flowseq.h; else exits 0.
#   usage: scripts/check-layers.sh [ROOT]   (ROOT: the repository, by default this script's)
set -uo pipefail
root="${1:-$(dirname "$0")/..}"
cd "$root" || { echo "check-layers: no directory $root" >&2; exit 2; }

# The order, lowest first: the engine stack, then the text and data stack (data/batcher.h
# includes model/batch.h), evaluation, decoding, training (its validation decodes and scores
# BLEU), and the front ends: the public API and the command line.
layers="core backend ops nn flow model text data eval decode train api cli"

[ -d src ] || { echo "check-layers: no src/ under $root" >&2; exit 2; }
status=0
for d in src/*/; do
  d=${d#src/} d=${d%/}
  [[ " $layers " == *" $d "* ]] || { echo "check-layers: src/$d is not in the layer order ($layers)"; status=1; }
done

sources() { # the C, C++ and CUDA files under src/, NUL-separated
  find src -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' \) -print0
}
violations=$(sources | sort -z | xargs -0 -r awk -v layers="$layers" '
    BEGIN {
      n = split(layers, names, " ")
      for (i = 1; i <= n; i++) rank[names[i]] = i
    }
    FNR == 1 { split(FILENAME, parts, "/"); own = parts[2] }
    /^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"\/]+\/[^"]*"/ {
      header = $0
      sub(/^[^"]*"/, "", header)
      sub(/".*$/, "", header)
      target = header
      sub(/\/.*$/, "", target)
      if (!(own in rank) || !(target in rank) || rank[target] <= rank[own]) next
      printf "%s:%d: includes %s: layer %s is above %s\n", FILENAME, FNR, header, target, own
    }')
if [ -n "$violations" ]; then
  echo "check-layers: upward includes (order, lowest first: $layers):"
  printf '%s\n' "$violations" | sed 's/^/  /'
  status=1
fi
# the command line decodes as any program embedding flowseq does: through include/flowseq.h only
decoding=$(grep -rn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"decode/' src/cli 2>/dev/null)
if [ -n "$decoding" ]; then
  echo "check-layers: src/cli must decode through the public API (include/flowseq.h), not decode/:"
  printf '%s\n' "$decoding" | sed 's/^/  /'
  status=1
fi
[ "$status" -eq 0 ] && echo "check-layers: every include follows the order $layers"
exit "$status"
