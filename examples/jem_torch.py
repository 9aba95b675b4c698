"""JEM in a plain PyTorch loop: ebmkit's fused MLP energy as a torch module, trained by
torch.optim on cross-entropy plus the SGLD contrastive term, with a replay buffer, as
`ebm jem train` does (784-256-256-10 ELU, Adamax 1e-3, batch 64, 20 SGLD steps of
alpha 1 and sigma 0.01, a 10,000-image buffer with 5% restarts).

    python examples/jem_torch.py [--epochs 1] [--limit N]
"""
import argparse
import time

import numpy as np
import torch

import ebmkit.torch as et
import fashion_mnist


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--limit", type=int, default=0, help="train on the first N images (0: all)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--sgld-steps", type=int, default=20)
    p.add_argument("--buffer", type=int, default=10000)
    p.add_argument("--data", default=fashion_mnist.DEFAULT)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = p.parse_args()
    torch.manual_seed(1)
    train, train_labels = fashion_mnist.load("train", a.data, a.limit)
    test, test_labels = fashion_mnist.load("t10k", a.data, a.limit)
    dev = torch.device(a.device)
    x_all = torch.from_numpy(train * 2 - 1).to(dev)
    y_all = torch.from_numpy(train_labels).to(dev)
    module = et.MlpEnergy([784, 256, 256, 10], "elu", seed=1, device=a.device)
    opt = torch.optim.Adamax(module.parameters(), lr=1e-3)
    buffer = torch.rand(a.buffer, 784, device=dev) * 2 - 1
    start = time.time()
    for epoch in range(a.epochs):
        order = torch.randperm(len(x_all), device=dev)
        for i in range(len(x_all) // a.batch):
            rows = order[i * a.batch:(i + 1) * a.batch]
            x, y = x_all[rows], y_all[rows]
            # Chains from the replay buffer (5% from noise), SGLD without a graph, back into the buffer.
            slots = torch.randint(0, a.buffer, (a.batch,), device=dev)
            start_x = buffer[slots]
            fresh = torch.rand(a.batch, device=dev) < 0.05
            start_x[fresh] = torch.rand(int(fresh.sum()), 784, device=dev) * 2 - 1
            samples = et.langevin(module, start_x, a.sgld_steps, alpha=1.0, sigma=0.01,
                                  first_step=(epoch * 100000 + i) * a.sgld_steps)
            buffer[slots] = samples
            # JEM's loss: cross-entropy of f(x), plus E(data) - E(samples) with E = -logsumexp f.
            logits = module.logits(x)
            loss = (torch.nn.functional.cross_entropy(logits, y.long()) - torch.logsumexp(logits, 1).mean()
                    - module(samples).mean())
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            xt = torch.from_numpy(test * 2 - 1).to(dev)
            accuracy = (module.logits(xt).argmax(1).cpu().numpy() == test_labels).mean()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}, test accuracy {accuracy:.4f} ({time.time() - start:.0f}s)")


if __name__ == "__main__":
    main()
