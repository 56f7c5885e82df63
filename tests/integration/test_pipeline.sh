#!/usr/bin/env bash
# The whole pipeline on real data, small enough for CI: vocab -> train (tiny config) on 64
# Multi30k pairs -> translate/sample/score/bleu; the tiny model overfits its 64 pairs; a training
# killed with SIGTERM and resumed ends with exactly the parameters of an uninterrupted run; input
# order and blank lines survive translation; bad model directories give one clear error.
source "$(dirname "$0")/lib.sh"
multi30k_pairs
"$bin" vocab -i "$corpora/multi30k/train.de.gz" -i "$corpora/multi30k/train.en.gz" --vocab-size 1000 --sample 20000 \
  -o "$dir/spm.model" 2>/dev/null
check "vocab writes a model" test -s "$dir/spm.model"

# the binary itself (not a shell function) runs in the background, so $! is its pid for kill
train_args=(train -c "$src/models/flowseq-tiny.yaml" --train.train_src "$dir/train.de" --train.train_tgt "$dir/train.en"
  --train.valid_src "$dir/train.de" --train.valid_tgt "$dir/train.en" --train.spm "$dir/spm.model"
  --train.max_tokens 2048 --train.init_steps 300 --train.max_updates 30 --train.lr 0.01 --train.warmup 20 --train.valid_every 15
  --train.log_every 10 --model.label_smoothing 0 --model.posterior_token_dropout 0 --model.encoder_dropout 0
  --model.posterior_dropout 0 --model.decoder_dropout 0)
train() { "$bin" "${train_args[@]}" --train.output "$1"; }
train "$dir/a" 2>"$dir/a.log"
check "training finishes with validation NLL and BLEU" grep -qE "update 330: NLL .* BLEU [0-9]" "$dir/a.log"
first=$(awk -F'\t' '$3 == "pretrain" { print $4; exit }' "$dir/a.metrics.tsv")
last=$(awk -F'\t' '$3 == "pretrain" { v = $4 } END { print v }' "$dir/a.metrics.tsv")
check "pre-training overfits 64 pairs (reconstruction $first -> $last per sentence)" \
  awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < 0.1 * a) }'

if command -v gnuplot >/dev/null; then
  bash "$src/scripts/plot-metrics.sh" "$dir/a.metrics.tsv" "$dir/plot.png" >/dev/null
  check "the metrics plot is a PNG" grep -q PNG <(head -c 8 "$dir/plot.png")
fi

# interrupted and resumed: SIGTERM saves a checkpoint; the second run resumes from it. This run
# reads a binarized dataset (flowseq prep, same cleaning as the raw run) to show both paths agree.
"$bin" prep --spm "$dir/spm.model" --src "$dir/train.de" --tgt "$dir/train.en" --max-length 40 --max-ratio 3 \
  -o "$dir/train.fsd" --quiet
"$bin" "${train_args[@]}" --train.train_data "$dir/train.fsd" --train.output "$dir/b" 2>"$dir/b1.log" &
pid=$!
wait_for 600 "the first checkpoint of the run to interrupt" $pid grep -q "checkpoint saved" "$dir/b1.log"
sleep 1
kill -TERM $pid
wait $pid
"$bin" "${train_args[@]}" --train.train_data "$dir/train.fsd" --train.output "$dir/b" 2>"$dir/b2.log"
check "the second run resumed" grep -q "resumed from" "$dir/b2.log"
check "resumed parameters (binarized data) equal the uninterrupted run's (raw text)" cmp -s "$dir/a/model.safetensors" "$dir/b/model.safetensors"

