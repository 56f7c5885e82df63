#!/usr/bin/env bash
# The autoregressive Transformer through the CLI on 64 real Multi30k pairs: training (one trainer
# for both model types) learns them; a training killed with SIGTERM and resumed ends with exactly
# the parameters of an uninterrupted run; translate (greedy, beam), sample (n-best) and score pick
# the Transformer's decoders from config.yaml; FlowSeq-only options are refused; distill writes one
# line per input line, and a distillation killed mid-way and resumed gives the uninterrupted file;
# a FlowSeq model's npd candidates are reranked by the teacher (--rescore).
source "$(dirname "$0")/lib.sh"
multi30k_pairs
"$bin" vocab -i "$corpora/multi30k/train.de.gz" -i "$corpora/multi30k/train.en.gz" --vocab-size 1000 --sample 20000 \
  -o "$dir/spm.model" 2>/dev/null

train_args=(train -c "$src/models/flowseq-tiny.yaml" --model.type transformer --model.d 64 --model.ffn_hidden 128
  --model.encoder_dropout 0 --model.decoder_dropout 0 --model.label_smoothing 0
  --train.train_src "$dir/train.de" --train.train_tgt "$dir/train.en" --train.valid_src "$dir/train.de"
  --train.valid_tgt "$dir/train.en" --train.spm "$dir/spm.model" --train.max_tokens 2048 --train.max_updates 300
  --train.lr 0.003 --train.warmup 20 --train.valid_every 150 --train.log_every 10)
"$bin" "${train_args[@]}" --train.output "$dir/a" 2>"$dir/a.log"
check "training logs the Transformer's cross-entropy" grep -q "transformer: .* parameters" "$dir/a.log"
check "training has no pre-training phase" test "$(awk -F'\t' '$3 == "pretrain"' "$dir/a.metrics.tsv" | wc -l)" -eq 0
check "validation reports NLL and greedy BLEU" grep -qE "update 300: NLL .* BLEU [0-9.]+.* \(greedy" "$dir/a.log"
first=$(awk -F'\t' '$3 == "main" { print $4; exit }' "$dir/a.metrics.tsv")
last=$(awk -F'\t' '$3 == "main" { v = $4 } END { print v }' "$dir/a.metrics.tsv")
check "training learns 64 pairs (cross-entropy $first -> $last per sentence)" \
  awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < 0.15 * a) }'

"$bin" "${train_args[@]}" --train.output "$dir/b" 2>"$dir/b1.log" &
pid=$!
wait_for 600 "the first checkpoint of the run to interrupt" $pid grep -q "checkpoint saved" "$dir/b1.log"
sleep 1
kill -TERM $pid
wait $pid
"$bin" "${train_args[@]}" --train.output "$dir/b" 2>"$dir/b2.log"
check "the second run resumed" grep -q "resumed from" "$dir/b2.log"
check "resumed parameters equal the uninterrupted run's" cmp -s "$dir/a/model.safetensors" "$dir/b/model.safetensors"

printf 'Zwei junge Männer.\n\nEin Mann.\n' >"$dir/in.de"
"$bin" translate -m "$dir/a" -i "$dir/in.de" -o "$dir/out.en" --quiet
check "translate: one output line per input line, blank kept" test "$(wc -l <"$dir/out.en")" -eq 3 -a -z "$(sed -n 2p "$dir/out.en")"
"$bin" translate -m "$dir/a" -i "$dir/train.de" --beam 1 --quiet >"$dir/greedy.en"
"$bin" translate -m "$dir/a" -i "$dir/train.de" --beam 4 --quiet >"$dir/beam.en"
bleu=$("$bin" bleu "$dir/train.en" -i "$dir/beam.en" -b -f text)
check "beam 4 reproduces the learned pairs (BLEU $bleu)" awk -v b="$bleu" 'BEGIN { exit !(b > 60) }'
check "greedy writes 64 lines" test "$(wc -l <"$dir/greedy.en")" -eq 64
"$bin" sample -m "$dir/a" -n 3 -i "$dir/in.de" --quiet >"$dir/nbest"
check "sample writes the 3 best of the beam for each non-empty line" test "$(wc -l <"$dir/nbest")" -eq 6
check "Transformer n-best format" grep -qE '^2 \|\|\| .* \|\|\| dec=-?[0-9.]+ \|\|\| -?[0-9.]+$' "$dir/nbest"
"$bin" score -m "$dir/a" -s "$dir/train.de" -t "$dir/train.en" --quiet >"$dir/scores"
check "score writes one exact log-probability per pair" test "$(wc -l <"$dir/scores")" -eq 64
err=$("$bin" translate -m "$dir/a" -i "$dir/in.de" --decode npd 2>&1 >/dev/null)
check "a FlowSeq option on a Transformer is refused ($err)" grep -q "is for FlowSeq models" <<<"$err"

