#!/usr/bin/env bash
# The one prepared check for a short GPU loan (docs/architecture.md#backend). The GPU machine has CUDA but no
# Debian packages, so the binaries are built here with their libraries:
#   scripts/gpu-bundle.sh                  (here: builds and fills build-gpu-bundle/)
#   scripts/gpu-check.sh                   (there, with build-gpu-bundle, or its packed form
#                                           build-gpu/bundle.tar.xz, carried along)
# It runs the gpu-labelled tests (CPU/CUDA parity), the unit tests on the CUDA backend, and the
# op benchmark on both backends, and writes under $OUT (default ./gpu-check-out):
#   summary.txt  one line per step, PASS / FAIL / SKIP     device.txt  GPU, bundle, libraries
#   gpu-tests.txt  unit.txt  bench-ops.txt                  the steps' own output
# Exit status: 0 all passed; 1 a check failed; 2 no bundle; 3 libraries missing; 4 no usable GPU.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-check-out}"
bundle=build-gpu-bundle
mkdir -p "$out"
: >"$out/summary.txt"
say() { echo "[gpu-check] $*" | tee -a "$out/summary.txt"; }

# shellcheck source=scripts/gpu-env.sh
source scripts/gpu-env.sh
if ! gpu_bundle_ready "$bundle" build-gpu/bundle.tar.xz || [ ! -x "$bundle/bin/gpu_test_parity" ]; then
  say "FAIL: $bundle/bin is missing: run scripts/gpu-bundle.sh where the libraries are and carry $bundle or build-gpu/bundle.tar.xz"
  exit 2
fi
# cuBLAS comes from the machine (the loader's cache, the toolkit, or the Python wheels); the
# bundle's libstdc++ only where the machine has none, so that a newer system one wins
gpu_bundle_env "$bundle"
cublas=$(gpu_cublas_dir)

{
  echo "== nvidia-smi"
  nvidia-smi 2>&1 || echo "nvidia-smi not available"
  echo "== bundle"
  cat "$bundle/MANIFEST" 2>/dev/null
  echo "cuBLAS from: ${cublas:-not found}"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  echo "== ldd gpu_test_parity"
  ldd "$bundle/bin/gpu_test_parity"
  echo "== flowseq info"
  timeout 60 "$bundle/bin/flowseq" info 2>&1
} >"$out/device.txt" 2>&1
missing=$(for b in "$bundle"/bin/*; do ldd "$b"; done 2>/dev/null | grep 'not found' | sort -u)
if [ -n "$missing" ]; then
  say "FAIL: libraries not found on this machine (see device.txt):"
  say "$missing"
  exit 3
fi

status=0
step() { # step NAME LOGFILE TIMEOUT COMMAND...: runs, appends to LOGFILE, records PASS/FAIL/SKIP
  local name=$1 log=$2 limit=$3 rc
  shift 3
  echo "== $name" >>"$out/$log"
  timeout "$limit" "$@" >>"$out/$log" 2>&1
  rc=$?
  case $rc in
    0) say "PASS: $name" ;;
    77) say "SKIP: $name" ;;
    124) say "FAIL: $name (timed out after ${limit}s)"; status=1 ;;
    *) say "FAIL: $name (exit $rc, see $log)"; status=1 ;;
  esac
  return $rc
}

# No device: say so once and stop; the rest would only re-run the CPU.
step parity gpu-tests.txt 300 "$bundle/bin/gpu_test_parity"
if [ $? -eq 77 ]; then
  say "FAIL: no usable CUDA device (see gpu-tests.txt, device.txt): nothing else checked"
  exit 4
fi
for t in "$bundle"/bin/gpu_test_*; do
  [ "$(basename "$t")" = gpu_test_parity ] || step "$(basename "$t")" gpu-tests.txt 300 "$t"
done
# The unit tests pick the CUDA backend on their own (FLOWSEQ_DEVICE unset).
for t in "$bundle"/bin/unit_test_*; do
  step "$(basename "$t") (cuda)" unit.txt 120 env FLOWSEQ_SOURCE_DIR="$PWD" "$t"
done
# OpenBLAS picks its own kernel there (the variables that pin it here are dropped).
step "bench_ops --device cuda" bench-ops.txt 300 "$bundle/bin/bench_ops" --device cuda
step "bench_ops --device cpu" bench-ops.txt 300 "$bundle/bin/bench_ops" --device cpu
cat "$out/bench-ops.txt"
say "$([ $status -eq 0 ] && echo "all checks passed" || echo "some checks FAILED") (logs in $out)"
exit $status
