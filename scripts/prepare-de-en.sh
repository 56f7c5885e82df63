#!/usr/bin/env bash
# Prepares the German-English training data of every trainable shared corpus and a held-out
# Tatoeba split (scripts/de_en/prepare.py says what happens to each pair):
#   scripts/prepare-de-en.sh OUT_DIR [--valid N] [--test N] [--seed S] [--number-copies N]
# writes OUT_DIR/{train,valid,test}.{de,en} (plain UTF-8, one sentence a line) and
# OUT_DIR/counts.tsv, and prints the counts per corpus. Deterministic: a rerun writes the same
# bytes. Reads the corpora from $FLOWSEQ_CORPORA (default ../shared/corpora beside the checkout).
# Needs python3 (standard library only).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] && [ "${1#-}" = "$1" ] || { sed -n '4,5p' "$0" | sed 's/^# *//' >&2; exit 2; }
corpora=${FLOWSEQ_CORPORA:-$root/../shared/corpora}
[ -f "$corpora/tatoeba-anki/tatoeba.de.gz" ] || { echo "prepare-de-en: the shared corpora are not under $corpora (set FLOWSEQ_CORPORA)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "prepare-de-en: python3 not found" >&2; exit 1; }
out=$1
shift
exec python3 "$root/scripts/de_en/prepare.py" "$out" --corpora "$corpora" "$@"
