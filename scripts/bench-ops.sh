#!/usr/bin/env bash
# Op benchmark (tests/bench/bench_ops.c): GEMM GFLOP/s through the engine (fs_linear, batched
# fs_matmul) against direct cblas_sgemm calls on the same shapes in the same run, and softmax /
# layer-norm bandwidth. Builds Release into build/ first.
#   scripts/bench-ops.sh [--device cpu|cuda]
# bench_ops picks the OpenBLAS kernel as flowseq does (the fastest one the CPU runs that passes
# the sgemm check; FLOWSEQ_BLAS_CORE overrides). --device cuda needs a GPU: on a loan,
# scripts/gpu-check.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
./build/bench_ops "$@"
