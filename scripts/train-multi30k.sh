#!/usr/bin/env bash
# Reproduces both bundled Multi30k models from scratch (docs/transformer.md):
#   1. vocab     joint SentencePiece model of both training sides (8000 pieces)
#   2. teacher   the autoregressive Transformer (models/ar-small.yaml)
#   3. distill   the teacher's beam-4 translations of the training source
#   4. student   FlowSeq ($STUDENT_CONFIG, default models/flowseq-small.yaml; flowseq-wide.yaml and
#                flowseq-deep.yaml are the larger candidates) on the distilled targets, keeping its
#                last 5 saves
#   5. average   the mean of those saves (`flowseq average --fp16`): the student evaluated
#   6. evaluate  whole test_2016: teacher greedy and beam 4, FlowSeq argmax and NPD 3x5 ranked
#                by the teacher (BLEU, chrF; in WORK_DIR/test_2016.bleu)
# Every step resumes: run the script again after an interruption and it goes on where it stopped
# (finished steps are skipped, training resumes from its checkpoint, distillation from its last
# complete chunk). At the end it prints where the time went (scripts/recipe-lib.sh).
#
# usage: scripts/train-multi30k.sh [WORK_DIR]           (default work/multi30k)
# environment: FLOWSEQ (binary, default build/flowseq), FLOWSEQ_CORPORA (default ../shared/corpora),
#   STUDENT_CONFIG (the student's preset), TEACHER_ARGS / STUDENT_ARGS (extra "--train.KEY VALUE"
#   overrides, e.g. fewer updates),
#   VOCAB_ARGS (extra vocab options).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-work/multi30k}
bin=${FLOWSEQ:-$root/build/flowseq}
corpora=${FLOWSEQ_CORPORA:-$root/../shared/corpora}
m30k=$corpora/multi30k
[ -f "$m30k/train.de.gz" ] || { echo "train-multi30k: Multi30k not found under $corpora" >&2; exit 1; }
mkdir -p "$work"
source "$root/scripts/recipe-lib.sh" # recipe_unless_made, recipe_unless_trained, recipe_best, recipe_step, recipe_times

# shellcheck disable=SC2086 # the *_ARGS are word lists on purpose
recipe_unless_made vocab "$work/spm.model" "$bin" vocab -i "$m30k/train.de.gz" -i "$m30k/train.en.gz" \
  --vocab-size 8000 ${VOCAB_ARGS:-} -o "$work/spm.model"

common=(--train.spm "$work/spm.model" --train.valid_src "$m30k/val.de.gz" --train.valid_tgt "$m30k/val.en.gz")
# shellcheck disable=SC2086
recipe_unless_trained teacher "$work/teacher" "$bin" train -c "$root/models/ar-small.yaml" "${common[@]}" \
  --train.train_src "$m30k/train.de.gz" --train.train_tgt "$m30k/train.en.gz" --train.output "$work/teacher" \
  ${TEACHER_ARGS:-}
teacher=$(recipe_best "$work/teacher")
recipe_unless_made distill "$work/train.distilled.en" \
  "$bin" distill -m "$teacher" -i "$m30k/train.de.gz" -o "$work/train.distilled.en" --beam 4
# shellcheck disable=SC2086
recipe_unless_trained student "$work/flowseq" "$bin" train -c "${STUDENT_CONFIG:-$root/models/flowseq-small.yaml}" \
  "${common[@]}" --train.train_src "$m30k/train.de.gz" --train.train_tgt "$work/train.distilled.en" \
  --train.output "$work/flowseq" --train.keep_last 5 ${STUDENT_ARGS:-}
# the mean of its last 5 saves, stored in fp16 as the bundled model is
recipe_unless_made average "$work/flowseq.avg/model.safetensors" \
  "$bin" average --fp16 -o "$work/flowseq.avg" "$work"/flowseq.u*
student=$work/flowseq.avg

evaluate() {
  local test_de=$m30k/test_2016_flickr.de.gz test_en=$work/test_2016.ref.en name model args
  gzip -dc "$m30k/test_2016_flickr.en.gz" >"$test_en" # flowseq bleu reads plain text only
  while read -r name model args; do
    # shellcheck disable=SC2086
    "$bin" translate -m "$model" -i "$test_de" -o "$work/test_2016.$name.en" --quiet $args
    printf '%-24s %s\n' "$name" "$("$bin" bleu "$test_en" -i "$work/test_2016.$name.en" -m bleu chrf -b -f text | tr '\n' ' ')"
  done >"$work/test_2016.bleu" <<EOF
teacher-greedy $teacher --beam 1
teacher-beam4 $teacher --beam 4
flowseq-argmax $student
flowseq-npd-teacher $student --decode npd --lengths 3 --samples 5 --rescore $teacher
EOF
}
recipe_step evaluate evaluate
cat "$work/test_2016.bleu"
recipe_times
