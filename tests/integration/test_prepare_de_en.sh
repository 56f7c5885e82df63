#!/usr/bin/env bash
# scripts/prepare-de-en.sh on a hand-made corpus tree whose fates are known: one pair for each
# cleaning reason, a duplicate, an evaluation-set German side, a training pair whose English side
# writes a number out (digits-lost) beside one that only reformats it (kept, and copied 4 times
# with other numbers) and one with an ordinal ("19th": kept, never copied), Tatoeba German sides that recur
# case-changed in the OpenNMT sample (so that every held-out one must be dropped there), and the
# detokenizer on hand-made Moses-tokenized lines with known answers. Needs python3 only.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/prepared_checks.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
c=$dir/corpora
mkdir -p "$c/multi30k" "$c/tatoeba-anki" "$c/opennmt-toy-ende" "$c/wmt/pre2013"
pairs() { # PREFIX: "German<TAB>English" lines on stdin -> PREFIX.de.gz, PREFIX.en.gz
  local tsv
  tsv=$(cat)
  cut -f1 <<<"$tsv" | gzip -n >"$1.de.gz"
  cut -f2 <<<"$tsv" | gzip -n >"$1.en.gz"
}
long_de=$(printf 'Wort %.0s' $(seq 101)) long_en=$(printf 'word %.0s' $(seq 101))
# Multi30k: kept, empty, kept after whitespace normalization, duplicate, length ratio, an
# evaluation German side (val has it in other case), copy, wrong language, too long, digits
# lost, digits reformatted, an ordinal
pairs "$c/multi30k/train" <<EOF2
Ein Hund läuft.	A dog runs.
	Empty German side.
Ein Mann  schläft. 	A man sleeps.
Ein Hund läuft.	A dog runs.
@@	Young girls weave corn stalks into elaborate designs.
Zwei Katzen spielen.	Two cats play.
This is the man with the hat.	This is the man with the hat.
This page was last modified by the admin.	Diese Seite wurde zuletzt geändert.
$long_de	$long_en
Drei Hunde und 3 Katzen.	Three dogs and three cats.
Er zahlt 1.500,25 Euro für 2 Räder.	He pays 1,500.25 euros for 2 bikes.
Er wurde im 19. Jahrhundert geboren.	He was born in the 19th century.
EOF2
printf 'Zwei Katzen Spielen.\n' | gzip -n >"$c/multi30k/val.de.gz"
printf 'Ein Pferd.\n' | gzip -n >"$c/multi30k/test_2016_flickr.de.gz"
printf 'Die Börse schließt.\n' | gzip -n >"$c/wmt/newstest2013.de.gz"
# Tatoeba: seven candidates (two share a German side case-folded) and a duplicate of Multi30k
pairs "$c/tatoeba-anki/tatoeba" <<'EOF2'
Ich bin müde.	I am tired.
Geh!	Go.
Ich habe Hunger.	I'm hungry.
Ich habe hunger.	I am hungry.
Wir gehen.	We go.
Er singt.	He sings.
Sie tanzt.	She dances.
Ein Hund läuft.	A dog runs.
EOF2
# OpenNMT: a tokenized pair, an empty English side, and the six Tatoeba German sides in capitals
pairs "$c/opennmt-toy-ende/train" <<'EOF2'
Es ist &quot; gut &quot; , sagt er .	It &apos;s &quot; good &quot; , he says .
Nicht leer .	
ICH BIN MÜDE .	I AM TIRED AGAIN .
GEH !	GO AWAY .
ICH HABE HUNGER .	I HAVE HUNGER .
WIR GEHEN .	WE ARE GOING .
ER SINGT .	HE IS SINGING .
SIE TANZT .	SHE IS DANCING .
EOF2
for name in news-test2008 newssyscomb2009 newstest2009 newstest2010 newstest2012; do
  printf 'Der Euro fällt in %s.\tThe euro falls in %s.\n' "$name" "$name" | pairs "$c/wmt/pre2013/$name"
done
printf 'Die Börse schließt.\tThe stock exchange closes.\n' | pairs "$c/wmt/pre2013/newstest2011"

run() { FLOWSEQ_CORPORA=$c nice -n 19 "$src/scripts/prepare-de-en.sh" "$1" --valid 2 --test 2 >"$1.log" 2>&1; }
run "$dir/a"
check "prepare-de-en.sh succeeds on the hand-made corpora" test -s "$dir/a/train.de"
row() { awk -F'\t' -v n="$1" '$1 == n' "$dir/a/counts.tsv" | cut -f2-; }
tab=$'\t'
check "Multi30k: read 12; empty, too-long, length-ratio, copy, wrong-language, duplicate, eval-de, digits-lost 1 each; 4 kept, 4 number copies" \
  test "$(row multi30k-train)" = "12${tab}1${tab}1${tab}1${tab}1${tab}1${tab}1${tab}1${tab}0${tab}1${tab}0${tab}0${tab}4${tab}4"
