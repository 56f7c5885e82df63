#!/usr/bin/env bash
# Builds flowseq and runs every test (unit, integration, gpu; skips are reported by CTest).
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# The sacreBLEU oracle used by integration tests; optional (tests skip without it).
python3 -c 'import sacrebleu' 2>/dev/null || python3 -m pip install -q sacrebleu 2>/dev/null \
  || python3 -m pip install -q --break-system-packages sacrebleu 2>/dev/null \
  || echo "[test] sacrebleu could not be installed: its comparison tests will skip"
cd build && ctest --output-on-failure -j2 "$@"
