#!/usr/bin/env bash
# Bad command-line values (docs/bad-input.md): every number is read strictly, with one clear
# error and exit 2; an unknown last option is "unknown"; empty data is refused before training.
set -uo pipefail
bin="${FLOWSEQ_BIN:?FLOWSEQ_BIN must name the flowseq binary}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'a b c d\ne f g h\n' >"$dir/ref"
passed=0 failed=0
expect() { # exit code, pattern, args...
  local want=$1 pattern=$2; shift 2
  local err rc
  err=$(timeout 20 "$bin" "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -eq "$want" ] && echo "$err" | grep -q -- "$pattern" && [ "$(echo "$err" | grep -v '^\[' | wc -l)" -eq 1 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "FAIL: $* -> rc=$rc (want $want): $err"
  fi
}
int="expected an integer in"
num="expected a number in"
# 1. sample -n (was SIGFPE / SIGSEGV)
for n in 0 -2 x 99999999999; do expect 2 "sample: -n: $int \[1, 1000\], got '$n'" sample -m "$dir/none" -n "$n"; done
# 3. --paired-bs-n (was a hang)
expect 2 "bleu: --paired-bs-n: $int \[1, 1000000\], got '99999999999'" bleu "$dir/ref" -i "$dir/ref" "$dir/ref" --paired-bs --paired-bs-n 99999999999
expect 2 "bleu: --paired-bs-n: $int" bleu "$dir/ref" -i "$dir/ref" "$dir/ref" --paired-bs --paired-bs-n x
# 4. numbers read strictly everywhere (were read as 0 or the default)
expect 2 "translate: --seed: $int" translate -m "$dir/none" --seed x
expect 2 "translate: --tau: $num" translate -m "$dir/none" --tau abc
expect 2 "translate: --arena-mb: $int" translate -m "$dir/none" --arena-mb x
expect 2 "translate: --max-tokens: $int" translate -m "$dir/none" --max-tokens 5x
expect 2 "sample: --tau: $num" sample -m "$dir/none" --tau x
expect 2 "score: --iw-samples: $int \[1, 1000\]" score -m "$dir/none" -s a -t b --iw-samples 99999999999
expect 2 "score: --seed: $int" score -m "$dir/none" -s a -t b --seed x
expect 2 "prep: --max-length: $int" prep --max-length x
expect 2 "prep: --max-ratio: $num" prep --max-ratio abc
expect 2 "prep: --max-ratio: $num" prep --max-ratio -2
expect 2 "prep: --max-ratio: expected 0 (no limit) or a ratio >= 1" prep --max-ratio 0.5
expect 2 "vocab: --sample: $int" vocab --sample -3
expect 2 "vocab: --seed: $int" vocab --seed x
# the tokenizer switches take no value: the next word is read as an option again
expect 2 "vocab: need -i FILE" vocab --split-digits --byte-fallback
expect 2 "vocab: unknown option --vocab-sizes" vocab --byte-fallback --vocab-sizes 8
expect 2 "vocab: --vocab-size: $int \[8, 1000000\], got '99999999999'" vocab --vocab-size 99999999999
expect 2 "bleu: -w: $int" bleu "$dir/ref" -i "$dir/ref" -w x
expect 2 "bleu: -w: $int" bleu "$dir/ref" -i "$dir/ref" -w -1
expect 2 "bleu: -sv: $num" bleu "$dir/ref" -i "$dir/ref" -sv x
expect 2 "bleu: -cc: $int" bleu "$dir/ref" -i "$dir/ref" -m chrf -cc x
expect 2 "bleu: -cc: $int \[1, 16\], got '0'" bleu "$dir/ref" -i "$dir/ref" -m chrf -cc 0
expect 2 "bleu: --chrf-beta: $int" bleu "$dir/ref" -i "$dir/ref" -m chrf --chrf-beta -2
expect 2 "bleu: --seed: $int" bleu "$dir/ref" -i "$dir/ref" --seed x
# valid values still work
out=$("$bin" bleu "$dir/ref" -i "$dir/ref" -b -f text -w 3)
[ "$out" = "100.000" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: -w 3 gave '$out'"; }
# 5. an unknown option as the last argument is unknown, not "needs a value"
for cmd in vocab prep score translate sample; do expect 2 "$cmd: unknown option --frob" "$cmd" --frob; done
expect 2 "vocab: unexpected argument 'extra'" vocab extra
expect 2 "translate: --seed needs a value" translate -m "$dir/none" --seed
# 7. a directory as input names the path once
expect 1 "vocab: $dir: Is a directory" vocab -i "$dir" -o "$dir/spm.model" --vocab-size 8
n=$("$bin" vocab -i "$dir" -o "$dir/spm.model" --vocab-size 8 2>&1 | grep -o -- "$dir" | wc -l)
[ "$n" -eq 1 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the directory is named $n times"; }
# 2 and 6 need a tokenizer
for i in $(seq 1 40); do echo "ein hund läuft $i über die straße und eine katze schläft"; done >"$dir/de"
for i in $(seq 1 40); do echo "a dog runs $i across the street and a cat sleeps"; done >"$dir/en"
if "$bin" vocab -i "$dir/de" -i "$dir/en" -o "$dir/spm.model" --vocab-size 60 2>/dev/null; then
  : >"$dir/empty"
  expect 1 "prep: $dir/empty.fsd: no pair is left to write (0 read" prep --spm "$dir/spm.model" --src "$dir/empty" --tgt "$dir/empty" -o "$dir/empty.fsd"
  [ ! -e "$dir/empty.fsd" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: prep wrote an empty dataset"; }
  expect 1 "no pair is left to write (40 read; dropped 0 empty, 40 too long" prep --spm "$dir/spm.model" --src "$dir/de" --tgt "$dir/en" -o "$dir/short.fsd" --max-length 1
  expect 1 "train: train.train_src (or train.train_data) is not set" train -c /dev/null --train.spm "$dir/spm.model"
  # one validation side without the other (neither: training without validation)
  expect 1 "train: train.valid_src is not set" train -c /dev/null --train.spm "$dir/spm.model" --train.train_src "$dir/de" --train.train_tgt "$dir/en" --train.valid_tgt "$dir/en"
else
  failed=$((failed + 1)); echo "FAIL: vocab on the small corpus"
fi
# the usual CPU machine is not a notice on every command: only flowseq info says why the CPU
if [ ! -e /dev/nvidiactl ] && [ ! -e /dev/dxg ] && [ -z "${FLOWSEQ_CUDA_MODULE:-}" ]; then
  src_dir="${FLOWSEQ_SOURCE_DIR:-.}"
  echo "Ein Hund." | "$bin" translate -m "$src_dir/models/flowseq-small-multi30k" >/dev/null 2>"$dir/err"
  ! grep -q CUDA "$dir/err" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: translate logs: $(cat "$dir/err")"; }
  "$bin" info 2>"$dir/err" | grep -qx 'compute backend: cpu (no NVIDIA device node)' && [ ! -s "$dir/err" ] &&
    passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: info does not say why the CPU, or logs: $(cat "$dir/err")"; }
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
