# Shared by the integration scripts (sourced): the binary and source tree from CTest's
# environment, a temporary directory removed on exit, single-threaded BLAS and OpenMP
# (bit-identical reruns for the resume checks), check() and wait_for() (polling with a time
# limit). multi30k_pairs skips the script when the corpora are absent, else sets $corpora and
# writes the first 64 Multi30k training pairs to $dir/train.de and $dir/train.en.
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
# Polls a command every 0.05 s until it succeeds. If `seconds` pass first, or the background
# process `pid` (0 for none) ends while the command still fails, the script stops here: it prints
# what it waited for, kills pid and exits 1 (a wait in a test must never hang).
wait_for() { # seconds, description, pid, command...
  local limit=$1 what=$2 pid=$3
  shift 3
  local end=$((SECONDS + limit))
  until "$@"; do
    if [ "$pid" != 0 ] && ! kill -0 "$pid" 2>/dev/null; then
      "$@" && return 0 # it met the condition just before it ended
      echo "FAIL: waiting for $what: process $pid ended first"
    elif [ "$SECONDS" -ge "$end" ]; then
      echo "FAIL: waiting for $what: still not there after $limit s"
      [ "$pid" != 0 ] && kill -KILL "$pid" 2>/dev/null
    else
      sleep 0.05
      continue
    fi
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
  done
}
multi30k_pairs() {
  corpora="${FLOWSEQ_CORPORA:-$src/../shared/corpora}"
  [ -f "$corpora/multi30k/train.de.gz" ] || { echo "SKIP: Multi30k not found under $corpora"; exit 77; }
  gzip -dc "$corpora/multi30k/train.de.gz" | head -n 64 >"$dir/train.de"
  gzip -dc "$corpora/multi30k/train.en.gz" | head -n 64 >"$dir/train.en"
}
