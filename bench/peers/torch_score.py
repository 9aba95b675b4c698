#!/usr/bin/env python3
"""PyTorch peer of the score family: denoising and sliced score matching through
double backward (create_graph=True, as PyTorch users write it) and annealed Langevin
sampling, timed on ebm-bench's shapes (score_dsm, score_ssm, annealed_langevin on the
784-256-256-1 ELU energy), and, with --quality, the same training recipe as
`ebm score train` on the 2-D densities (the densities, their exact log density and the
histogram distance implemented here anew), scored as `ebm score sample --json` scores.

    python3 bench/peers/torch_score.py --json torch_score.json
    python3 bench/peers/torch_score.py --quality ring8 --loss dsm --epochs 60 --json q.json
"""
import argparse
import math

import numpy as np
import torch
from torch import nn

from peer_common import attempt, device, mlp, now, precisions, time_ms, write_records


def energy(net, x):
    return -torch.logsumexp(net(x), dim=1)


def dsm_step(net, x, noise, sigma):
    """NCSNv2's weighted denoising loss, s(x, sigma) = s(x) / sigma, and its gradient."""
    noisy = (x + sigma[:, None] * noise).requires_grad_(True)
    g = torch.autograd.grad(energy(net, noisy).sum(), noisy, create_graph=True)[0]
    res = -g / sigma[:, None] + noise / sigma[:, None]
    loss = (sigma ** 2 / 2 * (res ** 2).sum(1)).mean()
    return torch.autograd.grad(loss, list(net.parameters())), loss


def ssm_step(net, x, v, variance_reduced=False):
    x = x.detach().requires_grad_(True)
    g = torch.autograd.grad(energy(net, x).sum(), x, create_graph=True)[0]
    vg = (v * g).sum(1)
    hv = torch.autograd.grad(vg.sum(), x, create_graph=True)[0]
    second = 0.5 * (g ** 2).sum(1) if variance_reduced else 0.5 * vg ** 2
    loss = (-(v * hv).sum(1) + second).mean()
    return torch.autograd.grad(loss, list(net.parameters())), loss


# The compiled variants: torch.compile refuses autograd's double backward (create_graph:
# "aot_autograd does not currently support double backward"), not torch.func's nested
# grad, so they compile the same losses written with torch.func.
def functional_steps(net):
    """(dsm, ssm) as functions of the network's parameters through torch.func, with the
    eager steps' arguments; None where this torch has no torch.func."""
    try:
        from torch.func import functional_call, grad
    except ImportError:
        return None
    params = {k: v.detach() for k, v in net.named_parameters()}

    def energy(p, x):
        return -torch.logsumexp(functional_call(net, p, (x,)), 1)

    def dsm(_, x, noise, sigma):
        def loss(p):
            noisy = x + sigma[:, None] * noise
            g = grad(lambda xx: energy(p, xx).sum())(noisy)
            res = -g / sigma[:, None] + noise / sigma[:, None]
            return (sigma ** 2 / 2 * (res ** 2).sum(1)).mean()
        return grad(loss)(params)

    def ssm(_, x, v, variance_reduced=False):
        def loss(p):
            def e(xx):
                return energy(p, xx).sum()
            g = grad(e)(x)
            hv = grad(lambda xx: (v * grad(e)(xx)).sum())(x)
            vg = (v * g).sum(1)
            second = 0.5 * (g ** 2).sum(1) if variance_reduced else 0.5 * vg ** 2
            return (-(v * hv).sum(1) + second).mean()
        return grad(loss)(params)

    return dsm, ssm


def step_variants(eager, functional):
    """The eager double-backward step, and the torch.func form compiled where this torch
    compiles."""
    out = [("torch-eager", eager)]
    if hasattr(torch, "compile") and functional is not None:
        out.append(("torch-compile", torch.compile(functional)))
    else:
        print(f"torch {torch.__version__} has no torch.compile or torch.func: eager only")
    return out


def annealed_langevin(net, x, sigmas, epsilon, steps, conditioned=True, denoise=True):
    """Song & Ermon's Algorithm 1 with s(x, sigma) = s(x) / sigma (or s(x))."""
    last = sigmas[-1]
    for s in sigmas:
        a = epsilon * (s / last) ** 2
        for _ in range(steps):
            x = x.detach().requires_grad_(True)
            g = torch.autograd.grad(energy(net, x).sum(), x)[0]
            score = -g / (s if conditioned else 1.0)
            x = (x + a / 2 * score + math.sqrt(a) * torch.randn_like(x)).detach()
    if denoise:
        x = x.detach().requires_grad_(True)
        g = torch.autograd.grad(energy(net, x).sum(), x)[0]
        x = (x - last ** 2 * g / (last if conditioned else 1.0)).detach()
    return x


