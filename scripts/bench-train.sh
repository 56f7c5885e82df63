#!/usr/bin/env bash
# Training throughput of a config on this machine: target tokens/s and the GEMM FLOP rate the
# model sustains in both phases (pre-training without the flow, main phase with it), and the raw
# sgemm peak of bench_ops measured in the same run (the fraction of peak the model reaches).
#   scripts/bench-train.sh [--baseline REV | --ranks N] [--rounds R] [CONFIG] [UPDATES]
# Default: models/flowseq-small.yaml, 40 updates per phase, on Multi30k from ../shared/corpora
# ($FLOWSEQ_CORPORA overrides). Rates are those of each phase's last log line (steady state).
# Without --baseline: builds build/ (scripts/build.sh), trains once with FLOWSEQ_PROFILE=1 and
# prints the time split per kernel family too.
# --baseline REV: builds REV and the working tree (or takes $FLOWSEQ_BIN as the new binary) in
# a temporary directory, then runs baseline and new R times each (default 2) in ABBA order on the
# same config, tokenizer, data and updates, each run in a fresh output directory, and prints per
# phase the best tok/s of each, the speed-up, the new binary's GEMM GFLOP/s and its fraction of
# the raw sgemm peak (bench_ops once per round, the best; no profiling: it would slow both). Both
# binaries run in the caller's environment; the result is the ratio.
# --ranks N: data-parallel scaling on this machine with one binary ($FLOWSEQ_BIN or build/flowseq,
# built with MPI): 1 process with all the cores' threads against N ranks under mpirun with
# cores/N threads each, R rounds alternating, best tok/s of each per phase. An update of N ranks
# takes N batches (the job's tok/s counts them all), so both run the same number of batches.
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { echo "usage: scripts/bench-train.sh [--baseline REV | --ranks N] [--rounds R] [CONFIG] [UPDATES]" >&2; exit 2; }
baseline='' rounds=2 ranks='' pos=()
while [ $# -gt 0 ]; do
  case "$1" in
    --baseline) [ $# -ge 2 ] || usage; baseline=$2; shift ;;
    --rounds) [ $# -ge 2 ] || usage; rounds=$2; shift ;;
    --ranks) [ $# -ge 2 ] || usage; ranks=$2; shift ;;
    -*) usage ;;
    *) pos+=("$1") ;;
  esac
  shift
done
[ ${#pos[@]} -le 2 ] || usage
config=${pos[0]:-models/flowseq-small.yaml} updates=${pos[1]:-40}
[[ $updates =~ ^[1-9][0-9]*$ && $rounds =~ ^[1-9][0-9]*$ ]] || usage
[ -f "$config" ] || { echo "bench-train: no such config: $config" >&2; exit 2; }
if [ -n "$baseline" ] && ! git rev-parse --verify --quiet "$baseline^{commit}" >/dev/null; then
  echo "bench-train: no such revision: $baseline" >&2; exit 2
fi
corpora="${FLOWSEQ_CORPORA:-../shared/corpora}"
data=$corpora/multi30k
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -z "$ranks" ] || [[ $ranks =~ ^[2-9]$|^[1-9][0-9]+$ && -z $baseline ]] || usage

# the new binary (and bench_ops beside it), and with --baseline the baseline one
if [ -n "$ranks" ]; then
  new=${FLOWSEQ_BIN:-./build/flowseq}
  [ -n "${FLOWSEQ_BIN:-}" ] || bash scripts/build.sh >/dev/null
  "$new" info | grep -q "^mpi: yes" || { echo "bench-train: $new was built without MPI" >&2; exit 2; }
  command -v mpirun >/dev/null || { echo "bench-train: mpirun not found (scripts/install-deps.sh)" >&2; exit 2; }
elif [ -z "$baseline" ]; then
  bash scripts/build.sh >/dev/null
  new=./build/flowseq
else
  echo "building baseline $baseline and the new tree in $tmp ..."
  bash scripts/build-rev.sh "$baseline" "$tmp/base"
  base=$tmp/base/build/flowseq
  if [ -n "${FLOWSEQ_BIN:-}" ]; then
    new=$FLOWSEQ_BIN
  else
    bash scripts/build-rev.sh --worktree "$tmp/new" flowseq bench_ops
    new=$tmp/new/build/flowseq
  fi
fi
bench_ops=$(dirname "$new")/bench_ops
[ -n "$ranks" ] || [ -x "$bench_ops" ] || { bash scripts/build-rev.sh --worktree "$tmp/ops" bench_ops; bench_ops=$tmp/ops/build/bench_ops; }

"$new" vocab -i "$data/train.de.gz" -i "$data/train.en.gz" --vocab-size 8000 \
  --sample 20000 -o "$tmp/spm.model" 2>/dev/null
# train BIN NAME [LAUNCHER...]: one run of $updates updates per phase in the fresh output
# directory $tmp/NAME, log in $tmp/NAME.log
train() {
  local bin=$1 name=$2
  shift 2
  "$@" "$bin" train -c "$config" --train.train_src "$data/train.de.gz" --train.train_tgt "$data/train.en.gz" \
    --train.valid_src "$data/val.de.gz" --train.valid_tgt "$data/val.en.gz" \
    --train.spm "$tmp/spm.model" --train.output "$tmp/$name" \
    --train.init_steps "$updates" --train.max_updates "$updates" --train.log_every "$(((updates + 1) / 2))" \
    --train.valid_every 1000000 --train.init_batch_size 32 2>"$tmp/$name.log" || { tail -3 "$tmp/$name.log" >&2; exit 1; }
}
# steady LOG: "phase tok/s GEMM-GFLOP/s" of each phase's last log line
steady() {
  awk '/\[train\] (pre|main) / {
    match($0, /[0-9]+ tgt tok\/s/); split(substr($0, RSTART, RLENGTH), t, " ")
    match($0, /[0-9.]+ GEMM GFLOP\/s/); split(substr($0, RSTART, RLENGTH), g, " ")
    last[$4] = t[1] " " g[1] }
    END { for (i = 1; i <= 2; i++) { p = i == 1 ? "pre" : "main"; if (p in last) print p, last[p] } }' "$1"
}
# the best raw sgemm rate of bench_ops' fs_linear shapes (its "raw GF/s" column)
peak() { "$bench_ops" | awk '$1 == "linear" && $4 + 0 > best { best = $4 + 0 } END { print best + 0 }'; }

