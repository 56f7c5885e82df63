#!/usr/bin/env bash
# scripts/check-comments.sh on the repository (every source file opens with a comment), and on a
# small made-up tree first, so that a pass means something: the script must accept the comment
# forms of each language and name exactly the files that open with code.
source "$(dirname "$0")/lib.sh"
script="$src/scripts/check-comments.sh"

t="$dir/tree"
mkdir -p "$t/src/core" "$t/tests/unit" "$t/scripts"
printf '/* Holds a thing. */\nint x;\n' >"$t/src/core/good.c"
printf '\n\n// A header after blank lines.\n#pragma once\n' >"$t/src/core/good.h"
printf '#include <stdio.h>\nint main(void) { return 0; }\n' >"$t/src/core/bad.c"
printf '__global__ void k() {}\n' >"$t/src/core/bad.cu"
printf '#!/usr/bin/env bash\n# Runs a thing.\ntrue\n' >"$t/scripts/good.sh"
printf '#!/usr/bin/env bash\nset -e\n# a comment too late\n' >"$t/scripts/bad.sh"
printf '"""A docstring saying what the module holds."""\nimport sys\n' >"$t/tests/unit/good.py"
printf 'import sys\n' >"$t/tests/unit/bad.py"
printf '' >"$t/tests/unit/empty.h"
printf 'no comment, but not a source file\n' >"$t/src/core/notes.txt"
out=$(bash "$script" "$t" 2>&1)
rc=$?
check "a tree with files lacking a comment fails (exit $rc)" test "$rc" -eq 1
for f in src/core/bad.c src/core/bad.cu scripts/bad.sh tests/unit/bad.py tests/unit/empty.h; do
  check "the failure names $f" grep -qx "  $f" <<<"$out"
done
check "only those five are named ($out)" test "$(grep -c '^  ' <<<"$out")" -eq 5

rm "$t"/src/core/bad.* "$t/scripts/bad.sh" "$t/tests/unit/bad.py" "$t/tests/unit/empty.h"
out=$(bash "$script" "$t" 2>&1)
check "the same tree without them passes ($out)" test $? -eq 0

out=$(bash "$script" "$src" 2>&1)
check "every source file of the repository opens with a comment:
$out" test $? -eq 0
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
