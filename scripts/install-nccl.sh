#!/usr/bin/env bash
# Installs NCCL (headers and libnccl.so.2) for the CUDA build's GPU-to-GPU gradient sums, from
# NVIDIA's nvidia-nccl-cu13 Python wheel, into third_party/nccl/ (git-ignored), where CMake finds
# it (docs/architecture.md#distribution). Only where a CUDA toolkit is present (nvcc on PATH or in
# /usr/local/cuda/bin): elsewhere nothing happens. Idempotent: an installed copy is kept.
#   usage: scripts/install-nccl.sh [DIR]   (DIR: where to install, default third_party/nccl)
# NCCL_WHEEL=FILE installs from a wheel already downloaded instead of asking PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${1:-third_party/nccl}"
if ! command -v nvcc >/dev/null && [ ! -x /usr/local/cuda/bin/nvcc ]; then
  echo "[nccl] no CUDA toolkit (nvcc): NCCL not needed"
  exit 0
fi
if [ -f "$dest/nvidia/nccl/include/nccl.h" ] && [ -e "$dest/nvidia/nccl/lib/libnccl.so.2" ]; then
  echo "[nccl] already installed in $dest"
  exit 0
fi
# --target installs into a plain folder: no virtual environment, and no clash with a system
# Python that refuses pip installs of its own
python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$dest" \
  "${NCCL_WHEEL:-nvidia-nccl-cu13}"
[ -f "$dest/nvidia/nccl/include/nccl.h" ] || { echo "[nccl] the wheel has no nvidia/nccl/include/nccl.h" >&2; exit 1; }
echo "[nccl] installed in $dest: $(sed -n 's/^#define NCCL_VERSION_CODE \([0-9]*\)/version code \1/p' "$dest/nvidia/nccl/include/nccl.h")"
