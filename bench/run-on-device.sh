#!/usr/bin/env bash
# On the lent GPU machine (see /work/.library/device/): the binaries are built here
# with `cmake -S . -B build-gpu -G Ninja && ninja -C build-gpu` and carried as
# build-gpu/bin. Phases, so that each fits one call's time limit:
#   tests     every test binary (GPU suites included)
#   sanitize  the GPU suites under compute-sanitizer memcheck, and racecheck for the
#             shared-memory kernels
#   bench     ebm-bench: every workload, the Langevin chains at 256 / 4096 / 65536, Gibbs
#             chains of 1 and 1000 sweeps
#   peers     the PyTorch peers
#   all       all four (the default)
# Logs and JSON go to $OUT; the text summaries are printed last.
set -uo pipefail
phase=${1:-all}
out=${OUT:-device-out}
mkdir -p "$out"
bin=build-gpu/bin
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv > "$out/gpu.csv" 2>&1
git rev-parse HEAD > "$out/revision" 2>/dev/null || true
gpu_suites="logsumexp_gpu_test rbm_gpu_test mlp_gpu_test langevin_gpu_test philox_gpu_test device_test"
wants() { [ "$phase" = all ] || [ "$phase" = "$1" ]; }

status=0
if wants tests; then
  for t in "$bin"/*_test; do
    name=$(basename "$t")
    [ "$name" = ebm_command_test ] && continue  # needs the build tree's absolute paths
    if "$t" --gtest_brief=1 > "$out/$name.log" 2>&1; then echo "PASS $name"; else echo "FAIL $name"; status=1; fi
  done
fi
if wants sanitize; then
  for t in $gpu_suites; do
    compute-sanitizer --tool memcheck --error-exitcode 9 "$bin/$t" --gtest_brief=1 > "$out/$t.memcheck.log" 2>&1 &&
      echo "memcheck clean $t" || { echo "memcheck FINDINGS $t"; status=1; }
  done
  for t in logsumexp_gpu_test rbm_gpu_test mlp_gpu_test langevin_gpu_test; do
    compute-sanitizer --tool racecheck --error-exitcode 9 "$bin/$t" --gtest_brief=1 > "$out/$t.racecheck.log" 2>&1 &&
      echo "racecheck clean $t" || { echo "racecheck FINDINGS $t"; status=1; }
  done
fi
if wants bench; then
  "$bin/ebm-bench" --json "$out/ebm-bench.json" > "$out/ebm-bench.txt" 2>&1
  "$bin/ebm-bench" --workload langevin --chains 256 --chains 4096 --chains 65536 --json "$out/ebm-bench-langevin.json" \
    > "$out/ebm-bench-langevin.txt" 2>&1
  for steps in 1 1000; do
    "$bin/ebm-bench" --workload rbm_gibbs --steps $steps --reps 5 --json "$out/ebm-bench-gibbs-$steps.json" \
      > "$out/ebm-bench-gibbs-$steps.txt" 2>&1
  done
fi
if wants peers; then
  python3 bench/peers/torch_rbm.py --json "$out/torch_rbm.json" > "$out/torch_rbm.txt" 2>&1
  python3 bench/peers/torch_rbm.py --chains 1024 --steps 1000 --reps 3 --json "$out/torch_rbm_1000.json" \
    > "$out/torch_rbm_1000.txt" 2>&1
  python3 bench/peers/torch_langevin.py --chains 256 4096 65536 --json "$out/torch_langevin.json" \
    > "$out/torch_langevin.txt" 2>&1
  python3 bench/peers/torch_mlp.py --json "$out/torch_mlp.json" > "$out/torch_mlp.txt" 2>&1
  python3 bench/peers/torch_jem.py --json "$out/torch_jem.json" > "$out/torch_jem.txt" 2>&1
fi
cat "$out"/*.txt 2>/dev/null
exit $status
