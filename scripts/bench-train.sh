#!/usr/bin/env bash
# Training throughput of a config on this machine: target tokens/s and the GEMM FLOP rate the
# model sustains in both phases (pre-training without the flow, main phase with it), the time
# split per kernel family (FLOWSEQ_PROFILE=1), and the raw sgemm rate of bench_ops measured in
# the same run (the fraction of peak the model reaches).
#   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE scripts/bench-train.sh [CONFIG] [UPDATES]
# Default: models/flowseq-small.yaml, 40 updates per phase, on Multi30k from ../shared/corpora.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-models/flowseq-small.yaml} updates=${2:-40}
corpora="${FLOWSEQ_CORPORA:-../shared/corpora}"
bash scripts/build.sh >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./build/flowseq vocab -i "$corpora/multi30k/train.de.gz" -i "$corpora/multi30k/train.en.gz" --vocab-size 8000 \
  --sample 20000 -o "$tmp/spm.model" 2>/dev/null
FLOWSEQ_PROFILE=1 ./build/flowseq train -c "$config" --train.spm "$tmp/spm.model" --train.output "$tmp/run" \
  --train.init_steps "$updates" --train.max_updates "$updates" --train.log_every "$((updates / 2))" \
  --train.valid_every 1000000 --train.init_batch_size 32 2>"$tmp/log" || { tail -3 "$tmp/log"; exit 1; }
echo "config: $config   openblas: $(./build/flowseq info | sed -n 's/openblas core: //p')"
awk '/\[train\] (pre|main) / {
  phase = $4; match($0, /[0-9]+ tgt tok\/s/); tok = substr($0, RSTART, RLENGTH)
  match($0, /[0-9.]+ GEMM GFLOP\/s/); fl = substr($0, RSTART, RLENGTH); last[phase] = tok ", " fl }
  END { for (p in last) printf "%-5s %s\n", p, last[p] }' "$tmp/log"
echo "time split (FLOWSEQ_PROFILE=1: every kernel timed to completion):"
awk '/time split of the/ { print "  " $8 " phase:" } /\[profile\]/ { sub(/.*\[profile\] /, "    "); print }' "$tmp/log"
./build/bench_ops | awk '/^4096x512x512/ { printf "raw sgemm 4096x512x512: %s GFLOP/s (the model'"'"'s GEMM rate is a fraction of it)\n", $3 }'
