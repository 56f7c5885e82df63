#!/usr/bin/env bash
# The training conventions of issue 22 on the tiny config and 64 Multi30k pairs, with a
# validation set slow enough (400 pairs, 16 posterior samples) to be interrupted:
# - progress lines count updates as the [valid] lines and metrics.tsv do (over all phases);
# - a SIGTERM during validation is answered within a second, and the resumed run (validating
#   that update first) logs exactly the rows, the parameters and the best model of an
#   uninterrupted run, its first log line included;
# - the end of a run prints a summary; a finished job started again changes nothing;
# - training runs without a validation set; a binarized dataset obeys train.max_length.
source "$(dirname "$0")/lib.sh"
multi30k_pairs
gzip -dc "$corpora/multi30k/train.de.gz" | sed -n '1001,1400p' >"$dir/valid.de"
gzip -dc "$corpora/multi30k/train.en.gz" | sed -n '1001,1400p' >"$dir/valid.en"
"$bin" vocab -i "$dir/train.de" -i "$dir/train.en" --vocab-size 300 -o "$dir/spm.model" 2>/dev/null

# 20 pre-training updates, 8 main ones; logs every 4, validation at main update 6 (total 26)
base=(train -c "$src/models/flowseq-tiny.yaml" --train.train_src "$dir/train.de" --train.train_tgt "$dir/train.en"
  --train.spm "$dir/spm.model" --train.init_steps 20 --train.max_updates 8 --train.log_every 4 --train.save_every 3)
with_valid=(--train.valid_src "$dir/valid.de" --train.valid_tgt "$dir/valid.en" --train.valid_every 6
  --train.valid_samples 16)
"$bin" "${base[@]}" "${with_valid[@]}" --train.output "$dir/a" 2>"$dir/a.log"
check "the uninterrupted run finishes" grep -q "\[valid\] update 26" "$dir/a.log"

# one update counter: the progress lines' numbers are the metrics rows' (and the [valid] lines')
logged=$(grep -oE '(pre |main) ep [0-9]+ upd [0-9]+' "$dir/a.log" | awk '{ printf "%s ", $NF }')
rows=$(awk -F'\t' 'NR > 1 && $3 != "valid" { printf "%s ", $1 }' "$dir/a.metrics.tsv")
check "progress lines count updates over all phases (log: $logged; metrics: $rows)" \
  test "$logged" = "4 8 12 16 20 24 28 " -a "$rows" = "$logged"

# the summary
check "a finished run says so, with its updates and wall time" \
  grep -qE "training finished: 28 updates, wall time [0-9]+h[0-9]{2}m[0-9]{2}s" "$dir/a.log"
check "the summary gives the best validation scores and their updates" \
  grep -qE "best validation: BLEU [0-9.]+ at update 26, NLL [0-9.]+ per token at update 26" "$dir/a.log"
check "the summary names the final and the best model" grep -q "final model: $dir/a; best model: $dir/a.best" "$dir/a.log"

