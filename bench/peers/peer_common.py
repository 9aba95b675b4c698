"""What the PyTorch peers share: the device, the MLP energies as PyTorch users build
them, and timing the way ebm-bench times (warm-up, then the median and extremes of
repeated runs; CUDA events on a GPU, a wall clock on the CPU)."""
import contextlib
import datetime
import json
import statistics

import torch
from torch import nn


def device():
    """(on a GPU?, torch.device, the device's name)."""
    cuda = torch.cuda.is_available()
    return cuda, torch.device("cuda" if cuda else "cpu"), torch.cuda.get_device_name() if cuda else "cpu"


def precisions(cuda):
    """(name, context) for fp32, tf32 and bf16 (autocast) on a GPU, fp32 on the CPU;
    TF32 matmuls are allowed during tf32's turn only."""
    for name in ("fp32", "tf32", "bf16") if cuda else ("fp32",):
        torch.backends.cuda.matmul.allow_tf32 = name == "tf32"
        yield name, torch.autocast("cuda", dtype=torch.bfloat16) if name == "bf16" else contextlib.nullcontext()


def mlp(widths):
    """Linear layers with ELU between them, no activation after the last."""
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(nn.ELU())
    return nn.Sequential(*layers)


def time_ms(fn, reps, cuda, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        if cuda:
            torch.cuda.synchronize()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end))
        else:
            t0 = datetime.datetime.now()
            fn()
            times.append((datetime.datetime.now() - t0).total_seconds() * 1e3)
    return statistics.median(times), min(times), max(times)


def now():
    return datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


def variants(fn):
    """The eager function, and its torch.compile'd twin where this torch has it."""
    out = [("torch-eager", fn)]
    if hasattr(torch, "compile"):
        out.append(("torch-compile", torch.compile(fn)))
    else:
        print(f"torch {torch.__version__} has no torch.compile: eager only")
    return out


def attempt(what, fn):
    """fn(), or a printed line where it raises (a compile or a graph capture this torch
    refuses): on a lent GPU one failing variant must not cost the run every other record."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001: any failure of a peer variant is reported, not fatal
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        print(f"skipped {what}: {type(e).__name__}: {first[:300]}")


def write_records(path, records):
    """The records as ebm-bench writes them (a JSON array), where a --json path is given."""
    if path:
        with open(path, "w") as f:
            json.dump(records, f, indent=1)
