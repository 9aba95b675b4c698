#!/usr/bin/env bash
# The remote GPU run (README "GPU runs"). Built here with tools/gpu-build.sh and carried
# as build-gpu/bin (libebmkit.so, RPATH $ORIGIN, and the binaries a GPU run uses) and
# build-gpu/openmpi (mpirun and libmpi for the data-parallel suite). A session is lent
# 15 minutes of device time, a start included, and one command may run 10: so the
# first call is `first-light`, every phase in one command under one budget.
#
#   tools/gpu-run.sh [first-light|tests|dataparallel|sanitize [TOOL]|bench|peers|python] [--dry-run]
#
# phase         what it runs                                      deadline in first-light
# tests         every GPU suite (*_gpu_test, device_test); a       160 s
#               failing test is rerun alone with CUDA_LAUNCH_BLOCKING=1
# dataparallel  the data-parallel suite on one rank over NCCL      175 s
#               (mpirun -np 1), and the one-GPU all-reduce baseline
# sanitize      compute-sanitizer memcheck, then racecheck,        310 s
#               synccheck, initcheck, on small cases of every kernel
#               family (SANITIZE_FILTERS below); `sanitize memcheck` runs one tool
# bench         ebm-bench, CUDA variants only (the CPU is timed     425 s
#               here)
# peers         the PyTorch peers (bench/peers/) on the same GPU   540 s
# python        builds the Python module there (python/ alone, over the carried
#               library) and runs the pytest suite with CUDA tensors (not in first-light)
# profile       Nsight Compute (ncu --set full, the clocks as found) on ebm-bench's CUDA
#               kernels, for the arguments after --, e.g. `profile -- --workload
#               langevin --chains 4096 --steps 60`: the report and its text pages
# main-job      tools/main-job.sh on the GPU (20 RBM epochs, the 14,500-beta AIS, 20
#               JEM epochs), carrying build-gpu/fashion-mnist instead of build-gpu/openmpi
#               (both do not fit one call's 64 MiB); not in first-light
# A deadline is seconds from the start: a phase that ends early leaves its time to the
# next. Alone, a phase has EBMKIT_PHASE_BUDGET seconds (default 450; first-light and
# main-job 540).
# No kernel has run on a GPU yet, so nobody knows which phases fit: a suite that would
# start past its deadline is reported NOT RUN (the run is then INCOMPLETE, and the next
# call runs the phases left on their own), and every binary runs under `timeout`.
#
# What comes back: at most 4 files in $OUT (default gpu-out): PHASE-logs.tar.gz (every
# log and JSON), PHASE-verdict.txt, PHASE-preflight.txt, and where the call timed
# anything PHASE-table.md (issue 11's table: bench/table.py). The verdict is printed last,
# at most 4,000 characters: PASS / FAIL / TIMEOUT / NOT RUN per suite, each failure's
# first assertions and the seed that replays it (EBMKIT_TEST_SEED=...), one line per
# bench workload.
#
# --dry-run checks all of this without a GPU (CI does, tests/gpu_run_test.sh): the GPU
# suites run and skip, each sanitizer filter is listed instead of run under the
# sanitizer, the bench finds no device, the peers are only byte-compiled.
set -uo pipefail
cd "$(dirname "$0")/.."

phase=tests
dry=0
tool_filter=""
profile_args=()
usage="usage: tools/gpu-run.sh [first-light|tests|dataparallel|sanitize [TOOL]|bench|peers|python|main-job] [--dry-run]
       tools/gpu-run.sh profile [--dry-run] -- EBM_BENCH_ARGUMENTS..."
while (($#)); do
  case "$1" in
    first-light|tests|dataparallel|sanitize|bench|peers|python|main-job|profile) phase=$1 ;;
    memcheck|racecheck|initcheck|synccheck) tool_filter=$1 ;;
    --dry-run) dry=1 ;;
    --) shift; profile_args=("$@"); break ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