# The 2-D densities (tools/ebm/toy_densities.hpp states them).
def draw_toy(name, n, rng):
    if name == "ring8":
        t = 2 * np.pi * rng.integers(0, 8, n) / 8
        return np.stack([2 * np.cos(t), 2 * np.sin(t)], 1) + 0.2 * rng.standard_normal((n, 2))
    if name == "two-rings":
        r = np.where(rng.integers(0, 2, n) == 0, 1.0, 2.5) + 0.1 * rng.standard_normal(n)
        t = 2 * np.pi * rng.random(n)
        return np.stack([r * np.cos(t), r * np.sin(t)], 1)
    squares = [(i, j) for i in range(-2, 2) for j in range(-2, 2) if (i + j) % 2 == 0]
    corner = np.array(squares)[rng.integers(0, len(squares), n)]
    return corner + rng.random((n, 2)) + 0.05 * rng.standard_normal((n, 2))


def toy_log_density(name, x):
    from scipy.special import logsumexp as lse, ndtr  # scipy ships with scikit-learn
    if name == "ring8":
        t = 2 * np.pi * np.arange(8) / 8
        c = np.stack([2 * np.cos(t), 2 * np.sin(t)], 1)
        d2 = ((x[:, None, :] - c[None]) ** 2).sum(2)
        return lse(-d2 / (2 * 0.04), axis=1) - np.log(8) - np.log(2 * np.pi * 0.04)
    if name == "two-rings":
        r = np.maximum(np.hypot(x[:, 0], x[:, 1]), 1e-12)
        terms = [np.log(0.5) - 0.5 * ((r - R) / 0.1) ** 2 - np.log(0.1 * np.sqrt(2 * np.pi)) - np.log(2 * np.pi * r)
                 for R in (1.0, 2.5)]
        return np.logaddexp(*terms)
    p = np.zeros(len(x))
    for i in range(-2, 2):
        for j in range(-2, 2):
            if (i + j) % 2 == 0:
                p += ((ndtr((x[:, 0] - i) / 0.05) - ndtr((x[:, 0] - i - 1) / 0.05)) *
                      (ndtr((x[:, 1] - j) / 0.05) - ndtr((x[:, 1] - j - 1) / 0.05)))
    with np.errstate(divide="ignore"):
        return np.log(p / 8)


def score_toy(name, samples, bins=40, lim=4.0, sub=8):
    # Each floored at -50, as tools/ebm/toy_densities.hpp floors it.
    mean_log_density = float(np.mean(np.maximum(toy_log_density(name, samples), -50.0)))
    edges = np.linspace(-lim, lim, bins + 1)
    hist, _, _ = np.histogram2d(samples[:, 0], samples[:, 1], bins=[edges, edges])
    hist /= len(samples)
    width = 2 * lim / bins
    centres = -lim + (np.arange(bins * sub) + 0.5) * width / sub
    gx, gy = np.meshgrid(centres, centres, indexing="ij")
    dens = np.exp(toy_log_density(name, np.stack([gx.ravel(), gy.ravel()], 1))).reshape(bins * sub, bins * sub)
    mass = dens.reshape(bins, sub, bins, sub).sum((1, 3)) * (width / sub) ** 2
    outside = max(0.0, 1.0 - mass.sum()) - (1.0 - hist.sum())
    return mean_log_density, 0.5 * (np.abs(mass - hist).sum() + abs(outside))


def softplus_mlp(widths):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(nn.Softplus())
    return nn.Sequential(*layers)


