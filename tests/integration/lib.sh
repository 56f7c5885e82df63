# Shared by the integration scripts (sourced): the binary and source tree from CTest's
# environment, a temporary directory removed on exit, single-threaded BLAS and OpenMP
# (bit-identical reruns for the resume checks) and check(). multi30k_pairs skips the script when
# the corpora are absent, else sets $corpora and writes the first 64 Multi30k training pairs to
# $dir/train.de and $dir/train.en.
set -uo pipefail
bin="${FLOWSEQ_BIN:?FLOWSEQ_BIN must name the flowseq binary}"
src="${FLOWSEQ_SOURCE_DIR:-.}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
passed=0 failed=0
check() { # description, command...
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
multi30k_pairs() {
  corpora="${FLOWSEQ_CORPORA:-$src/../shared/corpora}"
  [ -f "$corpora/multi30k/train.de.gz" ] || { echo "SKIP: Multi30k not found under $corpora"; exit 77; }
  gzip -dc "$corpora/multi30k/train.de.gz" | head -n 64 >"$dir/train.de"
  gzip -dc "$corpora/multi30k/train.en.gz" | head -n 64 >"$dir/train.en"
}
