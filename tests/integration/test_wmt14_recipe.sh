#!/usr/bin/env bash
# scripts/train-wmt14.sh end to end on the WMT newstest stand-in, 2 ranks: the 2008-2012 newstests
# (13.6 k pairs) as training data, the first 200 lines of newstest2013 for validation and its first
# SGML segments as the test set; tiny preset, a 1000-piece vocabulary, a Transformer teacher of 6
# updates distilling with 2 processes, a FlowSeq student of 8 + 16 updates. Checks every step's
# output, the sacreBLEU-format score lines, the SGML reference extraction, that a second run skips
# every finished step and that a lost distillation shard is redone alone, identically; and that bad
# options fail clearly. Skips without the corpora, mpirun or an MPI build.
source "$(dirname "$0")/lib.sh"
corpora="${FLOWSEQ_CORPORA:-$src/../shared/corpora}"
wmt=$corpora/wmt
[ -f "$wmt/pre2013/newstest2012.de.gz" ] && [ -f "$wmt/newstest2013-src.de.sgm" ] ||
  { echo "SKIP: the WMT newstests (wmt/pre2013, wmt/newstest2013*) not found under $corpora"; exit 77; }
"$bin" info 2>/dev/null | grep -q "^mpi: yes" || { echo "SKIP: flowseq was built without MPI (FLOWSEQ_MPI=OFF)"; exit 77; }
command -v mpirun >/dev/null || { echo "SKIP: mpirun not found (scripts/install-deps.sh installs Open MPI)"; exit 77; }
command -v perl >/dev/null || { echo "SKIP: perl not found (the recipe reads SGML references with it)"; exit 77; }

gzip -dc "$wmt/newstest2013.de.gz" | head -n 200 >"$dir/valid.de"
gzip -dc "$wmt/newstest2013.en.gz" | head -n 200 >"$dir/valid.en"
head -n 200 "$wmt/newstest2013-src.de.sgm" >"$dir/nt13-src.de.sgm" # the same 110 segments in both
head -n 200 "$wmt/newstest2013-ref.en.sgm" >"$dir/nt13-ref.en.sgm"
segs=$(grep -c '^<seg ' "$dir/nt13-ref.en.sgm")
work=$dir/work
recipe=(bash "$src/scripts/train-wmt14.sh" --workdir "$work" --corpus-dir "$wmt/pre2013" --valid "$dir/valid"
  --test-src "$dir/nt13-src.de.sgm" --test-ref "$dir/nt13-ref.en.sgm"
  --preset "$src/models/flowseq-tiny.yaml" --teacher-preset "$src/models/flowseq-tiny.yaml"
  --vocab-size 1000 --vocab-sample 4000 --ranks 2 --mpi-args "--oversubscribe --mca mpi_yield_when_idle 1"
  --teacher-updates 6 --max-updates 16 --distill-args "--beam 1 --max-len-a 0 --max-len-b 8"
  --teacher-args "--model.type transformer --model.max_length 256 --train.valid_every 6 --train.log_every 3"
  --student-args "--model.max_length 256 --train.init_steps 8 --train.kl_warmup_steps 8 --train.valid_every 8 --train.log_every 4")
