#!/usr/bin/env bash
# The emulated block test (tests/emulated_block_test.cpp) under ThreadSanitizer: every
# fused kernel body runs on 256 host threads per block, so a missing __syncthreads or
# a shared-memory race shows up as a data race on the host, with no GPU (a stand-in for
# compute-sanitizer's racecheck). Builds build-tsan/ (CPU-only library, TSan flags)
# and runs the test; about five minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-tsan -G Ninja -DEBMKIT_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread > /dev/null
ninja -C build-tsan emulated_block_test
# One OpenMP thread: the CPU reference's OpenMP runtime is not instrumented.
OMP_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1 build-tsan/bin/emulated_block_test --gtest_brief=1
