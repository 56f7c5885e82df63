#!/usr/bin/env bash
# Builds flowseq with CUDA here (where the Debian libraries are) and collects what a bare GPU
# machine needs to run the GPU checks into build-gpu-bundle/: the test and benchmark binaries
# and the shared libraries they load (OpenBLAS, libyaml, SentencePiece, OpenMP runtime, ...).
# The CUDA runtime and cuBLAS are not bundled: the GPU machine's image has CUDA 13 with cuBLAS,
# and cuBLAS alone would exceed what a loan can carry (64 MiB).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DFLOWSEQ_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null
cmake --build build-gpu -j"$(nproc)" >/dev/null
rm -rf build-gpu-bundle
mkdir -p build-gpu-bundle/bin build-gpu-bundle/lib
cp build-gpu/flowseq build-gpu/bench_ops build-gpu/gpu_test_* build-gpu/unit_test_* build-gpu-bundle/bin/
# every non-system library the binaries link against (glibc and the loader stay the machine's)
for bin in build-gpu-bundle/bin/*; do
  ldd "$bin" | awk '/=> \// {print $3}'
done | sort -u | grep -vE '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*|libcuda[^/]*|libcublas[^/]*)\.so' | while read -r lib; do
  cp -L "$lib" build-gpu-bundle/lib/
done
du -sh build-gpu-bundle | awk '{print "[gpu-bundle] " $1 " in build-gpu-bundle/"}'