if [ "$phase" = profile ] && ((${#profile_args[@]} == 0)); then echo "$usage" >&2; exit 2; fi

out=${OUT:-gpu-out}
bin=${EBMKIT_BIN:-build-gpu/bin}
[ -d "$bin" ] || bin=build/bin
# The toolkit's tools (compute-sanitizer, ncu, nvcc) where they are not on the PATH: the
# toolkit's bin, else wherever the image installed them (Nsight Compute under /opt/nvidia).
[ -d /usr/local/cuda/bin ] && PATH=$PATH:/usr/local/cuda/bin
for tool in compute-sanitizer ncu; do
  command -v "$tool" > /dev/null && continue
  found=$(find /usr/local /opt -maxdepth 6 -name "$tool" -type f -perm -u+x -print -quit 2>/dev/null)
  [ -n "$found" ] && PATH=$PATH:$(dirname "$found")
done
# The carried Open MPI (tools/gpu-build.sh) before any other; it runs as root only when told.
mpi_prefix=$(dirname "$bin")/openmpi
[ -x "$mpi_prefix/bin/mpirun" ] && PATH=$(cd "$mpi_prefix/bin" && pwd):$PATH
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# RPATH finds libebmkit.so beside the binaries and the toolkit's libraries where this
# machine keeps them; where it does not (the GPU machine keeps NCCL, and maybe CUDA's
# libraries, in Python packages: nvidia-nccl-cu13 ...), look for them once and say so
# in the preflight.
library_path_note="not needed"
if ldd "$bin/libebmkit.so" 2>/dev/null | grep -q 'not found'; then
  python_nvidia=$(python3 -c 'import nvidia; print(" ".join(nvidia.__path__))' 2>/dev/null)
  for lib in $(ldd "$bin/libebmkit.so" | awk '/not found/ {print $1}'); do
    found=$(find $python_nvidia /usr/local /opt /usr/lib -maxdepth 7 -name "$lib" -print -quit 2>/dev/null)
    [ -n "$found" ] && LD_LIBRARY_PATH=$(dirname "$found")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  done
  export LD_LIBRARY_PATH
  library_path_note="set to ${LD_LIBRARY_PATH:-nothing found}"
fi
default_budget=450
case $phase in first-light|main-job) default_budget=540 ;; esac
budget=${EBMKIT_PHASE_BUDGET:-$default_budget}  # seconds of this call
deadline=$budget  # seconds from the start by which the running phase must end
mkdir -p "$out"
work=$(mktemp -d)
logs=$work/$phase
mkdir -p "$logs"
verdict=$work/verdict.txt
: > "$verdict"
started=$SECONDS
status=0      # 1: something failed
incomplete=0  # 1: something was not run for want of time

# Small cases of every kernel family, per suite, for the sanitizers (whole suites
# under racecheck would not fit the budget).
declare -A SANITIZE_FILTERS=(
  [logsumexp_gpu_test]="LogSumExpGpu.SpecialValuesFollowTheContract:LogSumExpGpu.UnalignedRowsTakeTheScalarPath:LogSumExpGpu.BackwardMayWriteIntoItsInput"
  [mlp_gpu_test]="MlpGpuTiles.FusedPathTakesTheDocumentedShapes:AllActivations/MlpGpu.EveryOperationMatchesCpu/elu:MlpGpuTiles.ClusterPlanGivesTheRowTileBits"
  [langevin_gpu_test]="LangevinGpu.TrajectoryFollowsTheCpuStepByStep:LangevinGpu.MalaAcceptsLikeTheCpu:LangevinGpu.GraphedStepsFollowTheCpu:LangevinGpu.ConditionalChainsFollowTheCpu:LangevinGpu.ClusterPlanGivesTheRowTileChains:LangevinGpu.GridPlanGivesTheCpuChains"
  [rbm_gpu_test]="RbmGpu.ConditionalsAndFreeEnergyMatchCpu:RbmGpu.GibbsChainEqualsRepeatedStepsAtSanitizerSize:RbmGpu.CdGradientMatchesCpu"
  [rbm_eval_gpu_test]="RbmEvalGpu.ExactLogPartitionMatchesCpu:RbmEvalGpu.PseudoLikelihoodOnACudaContext:RbmEvalGpu.RaiseMatchesTheCpuRuns"
  [device_test]="Tensor.RoundTripsThroughTheDevice:Context.CudaResourcesAreCreatedOnDemand"
  [optim_gpu_test]="OptimizerGpu.EveryElementFollowsTheRuleInDouble"
  [jem_gpu_test]="JemGpu.LossAndGradientFollowTheCpu:JemGpu.IterationsFollowTheCpu"
  [sampler_gpu_test]="SamplerGpu.ReplayBufferFollowsTheCpuBitForBit:SamplerGpu.AShardFollowsTheCpuBitForBit"
  [score_gpu_test]="ScoreGpu.DrawsAreTheCpus:ScoreGpu.DenoisingLossAndGradientAreTheCpus:ScoreGpu.SlicedLossAndGradientAreTheCpus"
  [philox_gpu_test]="PhiloxGpu.DeviceDrawsMatchTheCpuReference"
  [sample_gpu_test]="SampleGpu.ChainsFollowTheCpu"
  [tempering_gpu_test]="TemperingGpu.SweepsMatchTheCpuTwinAtSanitizerSize:TemperingGpu.TheLaunchSequenceMatchesTheCpuTwinWhereReplicasDoNotFit"
)

remaining() {
  local end=$((deadline < budget ? deadline : budget))
  echo $((end - (SECONDS - started)))
}
say() { echo "$*"; echo "$*" >> "$verdict"; }

# run_timed LIMIT LOG CMD...: runs CMD under timeout; echoes PASS, FAIL or TIMEOUT.
run_timed() {
  local limit=$1 log=$2
  shift 2
  timeout --kill-after=10 "$limit" "$@" > "$log" 2>&1
  case $? in
    0) echo PASS ;;
    124|137) echo TIMEOUT ;;
    *) echo FAIL ;;
  esac
}

