#!/usr/bin/env bash
# Trains a teacher and a FlowSeq student for everyday German (issue 24, docs/data-de-en.md):
#   1. data      scripts/prepare-de-en.sh: all trainable shared corpora, cleaned, with the
#                held-out Tatoeba validation and test split
#   2. vocab     joint SentencePiece model ($VOCAB_SIZE pieces, default 8000) with split digits
#                and byte fallback, trained on 200000 sampled sentences
#   3. teacher   the autoregressive Transformer ($TEACHER_CONFIG, default models/ar-small.yaml)
#   4. distill   the teacher's beam-4 translations of the training source ($DISTILL_BEAM: 1 is
#                greedy, about 2.5 times as fast)
#   5. student   FlowSeq ($STUDENT_CONFIG, default models/flowseq-small.yaml) on the distilled
#                targets, keeping its last 5 saves
#   6. average   `flowseq average` of those saves: the student that is evaluated
#   7. evaluate  the held-out Tatoeba test, Multi30k test_2016 and newstest2013: teacher greedy and
#                beam 4, FlowSeq argmax and NPD 3x5 ranked by the teacher; BLEU, chrF, digits and
#                "?" kept (eval/copy.sh), sentences per second (in WORK_DIR/results.txt)
# Every step resumes: run the script again after an interruption and it goes on where it stopped.
# At the end it prints where the time went, and the total wall time (scripts/recipe-lib.sh).
#
# usage: scripts/train-de-en.sh [WORK_DIR]           (default work/de-en)
# environment: FLOWSEQ (binary, default build/flowseq), FLOWSEQ_CORPORA (default ../shared/corpora),
#   VOCAB_SIZE, DISTILL_BEAM, TEACHER_CONFIG, STUDENT_CONFIG, TEACHER_ARGS / STUDENT_ARGS (extra
#   "--train.KEY VALUE" overrides, e.g. more updates for the larger data).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-work/de-en}
bin=${FLOWSEQ:-$root/build/flowseq}
corpora=${FLOWSEQ_CORPORA:-$root/../shared/corpora}
export FLOWSEQ_BIN=$bin FLOWSEQ_CORPORA=$corpora
[ -x "$bin" ] || { echo "train-de-en: $bin not found: build first (scripts/build.sh)" >&2; exit 1; }
mkdir -p "$work"
data=$work/data
source "$root/scripts/recipe-lib.sh" # recipe_unless_made, recipe_unless_trained, recipe_best, recipe_step, recipe_times

recipe_unless_made data "$data/counts.tsv" "$root/scripts/prepare-de-en.sh" "$data"
recipe_unless_made vocab "$work/spm.model" "$bin" vocab -i "$data/train.de" -i "$data/train.en" \
  --vocab-size "${VOCAB_SIZE:-8000}" --sample 200000 --split-digits --byte-fallback -o "$work/spm.model"

common=(--train.spm "$work/spm.model" --train.valid_src "$data/valid.de" --train.valid_tgt "$data/valid.en")
# shellcheck disable=SC2086 # the *_ARGS are word lists on purpose
recipe_unless_trained teacher "$work/teacher" "$bin" train -c "${TEACHER_CONFIG:-$root/models/ar-small.yaml}" \
  "${common[@]}" --train.train_src "$data/train.de" --train.train_tgt "$data/train.en" --train.output "$work/teacher" \
  ${TEACHER_ARGS:-}
teacher=$(recipe_best "$work/teacher")
recipe_unless_made distill "$work/train.distilled.en" \
  "$bin" distill -m "$teacher" -i "$data/train.de" -o "$work/train.distilled.en" --beam "${DISTILL_BEAM:-4}"
# shellcheck disable=SC2086
recipe_unless_trained student "$work/flowseq" "$bin" train -c "${STUDENT_CONFIG:-$root/models/flowseq-small.yaml}" \
  "${common[@]}" --train.train_src "$data/train.de" --train.train_tgt "$work/train.distilled.en" \
  --train.output "$work/flowseq" --train.keep_last 5 ${STUDENT_ARGS:-}
# the mean of its last 5 saves, stored in fp16 as the bundled models are
recipe_unless_made average "$work/flowseq.avg/model.safetensors" \
  "$bin" average --fp16 -o "$work/flowseq.avg" "$work"/flowseq.u*
student=$work/flowseq.avg

# one line per test set and system: BLEU, chrF, digits kept, "?" kept, sentences per second
evaluate() {
  local set src ref name model args hyp start seconds scores kept speed
  printf '%-14s %-20s %s\n' set system "BLEU chrF  digits-kept ?-kept  speed"
  while read -r set src ref; do
    gzip -dcf "$ref" >"$work/$set.ref.en" # flowseq bleu reads plain text only
    while read -r name model args; do
      hyp=$work/$set.$name.en start=$(date +%s.%N)
      # shellcheck disable=SC2086
      "$bin" translate -m "$model" -i "$src" -o "$hyp" --quiet $args
      seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
      scores=$("$bin" bleu "$work/$set.ref.en" -i "$hyp" -m bleu chrf -b -f text | paste -sd ' ')
      kept=$("$root/eval/copy.sh" "$hyp" "$src" | awk '/ kept / { print $3 ($3 == "-" ? "" : "%") }' | paste -sd ' ')
      speed=$(awk -v n="$(gzip -dcf "$src" | wc -l)" -v s="$seconds" 'BEGIN { printf "%.1f", n / s }')
      # BLEU chrF, then the shares of lines with digits and of questions that keep them
      printf '%-14s %-20s %s  %s  %s sent/s\n' "$set" "$name" "$scores" "$kept" "$speed"
    done <<SYSTEMS
teacher-greedy $teacher --beam 1
teacher-beam4 $teacher --beam 4
flowseq-argmax $student
flowseq-npd-teacher $student --decode npd --lengths 3 --samples 5 --rescore $teacher
SYSTEMS
  done >"$work/results.txt" <<SETS
tatoeba-test $data/test.de $data/test.en
multi30k-2016 $corpora/multi30k/test_2016_flickr.de.gz $corpora/multi30k/test_2016_flickr.en.gz
newstest2013 $corpora/wmt/newstest2013.de.gz $corpora/wmt/newstest2013.en.gz
SETS
}
recipe_step evaluate evaluate
cat "$work/results.txt"
recipe_times
