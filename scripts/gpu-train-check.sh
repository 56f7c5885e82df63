#!/usr/bin/env bash
# GPU training end to end, in one call on a GPU machine (docs/architecture.md#backend):
#   1. tiny    models/flowseq-tiny.yaml on Multi30k for N updates (a third of them pre-training),
#              once on CUDA and once on the CPU, same seed, data and tokenizer; the loss parts each
#              logs about a dozen times (recon, KL, length per sentence, averaged over the updates
#              since the last row: OUTPUT.metrics.tsv) are compared row by row:
#              |cuda - cpu| / max(|cuda|, |cpu|, 1) at most the tolerance (0.02) in every row and a
#              tenth of it in the first (both backends draw the same random numbers; only the
#              summation order differs, and training lets that grow)
#   2. small   models/flowseq-small.yaml on Multi30k on CUDA for M minutes (then SIGTERM: the trainer
#              saves and stops): tokens/s per phase, GPU memory (peak, nvidia-smi), the updates
#              reached, and the validation BLEU of the saved model (argmax decoding of val, scored
#              as sacreBLEU does), the model directory copied to $OUT/flowseq-small/
# Results under $OUT (default: a new temporary directory, printed at the end):
#   summary.txt  one line per check, PASS / FAIL / SKIP, and the figures  device.txt  GPU, binary
#   tiny-{cuda,cpu}.{log,metrics.tsv}  tiny-compare.tsv (the gaps per row)
#   small.{log,metrics.tsv}  small-gpu-memory.tsv  small-val.{en,bleu}  flowseq-small/ (config.yaml,
#   model.safetensors, spm.model, progress.yaml: what translate loads; no optimizer state)
# The binary: $FLOWSEQ, else the GPU bundle (build-gpu-bundle/, or build-gpu/bundle.tar.xz unpacked;
# scripts/gpu-bundle.sh makes it where the libraries are), else build-gpu/flowseq, else build/flowseq,
# else it builds one into --build-dir (CUDA on when nvcc is found).
# On a GPU loan, carry build-gpu/bundle.tar.xz (or build-gpu-bundle/) and Multi30k (corpora/multi30k,
# e.g. from scripts/get-corpus.sh multi30k); it needs about 2 + M minutes.
# Dry run without a GPU: FLOWSEQ_DEVICE=cpu (or --cpu). The "CUDA" legs then run on the CPU and every
# line says so; the comparison then checks only that two CPU runs agree.
#
# usage: scripts/gpu-train-check.sh [--updates N] [--minutes M] [--tolerance X] [--data DIR]
#                                   [--build-dir DIR] [--cpu]
#   --updates N    tiny preset updates per backend (60)      --minutes M  flowseq-small training (5;
#                                                                          0: none, only the tiny check)
#   --tolerance X  largest relative gap of a loss part (0.02)
#   --data DIR     Multi30k: train.{de,en}.gz, val.{de,en}.gz (default: $FLOWSEQ_CORPORA/multi30k,
#                  ../shared/corpora/multi30k or corpora/multi30k, the first that exists)
# Exit status: 0 every check passed; 1 a check failed; 2 bad usage, no data or no binary; 4 no usable
# CUDA device (not a dry run).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
usage() { sed -n '/^# usage:/,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "gpu-train-check: $*" >&2; exit 2; }
updates=60 minutes=5 tolerance=0.02 data="" build_dir=""
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --cpu) export FLOWSEQ_DEVICE=cpu; shift; continue ;;
    --updates|--minutes|--tolerance|--data|--build-dir) [ $# -ge 2 ] || die "$1 needs a value" ;;
    *) die "unknown argument $1 (--help lists the options)" ;;
  esac
  case $1 in
    --updates) updates=$2 ;;
    --minutes) minutes=$2 ;;
    --tolerance) tolerance=$2 ;;
    --data) data=$2 ;;
    --build-dir) build_dir=$2 ;;
  esac
  shift 2
