#!/usr/bin/env python3
"""One door to the CUDA runtime's memory, copy and wait calls (docs/ARCHITECTURE.md §5):
no library, tool or binding source but host/cuda/device_memory.cpp allocates or frees
device or pinned memory, copies synchronously, memsets synchronously or waits for a
stream, an event or the device. That file counts each call in Context::transfers(), so
a wait or an allocation made anywhere else would escape the count the GPU tests hold
("no allocation and at most one host wait per iteration"). Queued calls that neither
allocate nor wait (cudaMemsetAsync, cudaMemcpyAsync on a stream, launches, graph
launches, event records) may appear in kernels/.

    tests/runtime_door_test.py SOURCE_DIR
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
door = pathlib.Path("host/cuda/device_memory.cpp")
forbidden = re.compile(
    r"\b(cudaMalloc\w*|cudaFree\w*|cudaHostAlloc|cudaMemcpy(?!Async\b)\w*|cudaMemset(?!Async\b)\w*|"
    r"cudaMemcpyAsync|cudaStreamSynchronize|cudaDeviceSynchronize|cudaEventSynchronize|cudaStreamQuery)\s*\(")
failures = []
for folder in ("host", "include", "kernels", "tools", "python/src"):
    for path in sorted((root / folder).rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or path.suffix not in {".cpp", ".hpp", ".h", ".cu", ".cuh"} or rel == door:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("//")[0]
            m = forbidden.search(code)
            if m:
                failures.append(f"{rel}:{number}: {m.group(1)} outside the door ({door}): {line.strip()}")
# The door counts what it does: each allocation, each host-side copy and each wait.
text = (root / door).read_text()
for what in ("allocations", "copies", "synchronizations"):
    if f"transfer_counts().{what}" not in text and not (what == "synchronizations" and "count_wait()" in text):
        failures.append(f"{door} does not count {what}")
for failure in failures:
    print(failure)
sys.exit(1 if failures else 0)
