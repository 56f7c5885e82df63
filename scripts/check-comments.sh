#!/usr/bin/env bash
# Checks that every source file opens with a comment saying what it holds: C, C++ and CUDA
# files under src/ (.c .h .cpp .cu .cuh), C, shell and Python files under tests/ (.c .h .sh .py)
# and shell scripts under scripts/. The first non-blank line after an optional #! line must be
# a comment (/* or // in C-like files, # in shell, # or a docstring in Python). Prints each file
# that lacks one and exits 1; exits 0 when all have one.
#   usage: scripts/check-comments.sh [ROOT]   (ROOT: the repository, by default this script's)
set -uo pipefail
root="${1:-$(dirname "$0")/..}"
cd "$root" || { echo "check-comments: no directory $root" >&2; exit 2; }

# NUL-separated list of the files in scope (a missing top-level folder is simply absent)
list_files() {
  { [ -d src ] && find src -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' \) \
      -print0
    [ -d tests ] && find tests -type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' \) -print0
    [ -d scripts ] && find scripts -type f -name '*.sh' -print0; } | sort -z
}

checked=0 missing=()
while IFS= read -r -d '' f; do
  checked=$((checked + 1))
  # the first line with a non-blank character, skipping a #! on line 1
  first=$(awk 'NR == 1 && /^#!/ { next } /[^[:space:]]/ { print; exit }' "$f")
  case "$f" in
    *.sh) pattern='^[[:space:]]*#' ;;
    *.py) pattern='^[[:space:]]*(#|"""|'"'''"'|[rRuU]"""|[rRuU]'"'''"')' ;;
    *) pattern='^[[:space:]]*(/\*|//)' ;;
  esac
  [[ "$first" =~ $pattern ]] || missing+=("$f")
done < <(list_files)

if [ ${#missing[@]} -gt 0 ]; then
  echo "check-comments: ${#missing[@]} of $checked files do not open with a comment saying what they hold:"
  printf '  %s\n' "${missing[@]}"
  exit 1
fi
echo "check-comments: all $checked files open with a comment"