if [ -n "$ranks" ]; then
  cores=$(nproc) threads=$(( $(nproc) / ranks > 0 ? $(nproc) / ranks : 1 ))
  echo "config: $config, $updates updates per phase (1 process) and $((updates / ranks)) (the same batches over $ranks ranks)"
  for r in $(seq "$rounds"); do
    order="one many"; [ $((r % 2)) = 0 ] && order="many one"
    for who in $order; do
      if [ "$who" = one ]; then
        OMP_NUM_THREADS=$cores OPENBLAS_NUM_THREADS=$cores train "$new" "one.$r"
      else
        all=$updates updates=$(( updates / ranks > 0 ? updates / ranks : 1 ))
        OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads train "$new" "many.$r" \
          mpirun --allow-run-as-root --oversubscribe -np "$ranks" -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS
        updates=$all
      fi
      steady "$tmp/$who.$r.log" | sed "s/^/$who /" | tee -a "$tmp/results" |
        awk -v r="$r" '{ printf "  round %d %-4s %-4s %8d tgt tok/s\n", r, $1, $2, $3 }'
    done
  done
  awk -v n="$ranks" -v c="$cores" -v t="$threads" '{ k = $1 " " $2; if ($3 + 0 > tok[k]) tok[k] = $3 + 0 }
    END {
      printf "%-5s %22s %22s %9s\n", "phase", "1 rank x " c " threads", n " ranks x " t " threads", "ratio"
      for (i = 1; i <= 2; i++) {
        p = i == 1 ? "pre" : "main"
        if (("one " p) in tok && ("many " p) in tok)
          printf "%-5s %16d tok/s %16d tok/s %8.3fx\n", p, tok["one " p], tok["many " p], tok["many " p] / tok["one " p]
      }
    }' "$tmp/results"
  exit 0
fi
if [ -z "$baseline" ]; then
  FLOWSEQ_PROFILE=1 train "$new" run
  echo "config: $config   openblas: $("$new" info | sed -n 's/openblas core: //p')"
  steady "$tmp/run.log" | awk '{ printf "%-5s %s tgt tok/s, %s GEMM GFLOP/s\n", $1, $2, $3 }'
  echo "time split (FLOWSEQ_PROFILE=1: every kernel timed to completion):"
  awk '/time split of the/ { print "  " $8 " phase:" } /\[profile\]/ { sub(/.*\[profile\] /, "    "); print }' "$tmp/run.log"
  echo "raw sgemm peak (best bench_ops linear shape): $(peak) GFLOP/s (the model's GEMM rate is a fraction of it)"
  exit 0
fi

describe() { git log -1 --format='%h %s' "$1" | cut -c1-80; }
echo "config: $config, $updates updates per phase, $rounds round(s), corpora $corpora"
echo "baseline: $(describe "$baseline")"
if [ -n "${FLOWSEQ_BIN:-}" ]; then echo "new:      $FLOWSEQ_BIN"
else echo "new:      working tree at $(describe HEAD)$(git diff --quiet HEAD -- || echo ' + uncommitted changes')"; fi
for who in base new; do
  bin=$base; [ "$who" = new ] && bin=$new
  echo "flowseq info ($who):"; "$bin" info | sed 's/^/  /'
done
# the peak is measured once per round between the training runs and the best kept, as the
# training rates are: on a shared machine a single measurement can land in a slow moment
pk=0
for r in $(seq "$rounds"); do
  order="base new"; [ $((r % 2)) = 0 ] && order="new base"
  for who in $order; do
    bin=$base; [ "$who" = new ] && bin=$new
    train "$bin" "$who.$r"
    steady "$tmp/$who.$r.log" | sed "s/^/$who /" | tee -a "$tmp/results" |
      awk -v r="$r" '{ printf "  round %d %-4s %-4s %8d tgt tok/s %7.1f GEMM GFLOP/s\n", r, $1, $2, $3, $4 }'
  done
  p=$(peak)
  echo "  round $r raw sgemm peak $p GFLOP/s"
  pk=$(awk -v a="$pk" -v b="$p" 'BEGIN { print (b + 0 > a + 0 ? b : a) }')
done
echo
awk -v pk="$pk" '{ k = $1 " " $2; if ($3 + 0 > tok[k]) { tok[k] = $3 + 0; gf[k] = $4 + 0 } }
  END {
    printf "%-5s %12s %12s %9s %14s %9s\n", "phase", "base tok/s", "new tok/s", "speed-up", "new GEMM GF/s", "of peak"
    for (i = 1; i <= 2; i++) {
      p = i == 1 ? "pre" : "main"
      if (!(("new " p) in tok) || !(("base " p) in tok)) continue
      printf "%-5s %12d %12d %8.3fx %14.1f %9.3f\n", p, tok["base " p], tok["new " p], tok["new " p] / tok["base " p],
        gf["new " p], (pk > 0 ? gf["new " p] / pk : 0)
    }
  }' "$tmp/results"
echo "raw sgemm peak: $pk GFLOP/s (bench_ops of the new tree, best linear shape, best of one run per round); best of $rounds round(s) per binary"
