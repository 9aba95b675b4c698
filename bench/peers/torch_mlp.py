#!/usr/bin/env python3
"""PyTorch peer of ebm-bench's mlp workloads: the energy E(x) = -logsumexp(f(x)), the
score grad_x E through autograd, and the parameter gradient of sum(dlogits * f(x)),
for the 784-256-256-10 and 64-512-512-512-10 ELU networks, eager and torch.compile'd,
in fp32, tf32 and bf16 (autocast), written in ebm-bench's JSON format.

    python3 bench/peers/torch_mlp.py --rows 256 1024 4096 16384 65536 --json torch_mlp.json
    python3 bench/peers/torch_mlp.py --widths 784-256-256-10 --ops score --rows 4096 65536
"""
import argparse

import torch

from peer_common import attempt, device, mlp, now, precisions, time_ms, variants, write_records



def energy(net, x, dlogits):
    return -torch.logsumexp(net(x), dim=1)


def score(net, x, dlogits):
    x = x.detach().requires_grad_(True)
    return torch.autograd.grad(-torch.logsumexp(net(x), dim=1).sum(), [x])[0]


def param_grad(net, x, dlogits):
    return torch.autograd.grad((net(x) * dlogits).sum(), list(net.parameters()))


# Each operation and its flops per multiply-accumulate of the network.
OPS = {"energy": (energy, 2), "score": (score, 4), "param_grad": (param_grad, 6)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, nargs="+", default=[256, 1024, 4096, 16384, 65536])
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--widths", nargs="+", default=["784-256-256-10", "64-512-512-512-10"])
    p.add_argument("--ops", nargs="+", choices=sorted(OPS), default=["energy", "score", "param_grad"])
    p.add_argument("--json", default="")
    a = p.parse_args()
    cuda, dev, device_name = device()
    records = []
    for precision, cast in precisions(cuda):
        for widths in ([int(w) for w in text.split("-")] for text in a.widths):
            torch.manual_seed(1)
            net = mlp(widths).to(dev)
            macs = sum(widths[i] * widths[i + 1] for i in range(len(widths) - 1))
            for op in a.ops:
                fn, per_mac = OPS[op]
                for variant, f in variants(fn):
                    for rows in a.rows:
                        def run():
                            x = torch.rand(rows, widths[0], device=dev) * 2 - 1
                            dl = torch.rand(rows, widths[-1], device=dev) * 2 - 1
                            with cast:
                                med, lo, hi = time_ms(lambda: f(net, x, dl), a.reps, cuda)
                            records.append({
                                "workload": "mlp_" + op,
                                "shape": f"{rows} rows, {'-'.join(map(str, widths))} {precision}",
                                "variant": variant, "device": device_name, "torch": torch.__version__, "date": now(),
                                "median_ms": med, "min_ms": lo, "max_ms": hi, "rows_per_s": rows / (med * 1e-3),
                                "achieved": per_mac * macs * rows / (med * 1e-3),
                            })
                            print(f"{variant:14s} {op:10s} {precision} {'-'.join(map(str, widths)):18s} {rows:6d}: "
                                  f"{med:9.3f} ms")

                        attempt(f"{variant} {op} {precision} {rows} rows", run)
    write_records(a.json, records)


if __name__ == "__main__":
    main()
