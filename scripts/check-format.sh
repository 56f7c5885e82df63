#!/usr/bin/env bash
# Checks that the C, C++ and CUDA sources (src/, tests/, include/, examples/) follow .clang-format:
# names every file clang-format 14 would change and exits 1, else exits 0. With --fix it rewrites
# them instead. Another clang-format major version lays some lines out differently, so only 14
# (Debian 12's, installed by scripts/install-deps.sh) is used; without it the check exits 77.
#   usage: scripts/check-format.sh [--fix]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
fix=false
[ "${1:-}" = --fix ] && fix=true
tool=""
for candidate in clang-format-14 clang-format; do
  command -v "$candidate" >/dev/null && "$candidate" --version | grep -q "version 14\." && { tool=$candidate; break; }
done
[ -n "$tool" ] || { echo "check-format: clang-format 14 not found (scripts/install-deps.sh installs it)"; exit 77; }
mapfile -t files < <( (git ls-files; git ls-files --others --exclude-standard) 2>/dev/null |
  grep -E '^(src|tests|include|examples)/.*\.(c|h|cu|cuh|cpp)$' | sort -u)
[ "${#files[@]}" -gt 0 ] || { echo "check-format: no sources found (not a git checkout?)"; exit 2; }
status=0
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  if $fix; then
    "$tool" -i "$f"
  elif ! "$tool" "$f" | cmp -s - "$f"; then
    echo "check-format: $f differs from .clang-format (scripts/check-format.sh --fix rewrites it)"
    status=1
  fi
done
[ "$status" -eq 0 ] && ! $fix && echo "check-format: ${#files[@]} files follow .clang-format"
exit "$status"
