#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan) into build-fuzz/ (or
# $FLOWSEQ_FUZZ_BUILD) and runs one target, or all, for SECONDS each (default 60) from freshly
# generated seeds, or until RUNS executions if that comes first. Prints per target the
# executions, exec/s and whether it found anything; exits non-zero on a finding (the reproducer
# and the log are kept in BUILD/fuzz-findings/).
#   scripts/fuzz.sh [TARGET|all] [SECONDS] [RUNS]   e.g. scripts/fuzz.sh config 30
#                                                   or scripts/fuzz.sh all 3600 2000000
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-all}
seconds=${2:-60}
runs_limit=${3:--1} # libFuzzer's -runs: -1 is no limit
build=${FLOWSEQ_FUZZ_BUILD:-build-fuzz}
cc=$(command -v clang-14 || command -v clang || true)
cxx=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$cc" ] || [ -z "$cxx" ]; then
  echo "[fuzz] clang not found: run scripts/install-deps.sh" >&2
  exit 1
fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLOWSEQ_FUZZ=ON -DFLOWSEQ_CUDA=OFF \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz >"$build/fuzz-build.log" 2>&1 || { tail -40 "$build/fuzz-build.log" >&2; exit 1; }

bin="$build/tests/fuzz"
targets=()
for t in "$bin"/fuzz_*; do
  name=$(basename "$t")
  [ "$name" = fuzz_make_seeds ] && continue
  [ "$target" = all ] || [ "$target" = "$name" ] || [ "fuzz_$target" = "$name" ] || continue
  targets+=("$name")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "[fuzz] no target $target (have: $(cd "$bin" && ls fuzz_* | grep -v make_seeds | tr '\n' ' '))" >&2
  exit 2
fi

# the targets' temporary input files (a crashing run cannot remove its own), on tmpfs when there is one
FLOWSEQ_FUZZ_TMP=$(mktemp -d "$([ -w /dev/shm ] && echo /dev/shm || echo /tmp)/flowseq-fuzz.XXXXXX")
export FLOWSEQ_FUZZ_TMP
trap 'rm -rf "$FLOWSEQ_FUZZ_TMP"' EXIT
seeds="$build/fuzz-seeds"
rm -rf "$seeds"
"$bin/fuzz_make_seeds" "$seeds"
found=0
for name in "${targets[@]}"; do
  short=${name#fuzz_}
  corpus="$build/fuzz-corpus/$short" findings="$build/fuzz-findings/$short"
  mkdir -p "$corpus" "$findings"
  log="$findings/last.log"
  # new inputs go to the first directory (kept between runs); reproducers to the findings
  rc=0
  touch "$findings/.start"
  "$bin/$name" -max_total_time="$seconds" -runs="$runs_limit" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$findings/" "$corpus" "$seeds/$short" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  artifacts=$(find "$findings" -maxdepth 1 -type f -name '[a-z]*-*' -newer "$findings/.start" 2>/dev/null | head -3 | tr '\n' ' ')
  if [ "$rc" -eq 0 ]; then
    result="nothing found"
  else
    found=1
    result="FOUND (exit $rc): ${artifacts:-no reproducer} log $log"
  fi
  printf '[fuzz] %-12s %10s runs %7s exec/s in %ss: %s\n' "$short" "${runs:-?}" "${speed:-?}" "$seconds" "$result"
  if [ "$rc" -ne 0 ]; then grep -m1 -A12 -E 'ERROR: |runtime error|invariant failed|deadly signal' "$log" >&2 || tail -20 "$log" >&2; fi
done
exit "$found"
