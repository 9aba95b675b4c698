#!/usr/bin/env bash
# The emulated suites (ctest -L emulated: every kernel family's bodies on host threads,
# tests/emulation/) under ThreadSanitizer: a missing __syncthreads or a shared-memory
# race shows up as a data race on the host, with no GPU (a stand-in for
# compute-sanitizer's racecheck). Builds build-tsan/ (CPU-only library, TSan flags) and
# runs every emulated suite, and the test of two Contexts on two threads at once; any
# report fails. Run by tools/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
suites=(emulated_block_test logsumexp_emulated_test langevin_emulated_test optim_emulated_test columns_emulated_test
        rbm_eval_emulated_test jem_emulated_test sampler_emulated_test tempering_emulated_test
        centering_emulated_test mlp_emulated_test sample_emulated_test score_emulated_test determinism_test)
cmake -S . -B build-tsan -G Ninja -DEBMKIT_CUDA=OFF -DEBMKIT_MPI=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEBMKIT_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread \
  -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread > /dev/null
ninja -C build-tsan "${suites[@]}"
# One suite: its log, and its exit status beside it.
run_suite() {
  local suite=$1 filter='*'
  [ "$suite" = determinism_test ] && filter='Determinism.TwoContexts*'  # the others set OpenMP's team size
  # One OpenMP thread: the CPU reference's OpenMP runtime is not instrumented.
  local rc=0
  OMP_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1 exitcode=66" build-tsan/bin/"$suite" --gtest_brief=1 \
    --gtest_filter="$filter" > build-tsan/"$suite".log 2>&1 || rc=$?
  echo "$rc" > build-tsan/"$suite".status
}
# Two lanes, one per core: the block suite (about half of the time) beside the others,
# whose emulated blocks leave a core partly idle between barriers.
run_suite emulated_block_test &
for suite in "${suites[@]:1}"; do run_suite "$suite"; done
wait
status=0
for suite in "${suites[@]}"; do
  if [ "$(cat build-tsan/"$suite".status)" = 0 ]; then
    echo "racecheck (ThreadSanitizer) clean: $suite"
  else
    echo "racecheck (ThreadSanitizer) FAILED: $suite"; tail -40 build-tsan/"$suite".log; status=1
  fi
done
exit $status
