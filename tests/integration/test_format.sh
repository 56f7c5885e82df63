#!/usr/bin/env bash
# The sources follow .clang-format (scripts/check-format.sh), and the check is not blind: a copy
# of a source with its layout broken is named. Skips without clang-format 14.
source "$(dirname "$0")/lib.sh"
script="$src/scripts/check-format.sh"
out=$(bash "$script" 2>&1)
rc=$?
[ "$rc" -eq 77 ] && { echo "SKIP: $out"; exit 77; }
check "the sources follow .clang-format:
$out" test "$rc" -eq 0
# the same check on a one-file repository whose file is badly laid out
mkdir -p "$dir/repo/src/core" "$dir/repo/scripts"
cp "$script" "$dir/repo/scripts/" && cp "$src/.clang-format" "$dir/repo/"
printf '/* Badly laid out. */\nint  f( int x ){return x+1;}\n' >"$dir/repo/src/core/bad.c"
git -C "$dir/repo" init -q && git -C "$dir/repo" add -A
out=$(bash "$dir/repo/scripts/check-format.sh" 2>&1)
rc=$?
check "a badly laid out file fails the check (exit $rc)" test "$rc" -eq 1
check "naming it ($out)" grep -q "src/core/bad.c differs" <<<"$out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
