#!/usr/bin/env bash
# Builds flowseq with AddressSanitizer + UBSan (FLOWSEQ_SANITIZE, CPU only, RelWithDebInfo) into
# build-sanitized/ (or $FLOWSEQ_SANITIZE_BUILD) and runs the unit tests, the integration pipeline
# tests and the library's bad-argument test on it; any sanitizer report fails the test that
# triggers it.
# Extra arguments go to ctest, e.g. `scripts/test-sanitized.sh -R config`.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FLOWSEQ_SANITIZE_BUILD:-build-sanitized}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLOWSEQ_SANITIZE=ON -DFLOWSEQ_CUDA=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"
# UBSan only prints by default; halting makes undefined behaviour a failure like ASan's reports
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
cd "$build" && ctest --output-on-failure -j2 -R '^(unit/|integration/test_((transformer_)?pipeline|api_args)$)' "$@"
