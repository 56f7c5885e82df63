#!/usr/bin/env bash
# flowseq picks its OpenBLAS kernel itself: an inherited OPENBLAS_CORETYPE naming a slower
# kernel is replaced by the best one the CPU runs, FLOWSEQ_BLAS_CORE forces a kernel, and
# FLOWSEQ_BLAS_CORE=openblas keeps OpenBLAS's own choice. The program restarts itself to
# change kernels, so its arguments and exit status must survive that.
set -uo pipefail
bin="${FLOWSEQ_BIN:?FLOWSEQ_BIN must name the flowseq binary}"
passed=0 failed=0
check() { # description, condition...
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
core() { "$@" "$bin" info 2>/dev/null | sed -n 's/^openblas core: //p'; }
[ "$(uname -m)" = x86_64 ] || { echo "SKIP: the kernel choice is for x86-64"; exit 77; }

auto=$(core env -u OPENBLAS_CORETYPE -u FLOWSEQ_BLAS_CORE)
from_prescott=$(core env -u FLOWSEQ_BLAS_CORE OPENBLAS_CORETYPE=Prescott)
check "an inherited OPENBLAS_CORETYPE=Prescott is replaced ($from_prescott vs $auto)" [ "$from_prescott" = "$auto" ]
if grep -qw avx2 /proc/cpuinfo; then
  check "an AVX2 CPU gets an AVX2 or wider kernel, not '$auto'" [ "$auto" != Prescott ] && [ "$auto" != Sandybridge ]
fi
check "FLOWSEQ_BLAS_CORE=Prescott forces it" [ "$(core env FLOWSEQ_BLAS_CORE=Prescott)" = Prescott ]
check "FLOWSEQ_BLAS_CORE=openblas honours OPENBLAS_CORETYPE" \
  [ "$(core env FLOWSEQ_BLAS_CORE=openblas OPENBLAS_CORETYPE=Prescott)" = Prescott ]
reason=$(env OPENBLAS_CORETYPE=Prescott "$bin" info 2>/dev/null | sed -n 's/^openblas core chosen: //p')
check "the reason names the check and what was replaced: $reason" \
  bash -c '[[ "$1" == *"double reference"* && "$1" == *"OPENBLAS_CORETYPE=Prescott"* ]]' _ "$reason"
# the restart keeps arguments (with spaces) and the exit status
out=$(printf 'a b\n' | env OPENBLAS_CORETYPE=Prescott "$bin" bleu /dev/stdin -i /dev/null 2>&1); rc=$?
check "a restarted command keeps its exit status (rc=$rc)" [ $rc -ne 0 ]
printf 'a b c d\n' >"${TMPDIR:-/tmp}/flowseq-blas-ref.$$"
out=$(printf 'a b c d\n' | env OPENBLAS_CORETYPE=Prescott "$bin" bleu "${TMPDIR:-/tmp}/flowseq-blas-ref.$$" -b -f text)
rm -f "${TMPDIR:-/tmp}/flowseq-blas-ref.$$"
check "a restarted command keeps its arguments and stdin (got '$out')" [ "$out" = "100.0" ]
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
