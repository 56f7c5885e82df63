#!/usr/bin/env bash
# The one prepared check for a short GPU loan (docs/architecture.md#backend), ten minutes at most.
# The GPU machine has CUDA but no Debian packages, so the binaries are built here with their
# libraries:
#   scripts/gpu-bundle.sh                  (here: builds and fills build-gpu-bundle/)
#   scripts/gpu-check.sh                   (there, with build-gpu/bundle.tar.xz, or build-gpu-bundle,
#                                           and Multi30k in corpora/multi30k carried along)
# Its steps, each with a time limit inside the budget (GPU_CHECK_SECONDS, 540 s; a step that would
# start with less than 15 s left is skipped), the most wanted first:
#   parity       the gpu-labelled tests: CPU/CUDA kernel parity; NCCL's all-reduce of one rank
#                against the sum through host memory (MPI's path), both timed on a buffer of
#                flowseq-base-wmt14's gradient size
#   gemm         cuBLAS products (fp32, TF32, bf16) against the card's dense peak (bench_gemm)
#   tiny         the tiny preset trained on CUDA and on the CPU from one seed, loss parts compared
#                row by row (scripts/gpu-train-check.sh; tolerance 0.02)
#   small        flowseq-small, 300 updates (100 pre-training) in fp32 and in bf16: loss curves
#                (metrics TSVs), tokens/s, peak GPU memory; bf16's loss over the last 50 updates
#                within 1 % of fp32's
#   base         flowseq-base-wmt14 on Multi30k (its spm: an 8k vocabulary, not WMT's 37k; 256
#                sentences a batch) for a fixed time each in fp32 and bf16: tokens/s, peak GPU
#                memory, the bf16 speed-up
#   decode       Multi30k test_2016 (1000 sentences) on the GPU: FlowSeq argmax, NPD 3x5 ranked by
#                the teacher, the teacher's beam 4: sentences/s (start-up taken out) and BLEU
#   unit, ops    the unit tests on the CUDA backend (a bundle made with --unit-tests), bench_ops on
#                both backends: in the time left
# bf16 steps need train.precision (SKIP where `flowseq train --dump-config` has no such key).
# Peak memory is nvidia-smi's memory.used of the GPU, sampled every second, less what was in use
# before the run.
# Under $OUT (default ./gpu-check-out), at most 8 files (what a loan brings back):
#   summary.txt   one line per step (PASS / FAIL / SKIP) and the table of figures at its end
#   results.tsv   the table: step, what, value
#   logs.tar.gz   every step's log and output, device.txt (GPU, bundle, libraries), metrics files
#   small-fp32.metrics.tsv  small-bf16.metrics.tsv   the two loss curves
# Exit status: 0 all passed; 1 a check failed; 2 no bundle; 3 libraries missing; 4 no usable GPU.
#   usage: scripts/gpu-check.sh [--help]
#   GPU_CHECK_BUNDLE=DIR  the bundle (default build-gpu-bundle, unpacked from build-gpu/bundle.tar.xz
#                         when absent)
#   FLOWSEQ_CORPORA=DIR   where multi30k/ is (else corpora/, ../shared/corpora)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
if [ $# -gt 0 ]; then
  case $1 in
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-check: unknown argument $1 (--help)" >&2; exit 2 ;;
  esac
fi
out="${OUT:-gpu-check-out}"
# the packed bundle is unpacked only where no other bundle is named
if [ -n "${GPU_CHECK_BUNDLE:-}" ]; then bundle=$GPU_CHECK_BUNDLE packed=""
else bundle=build-gpu-bundle packed=build-gpu/bundle.tar.xz; fi
budget="${GPU_CHECK_SECONDS:-540}"
deadline=$((SECONDS + budget))
mkdir -p "$out" || exit 2
work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
logs=$work/logs
mkdir -p "$logs"
: >"$out/summary.txt"
printf 'step\twhat\tvalue\n' >"$out/results.tsv"
say() { echo "[gpu-check] $*" | tee -a "$out/summary.txt"; }
row() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$out/results.tsv"; } # STEP WHAT VALUE
# packs the logs after every step: a run stopped at its limit still brings back what it had
pack() { tar -czf "$out/logs.tar.gz.tmp" -C "$work" logs 2>/dev/null && mv "$out/logs.tar.gz.tmp" "$out/logs.tar.gz"; }
trap 'pack; rm -rf "$work"' EXIT

# shellcheck source=scripts/gpu-env.sh
source scripts/gpu-env.sh
if ! gpu_bundle_ready "$bundle" "$packed" || [ ! -x "$bundle/bin/gpu_test_parity" ]; then
  say "FAIL: $bundle/bin is missing: run scripts/gpu-bundle.sh where the libraries are and carry build-gpu/bundle.tar.xz (or build-gpu-bundle)"
  exit 2
fi
# cuBLAS and NCCL come from the machine (the loader's cache, the toolkit, or the Python wheels);
# the bundle's libstdc++ only where the machine has none, so that a newer system one wins
gpu_bundle_env "$bundle"
bin=$bundle/bin
{
  echo "== nvidia-smi"
  nvidia-smi 2>&1 || echo "nvidia-smi not available"
  echo "== bundle"
  cat "$bin/../MANIFEST" 2>/dev/null
  echo "cuBLAS from: $(gpu_cublas_dir)"
  echo "NCCL from: $(gpu_nccl_dir)"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  echo "== ldd libflowseq_cuda.so"
  ldd "$bin/libflowseq_cuda.so" 2>&1
  echo "== flowseq info"
  timeout 60 "$bin/flowseq" info 2>&1
} >"$logs/device.txt" 2>&1
missing=$(for b in "$bin"/*; do ldd "$b"; done 2>/dev/null | grep 'not found' | sort -u)
if [ -n "$missing" ]; then
  say "FAIL: libraries not found on this machine (see device.txt in logs.tar.gz):"
  say "$missing"
  exit 3
fi

status=0
# step NAME LOG LIMIT COMMAND...: runs with LIMIT seconds at most (less when the budget has less
# left; skipped under 15 s), appends to LOG, records PASS / FAIL / SKIP, returns the exit status
step() {
  local name=$1 log=$2 limit=$3 rc left=$((deadline - SECONDS))
  shift 3
  if [ "$left" -lt 15 ]; then
    say "SKIP: $name (the ${budget} s budget is spent)"
    return 75
  fi
  [ "$limit" -le "$left" ] || limit=$left
  echo "== $name" >>"$logs/$log"
  if declare -F "$1" >/dev/null; then # a function of this script: in a shell timeout can stop
    timeout -k 10 "$limit" bash -c '"$@"' _ "$@" >>"$logs/$log" 2>&1
  else
    timeout -k 10 "$limit" "$@" >>"$logs/$log" 2>&1
  fi
  rc=$?
  case $rc in
    0) say "PASS: $name" ;;
    77) say "SKIP: $name ($(grep -h '^SKIP' "$logs/$log" | tail -n 1))" ;;
    124 | 137) say "FAIL: $name (timed out after ${limit}s)"; status=1 ;;
    *) say "FAIL: $name (exit $rc, see $log)"; status=1 ;;
  esac
  pack
  return $rc
}

# ---- parity; no device: say so once and stop (the rest would only re-run the CPU) -------------
step parity gpu-tests.txt 90 "$bin/gpu_test_parity"
if [ $? -eq 77 ]; then
  say "FAIL: no usable CUDA device (see gpu-tests.txt, device.txt in logs.tar.gz): nothing else checked"
  exit 4
fi
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)
row device gpu "${gpu_name:-unknown}"
step "nccl all-reduce (1 rank) vs host/MPI sum" nccl.txt 60 "$bin/gpu_test_nccl" &&
  row nccl "sum of 73 M floats" "$(grep -m1 'path' "$logs/nccl.txt" | sed 's/.*floats ([0-9]* MB): //')"

# ---- cuBLAS against the dense peak --------------------------------------------------------------
if step "gemm (cuBLAS vs dense peak)" gemm.txt 40 "$bin/bench_gemm"; then
  awk '$1 ~ /^(fp32|tf32|bf16)$/ && $2 ~ /^[0-9]+$/ {
         shape = $9; for (i = 10; i <= NF; i++) shape = shape " " $i
         printf "gemm\t%s %sx%sx%s (%s)\t%s TFLOP/s, %s of peak\n", $1, $2, $3, $4, shape, $6, $8 }' \
    "$logs/gemm.txt" >>"$out/results.tsv"
fi

# ---- data and models for the training and decoding steps ---------------------------------------
data=""
for d in "${FLOWSEQ_CORPORA:-/nonexistent}/multi30k" corpora/multi30k ../shared/corpora/multi30k; do
  if [ -f "$d/train.de.gz" ] && [ -f "$d/test_2016_flickr.de.gz" ]; then data=$d; break; fi
done
spm=models/flowseq-small-multi30k/spm.model
precision=0
"$bin/flowseq" train --dump-config 2>/dev/null | grep -q '^ *precision:' && precision=1
smi=0
command -v nvidia-smi >/dev/null && smi=1
# sampled PIDFILE_PEAK COMMAND...: runs COMMAND in the background while sampling the GPU's
# memory in use every second; writes the peak above the memory in use before it to PIDFILE_PEAK
sampled() {
  local peak_file=$1 base peak=0 used pid rc
  shift
  base=$([ $smi -eq 1 ] && nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -n 1 || echo 0)
  "$@" &
  pid=$!
  while kill -0 $pid 2>/dev/null; do
    if [ $smi -eq 1 ]; then
      used=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -n 1)
      [ -n "$used" ] && [ "$used" -gt "$peak" ] 2>/dev/null && peak=$used
    fi
    sleep 1
  done
  wait $pid
  rc=$?
  if [ $smi -eq 1 ] && [ "$peak" -gt 0 ]; then echo $((peak - base)) >"$peak_file"; else echo n/a >"$peak_file"; fi
  return $rc
}
# the mean of a metrics column over a phase's rows, after the first `skip` of them ("n/a": none)
column_mean() { # FILE COLUMN PHASE SKIP [LAST_N]
  awk -F'\t' -v name="$2" -v phase="$3" -v skip="$4" -v last="${5:-0}" '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
    $3 == phase && $c != "" && ++seen > skip { v[++n] = $c }
    END { from = last > 0 && n > last ? n - last + 1 : 1
          for (i = from; i <= n; i++) { s += v[i]; k++ }
          if (k) printf "%.4g", s / k; else printf "n/a" }' "$1"
}
# train NAME LIMIT ARGS...: flowseq train under a time limit (SIGTERM: the trainer saves and
# stops), metrics and peak memory kept; a run stopped by its limit is no failure of this step
train_run() {
  local name=$1 limit=$2
  shift 2
  sampled "$work/$name.peak" timeout -k 30 "$limit" "$bin/flowseq" train "$@" \
    --train.train_src "$data/train.de.gz" --train.train_tgt "$data/train.en.gz" \
    --train.valid_src "$data/val.de.gz" --train.valid_tgt "$data/val.en.gz" --train.spm "$spm" \
    --train.seed 1 --train.valid_every 1000000 --train.output "$work/$name"
  local rc=$?
  cp "$work/$name.metrics.tsv" "$logs/" 2>/dev/null
  [ $rc -eq 124 ] && [ -s "$work/$name.metrics.tsv" ] && rc=0
  return $rc
}
# flowseq's own report of the activation memory it used (the arena is taken whole at the start)
arena_peak() { sed -n 's/.*device arena: peak \([0-9]*\) MiB of \([0-9]*\) MiB.*/arena peak \1 of \2/p' "$logs/$1" | tail -n 1; }
export -f sampled train_run
export bin work logs data spm smi
run_limit() { # the smaller of $1 and the budget left less 20 s
  local left=$((deadline - SECONDS - 20))
  echo $(($1 < left ? $1 : left))
}

if [ -z "$data" ]; then
  say "FAIL: Multi30k not found (\$FLOWSEQ_CORPORA/multi30k, corpora/multi30k, ../shared/corpora/multi30k): carry corpora/multi30k (scripts/get-corpus.sh multi30k); no training or decoding checked"
  status=1
else
  # ---- tiny: CUDA against the CPU ------------------------------------------------------------
  step "tiny: cuda vs cpu loss parts" tiny.txt 120 env OUT="$logs/tiny" FLOWSEQ="$bin/flowseq" \
    bash scripts/gpu-train-check.sh --updates 60 --minutes 0 --data "$data"
  row tiny "cuda vs cpu" "$(grep -h -m1 -E '(PASS|FAIL): tiny' "$logs/tiny/summary.txt" 2>/dev/null | sed 's/.*: tiny: //')"

  # ---- small: fp32 and bf16 loss curves, 300 updates -----------------------------------------
  small_args=(-c models/flowseq-small.yaml --train.init_steps 100 --train.kl_warmup_steps 100
    --train.max_updates 200 --train.log_every 10)
  for p in fp32 bf16; do
    extra=()
    if [ $p = bf16 ]; then
      [ $precision -eq 1 ] || { say "SKIP: small bf16 (this flowseq has no train.precision)"; continue; }
      extra=(--train.precision bf16)
    fi
    if step "small $p: 300 updates" small-$p.log 90 train_run small-$p "$(run_limit 80)" "${small_args[@]}" "${extra[@]}"; then
      cp "$work/small-$p.metrics.tsv" "$out/small-$p.metrics.tsv"
      m=$work/small-$p.metrics.tsv
      row small "$p tokens/s (main phase)" "$(column_mean "$m" tok_per_s main 1)"
      row small "$p peak GPU memory (MiB)" "$(cat "$work/small-$p.peak") (nvidia-smi), $(arena_peak small-$p.log)"
      row small "$p updates reached" "$(awk -F'\t' 'NR > 1 && $3 != "valid" { u = $1 } END { print u + 0 }' "$m")"
    fi
  done
  if [ -f "$out/small-fp32.metrics.tsv" ] && [ -f "$out/small-bf16.metrics.tsv" ]; then
    # the total loss (recon + kl + length) over the last 5 rows both runs logged, compared
    verdict=$(awk -F'\t' 'FNR == 1 { next } $3 != "main" { next }
        FILENAME == ARGV[1] { a[$1] = $4 + $5 + $6; next } ($1 in a) { b[$1] = $4 + $5 + $6; u[++n] = $1 }
        END { for (i = (n > 5 ? n - 4 : 1); i <= n; i++) { sa += a[u[i]]; sb += b[u[i]]; k++ }
              if (!k) { print "none"; exit }
              g = (sb - sa) / (sa < 0 ? -sa : sa); printf "%.4f %.4g %.4g %d\n", (g < 0 ? -g : g), sa / k, sb / k, u[n] }' \
      "$out/small-fp32.metrics.tsv" "$out/small-bf16.metrics.tsv")
    if [ "$verdict" = none ]; then
      say "FAIL: small: fp32 and bf16 share no main-phase row"
      status=1
    else
      read -r gap loss32 loss16 upto <<<"$verdict"
      line="bf16 loss $loss16 vs fp32 $loss32 (mean of the last 5 logged rows up to update $upto): gap $gap"
      row small "bf16 vs fp32 loss" "$line"
      if awk -v g="$gap" 'BEGIN { exit !(g <= 0.01) }'; then say "PASS: small: $line (at most 0.01)"
      else say "FAIL: small: $line (over 0.01)"; status=1; fi
    fi
  fi

  # ---- base: throughput in fp32 and bf16 ----------------------------------------------------------
  # 256 sentences a batch, not the recipe's 2048 (which its accumulate reaches on smaller GPUs), and
  # the GPU's free memory less 6 GiB (parameters, optimizer state, cuBLAS) as the activation arena
  free=$(nvidia-smi --query-gpu=memory.free --format=csv,noheader,nounits 2>/dev/null | head -n 1)
  base_arena=$(( ${free:-16384} > 14336 ? ${free:-16384} - 6144 : 8192 ))
  for p in fp32 bf16; do
    extra=()
    if [ $p = bf16 ]; then
      [ $precision -eq 1 ] || { say "SKIP: base bf16 (this flowseq has no train.precision)"; continue; }
      extra=(--train.precision bf16)
    fi
    if step "base $p: timed training" base-$p.log 100 train_run base-$p "$(run_limit 70)" \
      -c models/flowseq-base-wmt14.yaml --train.init_steps 0 --train.log_every 5 --train.max_sentences 256 \
      --train.arena_mb "$base_arena" "${extra[@]}"; then
      row base "$p tokens/s (main phase)" "$(column_mean "$work/base-$p.metrics.tsv" tok_per_s main 1)"
      row base "$p peak GPU memory (MiB)" "$(cat "$work/base-$p.peak") (nvidia-smi), $(arena_peak base-$p.log)"
    fi
  done
  if [ -f "$work/base-fp32.metrics.tsv" ] && [ -f "$work/base-bf16.metrics.tsv" ]; then
    f32=$(column_mean "$work/base-fp32.metrics.tsv" tok_per_s main 1)
    f16=$(column_mean "$work/base-bf16.metrics.tsv" tok_per_s main 1)
    speedup=$(awk -v a="$f32" -v b="$f16" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", b / a; else print "n/a" }')
    row base "bf16 speed-up (tokens/s)" "$speedup"
    say "base: bf16 trains at ${speedup}x fp32's tokens/s (the issue asks at least 1.5)"
  fi

  # ---- decode: sentences/s on the GPU ----------------------------------------------------------
  gzip -dc "$data/test_2016_flickr.de.gz" >"$work/test.de"
  gzip -dc "$data/test_2016_flickr.en.gz" >"$work/test.en"
  head -n 1 "$work/test.de" >"$work/one.de"
  lines=$(wc -l <"$work/test.de")
  export lines
  # decode NAME ARGS...: translates the test set and one line; sentences/s of the difference
  # (the start-up, CUDA and the model's loading, is in both)
  decode() {
    local name=$1 t0 t1 t2
    shift
    t0=$(date +%s.%N)
    "$bin/flowseq" translate "$@" -i "$work/one.de" -o "$work/$name.one" --quiet || return 1
    t1=$(date +%s.%N)
    "$bin/flowseq" translate "$@" -i "$work/test.de" -o "$work/$name.en" --quiet || return 1
    t2=$(date +%s.%N)
    cp "$work/$name.en" "$logs/"
    awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$lines" \
      'BEGIN { printf "%.1f sentences/s (%d sentences in %.2f s, start-up %.2f s)\n", (n - 1) / ((c - b) - (b - a)), n, c - b, b - a }' \
      >"$work/$name.rate"
    "$bin/flowseq" bleu "$work/test.en" -i "$work/$name.en" -m bleu -f text >"$work/$name.bleu"
  }
  export -f decode
  flow=models/flowseq-small-multi30k teacher=models/ar-small-multi30k
  for mode in argmax npd beam4; do
    case $mode in
      argmax) args=(-m "$flow" --decode argmax --max-tokens 16384) ;;
      npd) args=(-m "$flow" --decode npd --lengths 3 --samples 5 --rescore "$teacher" --max-tokens 16384) ;;
      beam4) args=(-m "$teacher" --beam 4 --max-tokens 8192) ;;
    esac
    if step "decode $mode" decode.txt 60 decode "$mode" "${args[@]}"; then
      row decode "$mode" "$(cat "$work/$mode.rate"), BLEU $(sed -n 's/^ *BLEU|[^=]*= \([0-9.]*\) .*/\1/p' "$work/$mode.bleu")"
    fi
  done
fi

# ---- in the time left: unit tests on the CUDA backend, the op benchmark --------------------------
for t in "$bin"/unit_test_*; do
  [ -x "$t" ] || continue
  step "$(basename "$t") (cuda)" unit.txt 60 env FLOWSEQ_SOURCE_DIR="$PWD" "$t"
done
step "bench_ops --device cuda" bench-ops.txt 60 "$bin/bench_ops" --device cuda
step "bench_ops --device cpu" bench-ops.txt 60 "$bin/bench_ops" --device cpu

{
  echo
  echo "== figures ($(date -u +%FT%TZ), $((SECONDS)) s)"
  column -t -s $'\t' "$out/results.tsv" 2>/dev/null || cat "$out/results.tsv"
} >>"$out/summary.txt"
say "$([ $status -eq 0 ] && echo "all checks passed" || echo "some checks FAILED") (results in $out: summary.txt, results.tsv, logs.tar.gz)"
exit $status
