#!/usr/bin/env bash
# libflowseq as a user gets it: the README's lines under "Using it from a program" are run as
# written, in a scratch directory holding `build`, `examples` and `models` with HOME pointing at a
# temporary home, and without LD_LIBRARY_PATH: `cmake --install` puts the program, the libraries,
# flowseq.h, flowseq.pc and the CMake package in ~/.local, examples/translate.c is built with
# pkg-config, and ./a.out must find libflowseq.so by itself and translate as `flowseq translate`
# does. A small CMake project using find_package(flowseq) translates the same, from its build tree
# and installed. The shared library exports only the public interface (the flowseq_ names of
# include/flowseq.h).
source "$(dirname "$0")/lib.sh"
build=$(dirname "$bin")
model="$src/models/flowseq-small-multi30k"
[ -f "$model/model.safetensors" ] || { echo "SKIP: the bundled model is missing"; exit 77; }
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config not found"; exit 77; }
[ -e "$build/libflowseq.so" ] || { echo "SKIP: this build has no shared library (a fuzz build)"; exit 77; }
unset LD_LIBRARY_PATH

# the README's indented lines from `cmake --install` to `./a.out`
awk '/^## Using it from a program/ { on = 1 } on && /^    cmake --install/ { block = 1 }
     block { print; if (/^    \.\/a\.out/) exit }' "$src/README.md" | sed 's/^    //' >"$dir/readme.sh"
check "the README shows the library lines" grep -q '^\./a\.out' "$dir/readme.sh"
home="$dir/home" work="$dir/work"
mkdir -p "$home" "$work"
ln -s "$build" "$work/build"
ln -s "$src/examples" "$work/examples"
ln -s "$src/models" "$work/models"
readme_sentence=$(sed -n 's/^\.\/a\.out [^ ]* "\(.*\)"$/\1/p' "$dir/readme.sh")
(cd "$work" && env -u PKG_CONFIG_PATH HOME="$home" bash -e "$dir/readme.sh") >"$dir/readme.out" 2>"$dir/readme.log"
check "the README's lines run as written" test $? -eq 0
check "and ./a.out translates as flowseq translate does" \
  test "$(tail -n 1 "$dir/readme.out")" = "$(echo "$readme_sentence" | "$bin" translate -m "$model" --quiet)"
prefix="$home/.local"
libdir=$(ls -d "$prefix"/lib*/pkgconfig 2>/dev/null | head -n 1)
libdir=${libdir%/pkgconfig}
for f in "$prefix/bin/flowseq" "$prefix/include/flowseq.h" "$libdir/libflowseq.a" "$libdir/pkgconfig/flowseq.pc" \
  "$libdir/cmake/flowseq/flowseqConfig.cmake" "$libdir/cmake/flowseq/flowseqConfigVersion.cmake"; do
  check "installed: ${f#$prefix/}" test -e "$f"
done
check "installed: the shared library" test -e "$libdir/libflowseq.so"
exported=$(nm -D --defined-only "$libdir/libflowseq.so" | awk '$2 == "T" { print $3 }' | grep -v '^_Z' | sort -u)
check "the shared library exports flowseq_ names only" test -z "$(grep -v '^flowseq_' <<<"$exported")"
check "and every function of flowseq.h" test "$(wc -l <<<"$exported")" -eq \
  "$(grep -c '^FLOWSEQ_API' "$src/include/flowseq.h")"

sentence="Ein Mann fährt mit dem Fahrrad eine Straße entlang."
expected=$(echo "$sentence" | "$bin" translate -m "$model" --quiet)
export PKG_CONFIG_PATH="$libdir/pkgconfig"
check "pkg-config knows the version" test "$(pkg-config --modversion flowseq)" = "$("$bin" --version | cut -d' ' -f2)"
# shellcheck disable=SC2046 # pkg-config's flags are words
cc -std=c11 -Wall -Wextra -Werror -o "$dir/translate" "$src/examples/translate.c" $(pkg-config --cflags --libs flowseq) \
  2>"$dir/cc.log"
check "examples/translate.c builds with pkg-config, without a warning" test $? -eq 0
check "and translates as flowseq translate does" test "$("$dir/translate" "$model" "$sentence")" = "$expected"
"$dir/translate" "$dir/nowhere" x >"$dir/error" 2>&1
check "a missing model directory fails" test $? -ne 0
check "with a message naming the file looked for" grep -q "nowhere/config.yaml" "$dir/error"

mkdir -p "$dir/consumer"
cat >"$dir/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.16)
project(consumer C)
set(CMAKE_INSTALL_RPATH_USE_LINK_PATH ON)
find_package(flowseq 0.1 REQUIRED)
add_executable(translate "$src/examples/translate.c")
target_link_libraries(translate PRIVATE flowseq::flowseq)
install(TARGETS translate)
CMAKE
cmake -S "$dir/consumer" -B "$dir/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" >"$dir/consumer.log" 2>&1 &&
  cmake --build "$dir/consumer/build" >>"$dir/consumer.log" 2>&1 &&
  cmake --install "$dir/consumer/build" --prefix "$dir/consumer/installed" >>"$dir/consumer.log" 2>&1
check "a CMake project builds and installs with find_package(flowseq)" test $? -eq 0
check "and translates the same" test "$("$dir/consumer/build/translate" "$model" "$sentence")" = "$expected"
check "installed too (CMAKE_INSTALL_RPATH_USE_LINK_PATH)" \
  test "$("$dir/consumer/installed/bin/translate" "$model" "$sentence")" = "$expected"
[ "$failed" -eq 0 ] || cat "$dir/readme.log" "$dir/cc.log" "$dir/consumer.log" 2>/dev/null | tail -n 30
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
