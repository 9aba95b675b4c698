#!/usr/bin/env bash
# The CPU configuration under AddressSanitizer and UndefinedBehaviorSanitizer: builds
# build-asan/ (no CUDA, no bench) and runs its CTest suite (the Python peers aside), the find_package
# consumer included (it links the sanitized library with the same flags). Any finding
# aborts its test and fails the run. Run by tools/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# No MPI: OpenMPI's own allocations at exit would drown LeakSanitizer's report; the
# communicator runs under two ranks in the main build's suite.
cmake -S . -B build-asan -G Ninja -DEBMKIT_CUDA=OFF -DEBMKIT_MPI=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEBMKIT_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags" > /dev/null
mkdir -p build-asan
cmake --build build-asan > build-asan/build.log 2>&1 || { tail -40 build-asan/build.log; exit 1; }
# detect_leaks: the CPU path frees what it allocates; abort_on_error: a finding fails its test.
# Not the PyTorch and scikit-learn peers' scripts (Peers.*): Python alone, which the main
# build's suite runs.
if ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1" \
   ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -E '^Peers[.]' > build-asan/ctest.log 2>&1; then
  echo "ASan + UBSan clean: $(grep -E 'tests passed' build-asan/ctest.log)"
else
  grep -E "tests passed|Failed|ERROR: AddressSanitizer|runtime error" build-asan/ctest.log | head -40
  echo "ASan + UBSan FAILED (build-asan/ctest.log)"
  exit 1
fi
