#!/usr/bin/env bash
# CI's check of the remote GPU run without a GPU (README "GPU runs"): what travels (the
# binaries tools/gpu-build.sh stages) fits and finds its library by RPATH; every phase of tools/gpu-run.sh runs
# in its dry mode and leaves in $OUT only what a remote run can bring back (at most 4
# plain files, names of letters, digits, '.', '_' and '-', at most 16 MiB each and 64 MiB
# together, no folders), and prints its verdict last in at most 4,000 characters; the
# verdict parser names a failing test, its assertion and its seed.
# usage: tests/gpu_run_test.sh BIN_DIR   (run from the source tree)
set -uo pipefail
bin=$1
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

# What travels: the binaries a GPU run uses, beside Open MPI's prefix (17 MiB) and the
# tree (2 MiB), under the 64 MiB a call may carry.
size=0
for name in $(tools/gpu-build.sh --targets); do
  [ -f "$bin/$name" ] || { echo "FAIL: $bin/$name, which a GPU run carries, was not built"; fail=1; continue; }
  size=$((size + $(stat -c %s "$bin/$name")))
done
check "the binaries a GPU run carries are $((size / 1048576)) MiB, at most 40 MiB" "((size <= 40 * 1048576))"
# They run on the GPU machine's image, not this one: no symbol newer than Ubuntu 22.04's
# C and C++ libraries give (glibc 2.35, libstdc++ of GCC 12).
newest() { objdump -T $(tools/gpu-build.sh --targets | sed "s|^|$bin/|") | grep -o "$1[0-9.]*" | sed "s/^$1//" |
           sort -V | tail -1; }
glibc=$(newest GLIBC_) glibcxx=$(newest GLIBCXX_)
check "the newest glibc symbol they need is $glibc, at most 2.35" \
  "[ -n '$glibc' ] && [ \"\$(printf '%s\n' '$glibc' 2.35 | sort -V | tail -1)\" = 2.35 ]"
check "the newest libstdc++ symbol they need is $glibcxx, at most 3.4.30" \
  "[ -n '$glibcxx' ] && [ \"\$(printf '%s\n' '$glibcxx' 3.4.30 | sort -V | tail -1)\" = 3.4.30 ]"
