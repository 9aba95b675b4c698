"""An RBM trained with PCD-1 and scored with AIS, from NumPy only:
ebmkit's CD gradient and AIS on arrays a NumPy user already has.

    python examples/rbm_ais_numpy.py [--epochs 5] [--hidden 500] [--limit N] [--ais-betas 3000]
"""
import argparse
import time

import numpy as np

import ebmkit
import fashion_mnist


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--hidden", type=int, default=500)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--limit", type=int, default=0, help="train on the first N images (0: all)")
    p.add_argument("--ais-betas", type=int, default=3000)
    p.add_argument("--ais-runs", type=int, default=100)
    p.add_argument("--data", default=fashion_mnist.DEFAULT)
    a = p.parse_args()
    ctx = ebmkit.Context("auto", 1)
    train, _ = fashion_mnist.load("train", a.data, a.limit)
    test, _ = fashion_mnist.load("t10k", a.data, a.limit)
    train, test = (train > 0.5).astype(np.float32), (test > 0.5).astype(np.float32)
    rbm = ebmkit.Rbm(784, a.hidden)
    rbm.init_normal(1, 0.01)
    params = [rbm.w(), rbm.b(), rbm.c()]  # views: updating them updates the RBM
    chains = train[: a.batch].copy()  # PCD's persistent chains
    step, start = 0, time.time()
    order = np.random.default_rng(1)
    for epoch in range(a.epochs):
        for i in range(len(train) // a.batch):
            rows = order.permutation(len(train))[: a.batch] if i == 0 else rows_next
            rows_next = order.integers(0, len(train), a.batch)
            grad = ebmkit.cd_gradient(ctx, rbm, np.ascontiguousarray(train[rows]), chains, step, 1)
            for param, g in zip(params, [grad.w(), grad.b(), grad.c()]):
                param += a.lr * g  # ascent on the log-likelihood
            step += 1
        pl = ebmkit.pseudo_log_likelihood(ctx, rbm, test[:500]).mean()
        print(f"epoch {epoch + 1}: pseudo-log-likelihood {pl:.2f} nats/image ({time.time() - start:.0f}s)")
    p_on = (train.sum(0) + 1) / (len(train) + 2)
    base = np.log(p_on / (1 - p_on)).astype(np.float32)
    log_z, low, high = ebmkit.log_partition_ais(ctx, rbm, base, runs=a.ais_runs,
                                                betas=np.linspace(0, 1, a.ais_betas))
    ll = -ebmkit.free_energy(ctx, rbm, test).mean() - log_z
    print(f"AIS log Z = {log_z:.2f} (+-3 std: {low:.2f} .. {high:.2f}); test log-likelihood {ll:.2f} nats/image")


if __name__ == "__main__":
    main()
