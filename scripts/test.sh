#!/usr/bin/env bash
# Builds flowseq and runs every test (unit, integration, gpu; skips are reported by CTest).
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# Python oracles for tests (sacreBLEU, safetensors); optional: those checks skip without them.
python3 -c 'import sacrebleu, safetensors, numpy' 2>/dev/null || python3 -m pip install -q sacrebleu safetensors numpy 2>/dev/null \
  || python3 -m pip install -q --break-system-packages sacrebleu safetensors numpy 2>/dev/null \
  || echo "[test] Python oracles could not be installed: their cross-checks will skip"
cd build && ctest --output-on-failure -j2 "$@"
