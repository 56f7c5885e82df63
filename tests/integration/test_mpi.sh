#!/usr/bin/env bash
# Data-parallel training over MPI on 64 Multi30k pairs (tiny preset, dropout on): 2 ranks end with
# the parameters of one process accumulating 2 batches per update, through the init, pre-training
# and main phases, for FlowSeq and the Transformer; SIGTERM to one rank stops the whole job after
# one save with every rank exiting 0, and a resume with another rank count finishes the run; a
# rank killed outright ends the job at once, and the checkpoint written before resumes with 2
# ranks to exactly the uninterrupted run's parameters. Skips without an MPI build or mpirun.
source "$(dirname "$0")/lib.sh"
"$bin" info 2>/dev/null | grep -q "^mpi: yes" || { echo "SKIP: flowseq was built without MPI (FLOWSEQ_MPI=OFF)"; exit 77; }
command -v mpirun >/dev/null || { echo "SKIP: mpirun not found (scripts/install-deps.sh installs Open MPI)"; exit 77; }
helper="$(dirname "$bin")/params_close" # tests/integration/params_close.c, built beside flowseq
[ -x "$helper" ] || { echo "FAIL: $helper is missing"; exit 1; }
close() { "$helper" "$dir/$1/model.safetensors" "$dir/$2/model.safetensors" 1e-4; } # prints the distance
multi30k_pairs
"$bin" vocab -i "$corpora/multi30k/train.de.gz" -i "$corpora/multi30k/train.en.gz" --vocab-size 1000 --sample 20000 \
  -o "$dir/spm.model" 2>/dev/null
mpi=(mpirun --allow-run-as-root --oversubscribe -np 2)

# 512 tokens make 4 batches an epoch, so the job's 2 batches an update cross epoch boundaries. The
# runs agree to fp32 rounding (the gradients are summed in another order), which a high learning
# rate would amplify from update to update: at 0.003 they stay within 1e-6 after 32 updates, while
# another batch split (accumulate 1) is about 0.1 away.
data=(--train.train_src "$dir/train.de" --train.train_tgt "$dir/train.en" --train.valid_src "$dir/train.de"
  --train.valid_tgt "$dir/train.en" --train.spm "$dir/spm.model" --train.max_tokens 512 --train.warmup 4
  --train.lr 0.003)
flow=(train -c "$src/models/flowseq-tiny.yaml" "${data[@]}" --train.init_steps 8 --train.max_updates 16
  --train.kl_warmup_steps 8 --train.valid_every 8 --train.log_every 4)
"$bin" "${flow[@]}" --train.accumulate 2 --train.output "$dir/one" 2>"$dir/one.log"
"${mpi[@]}" "$bin" "${flow[@]}" --train.output "$dir/two" 2>"$dir/two.log"
check "2 ranks exit 0" test $? -eq 0
check "2 ranks train to the end" grep -q "^phase: done" "$dir/two/progress.yaml"
check "the job says how it is split" grep -q "data parallel over 2 ranks .* 2 ranks x 1 accumulated = 2 batches" "$dir/two.log"
check "only rank 0 logs" test "$(grep -c "posterior mean head initialised" "$dir/two.log")" -eq 1
check "FlowSeq: 2 ranks = 1 process accumulating 2" close one two
# the logged loss parts and tokens/s are the whole job's: the rows agree with the single process
check "the metrics rows of both agree" awk -F'\t' 'NR == FNR { r[FNR] = $4; k[FNR] = $5; next }
  FNR > 1 && $3 != "valid" && (($4 - r[FNR]) ^ 2 > 1e-6 * r[FNR] ^ 2 || ($5 - k[FNR]) ^ 2 > 1e-6 * (k[FNR] ^ 2 + 1)) { bad = 1 }
  END { exit bad || FNR != NR / 2 }' "$dir/one.metrics.tsv" "$dir/two.metrics.tsv"

