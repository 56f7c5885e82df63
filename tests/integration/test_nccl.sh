#!/usr/bin/env bash
# NCCL in the build: `flowseq info` says whether GPU ranks sum gradients with NCCL, and a build that
# says so (FLOWSEQ_NCCL) has a CUDA module that records libnccl.so.2 as needed, finds it, and calls
# NCCL's all-reduce; a build without the CUDA backend says "nccl: no". The sums themselves need a
# GPU: tests/gpu/test_nccl.c. Skips a CUDA build without NCCL.
source "$(dirname "$0")/lib.sh"
info=$("$bin" info 2>/dev/null)
if ! grep -q "^cuda backend: built" <<<"$info"; then
  check "no CUDA backend: info says there is no NCCL ($(grep '^nccl' <<<"$info"))" grep -q "^nccl: no " <<<"$info"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
fi
grep -q "^nccl: yes" <<<"$info" || {
  echo "SKIP: built without FLOWSEQ_NCCL (no NCCL found: scripts/install-nccl.sh, or FLOWSEQ_NCCL_ROOT)"
  exit 77
}
module=$(dirname "$bin")/libflowseq_cuda.so
check "info names the NCCL version built against ($(grep '^nccl' <<<"$info"))" \
  grep -qE "^nccl: yes \(built against NCCL [0-9]+\.[0-9]+\.[0-9]+" <<<"$info"
needed=$(objdump -p "$module" 2>/dev/null | awk '$1 == "NEEDED" { print $2 }')
check "the CUDA module records libnccl.so.2 as needed ($(tr '\n' ' ' <<<"$needed"))" grep -qx "libnccl.so.2" <<<"$needed"
resolved=$(ldd "$module" 2>/dev/null | grep 'libnccl')
check "the loader finds libnccl for the module ($resolved)" bash -c '[ -n "$1" ] && ! grep -q "not found" <<<"$1"' _ "$resolved"
calls=$(nm -D --undefined-only "$module" 2>/dev/null | awk '{ print $NF }' | grep '^nccl' | sort | tr '\n' ' ')
for f in ncclGetUniqueId ncclCommInitRank ncclAllReduce ncclCommDestroy; do
  check "the module calls $f ($calls)" grep -qw "$f" <<<"$calls"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
