#!/usr/bin/env bash
# CUDA compiler launcher (CMAKE_CUDA_COMPILER_LAUNCHER): runs the compile command as
# given and keeps ptxas's per-kernel resource report (--resource-usage: registers,
# static shared memory, spills) in <object>.resource-usage beside the object, for
# tests/kernel_resources_test.py. Other diagnostics pass through to stderr.
set -uo pipefail
object=""
previous=""
for arg in "$@"; do
  [ "$previous" = "-o" ] && object=$arg
  previous=$arg
done
report=$(mktemp)
"$@" 2> "$report"
status=$?
grep -v -E '^ptxas info|^    [0-9]+ bytes stack frame' "$report" >&2
if [ -n "$object" ] && [ $status -eq 0 ]; then
  grep -E '^ptxas info|^    [0-9]+ bytes stack frame' "$report" > "$object.resource-usage"
fi
rm -f "$report"
exit $status
