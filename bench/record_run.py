#!/usr/bin/env python3
"""One GPU call's results as the JSON bench/results/ keeps: from what tools/gpu-run.sh
brought back (PHASE-logs.tar.gz and PHASE-preflight.txt in one folder), the device, its
driver and clocks, the revision the binaries were built at, the date, and every record
the call wrote (ebm-bench's, the peers', the one-GPU all-reduce's, the main job's
summaries), into bench/results/<date>-<gpu>-<phase>.json. It prints the path.

    bench/record_run.py FOLDER PHASE [--out-dir bench/results]

Standard library only.
"""
import argparse
import json
import pathlib
import re
import sys
import tarfile


def preflight(text):
    """The preflight's facts: gpu (name, driver, memory, max SM and memory clocks), build, date."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(": ")
        if key == "gpu":
            parts = [p.strip() for p in value.split(",")]
            if len(parts) == 5:
                out.update(device=parts[0], driver=parts[1], memory=parts[2], max_sm_clock=parts[3],
                           max_memory_clock=parts[4])
            else:
                out["device"] = value
        elif key == "build":
            out["build"] = value
            m = re.search(r"revision (\w+)", value)
            if m:
                out["revision"] = m.group(1)
        elif key in ("date", "nvcc", "CUDA runtime"):
            out[key.replace(" ", "_").lower()] = value
    return out


def records_of(archive):
    """Every record in the archive: JSON arrays (ebm-bench, peers), JSON lines (the
    all-reduce benchmark, the main job's commands), each tagged with the file it came from."""
    out = []
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            name = pathlib.PurePath(member.name).name
            if not member.isfile() or not (name.endswith(".json") or name.endswith(".jsonl")):
                continue
            text = tar.extractfile(member).read().decode(errors="replace")
            try:
                data = json.loads(text)
                items = data if isinstance(data, list) else [data]
            except ValueError:
                items = [json.loads(l) for l in text.splitlines() if l.startswith("{")]
            for item in items:
                if isinstance(item, dict):
                    out.append(dict(item, source=member.name))
    return out


def slug(device):
    """'NVIDIA H200' -> 'h200'; 'none (...)' -> 'no-gpu'."""
    m = re.search(r"([A-Z]\d{2,4}\w*)", device or "")
    return m.group(1).lower() if m else "no-gpu"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder")
    p.add_argument("phase")
    p.add_argument("--out-dir", default="bench/results")
    a = p.parse_args()
    folder = pathlib.Path(a.folder)
    facts = preflight((folder / f"{a.phase}-preflight.txt").read_text())
    records = records_of(folder / f"{a.phase}-logs.tar.gz")
    if not records:
        sys.exit(f"record_run.py: no records in {folder / (a.phase + '-logs.tar.gz')}")
    date = facts.get("date", "unknown")[:10]
    result = dict(facts, phase=a.phase, records=records)
    path = pathlib.Path(a.out_dir) / f"{date}-{slug(facts.get('device'))}-{a.phase}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(path)


if __name__ == "__main__":
    main()