# limit_for WANTED: the seconds a suite may take, or 0 when the budget is spent.
limit_for() {
  local left
  left=$(remaining)
  if ((left < 20)); then echo 0; elif ((left < $1)); then echo "$left"; else echo "$1"; fi
}

preflight() {
  {
    echo "revision: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (modified)')"
    # The tree that travels may have no .git: the binaries name the revision they were built at.
    echo "build: $(timeout 20 "$bin/ebm" --version 2>&1 | head -1)"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    if command -v nvidia-smi > /dev/null && nvidia-smi -L > /dev/null 2>&1; then
      nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader |
        sed 's/^/gpu: /'
    else
      echo "gpu: none (nvidia-smi finds no device)"
    fi
    echo "nvcc: $( (nvcc --version 2>/dev/null || /usr/local/cuda/bin/nvcc --version 2>/dev/null) | grep -o 'release [^,]*, V[0-9.]*' || echo 'not found')"
    local cudart
    cudart=$(ldd "$bin/libebmkit.so" 2>/dev/null | awk '/libcudart/ {print $3}')
    echo "CUDA runtime: ${cudart:-none linked}${cudart:+ -> $(readlink -f "$cudart")}"
    local missing
    missing=$(for f in "$bin"/*; do [ -x "$f" ] && [ -f "$f" ] && ldd "$f" 2>/dev/null | grep 'not found'; done | sort -u)
    echo "libraries ldd cannot find: ${missing:-none}"
    echo "LD_LIBRARY_PATH: $library_path_note"
    local tool
    for tool in compute-sanitizer ncu; do echo "$tool: $(command -v "$tool" || echo 'not found')"; done
    echo "dry run: $([ $dry = 1 ] && echo yes || echo no); phase: $phase; budget: ${budget} s"
  } > "$out/$phase-preflight.txt" 2>&1
}

gpu_suites() {
  for t in "$bin"/*_gpu_test "$bin/device_test"; do [ -x "$t" ] && basename "$t"; done
}

phase_tests() {
  # A suite that hangs (a kernel that never ends) must not take the phase with it: in
  # first-light each has 120 s (their CPU references are the slow part: mlp_gpu_test's
  # took 95 s of the 104 s all suites took on the first H200 run).
  local suite_limit=240
  [ "$phase" = first-light ] && suite_limit=120
  for suite in $(gpu_suites); do
    local limit
    limit=$(limit_for $suite_limit)
    if ((limit == 0)); then say "NOT RUN  $suite: the phase budget is spent"; incomplete=1; continue; fi
    local result
    result=$(run_timed "$limit" "$logs/$suite.log" "$bin/$suite")
    python3 tools/gpu_verdict.py gtest "$suite" "$result" "$logs/$suite.log" | tee -a "$verdict"
    [ "$result" = PASS ] && continue
    status=1
    # One bad access poisons every later test of the process: rerun each failed test
    # alone, launches synchronous, so the first fault is named.
    local failed
    # The failed tests' names (Suite.Test), not gtest's "N tests, listed below" line.
    failed=$(grep '^\[  FAILED  \] ' "$logs/$suite.log" | awk '$4 ~ /^[A-Za-z_][A-Za-z0-9_]*[.]/ {print $4}' | sort -u | head -5)
    for test in $failed; do
      limit=$(limit_for 120)
      ((limit == 0)) && break
      result=$(CUDA_LAUNCH_BLOCKING=1 run_timed "$limit" "$logs/$suite.$test.alone.log" "$bin/$suite" \
        --gtest_filter="$test")
      python3 tools/gpu_verdict.py gtest "$suite $test alone, CUDA_LAUNCH_BLOCKING=1" "$result" \
        "$logs/$suite.$test.alone.log" | tee -a "$verdict"
    done
  done
}

# The data-parallel trainers on the CUDA backend, the communicator on NCCL: one GPU
# takes one rank, so the one-rank cases run (bit-identical to no communicator); then
# the all-reduce of the JEM and RBM gradients on one GPU, the scaling model's baseline.
phase_dataparallel() {
  if [ ! -x "$bin/data_parallel_mpi_test" ] || ! command -v mpirun > /dev/null; then
    say "SKIP     dataparallel: no data_parallel_mpi_test or no mpirun (build with tools/gpu-build.sh)"
    return
  fi
  local limit result
  if [ $dry = 1 ]; then
    # The launch itself (the mpirun found first, as root) on the CPU.
    result=$(run_timed 60 "$logs/allreduce-cpu-1.jsonl" mpirun -np 1 "$bin/ebm-allreduce-bench" --backend cpu 1000)
    [ "$result" = PASS ] && grep -q '"ranks": 1' "$logs/allreduce-cpu-1.jsonl" && result=DRY || result=FAIL
    say "$(printf '%-8s' "$result") mpirun -np 1 launches ebm-allreduce-bench on the CPU; the NCCL suite needs a GPU"
    [ "$result" = DRY ] || status=1
    return
  fi
  limit=$(limit_for 120)
  if ((limit == 0)); then say "NOT RUN  data_parallel_mpi_test (NCCL): the phase budget is spent"; incomplete=1; return; fi
  result=$(EBMKIT_TEST_BACKEND=cuda run_timed "$limit" "$logs/data_parallel_nccl.log" \
    mpirun -np 1 "$bin/data_parallel_mpi_test")
  python3 tools/gpu_verdict.py gtest "data_parallel_mpi_test (CUDA, NCCL, 1 rank)" "$result" \
    "$logs/data_parallel_nccl.log" | tee -a "$verdict"
  [ "$result" = PASS ] || status=1
  limit=$(limit_for 60)
  if ((limit == 0)); then say "NOT RUN  ebm-allreduce-bench (NCCL): the phase budget is spent"; incomplete=1; return; fi
  result=$(run_timed "$limit" "$logs/allreduce-cuda-1.jsonl" mpirun -np 1 "$bin/ebm-allreduce-bench" --backend cuda)
  say "$(printf '%-8s' "$result") ebm-allreduce-bench (CUDA, NCCL, 1 rank)"
  grep '^{' "$logs/allreduce-cuda-1.jsonl" | tee -a "$verdict"
  [ "$result" = PASS ] || status=1
}

phase_sanitize() {
  if [ $dry = 0 ] && ! command -v compute-sanitizer > /dev/null; then
    say "FAIL     sanitize: no compute-sanitizer on this machine (the preflight says where it looked)"
    status=1
    return
  fi
  local tools=(memcheck racecheck initcheck synccheck)
  [ -n "$tool_filter" ] && tools=("$tool_filter")
  for tool in "${tools[@]}"; do
    # One verdict line per tool where every suite is clean; a suite's own lines otherwise.
    local lines=$logs/$tool.verdict
    : > "$lines"
    for suite in "${!SANITIZE_FILTERS[@]}"; do
      local filter=${SANITIZE_FILTERS[$suite]} log=$logs/$suite.$tool.log
      # Every filter names tests that exist: a renamed test must not silently drop out.
      local listed
      listed=$("$bin/$suite" --gtest_list_tests --gtest_filter="$filter" 2>/dev/null | grep -c '^  ')
      local wanted
      wanted=$(tr ':' '\n' <<< "$filter" | grep -c .)
      if [ "$listed" != "$wanted" ]; then
        say "FAIL     $tool $suite: the filter names $wanted tests, the binary has $listed of them"
        status=1
        continue
      fi
      local limit
      limit=$(limit_for 120)
      if ((limit == 0)); then say "NOT RUN  $tool $suite: the phase budget is spent"; incomplete=1; continue; fi
      local result
      if [ $dry = 1 ]; then
        result=$(run_timed "$limit" "$log" "$bin/$suite" --gtest_filter="$filter")
        [ "$result" = PASS ] && result=DRY
      else
        result=$(run_timed "$limit" "$log" compute-sanitizer --tool "$tool" --error-exitcode 9 \
          "$bin/$suite" --gtest_filter="$filter")
      fi
      python3 tools/gpu_verdict.py sanitizer "$tool $suite" "$result" "$log" | tee -a "$lines"
      case "$result" in PASS|DRY) ;; *) status=1 ;; esac
      grep -q 'ERROR SUMMARY: [1-9]\|RACECHECK SUMMARY: [1-9]' "$log" && status=1
    done
    local ran clean outcome=CLEAN
    ran=$(grep -c '^[A-Z]' "$lines")
    clean=$(grep -c '^CLEAN \|^DRY ' "$lines")
    [ $dry = 1 ] && outcome=DRY
    ((clean < ran)) && outcome=FAIL
    ((ran > 0)) && say "$(printf '%-8s' "$outcome") $tool: $clean of $ran suites clean"
    # The suites that were not clean, whole (a clean one's line says nothing new).
    awk '/^[A-Z]/ {keep = !/^(CLEAN|DRY) /} keep' "$lines" >> "$verdict"
  done
}

# name args...: one ebm-bench run into its own JSON.
bench_run() {
  local name=$1
  shift
  local limit
  limit=$(limit_for 300)
  if ((limit == 0)); then say "NOT RUN  bench $name: the phase budget is spent"; incomplete=1; return; fi
  local result t0=$SECONDS
  result=$(run_timed "$limit" "$logs/$name.txt" "$bin/ebm-bench" --variant cuda --json "$logs/$name.json" "$@")
  [ $dry = 1 ] && [ "$result" = PASS ] && result=DRY
  say "$(printf '%-8s' "$result") bench $name ($((SECONDS - t0)) s)"
  case "$result" in PASS|DRY) ;; *) status=1 ;; esac
  python3 tools/gpu_verdict.py bench "$logs/$name.json" | tee -a "$verdict"
}

# The rows of issue 11's table first, in its order, then the other workloads. The PCD
# epoch needs Fashion-MNIST: main-job times it, with its peers, where the data travels.
phase_bench() {
  bench_run ebm-bench-logsumexp --workload logsumexp --shape 65536x1000 --shape 4096x10 --shape 1048576x10
  bench_run ebm-bench-mlp --workload mlp
  bench_run ebm-bench-langevin --workload langevin --chains 256 --chains 4096 --chains 65536 --steps 60
  bench_run ebm-bench-gibbs-1000 --workload rbm_gibbs --chains 1024 --steps 1000 --reps 5
  bench_run ebm-bench-jem --workload jem
  bench_run ebm-bench-score --workload score_dsm
  bench_run ebm-bench-score-ssm --workload score_ssm
  bench_run ebm-bench-sampler --workload sampler
  bench_run ebm-bench-optim --workload optim
  bench_run ebm-bench-rbm-eval --workload rbm_eval
}

# name script args...: one peer script into its own JSON.
peer_run() {
  local name=$1 script=$2
  shift 2
  if [ $dry = 1 ]; then
    local result=DRY
    python3 -m py_compile "bench/peers/$script" > "$logs/$name.txt" 2>&1 || result=FAIL
    say "$(printf '%-8s' "$result") peer $name: bench/peers/$script byte-compiles"
    [ $result = DRY ] || status=1
    return
  fi
  local limit
  limit=$(limit_for 240)
  if ((limit == 0)); then say "NOT RUN  peer $name: the phase budget is spent"; incomplete=1; return; fi
  local result
  result=$(run_timed "$limit" "$logs/$name.txt" python3 "bench/peers/$script" --json "$logs/$name.json" "$@")
  [ "$result" = PASS ] || status=1
  python3 tools/gpu_verdict.py peer "$name" "$result" "$logs/$name.json" | tee -a "$verdict"
}

# The peers of issue 11's table, at its sizes.
phase_peers() {
  peer_run torch_logsumexp torch_logsumexp.py --shape 65536x1000 4096x10 1048576x10
  peer_run torch_mlp torch_mlp.py --widths 784-256-256-10 --ops score --rows 4096 65536
  peer_run torch_langevin torch_langevin.py --widths 784-256-256-10 --chains 4096 --steps 60
  peer_run torch_rbm_1000 torch_rbm.py --chains 1024 --steps 1000 --reps 3
  peer_run torch_jem torch_jem.py --batches 64
  peer_run torch_score torch_score.py --batch 128 --reps 20
}

phase_python() {
  if [ ! -d python ]; then
    say "SKIP     python: there is no Python package yet (python/)"
    return
  fi
  local limit
  limit=$(limit_for 400)
  local result
  if [ $dry = 1 ]; then
    # No GPU and maybe no nanobind here: the package's files compile, nothing more.
    result=PASS
    python3 -m py_compile python/ebmkit/*.py python/tests/*.py examples/*.py > "$logs/python-build.txt" 2>&1 ||
      result=FAIL
    say "$(printf '%-8s' "$([ $result = PASS ] && echo DRY || echo FAIL)") python: the package byte-compiles"
    [ "$result" = PASS ] || status=1
    return
  fi
  # The module for this machine's Python, over the carried library (python/ alone).
  local library
  library="$(cd "$bin" && pwd)/libebmkit.so"
  result=$(run_timed "$limit" "$logs/python-build.txt" bash -c "cmake -S python -B build-python -G Ninja \
    -DEBMKIT_LIBRARY=$library -DPython_EXECUTABLE=\$(command -v python3) && cmake --build build-python")
  say "$(printf '%-8s' "$result") python: the module builds over $bin/libebmkit.so"
  [ "$result" = PASS ] || { status=1; return; }
  result=$(run_timed "$limit" "$logs/pytest.txt" env PYTHONPATH=build-python/python python3 -m pytest -q python/tests)
  say "$(printf '%-8s' "$result") python: $(tail -1 "$logs/pytest.txt")"
  [ "$result" = PASS ] || status=1
}

# The main job with the carried binaries and data. Its checkpoints stay behind (the JEM
# one holds a 31 MB replay buffer); its JSON, curves and sample grids come back.
phase_main_job() {
  local data result limit t0=$SECONDS
  data=$(dirname "$bin")/fashion-mnist
  if [ $dry = 1 ]; then
    result=DRY
    bash -n tools/main-job.sh || result=FAIL
    tools/main-job.sh --no-such-option > /dev/null 2>&1; [ $? = 2 ] || result=FAIL
    say "$(printf '%-8s' "$result") main-job: tools/main-job.sh parses; data $([ -d "$data" ] && echo staged || echo "not staged here") in $data"
    [ $result = DRY ] || status=1
  elif [ ! -f "$data/train-images-idx3-ubyte.gz" ]; then
    say "FAIL     main-job: no Fashion-MNIST in $data (tools/gpu-build.sh stages it: carry build-gpu/fashion-mnist)"
    status=1
    return
  else
    # 110 s of the budget stay for the PCD epochs below.
    limit=$(limit_for $((budget - 110)))
    result=$(run_timed "$limit" "$logs/main-job.txt" tools/main-job.sh --bin "$bin" --data "$data" --out "$logs/main-job")
    rm -f "$logs"/main-job/*.safetensors
    say "$(printf '%-8s' "$result") main-job ($((SECONDS - t0)) s)"
    # Each command's last JSON line: its backend, seconds and scores.
    python3 - "$logs"/main-job/*.json <<'SUMMARY' | tee -a "$verdict"
import json, sys
keys = ("backend", "seconds", "test_log_likelihood", "raise_log_likelihood", "test_accuracy", "test_calibration_error")
for path in sys.argv[1:]:
    try:
        record = json.loads([l for l in open(path) if l.startswith("{")][-1])
    except (OSError, IndexError, ValueError):
        continue
    print("  " + record.get("command", path) + ": " + ", ".join(f"{k} {record[k]:.4g}" if isinstance(record[k], float)
                                                          else f"{k} {record[k]}" for k in keys if k in record))
SUMMARY
    [ "$result" = PASS ] || { status=1; tail -n 6 "$logs/main-job.txt" | sed 's/^/    /' | tee -a "$verdict"; }
  fi
  # The PCD-1 epoch on Fashion-MNIST: ebmkit, the same loop in torch, scikit-learn on this CPU.
  bench_run ebm-bench-pcd --workload rbm_pcd_epoch --data "$data"
  peer_run torch_rbm_pcd torch_rbm.py --pcd-epoch --data "$data" --reps 3
  peer_run sklearn_rbm_pcd sklearn_rbm.py --epochs 1 --data "$data" --out "$logs/sklearn.safetensors"
  rm -f "$logs/sklearn.safetensors"
}

# Nsight Compute over one ebm-bench workload: ten kernels after the first five (the
# warm-up), every section, the clocks left as they are (METHOD.md); the report comes
# back in the archive with its details and raw pages as text.
phase_profile() {
  local result limit
  if [ $dry = 1 ]; then
    result=DRY
    "$bin/ebm-bench" --variant cuda --reps 1 "${profile_args[@]}" > "$logs/ebm-bench.txt" 2>&1 || result=FAIL
    say "$(printf '%-8s' "$result") profile: ebm-bench takes ${profile_args[*]}; ncu needs a GPU"
    [ $result = DRY ] || status=1
    return
  fi
  limit=$(limit_for $((budget - 30)))
  result=$(run_timed "$limit" "$logs/ncu.txt" ncu --clock-control none --set full --launch-skip 5 --launch-count 10 \
    -o "$logs/profile" "$bin/ebm-bench" --variant cuda --reps 3 "${profile_args[@]}")
  say "$(printf '%-8s' "$result") ncu on ebm-bench ${profile_args[*]}"
  [ "$result" = PASS ] || { status=1; tail -n 6 "$logs/ncu.txt" | sed 's/^/    /' | tee -a "$verdict"; return; }
  ncu --import "$logs/profile.ncu-rep" --page details > "$logs/details.txt" 2>&1
  ncu --import "$logs/profile.ncu-rep" --page raw --csv > "$logs/raw.csv" 2>&1
  # Per kernel: its duration, throughput against the memory and compute ceilings, occupancy.
  grep -E '^  [^ ].*\(|Duration|Memory Throughput|Compute \(SM\) Throughput|Achieved Occupancy' "$logs/details.txt" |
    head -60 | tee -a "$verdict"
}

# Every phase but python, main-job and profile in one call, each until its deadline (seconds from the start).
phase_first_light() {
  local step
  for step in tests:160 dataparallel:175 sanitize:310 bench:425 peers:540; do
    deadline=${step#*:}
    say "--- ${step%:*} (until ${deadline} s; at $((SECONDS - started)) s)"
    mkdir -p "$work/$phase/${step%:*}"
    logs=$work/$phase/${step%:*} "phase_${step%:*}"
  done
  deadline=$budget
}

preflight
echo "gpu-run $phase$([ $dry = 1 ] && echo ' (dry run)'): $(grep '^gpu:' "$out/$phase-preflight.txt")"
"phase_${phase//-/_}"
cp "$out/$phase-preflight.txt" "$logs/"
# Issue 11's table from this call's ebm-bench and peer records (bench/table.py), beside
# the verdict; the verdict names the row furthest from its target.
mapfile -t records < <(find "$work/$phase" \( -name 'ebm-bench-*.json' -o -name 'torch_*.json' -o -name 'sklearn_*.json' \) \
                       -size +0 | sort)
if [ $dry = 0 ] && ((${#records[@]})); then
  if python3 bench/table.py "${records[@]}" > "$out/$phase-table.md" 2>&1; then
    grep '^furthest\|rows not measured' "$out/$phase-table.md" | sed 's/^/table: /' >> "$verdict"
  else
    say "FAIL     bench/table.py: $(tail -1 "$out/$phase-table.md")"
    status=1
  fi
fi
# A runaway log (a sanitizer reporting the same hazard a million times) must not push
# the archive past the 16 MiB a file may bring back: over 4 MB, its head and tail stay.
find "$work/$phase" -name '*.ncu-rep' -size +12M -delete  # its text pages stay
find "$work/$phase" -type f -size +4M ! -name '*.ncu-rep' | while read -r big; do
  { head -c 2000000 "$big"; printf '\n... (cut by gpu-run.sh: %s bytes in all)\n' "$(stat -c %s "$big")"
    tail -c 1000000 "$big"; } > "$big.cut" && mv "$big.cut" "$big"
done
tar -czf "$out/$phase-logs.tar.gz" -C "$work" "$phase"

# The verdict, last and short.
{
  echo "=== verdict: $phase$([ $dry = 1 ] && echo ' (dry run)'), $((SECONDS - started)) s of ${budget} s, $(grep '^gpu:' "$out/$phase-preflight.txt")"
  cat "$verdict"
  if [ $status != 0 ]; then outcome=FAIL; elif [ $incomplete != 0 ]; then outcome=INCOMPLETE; else outcome=PASS; fi
  echo "=== $phase: $outcome; logs in $phase-logs.tar.gz"
} > "$work/verdict-full.txt"
if (($(wc -c < "$work/verdict-full.txt") > 3900)); then
  { head -c 3700 "$work/verdict-full.txt" | head -n -1
    echo "... (cut: the whole verdict is in $phase-verdict.txt)"
    tail -1 "$work/verdict-full.txt"; } > "$work/verdict-short.txt"
else
  cp "$work/verdict-full.txt" "$work/verdict-short.txt"
fi
cp "$work/verdict-full.txt" "$out/$phase-verdict.txt"
rm -rf "$work/$phase"
echo
cat "$work/verdict-short.txt"
rm -rf "$work"
exit $status
