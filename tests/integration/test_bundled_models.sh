#!/usr/bin/env bash
# The bundled models still translate: the first 100 lines of Multi30k test_2016 with the teacher
# (beam 4 and greedy) and with FlowSeq (argmax, and npd ranked by the teacher) score clearly above
# what a broken model or decoder gives, and the teacher's beam is at least as good as its greedy.
source "$(dirname "$0")/lib.sh"
multi30k_pairs
teacher="$src/models/ar-small-multi30k" student="$src/models/flowseq-small-multi30k"
[ -f "$teacher/model.safetensors" ] && [ -f "$student/model.safetensors" ] || { echo "SKIP: bundled models missing"; exit 77; }
gzip -dc "$corpora/multi30k/test_2016_flickr.de.gz" | head -n 100 >"$dir/test.de"
gzip -dc "$corpora/multi30k/test_2016_flickr.en.gz" | head -n 100 >"$dir/test.en"
bleu() { "$bin" translate -i "$dir/test.de" --quiet "$@" >"$dir/hyp" && "$bin" bleu "$dir/test.en" -i "$dir/hyp" -b -f text; }
beam=$(bleu -m "$teacher" --beam 4) greedy=$(bleu -m "$teacher" --beam 1)
argmax=$(bleu -m "$student") rescored=$(bleu -m "$student" --decode npd --rescore "$teacher")
above() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
check "teacher beam 4 BLEU $beam >= 30" above "$beam" 30
check "teacher beam 4 BLEU $beam >= greedy $greedy - 0.5" above "$beam" "$(awk -v g="$greedy" 'BEGIN { print g - 0.5 }')"
check "FlowSeq argmax BLEU $argmax >= 15" above "$argmax" 15
check "FlowSeq npd ranked by the teacher: BLEU $rescored >= argmax $argmax" above "$rescored" "$argmax"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
