#!/usr/bin/env bash
# libflowseq as a user gets it: `cmake --install` into a temporary prefix puts the program, the
# libraries, flowseq.h, flowseq.pc and the CMake package in place; examples/translate.c built with
# pkg-config, and a small CMake project using find_package(flowseq), translate a sentence with the
# bundled model exactly as `flowseq translate` does. The shared library exports only the public
# interface (the flowseq_ names of include/flowseq.h).
source "$(dirname "$0")/lib.sh"
build=$(dirname "$bin")
model="$src/models/flowseq-small-multi30k"
[ -f "$model/model.safetensors" ] || { echo "SKIP: the bundled model is missing"; exit 77; }
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config not found"; exit 77; }
[ -e "$build/libflowseq.so" ] || { echo "SKIP: this build has no shared library (a fuzz build)"; exit 77; }
prefix="$dir/prefix"
cmake --install "$build" --prefix "$prefix" >"$dir/install.log" 2>&1
check "cmake --install succeeds" test $? -eq 0
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
cc -std=c11 -Wall -Werror -o "$dir/translate" "$src/examples/translate.c" $(pkg-config --cflags --libs flowseq) \
  -Wl,-rpath,"$libdir" 2>"$dir/cc.log"
check "examples/translate.c builds with pkg-config" test $? -eq 0
check "and translates as flowseq translate does" test "$("$dir/translate" "$model" "$sentence")" = "$expected"
"$dir/translate" "$dir/nowhere" x >"$dir/error" 2>&1
check "a missing model directory fails" test $? -ne 0
check "with a message naming the file looked for" grep -q "nowhere/config.yaml" "$dir/error"

mkdir -p "$dir/consumer"
cat >"$dir/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(flowseq 0.1 REQUIRED)
add_executable(translate "$src/examples/translate.c")
target_link_libraries(translate PRIVATE flowseq::flowseq)
CMAKE
cmake -S "$dir/consumer" -B "$dir/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" >"$dir/consumer.log" 2>&1 &&
  cmake --build "$dir/consumer/build" >>"$dir/consumer.log" 2>&1
check "a CMake project builds with find_package(flowseq)" test $? -eq 0
check "and translates the same" test "$("$dir/consumer/build/translate" "$model" "$sentence")" = "$expected"
[ "$failed" -eq 0 ] || cat "$dir/install.log" "$dir/cc.log" "$dir/consumer.log" 2>/dev/null | tail -n 30
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
