#!/usr/bin/env bash
# train.precision through the command line: --dump-config prints it (fp32 unless set), a value
# other than fp32 or bf16 is refused naming the key and both values, flowseq info says how the
# CPU multiplies in bf16, and the tiny config trained on 64 Multi30k pairs from one seed in fp32
# and in bf16 ends with losses within 5 % of each other but not the same parameters.
source "$(dirname "$0")/lib.sh"
multi30k_pairs
"$bin" vocab -i "$dir/train.de" -i "$dir/train.en" --vocab-size 300 -o "$dir/spm.model" 2>/dev/null

base=(train -c "$src/models/flowseq-tiny.yaml" --train.train_src "$dir/train.de" --train.train_tgt "$dir/train.en"
  --train.spm "$dir/spm.model" --train.init_steps 16 --train.max_updates 8 --train.log_every 4)
check "the dumped configuration says fp32 unless told" grep -qx "  precision: fp32" <("$bin" "${base[@]}" --dump-config)
check "--train.precision bf16 is dumped" grep -qx "  precision: bf16" \
  <("$bin" "${base[@]}" --train.precision bf16 --dump-config)
err=$("$bin" "${base[@]}" --train.precision fp16 --dump-config 2>&1 >/dev/null)
rc=$?
check "an unknown precision is refused with exit 2, naming the key and the values ($rc: $err)" \
  test $rc -eq 2 -a "$err" = 'flowseq train: command line: train.precision: expected fp32 or bf16, got "fp16"'
check "flowseq info says how the CPU multiplies in bf16" grep -q "^bf16 products on the cpu: emulated" <("$bin" info)

"$bin" "${base[@]}" --train.output "$dir/fp32" 2>"$dir/fp32.log"
"$bin" "${base[@]}" --train.precision bf16 --train.output "$dir/bf16" 2>"$dir/bf16.log"
check "the bf16 run says so and finishes" \
  grep -q "bf16 matrix products" "$dir/bf16.log" && grep -q "training finished: 24 updates" "$dir/bf16.log"
check "the fp32 run says so" grep -q "fp32 matrix products" "$dir/fp32.log"
# the last row's reconstruction and KL per sentence (columns 4 and 5)
read -r r32 k32 < <(awk -F'\t' '$3 == "main" { r = $4; k = $5 } END { print r, k }' "$dir/fp32.metrics.tsv")
read -r r16 k16 < <(awk -F'\t' '$3 == "main" { r = $4; k = $5 } END { print r, k }' "$dir/bf16.metrics.tsv")
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(a == a + 0 && b == b + 0 && (d < 0 ? -d : d) <= 0.05 * b) }'; }
check "bf16's last reconstruction is within 5 % of fp32's ($r16 vs $r32)" close "$r16" "$r32"
check "bf16's last KL is within 5 % of fp32's ($k16 vs $k32)" close "$k16" "$k32"
check "the bf16 parameters are not the fp32 ones" \
  bash -c '! cmp -s "$1/fp32/model.safetensors" "$1/bf16/model.safetensors"' _ "$dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
