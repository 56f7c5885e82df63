#!/usr/bin/env bash
# Translates SRC with a flowseq model and scores it against REF with sacreBLEU-exact BLEU and
# chrF (detokenized output, default 13a tokenization), printing the signatures.
#   eval/bleu.sh MODEL_DIR SRC REF [extra flowseq translate options...]
set -euo pipefail
if [ $# -lt 3 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: eval/bleu.sh MODEL_DIR SRC REF [translate options...]" >&2
  echo "  translates SRC (raw German, .gz allowed) with the model, then prints BLEU and chrF against REF" >&2
  exit 2
fi
model=$1 src=$2 ref=$3
shift 3
bin="${FLOWSEQ_BIN:-$(dirname "$0")/../build/flowseq}"
[ -x "$bin" ] || { echo "eval/bleu.sh: $bin not found: build first (scripts/build.sh) or set FLOWSEQ_BIN" >&2; exit 1; }
if ! "$bin" translate --help >/dev/null 2>&1; then
  echo "eval/bleu.sh: this flowseq build has no 'translate' subcommand yet" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat_any() { case "$1" in *.gz) gzip -dc "$1" ;; *) cat "$1" ;; esac; }
cat_any "$src" >"$tmp/src"
cat_any "$ref" >"$tmp/ref"
"$bin" translate -m "$model" -i "$tmp/src" -o "$tmp/hyp" "$@"
"$bin" bleu "$tmp/ref" -i "$tmp/hyp" -m bleu chrf -f text