export FLOWSEQ=$bin
"${recipe[@]}" >"$dir/run1.out" 2>"$dir/run1.err"
rc=$?
check "the recipe exits 0 (exit $rc)" test $rc -eq 0
[ $rc -eq 0 ] || { tail -n 30 "$dir/run1.err"; echo "$passed passed, $failed failed"; exit 1; }
pairs=0
for f in "$wmt"/pre2013/*.de.gz; do pairs=$((pairs + $(gzip -dc "$f" | wc -l))); done
check "corpus: all $pairs stand-in pairs joined" test "$(wc -l <"$work/train.de")" -eq $pairs -a "$(wc -l <"$work/train.en")" -eq $pairs
check "vocab: spm.model" test -s "$work/spm.model"
check "prep: train.fsd" test -s "$work/train.fsd"
check "teacher: a finished Transformer" grep -qx 'phase: done' "$work/teacher/progress.yaml"
check "teacher: its config says transformer" grep -q 'type: transformer' "$work/teacher/config.yaml"
check "teacher and student trained on 2 ranks" test "$(grep -c 'data parallel over 2 ranks' "$dir/run1.err")" -eq 2
check "distill: one line per source line" test "$(wc -l <"$work/train.distilled.en")" -eq $pairs
check "distill: two shards" test -f "$work/distill.2/out.000" -a -f "$work/distill.2/out.001"
check "prep of the distilled pairs: train.distilled.fsd" test -s "$work/train.distilled.fsd"
check "student: a finished FlowSeq model" grep -qx 'phase: done' "$work/flowseq/progress.yaml"
check "student: its metrics" test -s "$work/flowseq.metrics.tsv"
check "student: trained on the distilled data" grep -q 'train.distilled.fsd' "$work/flowseq/config.yaml"
# the reference from SGML is sacreBLEU's: here the plain-text newstest2013, line for line
check "the SGML reference: $segs segments, equal to the plain text" \
  cmp -s "$work/test.ref.en" <(gzip -dc "$wmt/newstest2013.en.gz" | head -n "$segs")
bleu_line='BLEU\|nrefs:1\|case:mixed\|eff:no\|tok:13a\|smooth:exp\|version:2\.6\.0 = [0-9]+\.[0-9] [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ \(BP = [0-9]\.[0-9]{3} ratio = [0-9]+\.[0-9]{3} hyp_len = [0-9]+ ref_len = [0-9]+\)$'
for sys in argmax teacher npd-teacher; do
  check "evaluate: $sys has $segs translations" test "$(wc -l <"$work/test.$sys.en")" -eq "$segs"
  check "evaluate: $sys's BLEU line in sacreBLEU's format" grep -qE "^$sys +$bleu_line" "$dir/run1.out"
  check "evaluate: $sys's chrF line" grep -qE "^$sys +chrF2\|nrefs:1\|case:mixed\|eff:yes\|nc:6\|nw:0\|space:no\|version:2\.6\.0 = [0-9]+\.[0-9]$" "$dir/run1.out"
done
score=$("$bin" bleu "$work/test.ref.en" -i "$work/test.argmax.en" -b)
check "the argmax score is flowseq bleu's ($score)" grep -qE "^argmax +BLEU.* = $score " "$work/test.bleu"
check "where the time went" grep -qE '^  student [0-9]+$' "$dir/run1.out"

# A second run: every step is skipped but the scoring, nothing is translated again.
stamp() { stat -c %Y.%s "$work/teacher/model.safetensors" "$work/flowseq/model.safetensors" "$work/test."*.en "$work/train.fsd"; }
before=$(stamp)
sleep 1 # a rewritten file would get another mtime
"${recipe[@]}" >"$dir/run2.out" 2>"$dir/run2.err"
check "the second run exits 0" test $? -eq 0
for s in corpus reference vocab prep teacher distill prep-distilled student; do
  check "the second run skips $s" grep -q "^== $s: skipped" "$dir/run2.err"
done
check "the second run rewrites no model, dataset or translation" test "$before" = "$(stamp)"
check "and prints the same scores" cmp -s <(grep BLEU "$dir/run1.out") <(grep BLEU "$dir/run2.out")

# A lost shard: only it is distilled again, to the same lines.
mv "$work/train.distilled.en" "$dir/distilled.first"
rm "$work/distill.2/out.001" "$work/train.distilled.fsd"
shard0=$(stat -c %Y.%s "$work/distill.2/out.000" "$work/distill.2/log.000")
"${recipe[@]}" >"$dir/run3.out" 2>"$dir/run3.err"
check "the third run exits 0" test $? -eq 0
check "shard 0 is not distilled again" test "$shard0" = "$(stat -c %Y.%s "$work/distill.2/out.000" "$work/distill.2/log.000")"
check "the redone distillation is identical" cmp -s "$dir/distilled.first" "$work/train.distilled.en"
check "the third run prepares it again" grep -q "^== prep-distilled$" "$dir/run3.err"

# Bad options fail at once with a message.
bad() { # what, expected message, options...
  local what=$1 msg=$2 out
  shift 2
  out=$(bash "$src/scripts/train-wmt14.sh" --workdir "$dir/bad" "$@" 2>&1)
  check "$what: exit 2 ($?)" test $? -eq 2
  check "$what: says '$msg'" grep -q -- "$msg" <<<"$out"
}
bad "an unknown option" "unknown option --frobnicate" --frobnicate 1
bad "--corpus-dir without --valid" "needs --valid" --corpus-dir "$wmt/pre2013"
bad "--ranks 0" "positive integer" --ranks 0
bad "a teacher system without a teacher" "needs a teacher" --no-teacher --eval teacher --corpus-dir "$wmt/pre2013" \
  --valid "$dir/valid" --test "$dir/valid"
bad "a missing validation side" "valid-missing.de" --valid "$dir/valid-missing"
check "nothing made for bad options" test ! -e "$dir/bad"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
