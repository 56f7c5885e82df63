#!/usr/bin/env bash
# get-corpus.sh on local files: a correct checksum passes, a wrong one is rejected and the file
# removed, an unknown one is refused without --trust-unknown, and every shipped manifest parses.
set -uo pipefail
src="${FLOWSEQ_SOURCE_DIR:-.}"
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
passed=0 failed=0
check() { local what=$1; shift; if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi; }
mkdir -p "$dir/m" "$dir/files"
printf 'Hallo Welt\n' | gzip -n >"$dir/files/a.de.gz"
sum=$(sha256sum "$dir/files/a.de.gz" | cut -d' ' -f1)
printf '# test\nfile://%s\t%s\ta.de.gz\tgunzip\n' "$dir/files/a.de.gz" "$sum" >"$dir/m/good.tsv"
printf 'file://%s\t%s\ta.de.gz\tkeep\n' "$dir/files/a.de.gz" "0000$sum" >"$dir/m/bad.tsv"
printf 'file://%s\tunknown\ta.de.gz\tkeep\n' "$dir/files/a.de.gz" >"$dir/m/unknown.tsv"
run() { bash "$src/scripts/get-corpus.sh" --manifests "$dir/m" --dest "$dir/out" "$@" >/dev/null 2>"$dir/err"; }
run good
check "verified download unpacks" grep -q "Hallo Welt" "$dir/out/good/a.de"
run bad
check "checksum mismatch fails" grep -q "sha256 mismatch" "$dir/err"
check "mismatching file is removed" test ! -f "$dir/out/bad/a.de.gz"
run unknown
check "unknown checksum is refused" grep -q "refusing" "$dir/err"
run --trust-unknown unknown
check "--trust-unknown accepts it" test -f "$dir/out/unknown/a.de.gz"
for m in "$src"/corpora/manifests/*.tsv; do
  check "$(basename "$m") has 4 fields per entry" awk -F'\t' '!/^#/ && NF && NF != 4 { exit 1 }' "$m"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
