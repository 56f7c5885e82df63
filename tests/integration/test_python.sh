#!/usr/bin/env bash
# The Python package (python/) as a user installs it: a virtual environment in the build directory
# (BUILD/python-venv, kept between runs) gets pytest and scikit-build-core from PyPI, then
# `pip install ./python` builds libflowseq into the package (incrementally, in BUILD/python-build)
# and pytest runs python/tests, which compare it with this build's flowseq program. Skips (77) when
# no virtual environment can be made or PyPI cannot be reached; a failing build or test fails.
source "$(dirname "$0")/lib.sh"
build=$(cd "$(dirname "$bin")" && pwd)
venv="$build/python-venv" py="$build/python-venv/bin/python"
unset FLOWSEQ_LIBRARY # the package's own library, not one named for development
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
if [ ! -x "$py" ] && ! python3 -m venv "$venv" >"$dir/venv.log" 2>&1; then
  cat "$dir/venv.log"
  rm -rf "$venv"
  echo "SKIP: python3 -m venv failed (Debian: apt-get install python3-venv)"
  exit 77
fi
if ! "$py" -c 'import pytest, scikit_build_core' 2>/dev/null &&
  ! "$py" -m pip install -q pytest 'scikit-build-core>=0.10' >"$dir/pip.log" 2>&1; then
  tail -n 5 "$dir/pip.log"
  echo "SKIP: pip could not install pytest and scikit-build-core (is PyPI reachable?)"
  exit 77
fi
# the build backend is already in the environment, so pip needs no network from here on
"$py" -m pip install -q --no-build-isolation -C build-dir="$build/python-build" "$src/python" >"$dir/install.log" 2>&1
check "pip install ./python builds and installs the package" test $? -eq 0
[ "$failed" -eq 0 ] || { tail -n 40 "$dir/install.log"; echo "$passed passed, $failed failed"; exit 1; }
cd "$dir" || exit 1 # so that the installed package, not python/src, is the one imported
PYTHONDONTWRITEBYTECODE=1 "$py" -m pytest -q -rs -p no:cacheprovider "$src/python/tests"
