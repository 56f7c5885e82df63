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
# the flowseq binary: $FLOWSEQ_BIN, else build/flowseq of this checkout, else flowseq on PATH
bin="${FLOWSEQ_BIN:-$(dirname "$0")/../build/flowseq}"
if [ -z "${FLOWSEQ_BIN:-}" ] && [ ! -x "$bin" ] && command -v flowseq >/dev/null; then bin=$(command -v flowseq); fi
[ -x "$bin" ] || { echo "eval/bleu.sh: $bin not found: build first (scripts/build.sh), put flowseq on PATH or set FLOWSEQ_BIN" >&2; exit 1; }
if ! "$bin" translate --help >/dev/null 2>&1; then
  echo "eval/bleu.sh: this flowseq build has no 'translate' subcommand yet" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat_any() { case "$1" in *.gz) gzip -dc "$1" ;; *) cat "$1" ;; esac; }
cat_any "$src" >"$tmp/src" || { echo "eval/bleu.sh: cannot read $src" >&2; exit 1; }
cat_any "$ref" >"$tmp/ref" || { echo "eval/bleu.sh: cannot read $ref" >&2; exit 1; }
"$bin" translate -m "$model" -i "$tmp/src" -o "$tmp/hyp" "$@" || { echo "eval/bleu.sh: translating $src failed" >&2; exit 1; }
"$bin" bleu "$tmp/ref" -i "$tmp/hyp" -m bleu chrf -f text || { echo "eval/bleu.sh: scoring against $ref failed" >&2; exit 1; }