check "libebmkit.so sits in build/bin" "[ -f '$bin/libebmkit.so' ]"
for exe in "$bin"/*_test "$bin/ebm" "$bin/ebm-bench"; do
  if ! readelf -d "$exe" | grep -E 'RUNPATH|RPATH' | grep -q '\$ORIGIN'; then
    echo "FAIL: $exe has no RPATH \$ORIGIN"; fail=1
  fi
done
copy=$(mktemp -d)
cp -a "$bin" "$copy/bin"
check "a copy of build/bin elsewhere finds its library" "! ldd '$copy/bin/mlp_test' | grep -q 'libebmkit.so => not found'"
rm -rf "$copy"

for phase in first-light tests dataparallel sanitize bench peers python main-job profile; do
  out=$(mktemp -d)
  args=()
  [ "$phase" = profile ] && args=(-- --workload logsumexp --shape 64x10)
  OUT=$out EBMKIT_BIN=$bin tools/gpu-run.sh "$phase" --dry-run "${args[@]}" > "$out.stdout" 2>&1
  rc=$?
  check "$phase: the dry run exits 0 (got $rc)" "((rc == 0))"
  files=$(find "$out" -type f | wc -l)
  check "$phase: $files files in OUT, at most 4" "((files >= 1 && files <= 4))"
  check "$phase: nothing but plain files in OUT" "[ -z \"\$(find '$out' -mindepth 1 ! -type f)\" ]"
  check "$phase: names of letters, digits, '.', '_', '-'" \
    "[ -z \"\$(find '$out' -type f -printf '%f\n' | grep -v -E '^[A-Za-z0-9._-]+$')\" ]"
  check "$phase: no file over 16 MiB" "[ -z \"\$(find '$out' -type f -size +16M)\" ]"
  total=$(du -sb "$out" | cut -f1)
  check "$phase: $total bytes in all, at most 64 MiB" "((total <= 64 * 1048576))"
  check "$phase: the logs are one archive" "tar -tzf '$out/$phase-logs.tar.gz' > /dev/null"
  tail=$(tail -c 4000 "$out.stdout")
  check "$phase: the last 4,000 characters hold the whole verdict" \
    "grep -q '^=== verdict: $phase' <<< \"\$tail\" && tail -1 '$out.stdout' | grep -q '^=== $phase: PASS'"
  rm -rf "$out" "$out.stdout"
done

# A budget too small for anything: every suite NOT RUN, the run INCOMPLETE (not failed).
out=$(mktemp -d)
OUT=$out EBMKIT_BIN=$bin EBMKIT_PHASE_BUDGET=10 tools/gpu-run.sh tests --dry-run > "$out.stdout" 2>&1
rc=$?
check "a spent budget: the suites are NOT RUN, the run INCOMPLETE, exit 0 (got $rc)" \
  "((rc == 0)) && grep -q '^NOT RUN  device_test' '$out.stdout' && tail -1 '$out.stdout' | grep -q '^=== tests: INCOMPLETE'"
rm -rf "$out" "$out.stdout"

# A failing GoogleTest log: the verdict names the test, its first assertion and its seed.
log=$(mktemp)
cat > "$log" <<'LOG'
[ RUN      ] LogSumExpGpu.MatchesCpuOnAwkwardShapes
[ seed     ] EBMKIT_TEST_SEED=12345
tests/logsumexp_gpu_test.cpp:40: Failure
Expected: (err) < (1e-6), actual: 0.5 vs 1e-06
[  FAILED  ] LogSumExpGpu.MatchesCpuOnAwkwardShapes (3 ms)
[  PASSED  ] 4 tests.
[  FAILED  ] 1 test, listed below:
LOG
verdict=$(python3 tools/gpu_verdict.py gtest logsumexp_gpu_test FAIL "$log")
rm -f "$log"
check "the verdict names the failing test and its seed" \
  "grep -q 'FAILED LogSumExpGpu.MatchesCpuOnAwkwardShapes  (EBMKIT_TEST_SEED=12345)' <<< \"\$verdict\""
check "the verdict quotes the assertion" "grep -q 'logsumexp_gpu_test.cpp:40: Failure' <<< \"\$verdict\""
check "the verdict counts" "grep -q '^FAIL     logsumexp_gpu_test: 4 passed, 1 failed, 0 skipped' <<< \"\$verdict\""

# A coloured log (GoogleTest under mpirun, as on the first GPU run: 1 passed and 7
# skipped read as 0, 0, 0): the counts are read through the colours.
log=$(mktemp)
printf '\033[0;32m[  PASSED  ] \033[m1 test.\n\033[0;32m[  SKIPPED ] \033[m7 tests, listed below:\n' > "$log"
verdict=$(python3 tools/gpu_verdict.py gtest data_parallel_mpi_test PASS "$log")
rm -f "$log"
check "a coloured log's counts" "grep -q '^PASS     data_parallel_mpi_test: 1 passed, 0 failed, 7 skipped' <<< \"\$verdict\""

# A failing GPU suite (a stand-in binary): the phase fails, and each failed test, by its
# name alone, is rerun with CUDA_LAUNCH_BLOCKING=1.
fake=$(mktemp -d)
cat > "$fake/fake_gpu_test" <<'FAKE'
#!/usr/bin/env bash
echo "[ RUN      ] Fake.Fails"
echo "[ seed     ] EBMKIT_TEST_SEED=77"
echo "x.cpp:3: Failure"
echo "blocking=${CUDA_LAUNCH_BLOCKING:-0} $*"
echo "[  FAILED  ] Fake.Fails (1 ms)"
echo "[  FAILED  ] 1 test, listed below:"
echo "[  FAILED  ] Fake.Fails"
exit 1
FAKE
chmod +x "$fake/fake_gpu_test"
OUT=$fake/out EBMKIT_BIN=$fake tools/gpu-run.sh tests > "$fake/stdout" 2>&1
rc=$?
check "a failing suite fails the phase" "((rc != 0)) && tail -1 '$fake/stdout' | grep -q '^=== tests: FAIL'"
check "the failed test is rerun alone with CUDA_LAUNCH_BLOCKING=1" \
  "grep -q 'blocking=1 --gtest_filter=Fake.Fails' '$fake/stdout' && grep -q 'Fake.Fails alone, CUDA_LAUNCH_BLOCKING=1' '$fake/stdout'"
check "nothing but the failed test is rerun" "! grep -q 'gtest_filter=1' '$fake/stdout'"
rm -rf "$fake"

# A bench phase (a stand-in ebm-bench with one record): issue 11's table comes back
# beside the verdict, and the verdict counts its rows.
fake=$(mktemp -d)
cat > "$fake/ebm-bench" <<'FAKE'
#!/usr/bin/env bash
json="" workload=""
while (($#)); do case "$1" in --json) json=$2; shift ;; --workload) workload=$2; shift ;; esac; shift; done
if [ "$workload" = logsumexp ]; then
  echo '[{"workload": "logsumexp", "shape": "65536x1000", "variant": "cuda-fused", "median_ms": 0.07}]' > "$json"
else
  echo '[]' > "$json"
fi
FAKE
chmod +x "$fake/ebm-bench"
OUT=$fake/out EBMKIT_BIN=$fake tools/gpu-run.sh bench > "$fake/stdout" 2>&1
check "a bench run writes issue 11's table beside its verdict" \
  "grep -q '^| LogSumExp fp32 | 65536x1000 | cuda-fused | 0.07 | torch-eager | not measured |' '$fake/out/bench-table.md'"
check "the verdict counts the table's rows" "grep -q '^table: 21 of 21 rows not measured' '$fake/stdout'"
files=$(find "$fake/out" -type f | wc -l)
check "bench: $files files in OUT, at most 4" "((files <= 4))"
# What came back, as bench/results/ keeps it (bench/record_run.py), on an H200's preflight.
sed -i 's/^gpu: .*/gpu: NVIDIA H200, 580.159.04, 143771 MiB, 1980 MHz, 3201 MHz/' "$fake/out/bench-preflight.txt"
mkdir -p "$fake/results"
recorded=$(python3 bench/record_run.py "$fake/out" bench --out-dir "$fake/results")
check "record_run.py names the file by date, GPU and phase ($recorded)" \
  "[[ '$recorded' =~ /[0-9]{4}-[0-9]{2}-[0-9]{2}-h200-bench[.]json$ ]]"
