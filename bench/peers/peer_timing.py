"""Timing shared by the PyTorch peers, the way ebm-bench times: warm-up, then the
median (and extremes) of repeated runs; CUDA events on a GPU, a wall clock on the CPU."""
import datetime
import statistics

import torch


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
