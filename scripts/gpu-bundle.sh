#!/usr/bin/env bash
# Builds flowseq with CUDA here (where the Debian libraries are) and collects what a bare GPU
# machine needs for scripts/gpu-check.sh into build-gpu-bundle/ (docs/architecture.md#backend):
#   bin/           the CLI, the GPU tests, the unit tests (with --unit-tests), the op benchmarks (bench_ops, and
#                  bench_gemm: cuBLAS alone) and the CUDA module libflowseq_cuda.so (the programs
#                  load it from beside themselves)
#   lib/           the shared libraries they load that such a machine lacks (OpenBLAS, libyaml,
#                  SentencePiece, zlib, OpenMP, gfortran, and the CUDA runtime we compiled against)
#   lib/fallback/  libstdc++ / libgcc_s, used there only if the machine has none of its own (a
#                  newer system copy must win: the machine's cuBLAS may need its newer symbols)
#   MANIFEST       commit, compiler and library versions
# cuBLAS is not bundled: it is over 500 MB, and the GPU image has CUDA 13 with cuBLAS. Nor is NCCL
# (libnccl.so.2, which the CUDA module needs where FLOWSEQ_NCCL is on): 200 MB of GPU code that xz
# shrinks by 4 %, three times all a loan carries; the GPU image has it (the CUDA toolkit's, and
# PyTorch's nvidia-nccl-cu13 wheel), and scripts/gpu-env.sh finds it there.
# The bundle is also packed into build-gpu/bundle.tar.xz (about a quarter of the size), which is
# what to carry when the working tree and the bundle together would exceed a loan's transfer
# limit; gpu-check.sh unpacks it when build-gpu-bundle/ is absent.
# What a loan carries is 64 MiB with the working tree, whose bundled models are 42 MB: the packed
# bundle (8.4 MB at xz's strongest setting, 0.6 MB more with the unit tests) and Multi30k (1.3 MB)
# leave about 12 MB; the unit tests, which gpu-check.sh runs last in whatever time is left, come
# only when asked for all the same.
# Usage: scripts/gpu-bundle.sh [--unit-tests]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-gpu bundle=build-gpu-bundle
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DFLOWSEQ_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
rm -rf "$bundle"
mkdir -p "$bundle/bin" "$bundle/lib/fallback"
cp "$build"/flowseq "$build"/bench_ops "$build"/bench_gemm "$build"/libflowseq_cuda.so "$bundle/bin/"
# only tests whose source still exists: a removed test's old binary stays in the build folder
tests=("$build"/gpu_test_*)
[ "${1:-}" = --unit-tests ] && tests+=("$build"/unit_test_*)
for t in "${tests[@]}"; do
  name=$(basename "$t")
  [ -f "tests/${name%%_test_*}/test_${name#*_test_}.c" ] && cp "$t" "$bundle/bin/"
done

# Every library the binaries resolve here, minus glibc's own (the machine's must be used) and
# cuBLAS (the machine's). A library ldd cannot find here is a broken build: stop.
libs=$(for bin in "$bundle"/bin/*; do ldd "$bin"; done | sort -u)
if grep -q 'not found' <<<"$libs"; then
  grep 'not found' <<<"$libs" >&2
  echo "[gpu-bundle] unresolved libraries above" >&2
  exit 1
fi
awk '/=> \// {print $3}' <<<"$libs" | sort -u | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so* | libm.so* | libpthread.so* | libdl.so* | librt.so* | ld-linux* | libcublas* | libnccl*) ;;
    libstdc++.so* | libgcc_s.so*) cp -L "$lib" "$bundle/lib/fallback/" ;;
    *) cp -L "$lib" "$bundle/lib/" ;;
  esac
done
{
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
  echo "built: $(date -u +%FT%TZ) on $(uname -m)"
  echo "nvcc: $(nvcc --version | tail -1)"
  echo "cuda architectures: $(grep -m1 '^CMAKE_CUDA_ARCHITECTURES' "$build/CMakeCache.txt" | cut -d= -f2)"
  echo "nccl: $(grep -q '^FLOWSEQ_NCCL:BOOL=ON' "$build/CMakeCache.txt" && grep -m1 '^NCCL_LIBRARY:' "$build/CMakeCache.txt" | cut -d= -f2 || echo 'not built')"
  echo "glibc: $(ldd --version | head -1)"
  echo "libraries:"
  (cd "$bundle/lib" && find . -type f | sort | sed 's/^/  /')
} >"$bundle/MANIFEST"
XZ_OPT="-9e -T0" tar -cJf "$build/bundle.tar.xz" "$bundle"
echo "[gpu-bundle] $(du -sh "$bundle" | cut -f1) in $bundle/, packed: $(du -sh "$build/bundle.tar.xz" | cut -f1) in $build/bundle.tar.xz"
