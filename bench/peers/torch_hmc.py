#!/usr/bin/env python3
"""PyTorch peer of ebm-bench's sample workload: MALA and HMC written as PyTorch users
write them (autograd.grad for every gradient, randn_like noise and momenta, a uniform
per chain for the Metropolis test), on the same targets: the 8-D Gaussian with
correlation 0.9^|i-j| and the 2-D mixture 0.3 N((-1.5, 0), 0.8^2) + 0.7 N((1.5, 0.5), 0.6^2),
1024 chains x 500 steps after 200 of burn-in, the same step sizes. The figure of merit is
ebm-bench's: effective samples per second, the least ESS over the dimensions of a traced
run (ebmkit.effective_sample_size, the same estimator for both sides) over the median
time of the same chains untraced. Written in ebm-bench's JSON format.

    python3 bench/peers/torch_hmc.py --json torch_hmc.json
"""
import argparse
import math

import numpy as np
import torch

import ebmkit
from peer_common import attempt, device, now, time_ms, write_records


def gaussian(dev):
    cov = torch.tensor([[0.9 ** abs(i - j) for j in range(8)] for i in range(8)], dtype=torch.float64)
    precision = torch.linalg.inv(cov).float().to(dev)
    return lambda x: 0.5 * ((x @ precision) * x).sum(dim=1)


def mixture(dev):
    means = torch.tensor([[-1.5, 0.0], [1.5, 0.5]], device=dev)
    stds = torch.tensor([0.8, 0.6], device=dev)
    log_norm = torch.log(torch.tensor([0.3, 0.7], device=dev)) - torch.log(2 * math.pi * stds ** 2)

    def energy(x):
        sq = ((x[:, None, :] - means[None]) ** 2).sum(dim=2)
        return -torch.logsumexp(log_norm - 0.5 * sq / stds ** 2, dim=1)
    return energy


def energy_and_grad(energy, x):
    x = x.detach().requires_grad_(True)
    e = energy(x)
    return e.detach(), torch.autograd.grad(e.sum(), [x])[0]


def mala_step(energy, x, step):
    sigma = math.sqrt(2 * step)
    e, g = energy_and_grad(energy, x)
    prop = x - step * g + sigma * torch.randn_like(x)
    e2, g2 = energy_and_grad(energy, prop)
    fwd = ((prop - x + step * g) ** 2).sum(dim=1)
    bwd = ((x - prop + step * g2) ** 2).sum(dim=1)
    log_a = e - e2 + (fwd - bwd) / (2 * sigma ** 2)
    accept = torch.log(torch.rand_like(e)) <= log_a
    return torch.where(accept[:, None], prop, x)


def hmc_step(energy, x, step, leapfrog=10):
    p = torch.randn_like(x)
    e, g = energy_and_grad(energy, x)
    h0 = e + 0.5 * (p ** 2).sum(dim=1)
    q, mom = x, p - 0.5 * step * g
    for l in range(leapfrog):
        q = q + step * mom
        e2, g2 = energy_and_grad(energy, q)
        mom = mom - (step if l + 1 < leapfrog else 0.5 * step) * g2
    h1 = e2 + 0.5 * (mom ** 2).sum(dim=1)
    accept = torch.log(torch.rand_like(e)) <= h0 - h1
    return torch.where(accept[:, None], q, x)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chains", type=int, nargs="+", default=[1024])
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--json", default="")
    a = p.parse_args()
    cuda, dev, device_name = device()
    torch.manual_seed(1)
    records = []
    # The steps ebm-bench takes for each (target, sampler).
    runs = [("gaussian-8", gaussian(dev), 8, "mala", 0.08), ("gaussian-8", gaussian(dev), 8, "hmc", 0.25),
            ("mixture-2", mixture(dev), 2, "mala", 0.2), ("mixture-2", mixture(dev), 2, "hmc", 0.3)]
    for name, energy, d, sampler, step in runs:
        stepper = mala_step if sampler == "mala" else hmc_step
        for chains in a.chains:
            def run():
                x = torch.zeros(chains, d, device=dev)
                for _ in range(200):
                    x = stepper(energy, x, step)
                state = {"x": x}

                def chain():
                    for _ in range(a.steps):
                        state["x"] = stepper(energy, state["x"], step)
                med, lo, hi = time_ms(chain, a.reps, cuda, warmup=0)
                trace = np.empty((a.steps, chains, d), np.float32)
                x = state["x"]
                for s in range(a.steps):
                    x = stepper(energy, x, step)
                    trace[s] = x.cpu().numpy()
                ess = min(ebmkit.effective_sample_size(np.ascontiguousarray(trace[:, :, i])) for i in range(d))
                shape = f"{name} {sampler}, {chains} chains x {a.steps} steps"
                records.append({"workload": "sample", "shape": shape, "variant": "torch-eager", "device": device_name,
                                "torch": torch.__version__, "date": now(), "median_ms": med, "min_ms": lo, "max_ms": hi,
                                "effective_samples_per_s": ess / (med * 1e-3), "roofline": "none"})
                print(f"torch-eager {shape}: {med:9.3f} ms, ESS {ess:.0f}, {ess / (med * 1e-3):.3g} effective samples/s")

            attempt(f"{name} {sampler} {chains}", run)
    write_records(a.json, records)


if __name__ == "__main__":
    main()