done
[[ $updates =~ ^[0-9]+$ ]] && [ "$updates" -ge 6 ] || die "--updates must be an integer of at least 6, not '$updates'"
[[ $minutes =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--minutes must be a number (0: no flowseq-small leg), not '$minutes'"
[[ $tolerance =~ ^[0-9]*[.]?[0-9]+([eE]-?[0-9]+)?$ ]] && awk -v t="$tolerance" 'BEGIN { exit !(t > 0) }' ||
  die "--tolerance must be a positive number, not '$tolerance'"
if [ -z "$data" ]; then
  for d in "${FLOWSEQ_CORPORA:-/nonexistent}/multi30k" ../shared/corpora/multi30k corpora/multi30k; do
    if [ -f "$d/train.de.gz" ]; then data=$d; break; fi
  done
  [ -n "$data" ] || die "Multi30k not found (\$FLOWSEQ_CORPORA/multi30k, ../shared/corpora/multi30k, corpora/multi30k): give --data DIR"
fi
for f in train.de.gz train.en.gz val.de.gz val.en.gz; do [ -f "$data/$f" ] || die "$data/$f not found"; done
spm=models/flowseq-small-multi30k/spm.model # the bundled tokenizer: nothing to train
[ -f "$spm" ] || die "$spm not found"

dry=0
[ "${FLOWSEQ_DEVICE:-}" = cpu ] && dry=1
out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/gpu-train-check.XXXXXX")}
mkdir -p "$out" || die "cannot create $out"
work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-train-check-work.XXXXXX")
trap 'rm -rf "$work"' EXIT
: >"$out/summary.txt"
say() { echo "[gpu-train-check] $*" | tee -a "$out/summary.txt"; }
status=0
fail() { say "FAIL: $*"; status=1; }

# ---- the binary --------------------------------------------------------------------------------
source scripts/gpu-env.sh # gpu_bundle_ready, gpu_bundle_env
if [ -n "${FLOWSEQ:-}" ]; then
  bin=$FLOWSEQ
elif gpu_bundle_ready build-gpu-bundle build-gpu/bundle.tar.xz 2>/dev/null; then
  gpu_bundle_env build-gpu-bundle
  bin=build-gpu-bundle/bin/flowseq
elif [ -x build-gpu/flowseq ]; then
  bin=build-gpu/flowseq
elif [ -x build/flowseq ]; then
  bin=build/flowseq
else
  cuda=OFF
  command -v nvcc >/dev/null && cuda=ON
  build_dir=${build_dir:-$([ $cuda = ON ] && echo build-gpu || echo build)}
  say "building flowseq in $build_dir (CUDA $cuda)"
  targets=(--target flowseq)
  [ $cuda = ON ] && targets+=(--target flowseq_cuda)
  { cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DFLOWSEQ_CUDA=$cuda &&
    cmake --build "$build_dir" -j"$(nproc)" "${targets[@]}"; } >"$out/build.log" 2>&1 ||
    { say "FAIL: the build failed (build.log)"; exit 2; }
  bin=$build_dir/flowseq
fi
[ -x "$bin" ] || die "flowseq binary $bin not found or not executable"
{
  echo "== flowseq: $bin"
  "$bin" --version 2>&1
  "$bin" info 2>&1
  echo "== nvidia-smi"
  nvidia-smi 2>&1 || echo "nvidia-smi not available"
  echo "== LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
} >"$out/device.txt" 2>&1
"$bin" info >/dev/null 2>&1 || { say "FAIL: $bin does not run (device.txt)"; exit 2; }
if [ $dry -eq 1 ]; then
  cuda_leg="cpu, dry run" cuda_env=(env FLOWSEQ_DEVICE=cpu)
  say "dry run (FLOWSEQ_DEVICE=cpu): the CUDA legs run on the CPU; nothing here checks a GPU"
else
  cuda_leg=cuda cuda_env=(env -u FLOWSEQ_DEVICE)
  grep -q '^cuda backend: built' "$out/device.txt" ||
    { say "FAIL: $bin has no CUDA backend (device.txt); build with -DFLOWSEQ_CUDA=ON or scripts/gpu-bundle.sh"; exit 4; }
fi
say "binary $bin; data $data; results in $out"

data_args=(--train.train_src "$data/train.de.gz" --train.train_tgt "$data/train.en.gz"
  --train.valid_src "$data/val.de.gz" --train.valid_tgt "$data/val.en.gz" --train.spm "$spm" --train.seed 1)
backend_of() { sed -n 's/.*parameters, .* batches per epoch, backend \([a-z]*\).*/\1/p' "$1" | head -n 1; }
# the mean of a metrics column over the training rows of a phase ("n/a" when there are none)
column_mean() { # FILE COLUMN PHASE
  awk -F'\t' -v name="$2" -v phase="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
    $3 == phase && $c != "" { s += $c; n++ } END { if (n) printf "%.1f", s / n; else printf "n/a" }' "$1"
}

# ---- 1. tiny: CUDA against CPU -----------------------------------------------------------------
pre=$((updates / 3)) log_every=$((updates >= 24 ? updates / 12 : 2)) # a dozen rows or so
tiny() { # NAME ENV...: trains the tiny preset, logs to $out/tiny-NAME.log
  local name=$1 rc
  shift
  timeout 900 "$@" "$bin" train -c models/flowseq-tiny.yaml "${data_args[@]}" --train.output "$work/tiny-$name" \
    --train.init_steps "$pre" --train.kl_warmup_steps "$pre" --train.max_updates $((updates - pre)) \
    --train.log_every $log_every --train.valid_every 1000000 2>"$out/tiny-$name.log"
  rc=$?
  cp "$work/tiny-$name.metrics.tsv" "$out/tiny-$name.metrics.tsv" 2>/dev/null
  return $rc
}
start=$SECONDS
tiny cuda "${cuda_env[@]}"
rc_cuda=$?
backend=$(backend_of "$out/tiny-cuda.log")
if [ $dry -eq 0 ] && [ "$backend" != cuda ]; then
  say "FAIL: the CUDA leg computed on '${backend:-nothing}', not on a GPU: no usable CUDA device (tiny-cuda.log, device.txt)"
  exit 4
fi
tiny cpu env FLOWSEQ_DEVICE=cpu
rc_cpu=$?
if [ $rc_cuda -ne 0 ] || [ $rc_cpu -ne 0 ]; then
  fail "tiny: training failed (exit $rc_cuda on $cuda_leg, $rc_cpu on cpu; tiny-*.log)"
else
  # rows of both by (update, phase): the gap of each loss part; the verdict on the last line
  verdict=$(awk -F'\t' -v tol="$tolerance" -v out="$out/tiny-compare.tsv" '
    function gap(a, b,   m) { m = a < 0 ? -a : a; if (b > m) m = b; if (-b > m) m = -b; if (m < 1) m = 1
                             return (a > b ? a - b : b - a) / m }
    FNR == 1 { for (i = 1; i <= NF; i++) col[FILENAME, $i] = i; next }
    $3 == "valid" { next }
    FILENAME == ARGV[1] { key = $1 "\t" $3; order[++n] = key
      for (k = 1; k <= 3; k++) a[key, k] = $(col[FILENAME, part[k]]); next }
    { key = $1 "\t" $3; seen[key] = 1; for (k = 1; k <= 3; k++) b[key, k] = $(col[FILENAME, part[k]]) }
    BEGIN { part[1] = "recon"; part[2] = "kl"; part[3] = "length"
            print "update\tphase\trecon_cuda\trecon_cpu\tkl_cuda\tkl_cpu\tlength_cuda\tlength_cpu\tmax_gap" > out }
    END {
      bad = 0
      for (r = 1; r <= n; r++) {
        key = order[r]
        if (!(key in seen)) { missing++; continue }
        g = 0; line = key
        for (k = 1; k <= 3; k++) { x = gap(a[key, k], b[key, k]); if (x > g) g = x; line = line "\t" a[key, k] "\t" b[key, k] }
        printf "%s\t%.3g\n", line, g > out
        if (g > worst) { worst = g; where = key }
        if (r == 1) first = g
        if (g > tol || (r == 1 && g > tol / 10)) bad++
      }
      if (where == "") where = "-\t-"
      sub("\t", " ", where)
      printf "%d %d %d %.3g %.3g %s\n", n, missing + 0, bad, first, worst, where
    }' "$out/tiny-cuda.metrics.tsv" "$out/tiny-cpu.metrics.tsv")
  read -r rows missing bad first worst where_update where_phase <<<"$verdict"
  detail="$rows rows of $updates updates ($pre pre-training), seed 1: largest gap $worst$([ "$where_update" != - ] && echo " (update $where_update, $where_phase)"), first row $first; tolerance $tolerance, first row $(awk -v t="$tolerance" 'BEGIN { print t / 10 }')"
  if [ "${rows:-0}" -lt 2 ] || [ "$missing" -ne 0 ]; then
    fail "tiny: $cuda_leg vs cpu: the metrics do not line up ($rows rows, $missing missing; tiny-compare.tsv)"
  elif [ "$bad" -ne 0 ]; then
    fail "tiny: $cuda_leg vs cpu loss curves differ: $bad rows over the tolerance; $detail"
  else
    say "PASS: tiny: $cuda_leg vs cpu loss curves agree: $detail"
  fi
  say "tiny: tokens/s $cuda_leg $(column_mean "$out/tiny-cuda.metrics.tsv" tok_per_s main), cpu $(column_mean "$out/tiny-cpu.metrics.tsv" tok_per_s main) (main phase); $((SECONDS - start)) s for both"
fi

if awk -v m="$minutes" 'BEGIN { exit !(m == 0) }'; then
  say "$([ $status -eq 0 ] && echo "all checks passed" || echo "some checks FAILED") (--minutes 0: no flowseq-small leg; results in $out)"
  exit $status
fi

# ---- 2. small: flowseq-small on Multi30k for M minutes (logging every 10 updates) --------------
smi=0
[ $dry -eq 0 ] && command -v nvidia-smi >/dev/null && smi=1
seconds=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 + 0.5 }')
base_used=""
[ $smi -eq 1 ] && base_used=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -n 1)
"${cuda_env[@]}" "$bin" train -c models/flowseq-small.yaml "${data_args[@]}" --train.output "$work/small" \
  --train.log_every 10 2>"$out/small.log" &
pid=$!
start=$SECONDS stopped=0
printf 'seconds\tprocess_mib\tgpu_used_mib\n' >"$out/small-gpu-memory.tsv"
peak_proc=0 peak_used=0
while kill -0 $pid 2>/dev/null; do
  if [ $stopped -eq 0 ] && [ $((SECONDS - start)) -ge "$seconds" ]; then
    kill -TERM $pid 2>/dev/null # the trainer saves and exits
    stopped=$SECONDS
  elif [ $stopped -gt 0 ] && [ $((SECONDS - stopped)) -ge 300 ]; then
    kill -KILL $pid 2>/dev/null
    fail "small: the trainer did not stop within 300 s of SIGTERM (killed)"
    stopped=-1
  fi
  if [ $smi -eq 1 ]; then
    proc=$(nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits 2>/dev/null |
      awk -F', *' -v p=$pid '$1 == p { print $2 }')
    used=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -n 1)
    printf '%d\t%s\t%s\n' $((SECONDS - start)) "${proc:-}" "${used:-}" >>"$out/small-gpu-memory.tsv"
    [ -n "$proc" ] && [ "$proc" -gt "$peak_proc" ] 2>/dev/null && peak_proc=$proc
    [ -n "$used" ] && [ "$used" -gt "$peak_used" ] 2>/dev/null && peak_used=$used
  fi
  sleep 2