# fine-tuning: train.init_from starts the main phase from trained weights, with no pre-training
"$bin" "${train_args[@]}" --train.output "$dir/c" --train.init_from "$dir/a" --train.max_updates 10 2>"$dir/c.log"
check "fine-tuning starts from the given weights" grep -q "main phase starts from the weights in $dir/a" "$dir/c.log"
check "fine-tuning skips pre-training" test "$(awk -F'\t' '$3 == "pretrain"' "$dir/c.metrics.tsv" | wc -l)" -eq 0
err=$("$bin" "${train_args[@]}" --train.output "$dir/d" --train.init_from "$dir/a" --model.d 64 2>&1 >/dev/null || true)
check "fine-tuning a model of another shape is refused ($err)" grep -q "model.safetensors: tensor" <<<"$err"

# translation keeps order and blank lines
printf 'Zwei junge Männer.\n\nEin Mann.\nEin kleines Mädchen klettert in ein Spielhaus aus Holz.\n\n' >"$dir/in.de"
"$bin" translate -m "$dir/a" -i "$dir/in.de" -o "$dir/out.en" --quiet
check "one output line per input line" test "$(wc -l <"$dir/out.en")" -eq 5
check "blank lines stay blank" test -z "$(sed -n '2p;5p' "$dir/out.en")"
for mode in npd iwd; do
  "$bin" translate -m "$dir/a" -i "$dir/in.de" --decode $mode --quiet >"$dir/out.$mode"
  check "$mode decoding writes 5 lines" test "$(wc -l <"$dir/out.$mode")" -eq 5
done
"$bin" translate -m "$dir/a" -i "$dir/in.de" --collapse-repeats --quiet >"$dir/out.collapsed"
check "--collapse-repeats keeps every line" test "$(wc -l <"$dir/out.collapsed")" -eq 5

# npd and iwd outputs against what docs/model.md#decoding makes them equal to. With one length,
# one sample and tau 0, npd decodes argmax's single candidate (the top length, v = 0); so does
# iwd with one length and one sample at any tau (its first sample of a length is always v = 0).
"$bin" translate -m "$dir/a" -i "$dir/in.de" --decode npd --lengths 1 --samples 1 --tau 0 --quiet >"$dir/npd.1x1"
check "npd with 1 length, 1 sample, tau 0 writes argmax's output" cmp -s "$dir/out.en" "$dir/npd.1x1"
"$bin" translate -m "$dir/a" -i "$dir/in.de" --decode iwd --lengths 1 --samples 1 --tau 1 --quiet >"$dir/iwd.1x1"
check "iwd with 1 length, 1 sample (v = 0 even at tau 1) writes argmax's output" cmp -s "$dir/out.en" "$dir/iwd.1x1"
# the same seed twice; iwd with noisy samples too (with its default tau 0 only the K posterior
# samples depend on the seed)
for mode in npd iwd "iwd --samples 4 --tau 1"; do
  out="$dir/$(tr -d ' -' <<<"$mode")"
  "$bin" translate -m "$dir/a" -i "$dir/in.de" --decode $mode --seed 7 --quiet >"$out.s7"
  "$bin" translate -m "$dir/a" -i "$dir/in.de" --decode $mode --seed 7 --quiet >"$out.s7again"
  check "$mode: the same seed gives the same output" cmp -s "$out.s7" "$out.s7again"
done
# sample -n 15 --lengths 3 draws npd's default candidates (3 lengths x 5 samples, tau 1) and lists
# them best first, so npd's choice is the first candidate of each sentence. The score
# -(len + prior + dec) / T orders the candidates of one length T as their totals do, and the
# length's log-probability (len=) tells the lengths apart: among the candidates of a sentence
# and length, the totals must never increase down the list, the chosen first one included.
for seed in 7 8; do
  "$bin" sample -m "$dir/a" -n 15 --lengths 3 --seed $seed -i "$dir/in.de" --quiet >"$dir/nbest.s$seed"
  "$bin" sample -m "$dir/a" -n 15 --lengths 3 --tau 0 --seed $seed -i "$dir/in.de" --quiet >"$dir/nbest.tau0.s$seed"
