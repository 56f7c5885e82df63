#!/usr/bin/env bash
# train/dist.c's bootstrap of a backend's collectives (NCCL's communicator on GPUs) in a real MPI
# job of 2 ranks, without a GPU: tests/unit/test_dist_comm.c under mpirun (rank 0 alone makes the
# id, both ranks join with it, the device path sums over both). Skips without MPI or mpirun.
source "$(dirname "$0")/lib.sh"
"$bin" info 2>/dev/null | grep -q "^mpi: yes" || { echo "SKIP: flowseq was built without MPI (FLOWSEQ_MPI=OFF)"; exit 77; }
command -v mpirun >/dev/null || { echo "SKIP: mpirun not found (scripts/install-deps.sh installs Open MPI)"; exit 77; }
unit="$(dirname "$bin")/unit_test_dist_comm"
[ -x "$unit" ] || { echo "FAIL: $unit is missing"; exit 1; }
log=$(timeout 120 mpirun --allow-run-as-root --oversubscribe -np 2 "$unit" 2>&1)
rc=$?
check "2 ranks: the unit test passes on both (exit $rc): $(tail -n 3 <<<"$log" | tr '\n' ' ')" [ "$rc" -eq 0 ]
check "2 ranks: both set the communicator up over 2 ranks" \
  bash -c '[ "$(grep -o "by fake collectives over 2 ranks" <<<"$1" | wc -l)" -eq 2 ]' _ "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
