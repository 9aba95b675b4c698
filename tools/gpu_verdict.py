#!/usr/bin/env python3
"""Short verdict lines from the logs of a remote GPU run (tools/gpu-run.sh).

  gpu_verdict.py gtest NAME STATUS LOG       a GoogleTest binary's log
  gpu_verdict.py sanitizer NAME STATUS LOG   a compute-sanitizer run of one
  gpu_verdict.py bench JSON                  one line per ebm-bench record
  gpu_verdict.py peer NAME STATUS JSON       one line per peer record

STATUS is the runner's: PASS (exit 0), FAIL, TIMEOUT, or DRY. Standard library only.
"""
import json
import re
import sys

MAX_FAILURES = 3      # failing tests detailed per binary
MAX_ASSERTION_LINES = 6


def read(path):
    """The log's text, colours removed: GoogleTest colours its lines when it thinks it
    writes to a terminal (under mpirun it did, and its counts read as 0 passed)."""
    try:
        with open(path, errors="replace") as f:
            return re.sub(r"\x1b\[[0-9;]*m", "", f.read())
    except OSError as e:
        return f"(no log: {e})"


def counts(text):
    def number(pattern):
        m = re.search(pattern, text)
        return int(m.group(1)) if m else 0
    return (number(r"\[  PASSED  \] (\d+) test"), number(r"\[  SKIPPED \] (\d+) test"),
            number(r"\[  FAILED  \] (\d+) test"))


def failures(text):
    """(test, first assertion lines, seed) of each failed test, from its RUN .. FAILED block."""
    out = []
    for m in re.finditer(r"^\[ RUN      \] (\S+)\n(.*?)^\[  FAILED  \] \1", text, re.M | re.S):
        body = m.group(2).splitlines()
        seed = next((l.split("] ", 1)[1] for l in body if l.startswith("[ seed")), "no seed printed")
        lines, started = [], False
        for l in body:
            if re.search(r": Failure$|error:|Error|what\(\)", l):
                started = True
            if started and not l.startswith("[ seed"):
                lines.append(l.strip())
            if len(lines) >= MAX_ASSERTION_LINES:
                break
        out.append((m.group(1), lines or body[-MAX_ASSERTION_LINES:], seed))
    return out


def gtest(name, status, log):
    text = read(log)
    passed, skipped, failed = counts(text)
    print(f"{status:<8} {name}: {passed} passed, {failed} failed, {skipped} skipped")
    if status == "TIMEOUT":
        running = re.findall(r"^\[ RUN      \] (\S+)", text, re.M)
        if running:
            print(f"         stopped in {running[-1]}")
    for test, lines, seed in failures(text)[:MAX_FAILURES]:
        print(f"  FAILED {test}  ({seed})")
        for l in lines:
            print(f"    {l[:200]}")
    if status == "FAIL" and not failures(text):
        tail = [l for l in text.splitlines() if l.strip()][-MAX_ASSERTION_LINES:]
        for l in tail:
            print(f"    {l[:200]}")


def sanitizer(name, status, log):
    text = read(log)
    m = re.search(r"ERROR SUMMARY: (\d+) error", text) or re.search(r"RACECHECK SUMMARY: (\d+) hazard", text)
    findings = int(m.group(1)) if m else None
    passed, skipped, failed = counts(text)
    verdict = status if status != "PASS" else ("CLEAN" if not findings else "FINDINGS")
    what = f"{findings} findings" if findings is not None else "no summary"
    print(f"{verdict:<8} {name}: {what}; tests {passed} passed, {failed} failed, {skipped} skipped")
    shown = 0
    for l in text.splitlines():
        if l.startswith("========= ") and "SUMMARY" not in l and "COMPUTE-SANITIZER" not in l:
            print(f"    {l[10:210]}")
            shown += 1
            if shown >= MAX_ASSERTION_LINES:
                break


def bench(path):
    try:
        records = json.load(open(path))
    except (OSError, ValueError) as e:
        print(f"FAIL     bench: no records ({e})")
        return
    if not records:
        print("         bench: no records (no CUDA device?)")
    for r in records:
        frac = r.get("roofline_fraction", 0)
        roof = f"{100 * frac:.0f}% of {r.get('roofline', '')}" if r.get("roofline_rate") else "no roofline"
        print(f"  {r['workload']:<20} {r['shape']:<36} {r['variant']:<13} {r['median_ms']:10.4f} ms  {roof}")


def peer(name, status, path):
    try:
        records = json.load(open(path))
    except (OSError, ValueError):
        print(f"{status:<8} {name}: no JSON")
        return
    print(f"{status:<8} {name}: {len(records)} records")
    for r in records if isinstance(records, list) else [records]:
        keys = [k for k in ("workload", "shape", "variant", "precision", "chains", "steps", "batch") if k in r]
        label = " ".join(str(r[k]) for k in keys)
        print(f"  {label[:70]:<70} {r.get('median_ms', float('nan')):10.4f} ms")


def main():
    kind = sys.argv[1]
    if kind == "gtest":
        gtest(*sys.argv[2:5])
    elif kind == "sanitizer":
        sanitizer(*sys.argv[2:5])
    elif kind == "bench":
        bench(sys.argv[2])
    elif kind == "peer":
        peer(*sys.argv[2:5])
    else:
        sys.exit(f"unknown kind {kind}")


if __name__ == "__main__":
    main()