# distillation: interrupted (kill -9 after a few chunks) and resumed equals uninterrupted
gzip -dc "$corpora/multi30k/train.de.gz" | head -n 400 >"$dir/distill.de"
"$bin" distill -m "$dir/a" -i "$dir/distill.de" -o "$dir/full.en" --chunk 40 --quiet
check "distill writes one line per source line" test "$(wc -l <"$dir/full.en")" -eq 400
"$bin" distill -m "$dir/a" -i "$dir/distill.de" -o "$dir/cut.en" --chunk 40 --max-tokens 64 --quiet &
pid=$!
wait_for 300 "the distillation to interrupt to pass line 80" $pid grep -qs "lines 80" "$dir/cut.en.partial.progress"
kill -KILL $pid
wait $pid 2>/dev/null
check "the killed distillation left its work" test -s "$dir/cut.en.partial" -a ! -e "$dir/cut.en"
echo "torn line without newline" >>"$dir/cut.en.partial" # a write the kill interrupted
"$bin" distill -m "$dir/a" -i "$dir/distill.de" -o "$dir/cut.en" --chunk 40 2>"$dir/resume.log"
check "the distillation resumed" grep -q "resuming after line" "$dir/resume.log"
check "resumed distillation equals the uninterrupted one" cmp -s "$dir/full.en" "$dir/cut.en"
check "no partial files remain" test ! -e "$dir/cut.en.partial" -a ! -e "$dir/cut.en.partial.progress"
err=$("$bin" distill -m "$dir/a" -i "$dir/in.de" -o "$dir/stdout" -o - 2>&1 >/dev/null)
check "distill needs files ($err)" grep -q "must name files" <<<"$err"

# teacher rescoring of a FlowSeq model's candidates
"$bin" train -c "$src/models/flowseq-tiny.yaml" --train.train_src "$dir/train.de" --train.train_tgt "$dir/train.en" \
  --train.valid_src "$dir/train.de" --train.valid_tgt "$dir/train.en" --train.spm "$dir/spm.model" \
  --train.init_steps 20 --train.max_updates 10 --train.output "$dir/flow" 2>/dev/null
"$bin" translate -m "$dir/flow" -i "$dir/in.de" --decode npd --rescore "$dir/a" --quiet >"$dir/rescored"
check "npd with --rescore writes every line" test "$(wc -l <"$dir/rescored")" -eq 3
"$bin" sample -m "$dir/flow" -n 4 -i "$dir/in.de" --rescore "$dir/a" --quiet >"$dir/nbest.teacher"
check "sample --rescore adds the teacher feature" grep -qE ' teacher=-?[0-9.]+ \|\|\| ' "$dir/nbest.teacher"
# the n-best are ranked by it: each sentence's teacher scores never rise down the list
check "sample --rescore ranks by the teacher" awk -F' \\|\\|\\| ' '{ split($3, f, "teacher="); t = f[2] + 0
  if ($1 == id && t > prev + 1e-9) bad = 1; id = $1; prev = t } END { exit bad }' "$dir/nbest.teacher"
# the same 3 x 5 candidates (same seed): translate outputs the one sample ranks first by the teacher
"$bin" sample -m "$dir/flow" -n 15 --lengths 3 -i "$dir/in.de" --rescore "$dir/a" --quiet >"$dir/nbest.15"
awk -F' \\|\\|\\| ' '!($1 in seen) { seen[$1]; print $2 }' "$dir/nbest.15" >"$dir/top"
check "npd --rescore picks the candidate with the best teacher score" cmp -s <(sed '/^$/d' "$dir/rescored") "$dir/top"
err=$("$bin" translate -m "$dir/flow" -i "$dir/in.de" --decode npd --rescore "$dir/flow" 2>&1 >/dev/null)
check "a FlowSeq model as teacher is refused ($err)" grep -q "not an autoregressive Transformer" <<<"$err"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
