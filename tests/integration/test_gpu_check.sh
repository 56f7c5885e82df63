#!/usr/bin/env bash
# scripts/gpu-check.sh where there is no GPU: --help documents the exit codes; without a bundle it
# exits 2, and with a bundle (here the build's own programs) but no usable CUDA device it exits 4
# after the parity step, saying why in summary.txt and bringing back its logs (device.txt in
# logs.tar.gz). Skips on a machine with an NVIDIA device (there the check itself runs).
source "$(dirname "$0")/lib.sh"
if [ -e /dev/nvidiactl ] || [ -e /dev/dxg ]; then echo "SKIP: a GPU is here: run scripts/gpu-check.sh itself"; exit 77; fi
script="$src/scripts/gpu-check.sh"
help=$(bash "$script" --help); rc=$?
check "--help exits 0 and lists the exit codes (rc=$rc)" \
  bash -c '[ "$1" -eq 0 ] && grep -q "4 no usable GPU" <<<"$2" && grep -q "GPU_CHECK_SECONDS" <<<"$2"' _ "$rc" "$help"
bash "$script" --bogus >/dev/null 2>&1
check "an unknown argument exits 2" [ $? -eq 2 ]

OUT="$dir/none" GPU_CHECK_BUNDLE="$dir/no-bundle" bash "$script" >"$dir/none.log" 2>&1
rc=$?
check "no bundle: exit 2 (rc=$rc)" [ "$rc" -eq 2 ]
check "no bundle: summary.txt says what to carry" grep -q "FAIL: .*missing.*gpu-bundle.sh" "$dir/none/summary.txt"

# a bundle made of the build's programs: everything resolves here, and no device is usable
build=$(dirname "$bin")
mkdir -p "$dir/bundle/bin"
for f in flowseq gpu_test_parity gpu_test_nccl libflowseq_cuda.so; do
  [ -e "$build/$f" ] && ln -s "$build/$f" "$dir/bundle/bin/$f"
done
OUT="$dir/out" GPU_CHECK_BUNDLE="$dir/bundle" GPU_CHECK_SECONDS=120 bash "$script" >"$dir/out.log" 2>&1
rc=$?
check "no GPU: exit 4 (rc=$rc: $(tail -n 1 "$dir/out.log"))" [ "$rc" -eq 4 ]
check "no GPU: the parity step is the one skipped" grep -q "^\[gpu-check\] SKIP: parity" "$dir/out/summary.txt"
check "no GPU: summary.txt says no device was usable" grep -q "FAIL: no usable CUDA device" "$dir/out/summary.txt"
check "no GPU: nothing after the parity step ran" bash -c '! grep -qE "(nccl|gemm|tiny|small|base|decode)" "$1"' _ \
  "$dir/out/summary.txt"
listing=$(tar -tzf "$dir/out/logs.tar.gz" 2>/dev/null)
check "no GPU: logs.tar.gz holds device.txt and the parity log" \
  bash -c 'grep -q "logs/device.txt" <<<"$1" && grep -q "logs/gpu-tests.txt" <<<"$1"' _ "$listing"
check "no GPU: at most 8 files under OUT (what a loan brings back)" [ "$(find "$dir/out" -type f | wc -l)" -le 8 ]
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
