#!/usr/bin/env bash
# scripts/prepare-de-en.sh on the shared corpora ($FLOWSEQ_CORPORA, default ../shared/corpora):
# the counts add up, the held-out Tatoeba split is 2000 + 2000 pairs whose German sides occur in
# no training corpus (case-folded) and not in each other, the OpenNMT sample is detokenized, and
# a second run writes the same bytes. Skipped when the corpora are absent.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prepared_checks.sh"
corpora="${FLOWSEQ_CORPORA:-$src/../shared/corpora}"
[ -f "$corpora/tatoeba-anki/tatoeba.de.gz" ] || { echo "SKIP: the shared corpora are not under $corpora"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
for run in a b; do
  FLOWSEQ_CORPORA=$corpora nice -n 19 "$src/scripts/prepare-de-en.sh" "$dir/$run" >"$dir/$run.log" 2>&1
  check "run $run succeeds" test $? -eq 0
done
prepared_counts_add_up "$dir/a"
prepared_held_out_apart "$dir/a"
prepared_digits_kept "$dir/a"
prepared_same_bytes "$dir/a" "$dir/b"
check "2000 validation and 2000 test pairs" test "$(cat "$dir"/a/valid.de "$dir"/a/test.en | wc -l)" = 4000
check "Tatoeba gives most of the training data" \
  awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "train") c = i }
    $1 == "tatoeba" { t = $c } $1 == "total" { exit !(t > 0.7 * $c) }' "$dir/a/counts.tsv"
check "no Moses escapes or split clitics are left" bash -c "! grep -qE '&(apos|quot|amp|#124);| '\"'\"'s ' '$dir/a/train.en'"
check "newstest2013 is not in training" none_shared "$dir/a/train.de" <(gzip -dc "$corpora/wmt/newstest2013.de.gz")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