check "OpenNMT: one empty, the 4 held-out German sides dropped, 3 kept" \
  test "$(row opennmt-toy)" = "8${tab}1${tab}0${tab}0${tab}0${tab}0${tab}0${tab}0${tab}4${tab}0${tab}0${tab}0${tab}3${tab}0"
check "Tatoeba: 2 + 2 held out, one duplicate" bash -c "[ \"\$(cut -f7,11,12 <<<'$(row tatoeba)')\" = '1${tab}2${tab}2' ]"
check "a reformatted number is kept for training" grep -qxF 'He pays 1,500.25 euros for 2 bikes.' "$dir/a/train.en"
# the copies: the same sentence with other numbers, 4 distinct ones, the ordinal never copied
copies() { grep -vxF "$2" "$dir/a/train.$1" | grep -cE "$3"; }
check "4 German copies with other numbers" test "$(copies de 'Er zahlt 1.500,25 Euro für 2 Räder.' '^Er zahlt [0-9]+\.[0-9]+,[0-9]+ Euro für [0-9]+ Räder\.$')" = 4
check "4 English copies" test "$(copies en 'He pays 1,500.25 euros for 2 bikes.' '^He pays [0-9]+,[0-9]+\.[0-9]+ euros for [0-9]+ bikes\.$')" = 4
check "the copies differ" test "$(grep -c '^Er zahlt' "$dir/a/train.de")" = "$(grep '^Er zahlt' "$dir/a/train.de" | sort -u | wc -l)"
check "the ordinal is not copied" test "$(grep -c 'Jahrhundert' "$dir/a/train.de")" = 1
check "newstest2011: the newstest2013 German side is dropped" test "$(row newstest2011 | cut -f8)" = 1
check "the tokenized pair is detokenized" grep -qxF 'Es ist "gut", sagt er.' "$dir/a/train.de"
check "its English side too" grep -qxF "It's \"good\", he says." "$dir/a/train.en"
check "whitespace is normalized" grep -qxF 'Ein Mann schläft.' "$dir/a/train.de"
check "the log prints the counts" grep -q '^total ' "$dir/a.log"
prepared_counts_add_up "$dir/a"
prepared_held_out_apart "$dir/a"
prepared_digits_kept "$dir/a"
run "$dir/b"
prepared_same_bytes "$dir/a" "$dir/b"
FLOWSEQ_CORPORA=$dir/none "$src/scripts/prepare-de-en.sh" "$dir/c" >"$dir/out" 2>&1
check "missing corpora: exit 1 naming the folder" bash -c "[ $? -eq 1 ] && grep -q '$dir/none' '$dir/out'"
"$src/scripts/prepare-de-en.sh" >"$dir/out" 2>&1
check "no OUT_DIR: exit 2 with usage" bash -c "[ $? -eq 2 ] && grep -q 'prepare-de-en.sh OUT_DIR' '$dir/out'"

# the detokenizer: Moses-tokenized lines and the text they came from
paste -d '\t' >"$dir/detok.tsv" <(cat <<'EOF2'
It is not acceptable that , with the help of Parliament &apos;s staff , we don &apos;t act .
&quot; Two soldiers came , &quot; she said ( quietly ) : 5 % , $ 10 and AT &amp; T ...
Conca d &apos; oro , MILF &apos; s und Europeans &apos; security
Er sagte : &quot; Nein &quot; .
Liste &#91; 1 &#93; &#124; x &gt; y &lt; z
Is it true ? Yes !
&amp;quot; stays text
EOF2
) <(cat <<'EOF2'
It is not acceptable that, with the help of Parliament's staff, we don't act.
"Two soldiers came," she said (quietly): 5%, $10 and AT & T...
Conca d'oro, MILF's und Europeans' security
Er sagte: "Nein".
Liste [1] | x > y < z
Is it true? Yes!
&quot; stays text
EOF2
)
cut -f1 "$dir/detok.tsv" | python3 "$src/scripts/de_en/detok.py" >"$dir/detok.out"
n=0
while IFS=$'\t' read -r tokenized want; do
  n=$((n + 1))
  got=$(sed -n "${n}p" "$dir/detok.out")
  check "detokenize: $tokenized -> $want (got: $got)" test "$got" = "$want"
done <"$dir/detok.tsv"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
