#!/usr/bin/env bash
# The one prepared check for a short GPU loan (DESIGN.md §6). Run here first:
#   bash scripts/gpu-bundle.sh
# then on the GPU machine, carrying build-gpu-bundle:
#   bash scripts/gpu-check.sh            (writes its logs under $OUT, or ./gpu-check-out)
# It runs the CPU/CUDA parity test, the unit tests on the bundle, and the op benchmark on both
# backends. Exit status: non-zero if any check failed or no GPU was usable.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-check-out}"
mkdir -p "$out"
bundle=build-gpu-bundle
if [ ! -x "$bundle/bin/gpu_test_parity" ]; then
  echo "gpu-check: $bundle is missing; run scripts/gpu-bundle.sh where the libraries are and carry it" >&2
  exit 2
fi
# bundled host libraries first; CUDA's own from the machine's toolkit
cuda_lib=$(dirname "$(command -v nvcc 2>/dev/null || echo /usr/local/cuda/bin/nvcc)")/../lib64
export LD_LIBRARY_PATH="$PWD/$bundle/lib:$cuda_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
status=0
{ nvidia-smi || echo "nvidia-smi not available"; "$bundle/bin/flowseq" info; } >"$out/device.txt" 2>&1
"$bundle/bin/gpu_test_parity" >"$out/parity.txt" 2>&1
rc=$?
if [ $rc -eq 77 ]; then echo "gpu-check: no usable GPU (see $out/parity.txt)" >&2; status=1
elif [ $rc -ne 0 ]; then echo "gpu-check: parity FAILED (see $out/parity.txt)" >&2; status=1
fi
for t in "$bundle"/bin/unit_test_*; do
  echo "== $(basename "$t")"
  FLOWSEQ_SOURCE_DIR="$PWD" "$t" || { echo "FAILED: $t"; status=1; }
done >"$out/unit.txt" 2>&1
{
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$bundle/bin/bench_ops" --device cuda
  echo
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$bundle/bin/bench_ops"
} >"$out/bench-ops.txt" 2>&1 || status=1
tail -n 3 "$out/parity.txt"
cat "$out/bench-ops.txt"
exit $status
