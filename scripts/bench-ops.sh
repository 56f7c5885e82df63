#!/usr/bin/env bash
# Op benchmark: engine GEMM vs raw sgemm in the same run, softmax / layer-norm bandwidth.
# Run as:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE scripts/bench-ops.sh [--device cuda]
# (some environments pin OpenBLAS to an older, slower kernel through those variables).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
./build/bench_ops "$@"
