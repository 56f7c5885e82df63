#!/usr/bin/env bash
# Compares systems on one test set with paired bootstrap resampling (BLEU and chrF): the first
# system is the baseline; prints each system's score, mean ± 95% CI and p-value.
#   eval/compare.sh REF BASELINE SYSTEM [SYSTEM...] [-- extra flowseq bleu options]
set -euo pipefail
if [ $# -lt 3 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: eval/compare.sh REF BASELINE SYSTEM [SYSTEM...] [-- flowseq bleu options]" >&2
  echo "  e.g. eval/compare.sh newstest2013.en argmax.en npd.en iwd.en -- --paired-bs-n 2000" >&2
  exit 2
fi
# the flowseq binary: $FLOWSEQ_BIN, else build/flowseq of this checkout, else flowseq on PATH
bin="${FLOWSEQ_BIN:-$(dirname "$0")/../build/flowseq}"
if [ -z "${FLOWSEQ_BIN:-}" ] && [ ! -x "$bin" ] && command -v flowseq >/dev/null; then bin=$(command -v flowseq); fi
[ -x "$bin" ] || { echo "eval/compare.sh: $bin not found: build first (scripts/build.sh), put flowseq on PATH or set FLOWSEQ_BIN" >&2; exit 1; }
ref=$1
shift
systems=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do systems+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
exec "$bin" bleu "$ref" -i "${systems[@]}" -m bleu chrf --paired-bs "$@"
