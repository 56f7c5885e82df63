#!/usr/bin/env bash
# Speed beside other work: each decoding mode (FlowSeq argmax, FlowSeq npd 3x5, the teacher's
# beam 4) translates the first N lines of Multi30k test_2016, and a short flowseq-small training
# run (pre-training updates on 2000 pairs) trains, first on a quiet machine, then beside one and
# beside two busy processes (`while :; do :; done`, the load of a shared laptop or node). Prints
# sentences/s (training: target tokens/s) and the share of the quiet speed kept beside the load.
#   scripts/bench-contention.sh [--lines N] [--rounds R] [--threads T] [--no-train] [--baseline REV]
# --lines N (default 300) times that many lines; --rounds R (default 1) keeps each measurement's
# best of R runs; --threads T passes --threads to every command (default: flowseq's own choice);
# --baseline REV builds REV and the working tree (as bench-decode.sh does) and measures both,
# alternating, so the table compares them in one run. Every run stops after 600 s (then shown
# as "> 600 s"). Run it alone on the machine: anything else running is more contention.
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { echo "usage: scripts/bench-contention.sh [--lines N] [--rounds R] [--threads T] [--no-train] [--baseline REV]" >&2; exit 2; }
lines=300 rounds=1 threads='' train=1 baseline=''
while [ $# -gt 0 ]; do
  case "$1" in
    --lines) [ $# -ge 2 ] || usage; lines=$2; shift ;;
    --rounds) [ $# -ge 2 ] || usage; rounds=$2; shift ;;
    --threads) [ $# -ge 2 ] || usage; threads=$2; shift ;;
    --baseline) [ $# -ge 2 ] || usage; baseline=$2; shift ;;
    --no-train) train=0 ;;
    *) usage ;;
  esac
  shift
done
[[ $lines =~ ^[1-9][0-9]*$ && $rounds =~ ^[1-9][0-9]*$ && $threads =~ ^[0-9]*$ ]] || usage
corpora="${FLOWSEQ_CORPORA:-../shared/corpora}"
[ -f "$corpora/multi30k/test_2016_flickr.de.gz" ] || { echo "bench-contention: Multi30k not found under $corpora" >&2; exit 1; }
tmp=$(mktemp -d)
busy_pids=()
stop_load() { [ ${#busy_pids[@]} -eq 0 ] || kill "${busy_pids[@]}" 2>/dev/null; wait "${busy_pids[@]}" 2>/dev/null || true; busy_pids=(); }
trap 'stop_load; rm -rf "$tmp"' EXIT
start_load() { # N busy processes
  for ((k = 0; k < $1; k++)); do
    bash -c 'while :; do :; done' &
    busy_pids+=($!)
  done
}

names=(new) bins=(./build/flowseq)
if [ -n "$baseline" ]; then
  echo "building baseline $baseline and the working tree in $tmp ..." >&2
  bash scripts/build-rev.sh "$baseline" "$tmp/base" >&2
  bash scripts/build-rev.sh --worktree "$tmp/new" >&2
  names=(base new) bins=("$tmp/base/build/flowseq" "$tmp/new/build/flowseq")
fi
for b in "${bins[@]}"; do [ -x "$b" ] || { echo "bench-contention: $b not built (scripts/build.sh)" >&2; exit 1; }; done
thread_args=()
[ -z "$threads" ] || thread_args=(--threads "$threads")

# awk reads to the end: head would stop gzip with SIGPIPE, a failure under pipefail
gzip -dc "$corpora/multi30k/test_2016_flickr.de.gz" | awk -v n="$lines" 'NR <= n' >"$tmp/src"
gzip -dc "$corpora/multi30k/train.de.gz" | awk 'NR <= 2000' >"$tmp/train.de"
gzip -dc "$corpora/multi30k/train.en.gz" | awk 'NR <= 2000' >"$tmp/train.en"
flowseq_model=models/flowseq-small-multi30k teacher=models/ar-small-multi30k

# Seconds one run takes (its best of R), or 600 when it ran out of time.
run_seconds() { # binary, what (argmax | npd | beam4 | train)
  local bin=$1 what=$2 best='' start end k
  for ((k = 0; k < rounds; k++)); do
    start=$(date +%s.%N)
    case $what in
      argmax) timeout 600 "$bin" translate -m $flowseq_model -i "$tmp/src" -o "$tmp/out" --quiet "${thread_args[@]}" ;;
      npd) timeout 600 "$bin" translate -m $flowseq_model --decode npd --lengths 3 --samples 5 -i "$tmp/src" -o "$tmp/out" \
        --quiet "${thread_args[@]}" ;;
      beam4) timeout 600 "$bin" translate -m $teacher --beam 4 -i "$tmp/src" -o "$tmp/out" --quiet "${thread_args[@]}" ;;
      train) rm -rf "$tmp/model"*
        timeout 600 "$bin" train -c models/flowseq-small.yaml --train.train_src "$tmp/train.de" --train.train_tgt "$tmp/train.en" \
          --train.valid_src "$tmp/train.de" --train.valid_tgt "$tmp/train.en" --train.spm $flowseq_model/spm.model \
          --train.output "$tmp/model" --train.init_steps 30 --train.max_updates 0 --train.log_every 10 \
          "${thread_args[@]}" 2>"$tmp/train.log" >/dev/null ;;
    esac 2>/dev/null || { best=600; break; }
    end=$(date +%s.%N)
    best=$(awk -v a="$best" -v b="$start" -v c="$end" 'BEGIN { t = c - b; print (a == "" || t < a) ? t : a }')
  done
  echo "$best"
}
# What one run did: lines for translation, its 30 pre-training updates for training
work_of() { if [ "$1" = train ]; then echo 30; else echo "$lines"; fi; }

printf '%-8s %-6s %14s %22s %22s\n' mode binary "quiet" "beside 1 busy" "beside 2 busy"
modes=(argmax npd beam4)
[ "$train" -eq 0 ] || modes+=(train)
for what in "${modes[@]}"; do
  declare -A seconds=()
  for load in 0 1 2; do
    start_load $load
    sleep 0.5
    for i in "${!bins[@]}"; do seconds[$i.$load]=$(run_seconds "${bins[$i]}" "$what"); done
    stop_load
  done
  unit=sent/s
  [ "$what" != train ] || unit=upd/s
  for i in "${!bins[@]}"; do
    work=$(work_of "$what")
    awk -v what="$what" -v name="${names[$i]}" -v w="$work" -v unit="$unit" -v q="${seconds[$i.0]}" -v a="${seconds[$i.1]}" \
      -v b="${seconds[$i.2]}" 'function rate(t) { return t >= 600 ? "> 600 s" : sprintf("%.1f %s", w / t, unit) }
      function kept(t) { return t >= 600 ? "" : sprintf(" (%.0f %%)", 100 * q / t) }
      BEGIN { printf "%-8s %-6s %14s %16s%6s %16s%6s\n", what, name, rate(q), rate(a), kept(a), rate(b), kept(b) }'
  done
  unset seconds
done
