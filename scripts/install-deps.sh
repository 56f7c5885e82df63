#!/usr/bin/env bash
# Installs every Debian package flowseq needs to build, test and benchmark. Idempotent.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
# libopenblas-openmp-dev, not the pthread build: our loops use OpenMP and two thread pools
# fighting over the same cores cost ~1.5x (docs/architecture.md#backend). clang-14 with its runtimes (libFuzzer,
# sanitizers) and OpenMP builds the fuzz targets (scripts/fuzz.sh). Open MPI: data-parallel
# training (mpirun -np N flowseq train; the build turns FLOWSEQ_MPI on when it finds it).
# clang-format-14: the layout check (scripts/check-format.sh). python3-venv: the Python package's test
# (tests/integration/test_python.sh) makes a virtual environment.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config \
  libopenblas-openmp-dev libyaml-dev libsentencepiece-dev sentencepiece zlib1g-dev \
  libopenmpi-dev openmpi-bin \
  python3 python3-pip python3-venv gnuplot-nox ca-certificates curl time \
  clang-14 libclang-rt-14-dev libomp-14-dev clang-format-14 >/dev/null
echo "[deps] Debian packages installed"
# NCCL, for the GPU ranks' gradient sums: only where a CUDA toolkit is (nothing happens elsewhere);
# without it (no network, say) the CUDA build sums gradients over MPI as before
"$(dirname "$0")/install-nccl.sh" || echo "[deps] NCCL not installed: GPU ranks will sum gradients through host memory"
