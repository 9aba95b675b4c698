#!/usr/bin/env python3
"""PyTorch peer of ebm-bench's langevin workload: SGLD chains on an MLP energy
E(x) = -logsumexp(f(x)) written as Tomczak's listing 6.1 does it (autograd.grad
every step, randn_like noise), eager and with the step compiled by torch.compile,
and on a GPU the step compiled whole (torch.func.grad) and replayed as a CUDA graph
(mode="reduce-overhead"), in fp32, tf32 and bf16 (autocast);
the same networks (784-256-256-10 and 64-512-512-512-10, ELU), chain counts and
step counts, timed with CUDA events (a wall clock on the CPU), written in
ebm-bench's JSON format.

    python3 bench/peers/torch_langevin.py --chains 256 4096 65536 --json torch_langevin.json
    python3 bench/peers/torch_langevin.py --widths 784-256-256-10 --chains 4096 --steps 60
"""
import argparse

import torch

from peer_common import attempt, device, mlp, now, precisions, time_ms, variants, write_records



def sgld_step(net, x, alpha, sigma):
    x = x.detach().requires_grad_(True)
    energy = -torch.logsumexp(net(x), dim=1).sum()
    grad = torch.autograd.grad(energy, [x])[0]
    return (x - alpha * grad + sigma * torch.randn_like(x)).clamp(-1.0, 1.0).detach()


def sgld_step_whole(net, x, alpha, sigma):
    """The same step through torch.func.grad, which torch.compile traces into one graph
    (autograd.grad breaks it), so that graph can be captured and replayed."""
    grad = torch.func.grad(lambda v: -torch.logsumexp(net(v), dim=1).sum())(x)
    return (x - alpha * grad + sigma * torch.randn_like(x)).clamp(-1.0, 1.0)


def step_variants(cuda):
    """Eager, compiled, and on a GPU compiled whole and replayed as a CUDA graph."""
    out = variants(sgld_step)
    if cuda and hasattr(torch, "compile") and hasattr(torch, "func"):
        graphed = torch.compile(sgld_step_whole, mode="reduce-overhead")

        def replayed(net, x, alpha, sigma):
            # A new step, whose replay overwrites the graph's outputs: the previous output
            # (this step's input) must live outside them, so each output is cloned (the
            # first H200 run failed with "accessing tensor output of CUDAGraphs that has
            # been overwritten by a subsequent run"; one 4096 x 784 copy a step).
            torch.compiler.cudagraph_mark_step_begin()
            return graphed(net, x, alpha, sigma).clone()

        out.append(("torch-compile-graph", replayed))
    return out


def chain(step, net, x, steps):
    for _ in range(steps):
        x = step(net, x, 1.0, 0.01)
    return x


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chains", type=int, nargs="+", default=[256, 1024, 4096, 16384])
    p.add_argument("--steps", type=int, nargs="+", default=[20, 60])
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--widths", nargs="+", default=["784-256-256-10", "64-512-512-512-10"])
    p.add_argument("--json", default="")
    a = p.parse_args()
    cuda, dev, device_name = device()
    records = []
    steps_fns = step_variants(cuda)
    for precision, cast in precisions(cuda):
        for widths in ([int(w) for w in text.split("-")] for text in a.widths):
            torch.manual_seed(1)
            net = mlp(widths).to(dev)
            macs = sum(widths[i] * widths[i + 1] for i in range(len(widths) - 1))
            for variant, step in steps_fns:
                for steps in a.steps:
                    for chains in a.chains:
                        def run():
                            x0 = torch.rand(chains, widths[0], device=dev) * 2 - 1
                            with cast:
                                med, lo, hi = time_ms(lambda: chain(step, net, x0, steps), a.reps, cuda)
                            chain_steps = chains * steps
                            records.append({
                                "workload": "langevin",
                                "shape": f"{chains} chains x {steps} steps, {'-'.join(map(str, widths))} {precision}",
                                "variant": variant, "device": device_name, "torch": torch.__version__,
                                "date": now(),
                                "median_ms": med, "min_ms": lo, "max_ms": hi,
                                "chain_steps_per_s": chain_steps / (med * 1e-3),
                                "achieved": 4.0 * macs * chain_steps / (med * 1e-3),
                            })
                            print(f"{variant:14s} {precision} {'-'.join(map(str, widths)):18s} {chains:6d} x {steps:3d}: "
                                  f"{med:9.3f} ms, {chain_steps / (med * 1e-3):.3e} chain-steps/s")

                        attempt(f"{variant} {precision} {chains} x {steps}", run)
    write_records(a.json, records)


if __name__ == "__main__":
    main()
