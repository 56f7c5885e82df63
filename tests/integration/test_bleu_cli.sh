#!/usr/bin/env bash
# flowseq bleu's command line: bad input gives one clear error and a non-zero exit.
set -uo pipefail
bin="${FLOWSEQ_BIN:?FLOWSEQ_BIN must name the flowseq binary}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'a b c d\ne f g h\n' >"$dir/ref"
printf 'a b c\n' >"$dir/short"
printf 'a b c\n\xff\xfe\n' >"$dir/bad"
passed=0 failed=0
expect_error() { # pattern, args...
  local pattern=$1; shift
  local err rc
  err=$("$bin" bleu "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 0 ] && echo "$err" | grep -q -- "$pattern" && [ "$(echo "$err" | wc -l)" -eq 1 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "FAIL: bleu $* -> rc=$rc: $err"
  fi
}
expect_error "has 1 lines but the references" "$dir/ref" -i "$dir/short"
expect_error "invalid UTF-8" "$dir/ref" -i "$dir/bad"
expect_error "cannot open" "$dir/ref" -i "$dir/missing"
expect_error "unknown option" "$dir/ref" -i "$dir/ref" --frobnicate
expect_error "no reference" -i "$dir/ref"
expect_error "two systems" "$dir/ref" -i "$dir/ref" --paired-bs
# stdin works as the hypothesis stream
out=$(printf 'a b c d\ne f g h\n' | "$bin" bleu "$dir/ref" -b -f text)
if [ "$out" = "100.0" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: stdin gave '$out'"; fi
"$bin" bleu --help | grep -q "usage: flowseq bleu" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: --help"; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
