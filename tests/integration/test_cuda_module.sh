#!/usr/bin/env bash
# The CUDA backend is a module loaded at run time: without an NVIDIA device node it is not loaded
# at all (the program stays small), FLOWSEQ_CUDA_MODULE loads it anyway and its entry point runs
# (it finds a device, or says why not), and a missing module is one clear line, not a failure.
set -uo pipefail
bin="${FLOWSEQ_BIN:?FLOWSEQ_BIN must name the flowseq binary}"
"$bin" info 2>/dev/null | grep -q "cuda backend: built" || { echo "SKIP: built without CUDA"; exit 77; }
module=$(dirname "$bin")/libflowseq_cuda.so
passed=0 failed=0
check() { # description, condition...
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
if [ ! -e /dev/nvidiactl ] && [ ! -e /dev/dxg ]; then
  said=$(env -u FLOWSEQ_CUDA_MODULE "$bin" info 2>/dev/null | grep '^compute backend')
  check "no device node: the module is not loaded ($said)" grep -q "no NVIDIA device node" <<<"$said"
  rss=$(env -u FLOWSEQ_CUDA_MODULE /usr/bin/time -f "%M" "$bin" info 2>&1 >/dev/null | tail -1)
  check "no device node: info stays small (${rss} KB resident, under 64 MB)" [ "${rss:-999999}" -lt 65536 ]
fi
log=$(FLOWSEQ_CUDA_MODULE=$module "$bin" info 2>&1 >/dev/null)
check "a named module is loaded and its entry runs ($log)" grep -qE "CUDA: (no usable device \(|.*compute capability)" <<<"$log"
check "a named module does not fail to load ($log)" bash -c '! grep -q "cannot load" <<<"$1"' _ "$log"
log=$(FLOWSEQ_CUDA_MODULE=/nonexistent/libflowseq_cuda.so "$bin" info 2>&1); rc=$?
check "a missing module is one clear line and the CPU is used (rc=$rc)" \
  bash -c '[ "$1" -eq 0 ] && grep -q "cannot load the CUDA module /nonexistent" <<<"$2" && grep -q "compute backend: cpu" <<<"$2"' _ "$rc" "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
