#!/usr/bin/env bash
# Checkpoint averaging: train.keep_last keeps exactly the newest N main-phase saves as
# OUTPUT.u<update>; `flowseq average` of identical models gives the same bytes, of two models the
# element-wise mean (checked against numpy reading the safetensors files, when installed); the
# average translates, also stored as fp16 (--fp16: numpy's float16 rounding of the mean, loaded
# back by flowseq); mismatched models and an output that is an input are refused.
source "$(dirname "$0")/lib.sh"
multi30k_pairs
"$bin" vocab -i "$dir/train.de" -i "$dir/train.en" --vocab-size 300 -o "$dir/spm.model" 2>/dev/null
"$bin" train -c "$src/models/flowseq-tiny.yaml" --train.train_src "$dir/train.de" --train.train_tgt "$dir/train.en" \
  --train.valid_src "$dir/train.de" --train.valid_tgt "$dir/train.en" --train.spm "$dir/spm.model" \
  --train.init_steps 10 --train.max_updates 12 --train.valid_every 12 --train.save_every 4 --train.keep_last 2 \
  --train.log_every 4 --train.output "$dir/run" 2>"$dir/train.log"
check "training with keep_last finishes" grep -q "checkpoint saved" "$dir/train.log"
kept=$(cd "$dir" && ls -d run.u* 2>/dev/null | sort -t u -k2 -n | tr '\n' ' ')
check "keep_last 2 keeps the newest two of three saves (kept: $kept)" test "$(wc -w <<<"$kept")" -eq 2
read -r older newer <<<"$kept"
check "a kept save is a model directory without optimizer state" \
  bash -c "test -s '$dir/$newer/model.safetensors' && test -s '$dir/$newer/spm.model' && ! test -e '$dir/$newer/optimizer.state.safetensors'"

"$bin" average -o "$dir/same" "$dir/$newer" "$dir/$newer" 2>/dev/null
check "averaging two identical models gives the same bytes" cmp -s "$dir/$newer/model.safetensors" "$dir/same/model.safetensors"
"$bin" average -o "$dir/mean" "$dir/$older" "$dir/$newer" 2>/dev/null
check "averaging two models writes a model directory" test -s "$dir/mean/model.safetensors"
check "the two kept saves differ (else the mean test proves nothing)" \
  bash -c "! cmp -s '$dir/$older/model.safetensors' '$dir/$newer/model.safetensors'"
if python3 -c 'import numpy, safetensors' 2>/dev/null; then
  check "the average is the element-wise mean of the two (numpy on the safetensors files)" python3 - \
    "$dir/$older/model.safetensors" "$dir/$newer/model.safetensors" "$dir/mean/model.safetensors" <<'EOF'
import sys
import numpy as np
from safetensors.numpy import load_file
a, b, mean = (load_file(p) for p in sys.argv[1:4])
assert a.keys() == b.keys() == mean.keys(), "tensor names differ"
for name in a:
    want = ((a[name].astype(np.float64) + b[name].astype(np.float64)) / 2).astype(np.float32)
    if not np.array_equal(want, mean[name]):
        sys.exit(f"{name}: largest difference {np.abs(want - mean[name]).max()}")
EOF
else
  echo "SKIP (one check): numpy or safetensors not installed, the element-wise mean is not compared"
fi
printf 'Zwei junge Männer.\nEin Mann.\n' >"$dir/in.de"
"$bin" translate -m "$dir/mean" -i "$dir/in.de" -o "$dir/out.en" --quiet
check "the averaged model translates" test "$(wc -l <"$dir/out.en")" -eq 2

# --fp16: the same mean stored as 16-bit floats, about half the bytes (the header stays), rounded as
# numpy rounds
"$bin" average --fp16 -o "$dir/mean16" "$dir/$older" "$dir/$newer" 2>/dev/null
size32=$(stat -c %s "$dir/mean/model.safetensors") size16=$(stat -c %s "$dir/mean16/model.safetensors")
check "--fp16 stores the weights in about half the bytes ($size16 of $size32)" test $((size16 * 100 / size32)) -le 60
"$bin" translate -m "$dir/mean16" -i "$dir/in.de" -o "$dir/out16.en" --quiet
check "the fp16 model loads and translates" test "$(wc -l <"$dir/out16.en")" -eq 2
if python3 -c 'import numpy, safetensors' 2>/dev/null; then
  check "--fp16: every tensor is F16 and equals numpy's float16 rounding of the fp32 mean" python3 - \
    "$dir/mean/model.safetensors" "$dir/mean16/model.safetensors" <<'EOF'
import sys
import numpy as np
from safetensors.numpy import load_file
mean, half = (load_file(p) for p in sys.argv[1:3])
assert mean.keys() == half.keys(), "tensor names differ"
for name in mean:
    assert half[name].dtype == np.float16, f"{name} is {half[name].dtype}"
    if not np.array_equal(mean[name].astype(np.float16), half[name]):
        sys.exit(f"{name}: differs from numpy's rounding")
EOF
else
  echo "SKIP (one check): numpy or safetensors not installed, the fp16 rounding is not compared"
fi

mkdir "$dir/other-spm" "$dir/other-shape"
cp "$dir/mean/config.yaml" "$dir/mean/model.safetensors" "$dir/other-spm/"
cp "$src/models/flowseq-small-multi30k/spm.model" "$dir/other-spm/"
cp "$dir/mean/config.yaml" "$dir/mean/spm.model" "$dir/other-shape/"
cp "$src/models/flowseq-small-multi30k/model.safetensors" "$dir/other-shape/"
for other in other-spm other-shape; do
  "$bin" average -o "$dir/bad" "$dir/mean" "$dir/$other" 2>"$dir/err"
  rc=$?
  check "$other: refused with exit 1, naming the file ($(cat "$dir/err"))" \
    bash -c "[ $rc -eq 1 ] && grep -q '$dir/$other/' '$dir/err' && ! test -e '$dir/bad'"
done
"$bin" average -o "$dir/mean" "$dir/mean" "$dir/$newer" 2>"$dir/err"
check "an output that is an input is refused (exit 2)" bash -c "[ $? -eq 2 ] && grep -q 'one of the inputs' '$dir/err'"
"$bin" average -o "$dir/x" 2>/dev/null
check "no input directory is a usage error" test $? -eq 2
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
