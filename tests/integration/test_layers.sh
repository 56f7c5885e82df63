#!/usr/bin/env bash
# scripts/check-layers.sh on the repository (no module includes a header of a layer above it),
# and on a small made-up tree first, so that a pass means something: upward includes are named
# with file and line, includes downwards, sideways within a layer and without a folder pass, and
# a folder missing from the order fails, and so does the command line including a decode/ header
# (it decodes through include/flowseq.h).
source "$(dirname "$0")/lib.sh"
script="$src/scripts/check-layers.sh"

t="$dir/tree"
put() { # FILE LINE...: writes the lines into FILE of the made-up tree
  local f="$t/$1"
  shift
  mkdir -p "$(dirname "$f")" && printf '%s\n' "$@" >"$f"
}
put src/core/a.c '/* Low. */' '#include <stdio.h>' '#include "core/a.h"'
put src/model/b.c '/* Down and sideways. */' '#include "core/a.h"' '#include "model/b.h"' '#include "local.h"'
put src/backend/cpu/k.c '/* Nested folder. */' '#include "backend/backend.h"' '#include "core/a.h"'
put src/model/up.h '/* Up. */' '#include "core/a.h"' '  #  include "decode/search.h"'
put src/decode/other.cu '/* Up, and not excepted. */' '#include "train/checkpoint.h"'
out=$(bash "$script" "$t" 2>&1)
rc=$?
check "a tree with upward includes fails (exit $rc)" test "$rc" -eq 1
check "the failure names model/up.h line 3 ($out)" \
  grep -q "src/model/up.h:3: includes decode/search.h: layer decode is above model" <<<"$out"
check "the failure names decode/other.cu line 2" grep -q "src/decode/other.cu:2: includes train/checkpoint.h" <<<"$out"
check "only those two are named" test "$(grep -c '^  src/' <<<"$out")" -eq 2

rm "$t/src/model/up.h" "$t/src/decode/other.cu"
out=$(bash "$script" "$t" 2>&1)
check "the same tree without them passes ($out)" test $? -eq 0

put src/cli/cmd.c '/* Decoding below the public API. */' '#include "decode/runner.h"'
out=$(bash "$script" "$t" 2>&1)
rc=$?
check "the command line including decode/ fails (exit $rc)" test "$rc" -eq 1
check "naming the file ($out)" grep -q "src/cli/cmd.c:2:" <<<"$out"
rm "$t/src/cli/cmd.c"

put src/extra/x.c '/* New. */'
out=$(bash "$script" "$t" 2>&1)
rc=$?
check "a folder missing from the order fails (exit $rc: $out)" test "$rc" -eq 1

out=$(bash "$script" "$src" 2>&1)
check "the repository follows its layer order:
$out" test $? -eq 0
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
