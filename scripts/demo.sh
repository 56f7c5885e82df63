#!/usr/bin/env bash
# The main job: translate German with the bundled FlowSeq model (argmax decoding, the
# importance-weighted reranking of 3 length candidates, and noisy parallel decoding ranked by the
# bundled autoregressive teacher, the most accurate), from raw text to raw text.
# Then everyday German (models/samples/everyday.de) with the teacher trained on all the German-English
# text at hand (models/ar-de-en, docs/data-de-en.md); its FlowSeq student is still in training.
#   scripts/demo.sh [GERMAN_FILE]      (default: models/samples/captions.de)
set -euo pipefail
cd "$(dirname "$0")/.."
model=models/flowseq-small-multi30k
input=${1:-models/samples/captions.de}
[ -f "$model/model.safetensors" ] || { echo "demo: the bundled model $model is missing" >&2; exit 1; }
echo "== German input ($input)"
cat "$input"
echo "== English, argmax decoding"
./build/flowseq translate -m "$model" -i "$input" --quiet
echo "== English, importance-weighted decoding (3 lengths)"
./build/flowseq translate -m "$model" -i "$input" --decode iwd --lengths 3 --quiet
echo "== English, noisy parallel decoding (3 lengths x 5 samples) ranked by the teacher"
./build/flowseq translate -m "$model" -i "$input" --decode npd --rescore models/ar-small-multi30k --quiet
echo "== Everyday German (models/samples/everyday.de), the everyday teacher models/ar-de-en, beam 4"
./build/flowseq translate -m models/ar-de-en -i models/samples/everyday.de --beam 4 --quiet
