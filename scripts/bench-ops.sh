#!/usr/bin/env bash
# Op benchmark (tests/bench/bench_ops.c): GEMM GFLOP/s through the engine (fs_linear, batched
# fs_matmul) against direct cblas_sgemm calls on the same shapes in the same run, and softmax /
# layer-norm bandwidth. Builds Release into build/ first. Run as
#   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE scripts/bench-ops.sh [--device cpu|cuda]
# (the environment here pins OpenBLAS to its Haswell kernel through those variables, which
# halves sgemm; DESIGN.md §2). --device cuda needs a GPU: on a loan, scripts/gpu-check.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
./build/bench_ops "$@"