done
check "sample lists 15 candidates for each non-empty line" test "$(wc -l <"$dir/nbest.s7")" -eq 45
awk -F' [|][|][|] ' 'NR == FNR { if (!($1 in first)) first[$1] = $2; next }
  { print ($0 == "" ? "" : first[FNR - 1]) }' "$dir/nbest.s7" "$dir/in.de" >"$dir/npd.expected"
check "npd's choice is the first of sample's candidates for the same seed:
$(diff "$dir/npd.expected" "$dir/npd.s7")" cmp -s "$dir/npd.expected" "$dir/npd.s7"
misordered=$(awk -F' [|][|][|] ' '{ split($3, f, " "); key = $1 " " f[1] }
  key in last && $4 + 0 > last[key] + 1e-4 { print "sentence " $1 ", " f[1] ": " $4 " after " last[key] }
  { last[key] = $4 }' "$dir/nbest.s7")
check "within a sentence and length, npd's choice and sample's list follow the score:
$misordered" test -z "$misordered"
check "another seed with tau 1 draws other candidates" test "$(cmp -s "$dir/nbest.s7" "$dir/nbest.s8"; echo $?)" -eq 1
check "with tau 0 the seed changes nothing (v = 0)" cmp -s "$dir/nbest.tau0.s7" "$dir/nbest.tau0.s8"
distinct=$(awk -F' [|][|][|] ' '{ print $1, $3 }' "$dir/nbest.tau0.s7" | sort -u | wc -l)
check "with tau 0 the 5 samples of a length coincide: $distinct distinct candidates for 3 sentences x 3 lengths" \
  test "$distinct" -le 9
"$bin" sample -m "$dir/a" -n 4 -i "$dir/in.de" --quiet >"$dir/nbest"
check "sample writes 4 candidates for each non-empty line" test "$(wc -l <"$dir/nbest")" -eq 12
check "n-best format" grep -qE '^0 \|\|\| .* \|\|\| len=-?[0-9.]+ prior=-?[0-9.]+ dec=-?[0-9.]+ \|\|\| -?[0-9.]+$' "$dir/nbest"
"$bin" score -m "$dir/a" -s "$dir/train.de" -t "$dir/train.en" --quiet >"$dir/scores"
check "score writes one line per pair" test "$(wc -l <"$dir/scores")" -eq 64
"$bin" translate -m "$dir/a" -i "$dir/train.de" --quiet >"$dir/train.hyp"
"$bin" bleu "$dir/train.en" -i "$dir/train.hyp" -b -f text >"$dir/bleu"
check "bleu scores the translation ($(cat "$dir/bleu"))" grep -qE '^[0-9]+[.][0-9]$' "$dir/bleu"

# too little activation memory: a clear error and no output file, in every mode
for mode in argmax npd iwd; do
  rc=0
  err=$("$bin" translate -m "$dir/a" -i "$dir/train.de" -o "$dir/none.$mode" --decode $mode --arena-mb 1 2>&1) || rc=$?
  check "$mode with a 1 MiB arena fails cleanly (exit $rc: $err)" test "$rc" -eq 1
  check "$mode with a 1 MiB arena names the cause" grep -q "arena exhausted" <<<"$err"
  check "$mode with a 1 MiB arena leaves no output" test ! -e "$dir/none.$mode"
done

# broken model directories
mkdir -p "$dir/broken" && cp "$dir/a/config.yaml" "$dir/a/spm.model" "$dir/broken/"
err=$("$bin" translate -m "$dir/broken" -i "$dir/in.de" 2>&1 >/dev/null)
check "missing weights are named ($err)" grep -q "model.safetensors: missing" <<<"$err"
cp "$dir/a/model.safetensors" "$dir/broken/" && cp "$dir/spm.model" "$dir/broken/spm.model"
sed -i 's/^  d: .*/  d: 64/' "$dir/broken/config.yaml"
err=$("$bin" translate -m "$dir/broken" -i "$dir/in.de" 2>&1 >/dev/null)
check "mismatched weights are reported ($err)" grep -q "model.safetensors: tensor" <<<"$err"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
