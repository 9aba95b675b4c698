#!/usr/bin/env python3
"""PyTorch peer of ebm-bench's rbm_gibbs and rbm_pcd_epoch workloads: block-Gibbs
sweeps of a 784 x 500 Bernoulli RBM written as PyTorch users write them (matmul +
sigmoid + bernoulli), eager and torch.compile'd; with --pcd-epoch, one PCD-1 epoch over
binarised Fashion-MNIST in the same ops (batch 100, 100 persistent chains, lr 0.05, no
momentum or decay: ebm rbm train's defaults). Timed like ebm-bench (CUDA events,
warm-up, median), writing records in ebm-bench's JSON format.

    python3 bench/peers/torch_rbm.py --chains 256 1024 4096 16384 --steps 10 --json torch_rbm.json
    python3 bench/peers/torch_rbm.py --pcd-epoch --data /usr/share/datasets/fashion-mnist
"""
import argparse

import torch

from peer_common import attempt, device, now, time_ms, variants, write_records


# torch.compile takes the sweep or the update, never the loop around it: dynamo would
# unroll a 1,000-sweep loop (or a 600-batch epoch) into one enormous graph.
def sweep(v, w, b, c):
    h = torch.bernoulli(torch.sigmoid(v @ w + c))
    return torch.bernoulli(torch.sigmoid(h @ w.t() + b))


def gibbs(step, v, w, b, c, steps):
    for _ in range(steps):
        v = step(v, w, b, c)
    return v


def pcd_update(v0, w, b, c, chains, lr):
    """One PCD-1 update of w, b, c in place from a batch v0; returns the chains."""
    ph0 = torch.sigmoid(v0 @ w + c)
    h = torch.bernoulli(torch.sigmoid(chains @ w + c))
    chains = torch.bernoulli(torch.sigmoid(h @ w.t() + b))
    ph1 = torch.sigmoid(chains @ w + c)
    w += (lr / v0.shape[0]) * (v0.t() @ ph0 - chains.t() @ ph1)
    b += lr * (v0.mean(0) - chains.mean(0))
    c += lr * (ph0.mean(0) - ph1.mean(0))
    return chains


def pcd_epoch(update, data, w, b, c, chains, lr, batch):
    for start in range(0, data.shape[0] - batch + 1, batch):
        chains = update(data[start:start + batch], w, b, c, chains, lr)
    return chains


def time_pcd_epoch(a, dev, device_name, cuda, records):
    from fashion_mnist import binarised_train_images  # NumPy; only this workload reads data
    data = torch.tensor(binarised_train_images(a.data), dtype=torch.float32, device=dev)
    if a.images:
        data = data[:a.images]
    d, m, batch = data.shape[1], 500, 100
    for variant, fn in variants(pcd_update):
        def run():
            torch.manual_seed(1)
            w = 0.01 * torch.randn(d, m, device=dev)
            b, c = torch.zeros(d, device=dev), torch.zeros(m, device=dev)
            chains = torch.bernoulli(torch.full((batch, d), 0.5, device=dev))
            med, lo, hi = time_ms(lambda: pcd_epoch(fn, data, w, b, c, chains, 0.05, batch), a.reps, cuda, warmup=1)
            images = data.shape[0]
            records.append({
                "workload": "rbm_pcd_epoch", "shape": f"{images} images, batch 100, 784x500, PCD-1",
                "variant": variant, "device": device_name, "torch": torch.__version__, "date": now(),
                "median_ms": med, "min_ms": lo, "max_ms": hi, "images_per_s": images / (med * 1e-3),
                "roofline": "fp32_gemm", "achieved": 12.0 * d * m * images / (med * 1e-3),
            })
            print(f"{variant:14s} PCD-1 epoch, {images} images: {med:9.3f} ms")

        attempt(f"{variant} PCD-1 epoch", run)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chains", type=int, nargs="+", default=[256, 1024, 4096, 16384])
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--json", default="")
    p.add_argument("--pcd-epoch", action="store_true", help="time PCD-1 epochs instead of Gibbs sweeps")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--images", type=int, default=0, help="the first N training images (0: all)")
    a = p.parse_args()

    cuda, dev, device_name = device()
    torch.backends.cuda.matmul.allow_tf32 = False  # FP32, as ebmkit's kernels compute
    records = []
    if a.pcd_epoch:
        time_pcd_epoch(a, dev, device_name, cuda, records)
        write_records(a.json, records)
        return
    torch.manual_seed(1)
    d, m = 784, 500
    w = 0.05 * torch.randn(d, m, device=dev)
    b = torch.zeros(d, device=dev)
    c = torch.zeros(m, device=dev)
    for variant, fn in variants(sweep):
        for chains in a.chains:
            def run():
                v = torch.zeros(chains, d, device=dev)
                med, lo, hi = time_ms(lambda: gibbs(fn, v, w, b, c, a.steps), a.reps, cuda)
                sweeps = chains * a.steps
                flops = 4.0 * d * m * sweeps
                records.append({
                    "workload": "rbm_gibbs", "shape": f"{chains} chains x {a.steps} steps, 784x500 fp32",
                    "variant": variant,
                    "device": device_name, "torch": torch.__version__,
                    "date": now(),
                    "median_ms": med, "min_ms": lo, "max_ms": hi, "chain_sweeps_per_s": sweeps / (med * 1e-3),
                    "roofline": "fp32_gemm", "achieved": flops / (med * 1e-3),
                })
                print(f"{variant:14s} {chains:6d} chains x {a.steps} steps: {med:9.3f} ms, "
                      f"{flops / (med * 1e-3) / 1e9:8.1f} GFLOP/s")

            attempt(f"{variant} {chains} chains", run)
    write_records(a.json, records)


if __name__ == "__main__":
    main()
