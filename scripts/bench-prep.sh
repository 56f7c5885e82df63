#!/usr/bin/env bash
# flowseq prep throughput as a ratio to the spm_encode CLI (Debian package sentencepiece) on the
# same input in the same run, and prep's peak memory on corpora of 0.2 M and 2 M pairs made by
# repeating Tatoeba (WMT14 has 4.5 M pairs: memory must not grow with the corpus).
#   scripts/bench-prep.sh [SPM_MODEL]   (default: a 8000-piece model trained here on Multi30k)
set -euo pipefail
cd "$(dirname "$0")/.."
corpora="${FLOWSEQ_CORPORA:-../shared/corpora}"
bash scripts/build.sh >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
spm=${1:-}
if [ -z "$spm" ]; then
  spm="$tmp/spm.model"
  ./build/flowseq vocab -i "$corpora/multi30k/train.de.gz" -i "$corpora/multi30k/train.en.gz" --vocab-size 8000 -o "$spm" 2>/dev/null
fi
make_corpus() { # pairs -> $tmp/N.de, $tmp/N.en (Tatoeba repeated)
  local n=$1
  gzip -dc "$corpora/tatoeba-anki/tatoeba.de.gz" >"$tmp/t.de"
  gzip -dc "$corpora/tatoeba-anki/tatoeba.en.gz" >"$tmp/t.en"
  for side in de en; do
    : >"$tmp/$n.$side"
    while [ "$(wc -l <"$tmp/$n.$side")" -lt "$n" ]; do cat "$tmp/t.$side" >>"$tmp/$n.$side"; done
    head -n "$n" "$tmp/$n.$side" >"$tmp/x" && mv "$tmp/x" "$tmp/$n.$side"
  done
}
seconds_and_rss() { # command... -> "seconds peak_rss_kib"
  /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1
}
for n in 200000 2000000; do
  make_corpus $n
  read -r secs rss < <(seconds_and_rss ./build/flowseq prep --spm "$spm" --src "$tmp/$n.de" --tgt "$tmp/$n.en" -o "$tmp/d.fsd" --quiet)
  awk -v n=$n -v s="$secs" -v m="$rss" 'BEGIN { printf "prep %8d pairs: %6.1f s, %8.0f pairs/s, peak RSS %6.1f MiB\n", n, s, n / s, m / 1024 }'
  if [ $n -eq 200000 ]; then
    cat "$tmp/$n.de" "$tmp/$n.en" >"$tmp/both"
    read -r ssecs _ < <(seconds_and_rss spm_encode --model="$spm" --output_format=id --input="$tmp/both")
    awk -v s="$secs" -v t="$ssecs" -v n=$((2 * n)) 'BEGIN { printf "spm_encode %d sentences: %.1f s (%.0f sentences/s); prep %.0f sentences/s = %.2fx spm_encode\n", n, t, n / t, n / s, t / s }'
  fi
  rm -f "$tmp/$n.de" "$tmp/$n.en" "$tmp/d.fsd" "$tmp/both"
done
