#!/usr/bin/env bash
# Threads (backend/cpu/threads.h): the program restarts itself with a bounded OpenMP spin unless
# the user chose a wait policy, and keeps the user's choice; --threads N is accepted by every
# command, checked, and taken out of the arguments the command sees; translating with one thread,
# with two, and beside busy processes (where the thread count adapts) gives the same output.
source "$(dirname "$0")/lib.sh"
unset OMP_NUM_THREADS OPENBLAS_NUM_THREADS GOMP_SPINCOUNT OMP_WAIT_POLICY
# The environment of a running flowseq: it reads its input from a FIFO that stays open until read.
environment_of() { # extra environment assignments...
  mkfifo "$dir/fifo"
  env "$@" "$bin" translate -m "$src/models/flowseq-small-multi30k" -i "$dir/fifo" -o "$dir/fifo.en" --quiet 2>/dev/null &
  local pid=$!
  exec 3>"$dir/fifo" # the open blocks until flowseq opens the FIFO: it has restarted by then
  tr '\0' '\n' <"/proc/$pid/environ" >"$dir/environ"
  echo "Ein Hund." >&3
  exec 3>&-
  wait $pid
  rm -f "$dir/fifo"
}
environment_of
check "the program runs with a bounded spin (GOMP_SPINCOUNT)" grep -qx 'GOMP_SPINCOUNT=[0-9]*' "$dir/environ"
environment_of OMP_WAIT_POLICY=active
check "a wait policy the user set is kept" bash -c "grep -qx 'OMP_WAIT_POLICY=active' '$dir/environ' && ! grep -q GOMP_SPINCOUNT '$dir/environ'"
environment_of GOMP_SPINCOUNT=7
check "a spin count the user set is kept" grep -qx 'GOMP_SPINCOUNT=7' "$dir/environ"

for bad in 0 -1 x 1.5 ''; do
  "$bin" translate --threads "$bad" -m "$src/models/flowseq-small-multi30k" </dev/null >/dev/null 2>"$dir/err"
  rc=$?
  check "--threads '$bad' is refused with exit 2" bash -c "[ $rc -eq 2 ] && grep -q -- '--threads: expected an integer' '$dir/err'"
done
"$bin" bleu --threads 1 <(echo a b c d) -i <(echo a b c d) -b -f text >"$dir/out" 2>&1
check "a command without parallel work takes --threads too" grep -qx '100.0' "$dir/out"
gzip -dc "${FLOWSEQ_CORPORA:-$src/../shared/corpora}/multi30k/test_2016_flickr.de.gz" 2>/dev/null | head -n 50 >"$dir/in.de"
[ -s "$dir/in.de" ] || printf 'Ein Hund läuft.\nZwei Männer spielen Fußball.\n' >"$dir/in.de"
for n in 1 2; do
  "$bin" translate --threads $n -m "$src/models/flowseq-small-multi30k" --decode npd -i "$dir/in.de" -o "$dir/out.$n" --quiet
done
check "one thread and two translate alike" cmp -s "$dir/out.1" "$dir/out.2"
# beside two busy processes decoding drops to the cores left free (fs_threads_adapt), and the
# output stays the same
busy=()
for _ in 1 2; do bash -c 'while :; do :; done' & busy+=($!); done
"$bin" translate -m "$src/models/flowseq-small-multi30k" --decode npd -i "$dir/in.de" -o "$dir/out.busy" --quiet
kill "${busy[@]}"
check "translating beside busy processes gives the same output" cmp -s "$dir/out.1" "$dir/out.busy"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
