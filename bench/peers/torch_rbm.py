#!/usr/bin/env python3
"""PyTorch peer of ebm-bench's rbm_gibbs workload: block-Gibbs sweeps of a 784 x 500
Bernoulli RBM written as PyTorch users write them (matmul + sigmoid + bernoulli),
eager and torch.compile'd, timed like ebm-bench (CUDA events, warm-up, median),
writing records in ebm-bench's JSON format.

    python3 bench/peers/torch_rbm.py --chains 256 1024 4096 16384 --steps 10 --json torch_rbm.json
"""
import argparse
import json

import torch

from peer_common import device, now, time_ms, variants


def gibbs(v, w, b, c, steps):
    for _ in range(steps):
        h = torch.bernoulli(torch.sigmoid(v @ w + c))
        v = torch.bernoulli(torch.sigmoid(h @ w.t() + b))
    return v


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chains", type=int, nargs="+", default=[256, 1024, 4096, 16384])
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--json", default="")
    a = p.parse_args()

    cuda, dev, device_name = device()
    torch.backends.cuda.matmul.allow_tf32 = False  # FP32, as ebmkit's kernels compute
    torch.manual_seed(1)
    d, m = 784, 500
    w = 0.05 * torch.randn(d, m, device=dev)
    b = torch.zeros(d, device=dev)
    c = torch.zeros(m, device=dev)
    records = []
    for variant, fn in variants(gibbs):
        for chains in a.chains:
            v = torch.zeros(chains, d, device=dev)
            med, lo, hi = time_ms(lambda: fn(v, w, b, c, a.steps), a.reps, cuda)
            sweeps = chains * a.steps
            flops = 4.0 * d * m * sweeps
            records.append({
                "workload": "rbm_gibbs", "shape": f"{chains} chains x {a.steps} steps, 784x500", "variant": variant,
                "device": device_name, "torch": torch.__version__,
                "date": now(),
                "median_ms": med, "min_ms": lo, "max_ms": hi, "chain_sweeps_per_s": sweeps / (med * 1e-3),
                "roofline": "fp32_gemm", "achieved": flops / (med * 1e-3),
            })
            print(f"{variant:14s} {chains:6d} chains x {a.steps} steps: {med:9.3f} ms, "
                  f"{flops / (med * 1e-3) / 1e9:8.1f} GFLOP/s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(records, f, indent=1)


if __name__ == "__main__":
    main()
