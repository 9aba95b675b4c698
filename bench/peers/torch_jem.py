#!/usr/bin/env python3
"""PyTorch peer of ebm-bench's jem workload: one JEM training iteration written the
way the JEM and intro_dgm code write it (784-256-256-10 ELU MLP, Adamax 1e-3, replay
buffer of 10000 with 5% uniform restarts, 20 SGLD steps with autograd.grad, alpha 1,
sigma 0.01, loss CE - (LSE(data) - LSE(samples))), batch 64 and 256.

    python3 bench/peers/torch_jem.py --json torch_jem.json
"""
import argparse

import torch
import torch.nn.functional as F

from peer_common import device, mlp, now, time_ms, write_records


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--json", default="")
    a = p.parse_args()
    cuda, dev, device_name = device()
    torch.backends.cuda.matmul.allow_tf32 = False
    records = []
    for batch in a.batches:
        torch.manual_seed(1)
        net = mlp([784, 256, 256, 10]).to(dev)
        opt = torch.optim.Adamax(net.parameters(), lr=1e-3)
        buffer = torch.rand(10000, 784, device=dev) * 2 - 1
        x = torch.rand(batch, 784, device=dev) * 2 - 1
        y = torch.arange(batch, device=dev) % 10

        def iteration():
            idx = torch.randint(0, 10000, (batch,), device=dev)
            x_s = buffer[idx]
            fresh = torch.rand(batch, 1, device=dev) < 0.05
            x_s = torch.where(fresh, torch.rand_like(x_s) * 2 - 1, x_s)
            for _ in range(20):
                x_s = x_s.detach().requires_grad_(True)
                e = -torch.logsumexp(net(x_s), dim=1).sum()
                g = torch.autograd.grad(e, [x_s])[0]
                x_s = (x_s - g + 0.01 * torch.randn_like(x_s)).clamp(-1, 1)
            x_s = x_s.detach()
            buffer[idx] = x_s
            logits = net(x)
            loss = F.cross_entropy(logits, y) - (torch.logsumexp(logits, 1).mean() - torch.logsumexp(net(x_s), 1).mean())
            opt.zero_grad()
            loss.backward()
            opt.step()

        med, lo, hi = time_ms(iteration, a.reps, cuda)
        records.append({
            "workload": "jem_iteration", "shape": f"batch {batch}, 20 SGLD steps, 784-256-256-10", "variant": "torch-eager",
            "device": device_name, "torch": torch.__version__, "date": now(),
            "median_ms": med, "min_ms": lo, "max_ms": hi, "iterations_per_s": 1e3 / med,
        })
        print(f"torch-eager jem iteration, batch {batch}: {med:9.3f} ms")
    write_records(a.json, records)


if __name__ == "__main__":
    main()
