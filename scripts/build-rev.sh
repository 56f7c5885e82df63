#!/usr/bin/env bash
# Builds one revision of flowseq out of place, for the benchmarks' --baseline mode:
#   scripts/build-rev.sh REV|--worktree DIR [TARGET...]
# REV (anything git rev-parse takes) is exported with git archive into DIR/src and built in
# DIR/build; --worktree builds the current working tree, uncommitted edits included, in DIR/build
# (build/ is left alone). Release, CPU only (-DFLOWSEQ_CUDA=OFF), so both sides of a comparison
# are built alike. Default target: flowseq. The caller owns DIR and removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: scripts/build-rev.sh REV|--worktree DIR [TARGET...]" >&2; exit 2; }
rev=$1 dir=$2
shift 2
[ $# -gt 0 ] || set -- flowseq
src=$PWD
if [ "$rev" != --worktree ]; then
  git rev-parse --verify --quiet "$rev^{commit}" >/dev/null || { echo "build-rev: no such revision: $rev" >&2; exit 2; }
  mkdir -p "$dir/src"
  git archive "$rev" | tar -x -C "$dir/src"
  src=$dir/src
fi
mkdir -p "$dir"
{ cmake -S "$src" -B "$dir/build" -DCMAKE_BUILD_TYPE=Release -DFLOWSEQ_CUDA=OFF &&
  cmake --build "$dir/build" -j2 --target "$@"; } >"$dir/build.log" 2>&1 ||
  { tail -20 "$dir/build.log" >&2; echo "build-rev: building $rev failed (log above)" >&2; exit 1; }