def quality(name, loss, epochs, seed, samples=8000, batch=128, lr=1e-3, count=2000):
    """ebm score train's recipe (2-128-128-1 softplus, Adam, batch 128, ladder 2 .. 0.05 in
    10 levels for DSM; sliced: clean data, Rademacher projections) and ebm score sample's."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    data = torch.from_numpy(draw_toy(name, samples, rng).astype(np.float32))
    net = softplus_mlp([2, 128, 128, 1])
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sigmas = torch.from_numpy(np.geomspace(2.0, 0.05, 10).astype(np.float32))
    for _ in range(epochs):
        order = torch.randperm(samples)
        for b in range(samples // batch):
            x = data[order[b * batch:(b + 1) * batch]]
            if loss == "dsm":
                grads, _ = dsm_step(net, x, torch.randn_like(x), sigmas[torch.randint(0, 10, (batch,))])
            else:
                v = torch.randint(0, 2, x.shape).float() * 2 - 1
                grads, _ = ssm_step(net, x, v, loss == "ssm_vr")
            for p, g in zip(net.parameters(), grads):
                p.grad = g
            opt.step()
    x0 = torch.rand(count, 2) * 8 - 4
    if loss == "dsm":
        out = annealed_langevin(net, x0, [float(s) for s in sigmas], 1e-3, 100)
    else:
        out = annealed_langevin(net, x0, [0.05], 1e-2, 1000, conditioned=False, denoise=False)
    return score_toy(name, out.numpy().astype(np.float64))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, nargs="+", default=[64, 128])
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--quality", nargs="*", default=None, help="2-D densities to train and sample (no timing)")
    p.add_argument("--loss", nargs="+", default=["dsm", "ssm_vr"])
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--seeds", type=int, nargs="+", default=[1])
    p.add_argument("--json", default="")
    a = p.parse_args()
    records = []
    if a.quality is not None:
        for name in a.quality:
            for loss in a.loss:
                for seed in a.seeds:
                    mld, tv = quality(name, loss, a.epochs, seed)
                    records.append({"workload": "score_quality", "dataset": name, "loss": loss, "seed": seed,
                                    "epochs": a.epochs, "mean_log_density": mld, "total_variation": tv,
                                    "variant": "torch-eager", "torch": torch.__version__, "date": now()})
                    print(f"{name:13s} {loss:7s} seed {seed}: mean log density {mld:.4f}, total variation {tv:.4f}")
        write_records(a.json, records)
        return
    cuda, dev, device_name = device()
    widths = [784, 256, 256, 1]
    macs = sum(widths[i] * widths[i + 1] for i in range(3))
    for precision, cast in precisions(cuda):
        torch.manual_seed(1)
        net = mlp(widths).to(dev)
        functional_dsm, functional_ssm = functional_steps(net) or (None, None)

        def time_step(workload, variant, step, batch, inputs, flops_per_mac):
            """One record of a loss step on a batch of inputs(x); flops_per_mac is ebm-bench's
            model of the step (bench/score_bench.cpp: 12 for DSM, 18 for SSM)."""
            def run():
                x = torch.rand(batch, 784, device=dev) * 2 - 1
                args = inputs(x)
                with cast:
                    med, lo, hi = time_ms(lambda: step(net, x, *args), a.reps, cuda)
                records.append({"workload": workload, "shape": f"{batch} rows, 784-256-256-1 {precision}",
                                "variant": variant, "device": device_name, "torch": torch.__version__,
                                "date": now(), "median_ms": med, "min_ms": lo, "max_ms": hi,
                                "rows_per_s": batch / (med * 1e-3),
                                "achieved": flops_per_mac * macs * batch / (med * 1e-3)})
                print(f"{workload} {variant:14s} {precision} {batch:5d} rows: {med:9.3f} ms")

            attempt(f"{workload} {variant} {precision} {batch}", run)

        def noise_and_sigma(x):
            return torch.randn_like(x), torch.full((x.shape[0],), 0.1, device=dev)

        def signs(x):
            return (torch.randint(0, 2, x.shape, device=dev).float() * 2 - 1,)

        for workload, eager, functional, inputs, flops in (("score_dsm", dsm_step, functional_dsm, noise_and_sigma, 12.0),
                                                           ("score_ssm", ssm_step, functional_ssm, signs, 18.0)):
            for variant, step in step_variants(eager, functional):
                for batch in a.batch:
                    time_step(workload, variant, step, batch, inputs, flops)
        for chains in ([64, 1024] if cuda else [64]):
            def run_annealed():
                x = torch.rand(chains, 784, device=dev)
                sigmas = list(np.geomspace(1.0, 0.01, 10))
                with cast:
                    med, lo, hi = time_ms(lambda: annealed_langevin(net, x, sigmas, 2e-5, 10), max(1, a.reps // 5),
                                          cuda, warmup=1)
                records.append({"workload": "annealed_langevin",
                                "shape": f"{chains} chains x 10 levels x 10 steps, 784-256-256-1 {precision}",
                                "variant": "torch-eager", "device": device_name, "torch": torch.__version__,
                                "date": now(), "median_ms": med, "min_ms": lo, "max_ms": hi,
                                "chain_steps_per_s": chains * 100 / (med * 1e-3),
                                "achieved": 4.0 * macs * chains * 100 / (med * 1e-3)})
                print(f"annealed_langevin        {precision} {chains:5d} chains: {med:9.3f} ms")

            attempt(f"annealed_langevin {precision} {chains}", run_annealed)
    write_records(a.json, records)


if __name__ == "__main__":
    main()
