#!/usr/bin/env bash
# The validation NLL does not depend on how the validation set is cut into batches: one batch of
# more than 4096 sentences gives what many small batches give (issue 14: such a batch lost its
# loss while its tokens still counted, and the NLL came out too low).
source "$(dirname "$0")/lib.sh"
multi30k_pairs
"$bin" vocab -i "$dir/train.de" -i "$dir/train.en" --vocab-size 300 -o "$dir/spm.model" 2>/dev/null
for i in $(seq 80); do cut -d' ' -f1-3 "$dir/train.de"; done >"$dir/valid.de" # 5120 short pairs
for i in $(seq 80); do cut -d' ' -f1-3 "$dir/train.en"; done >"$dir/valid.en"
# the Transformer's validation NLL is exact (FlowSeq's samples its posterior)
nll() { # max_tokens: the validation NLL per token of one update's model
  "$bin" train -c "$src/models/flowseq-tiny.yaml" --model.type transformer --train.spm "$dir/spm.model" \
    --train.train_src "$dir/train.de" --train.train_tgt "$dir/train.en" --train.valid_src "$dir/valid.de" \
    --train.valid_tgt "$dir/valid.en" --train.max_updates 1 --train.valid_every 1 --train.max_tokens "$1" \
    --train.output "$dir/model-$1" 2>&1 | sed -n 's/.*NLL \([0-9.]*\) per token.*/\1/p'
}
one=$(nll 1000000) many=$(nll 2048)
check "one batch of 5120 sentences: NLL $one, batches of 2048 tokens: NLL $many" \
  awk -v a="$one" -v b="$many" 'BEGIN { exit !(a > 0 && (a - b) ^ 2 < 1e-6) }'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
