#!/usr/bin/env bash
# libFuzzer (clang) on the safetensors reader, the IDX reader (plain and gzip) and the
# ebm command's command line (CLI11), with AddressSanitizer and UBSan: each starts from its
# committed seed corpus (fuzz/corpus/NAME) and runs 100,000 inputs (or 30 s, whichever
# comes first: the readers reach 100,000 in 25 to 35 s, the command line about 7,000 in 30 s). A crash, a leak or a sanitizer report fails the run and leaves the
# input in build-fuzz/; add it to tests as a regression. Run by tools/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-fuzz
# The library and the ebm command's tree, CPU-only, built by clang with the
# sanitizers and the fuzzer's coverage; each harness links them.
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all"
cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEBMKIT_CUDA=OFF -DEBMKIT_MPI=OFF -DBUILD_SHARED_LIBS=OFF \
  -DEBMKIT_BUILD_TESTS=OFF -DEBMKIT_BUILD_BENCH=OFF -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS="-O1 -g -fsanitize=fuzzer-no-link $sanitize" > "$out.configure.log" 2>&1 ||
  { cat "$out.configure.log"; exit 1; }
cmake --build "$out" --target ebmkit ebm-cli > "$out.build.log" 2>&1 || { tail -40 "$out.build.log"; exit 1; }
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer $sanitize -Iinclude -I. -Itools)
libs=("$out/tools/libebm-cli.a" "$out/tools/libebm-plot.a" "$out/host/libebmkit.a" -fopenmp -lz)
status=0
for name in safetensors idx args; do
  clang++ "${flags[@]}" "fuzz/${name}_fuzzer.cpp" "${libs[@]}" -o "$out/${name}_fuzzer"
  rm -rf "$out/$name-corpus" && cp -r "fuzz/corpus/$name" "$out/$name-corpus"
  if (cd "$out" && ASAN_OPTIONS=detect_leaks=1 ./"${name}_fuzzer" -runs=100000 -max_total_time=30 \
        -artifact_prefix="$name-" "$name-corpus" > "$name.log" 2>&1); then
    echo "fuzz clean: $name ($(grep -o 'Done [0-9]* runs in [0-9]* second' "$out/$name.log" | tail -1))"
  else
    echo "fuzz FAILED: $name (build-fuzz/$name.log, crashing input build-fuzz/$name-*)"; tail -30 "$out/$name.log"
    status=1
  fi
done
exit $status