done
wait $pid
rc_small=$?
elapsed=$((SECONDS - start))
cp "$work/small.metrics.tsv" "$out/small.metrics.tsv" 2>/dev/null
backend=$(backend_of "$out/small.log")
if [ $rc_small -ne 0 ] || [ ! -f "$work/small/model.safetensors" ]; then
  fail "small: training failed (exit $rc_small; small.log ends: $(tail -n 1 "$out/small.log"))"
else
  mkdir -p "$out/flowseq-small"
  cp "$work/small/config.yaml" "$work/small/model.safetensors" "$work/small/spm.model" "$work/small/progress.yaml" \
    "$out/flowseq-small/"
  phase=$(sed -n 's/^phase: //p' "$work/small/progress.yaml")
  total=$(sed -n 's/^total_updates: //p' "$work/small/progress.yaml")
  best=$(sed -n 's/^best_valid_bleu: //p' "$work/small/progress.yaml")
  gzip -dc "$data/val.en.gz" >"$work/val.en"
  if "${cuda_env[@]}" "$bin" translate -m "$work/small" -i "$data/val.de.gz" -o "$out/small-val.en" --quiet \
    2>"$work/translate.log" && "$bin" bleu "$work/val.en" -i "$out/small-val.en" -m bleu chrf -f text >"$out/small-val.bleu"; then
    bleu=$(sed -n 's/^ *BLEU|[^=]*= \([0-9.]*\) .*/\1/p' "$out/small-val.bleu")
    during="no validation during training yet"
    if awk -F'\t' '$3 == "valid" { found = 1 } END { exit !found }' "$out/small.metrics.tsv" 2>/dev/null; then
      during=$(awk -v b="$best" 'BEGIN { printf "best validation BLEU during training %.1f", b }')
    fi
    say "PASS: small: flowseq-small on $backend (${cuda_leg}), $elapsed s$([ $stopped -ne 0 ] && echo ", stopped by SIGTERM"): $total updates (phase $phase); validation BLEU $bleu (argmax, sacreBLEU; small-val.bleu), $during; model in $out/flowseq-small"
  else
    fail "small: decoding or scoring the validation set failed ($(tail -n 1 "$work/translate.log"))"
  fi
  say "small: tokens/s pre-training $(column_mean "$out/small.metrics.tsv" tok_per_s pretrain || true), main $(column_mean "$out/small.metrics.tsv" tok_per_s main || true) (means of the logged rows; n/a: no row in that phase)"
  if [ $smi -eq 1 ]; then
    say "small: GPU memory peak: $([ "$peak_proc" -gt 0 ] && echo "$peak_proc MiB" || echo "n/a (pid not listed)") for the trainer, $peak_used MiB in use on GPU 0 (${base_used:-?} MiB before it started; nvidia-smi every 2 s, small-gpu-memory.tsv)"
  else
    say "small: GPU memory not measured ($([ $dry -eq 1 ] && echo "dry run" || echo "no nvidia-smi"))"
  fi
fi
if [ $dry -eq 0 ] && [ -n "$backend" ] && [ "$backend" != cuda ]; then fail "small: trained on $backend, not on the GPU"; fi
say "$([ $status -eq 0 ] && echo "all checks passed" || echo "some checks FAILED")$([ $dry -eq 1 ] && echo " (CPU dry run)") (results in $out)"
exit $status
