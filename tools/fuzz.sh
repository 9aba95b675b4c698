#!/usr/bin/env bash
# libFuzzer (clang) on the safetensors reader, the IDX reader (plain and gzip) and the
# ebm command's argument parsing, with AddressSanitizer and UBSan: each starts from its
# committed seed corpus (fuzz/corpus/NAME) and runs 100,000 inputs (or 60 s, whichever
# comes first). A crash, a leak or a sanitizer report fails the run and leaves the
# input in build-fuzz/; add it to tests as a regression. Run by tools/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-fuzz
mkdir -p "$out"
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -I.)
# What the readers need of the library, the CPU-only build's device stand-in included.
lib=(host/tensor.cpp host/check.cpp host/context.cpp host/no_cuda.cpp host/io/safetensors.cpp host/io/data.cpp)
status=0
for name in safetensors idx args; do
  sources=("fuzz/${name}_fuzzer.cpp")
  [ "$name" = args ] && sources+=(tools/ebm/args.cpp) || sources+=("${lib[@]}")
  clang++ "${flags[@]}" "${sources[@]}" -lz -o "$out/${name}_fuzzer"
  rm -rf "$out/$name-corpus" && cp -r "fuzz/corpus/$name" "$out/$name-corpus"
  if (cd "$out" && ASAN_OPTIONS=detect_leaks=1 ./"${name}_fuzzer" -runs=100000 -max_total_time=60 \
        -artifact_prefix="$name-" "$name-corpus" > "$name.log" 2>&1); then
    echo "fuzz clean: $name ($(grep -o 'Done [0-9]* runs in [0-9]* second' "$out/$name.log" | tail -1))"
  else
    echo "fuzz FAILED: $name (build-fuzz/$name.log, crashing input build-fuzz/$name-*)"; tail -30 "$out/$name.log"
    status=1
  fi
done
exit $status