ar=(train -c "$src/models/flowseq-tiny.yaml" --model.type transformer "${data[@]}" --train.max_updates 16
  --train.valid_every 8 --train.log_every 4)
"$bin" "${ar[@]}" --train.accumulate 2 --train.output "$dir/ar1" 2>"$dir/ar1.log"
"${mpi[@]}" "$bin" "${ar[@]}" --train.output "$dir/ar2" 2>"$dir/ar2.log"
check "Transformer: 2 ranks = 1 process accumulating 2" close ar1 ar2

rank_pid() { # the pid of rank $2 of the mpirun whose pid is $1 (its child, launched locally)
  local p pid comm state ppid
  for p in /proc/[0-9]*; do
    read -r pid comm state ppid _ <"$p/stat" 2>/dev/null && [ "$ppid" = "$1" ] || continue
    tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo "$pid"; return; }
  done
}
# starts a 2-rank run into $dir/$1 and sends signal $2 to rank 1 after the first checkpoint (early,
# far from the end: saves do not change the training); sets $rc, mpirun's exit status, and $tenths,
# the tenths of a second it took to end (at most 600). The whole run can take well under a second,
# faster than any polling of the log, so rank 1 is held with SIGSTOP while the log is read: rank 0
# then waits for it at the next gradient sum and the job cannot end before the signal arrives.
find_rank1() { rank1=$(rank_pid "$job" 1); [ -n "$rank1" ]; }
interrupt() {
  # a checkpoint every update (saves do not change the training)
  "${mpi[@]}" "$bin" "${flow[@]}" --train.save_every 1 --train.output "$dir/$1" 2>"$dir/$1.log" &
  job=$! rank1=
  wait_for 120 "rank 1 of the job to start" $job find_rank1
  local end=$((SECONDS + 300))
  while kill -STOP "$rank1" 2>/dev/null; do
    sleep 0.05 # the log reaches the file through mpirun
    grep -q "checkpoint saved" "$dir/$1.log" && break
    kill -CONT "$rank1"
    [ $SECONDS -lt $end ] || { echo "FAIL: no checkpoint after 300 s"; kill -KILL $job; exit 1; }
    sleep 0.005
  done
  kill "-$2" "$rank1"
  kill -CONT "$rank1" 2>/dev/null
  tenths=0
  while kill -0 $job 2>/dev/null && [ $tenths -lt 600 ]; do sleep 0.1; tenths=$((tenths + 1)); done
  kill -0 $job 2>/dev/null && kill -KILL $job # hung: the check on $tenths fails
  wait $job
  rc=$?
}

interrupt term TERM
check "SIGTERM to rank 1: every rank exits 0 (mpirun: $rc)" test $rc -eq 0
check "the job stopped early, in agreement" grep -q "SIGINT/SIGTERM received: stopping after update" "$dir/term.log"
check "the stop saves once" test "$(sed -n '/SIGTERM received/,$p' "$dir/term.log" | grep -c "checkpoint saved")" -eq 1
check "the checkpoint is of an unfinished run" grep -qE "^phase: (pretrain|main)$" "$dir/term/progress.yaml"
"$bin" "${flow[@]}" --train.accumulate 2 --train.output "$dir/term" 2>"$dir/term.resume.log"
check "1 process resumes the 2-rank checkpoint" grep -q "resumed from" "$dir/term.resume.log"
check "and ends where the uninterrupted run does" close one term

interrupt kill KILL
check "SIGKILL to rank 1 ends the job with an error (mpirun: $rc)" test $rc -ne 0
check "within 60 s (took $((tenths / 10)).$((tenths % 10)) s)" test $tenths -lt 600
"${mpi[@]}" "$bin" "${flow[@]}" --train.output "$dir/kill" 2>"$dir/kill.resume.log"
check "2 ranks resume from the checkpoint written before" grep -q "resumed from" "$dir/kill.resume.log"
check "resumed parameters equal the uninterrupted 2-rank run's" cmp -s "$dir/two/model.safetensors" "$dir/kill/model.safetensors"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