check "record_run.py keeps the device, driver and the record, with its source" \
  "python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not (d[\"device\"] == \"NVIDIA H200\" and d[\"driver\"] == \"580.159.04\" and [r[\"source\"] for r in d[\"records\"]] == [\"bench/ebm-bench-logsumexp.json\"]))' '$recorded'"
check "bench/table.py reads a kept results file" \
  "python3 bench/table.py '$recorded' | grep '^| LogSumExp fp32 | 65536x1000 | cuda-fused | 0.07 |' > /dev/null"
rm -rf "$fake"

# A rehearsal of the one call that matters, first-light as on a GPU (not dry), with
# stand-ins: every binary a GPU run carries passes, compute-sanitizer finds nothing,
# the peers write no record. Every phase must run its real commands and come back PASS.
fake=$(mktemp -d)
mkdir -p "$fake/bin" "$fake/path"
cat > "$fake/suite" <<'FAKE'
#!/usr/bin/env bash
# A GoogleTest binary that passes; with --gtest_list_tests, it lists the tests its filter names.
filter="" list=0
for a in "$@"; do case "$a" in --gtest_filter=*) filter=${a#--gtest_filter=} ;; --gtest_list_tests) list=1 ;; esac; done
if ((list)); then
  tr ':' '\n' <<< "$filter" | while IFS=. read -r suite test; do printf '%s.\n  %s\n' "$suite" "$test"; done
  exit 0
fi
echo "[ RUN      ] Fake.Passes"
echo "[       OK ] Fake.Passes (1 ms)"
echo "[  PASSED  ] 1 test."
FAKE
chmod +x "$fake/suite"
for name in $(tools/gpu-build.sh --targets); do cp "$fake/suite" "$fake/bin/$name"; done
cat > "$fake/bin/ebm-allreduce-bench" <<'FAKE'
#!/usr/bin/env bash
echo '{"workload": "allreduce_sum", "backend": "cuda", "ranks": 1, "floats": 269322, "bytes": 1077288, "microseconds": 9.0}'
FAKE
cat > "$fake/bin/ebm-bench" <<'FAKE'
#!/usr/bin/env bash
while (($#)); do [ "$1" = --json ] && echo '[]' > "$2"; shift; done
FAKE
cat > "$fake/path/compute-sanitizer" <<'FAKE'
#!/usr/bin/env bash
shift 4  # --tool NAME --error-exitcode N
"$@"
echo "========= ERROR SUMMARY: 0 errors"
FAKE
real_python=$(command -v python3)
cat > "$fake/path/python3" <<FAKE
#!/usr/bin/env bash
# The peers write an empty record list; everything else is the real interpreter.
case "\$1" in bench/peers/*.py) while ((\$#)); do [ "\$1" = --json ] && echo '[]' > "\$2"; shift; done; exit 0 ;; esac
exec "$real_python" "\$@"
FAKE
chmod +x "$fake/bin"/* "$fake/path"/*
PATH=$fake/path:$PATH OUT=$fake/out EBMKIT_BIN=$fake/bin tools/gpu-run.sh first-light > "$fake/stdout" 2>&1
rc=$?
check "a rehearsed first-light exits 0 (got $rc) and passes" "((rc == 0)) && tail -1 '$fake/stdout' | grep -q '^=== first-light: PASS'"
for step in tests dataparallel sanitize bench peers; do
  check "first-light runs $step" "grep -q '^--- $step (until' '$fake/stdout'"
done
verdict=$fake/out/first-light-verdict.txt
check "first-light ran every GPU suite" "[ \$(grep -c '^PASS     .*_gpu_test: 1 passed' '$verdict') = \$(ls '$fake/bin' | grep -c '_gpu_test\$') ]"
check "first-light ran the NCCL suite under mpirun and the all-reduce baseline" \
  "grep -q '^PASS     data_parallel_mpi_test (CUDA, NCCL, 1 rank): 1 passed' '$fake/stdout' && grep -q '\"ranks\": 1' '$fake/stdout'"
# As many suites as tools/gpu-run.sh names in SANITIZE_FILTERS.
filters=$(grep -c -E '^  \[[a-z_]+_test\]=' tools/gpu-run.sh)
for tool in memcheck racecheck initcheck synccheck; do
  check "first-light ran $tool on every filter ($filters)" "grep -q '^CLEAN    $tool: $filters of $filters suites clean' '$fake/stdout'"
done
check "first-light ran every peer" "[ \$(grep -c '^PASS     torch_' '$verdict') = 6 ]"
files=$(find "$fake/out" -type f | wc -l)
check "first-light: $files files in OUT, at most 4" "((files <= 4))"
# A sanitizer that finds errors: the tool's line says so and the phase fails.
cat > "$fake/path/compute-sanitizer" <<'FAKE'
#!/usr/bin/env bash
echo "========= Invalid __global__ write of size 4 bytes"
echo "========= ERROR SUMMARY: 1 error"
exit 9
FAKE
PATH=$fake/path:$PATH OUT=$fake/out2 EBMKIT_BIN=$fake/bin tools/gpu-run.sh sanitize memcheck > "$fake/stdout2" 2>&1
rc=$?
check "a sanitizer's findings fail the phase (got $rc)" \
  "((rc != 0)) && grep -q '^FAIL     memcheck: 0 of $filters suites clean' '$fake/stdout2' && grep -q 'Invalid __global__ write' '$fake/stdout2'"
rm -rf "$fake"

if ((fail)); then echo "gpu-run checks: FAILED"; exit 1; fi
echo "gpu-run checks: all passed"