# a finished job started again changes nothing
snapshot() { # the checkpoint, the best model, the metrics: names, sizes, modification times, contents
  find "$dir/a" "$dir/a.best" "$dir/a.metrics.tsv" -printf '%p %s %T@\n' | sort
  cat "$dir"/a/* "$dir"/a.best/* "$dir/a.metrics.tsv" | md5sum
}
before=$(snapshot)
sleep 0.05
"$bin" "${base[@]}" "${with_valid[@]}" --train.output "$dir/a" 2>"$dir/again.log"
check "a finished job says so" grep -q "already finished: 28 updates; nothing to do" "$dir/again.log"
check "a finished job started again leaves its files as they were (contents and times)" test "$before" = "$(snapshot)"

# SIGTERM during the validation of update 26 (4 s or more here), run b
"$bin" "${base[@]}" "${with_valid[@]}" --train.output "$dir/b" 2>"$dir/b1.log" &
pid=$!
wait_for 120 "the first main-phase progress line" $pid grep -q "main ep" "$dir/b1.log"
sleep 0.5 # updates 25 and 26, then validation
start=$(date +%s.%N)
kill -TERM $pid
until grep -q "SIGINT/SIGTERM received" "$dir/b1.log" || ! kill -0 $pid 2>/dev/null; do sleep 0.02; done
answered=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
wait $pid
check "a signal during validation is answered within a second (took $answered s)" \
  awk -v t="$answered" 'BEGIN { exit !(t < 1.0) }'
check "the interrupted validation is abandoned" grep -q "validation of update 26 abandoned" "$dir/b1.log"
check "the stop saves a checkpoint" grep -q "training stopped (the same command resumes it): 26 updates" "$dir/b1.log"
"$bin" "${base[@]}" "${with_valid[@]}" --train.output "$dir/b" 2>"$dir/b2.log"
check "the second run resumed" grep -q "resumed from" "$dir/b2.log"
check "the resumed run validates update 26 first" grep -q "\[valid\] update 26" "$dir/b2.log"
check "resumed parameters equal the uninterrupted run's" cmp -s "$dir/a/model.safetensors" "$dir/b/model.safetensors"
check "the resumed best model equals the uninterrupted run's" \
  cmp -s "$dir/a.best/model.safetensors" "$dir/b.best/model.safetensors"
# every column but the throughput (10: tok_per_s); the row at 28 averages updates 25-28 in both
cut -f 1-9,11- "$dir/a.metrics.tsv" >"$dir/a.rows"
cut -f 1-9,11- "$dir/b.metrics.tsv" >"$dir/b.rows"
check "resumed metrics rows equal the uninterrupted run's:
$(diff "$dir/a.rows" "$dir/b.rows")" cmp -s "$dir/a.rows" "$dir/b.rows"

# no validation set: no validation, no best model, a save every valid_every updates
"$bin" "${base[@]}" --train.save_every 0 --train.valid_every 5 --train.keep_last 5 --train.output "$dir/c" \
  2>"$dir/c.log"
check "training without a validation set finishes" grep -q "training finished: 28 updates" "$dir/c.log"
check "without a validation set nothing is validated" test "$(awk -F'\t' '$3 == "valid"' "$dir/c.metrics.tsv" | wc -l)" -eq 0
check "without a validation set there is no best model" test ! -e "$dir/c.best"
check "without a validation set the model is saved every valid_every updates" test -d "$dir/c.u25" -a ! -e "$dir/c.u28"
check "the summary says there is no validation set" grep -q "best model: none (no validation set)" "$dir/c.log"
err=$("$bin" "${base[@]}" --train.valid_src "$dir/valid.de" --train.output "$dir/e" 2>&1 >/dev/null)
check "a validation source without its target is refused ($err)" grep -q "train.valid_tgt is not set" <<<"$err"

# a binarized dataset (prep without a length limit) with a 300-token pair: train.max_length
# (40 in the tiny config) drops it and the pairs the raw text path drops (run c's count)
{ cat "$dir/train.de"; for _ in $(seq 30); do printf 'Zwei junge Männer sind im Freien. '; done; echo; } >"$dir/long.de"
{ cat "$dir/train.en"; for _ in $(seq 30); do printf 'Two young men are outside. '; done; echo; } >"$dir/long.en"
"$bin" prep --spm "$dir/spm.model" --src "$dir/long.de" --tgt "$dir/long.en" --max-ratio 0 -o "$dir/long.fsd" --quiet
"$bin" "${base[@]}" "${with_valid[@]}" --train.train_data "$dir/long.fsd" --train.init_steps 2 --train.max_updates 2 \
  --train.output "$dir/d" 2>"$dir/d.log"
check "a binarized dataset with a pair over train.max_length trains:
$(tail -n 2 "$dir/d.log")" grep -q "training finished: 4 updates" "$dir/d.log"
raw=$(grep -oE "train: 64 pairs read, [0-9]+ kept \(0 empty, [0-9]+ too long" "$dir/c.log" | awk '{ print $5, $9 }')
read -r kept too_long <<<"${raw:-0 0}"
check "the long pair is counted as too long (raw text: $kept kept, $too_long too long)" \
  grep -q "train: 65 pairs read from $dir/long.fsd, $kept kept ($((too_long + 1)) too long)" "$dir/d.log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
