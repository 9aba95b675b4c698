#!/usr/bin/env python3
"""blackjax peer of ebm-bench's sample workload (CPU, JAX from PyPI): blackjax's MALA and
HMC on the same targets, chains and step sizes as bench/peers/torch_hmc.py, every chain
vmapped and the steps in one jitted lax.scan. Effective samples per second: the least
ESS over the dimensions of a traced run over the median time of the same chains untraced,
the ESS by ebmkit.effective_sample_size where ebmkit imports (the same estimator as
ebm-bench's), else by blackjax's own (recorded in "ess_estimator"). ebm-bench's JSON format.

    python3 bench/peers/blackjax_hmc.py --json blackjax_hmc.json
"""
import argparse
import datetime
import json
import math
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

import blackjax

try:
    import ebmkit
except ImportError:
    ebmkit = None


def gaussian():
    cov = np.array([[0.9 ** abs(i - j) for j in range(8)] for i in range(8)])
    precision = jnp.asarray(np.linalg.inv(cov), dtype=jnp.float32)
    return lambda x: -0.5 * x @ precision @ x  # the log density, as blackjax takes it


def mixture():
    means = jnp.array([[-1.5, 0.0], [1.5, 0.5]])
    stds = jnp.array([0.8, 0.6])
    log_norm = jnp.log(jnp.array([0.3, 0.7])) - jnp.log(2 * math.pi * stds ** 2)
    return lambda x: jax.scipy.special.logsumexp(log_norm - 0.5 * ((x[None] - means) ** 2).sum(axis=1) / stds ** 2)


def kernel_of(sampler, logdensity, step, d):
    if sampler == "mala":
        return blackjax.mala(logdensity, step)  # blackjax's MALA step: x + step grad log p + sqrt(2 step) eps
    return blackjax.hmc(logdensity, step, jnp.ones(d), 10)


def ess_of(trace):
    """The least ESS over the dimensions of trace [steps, chains, d]."""
    if ebmkit is not None:
        return min(ebmkit.effective_sample_size(np.ascontiguousarray(trace[:, :, i])) for i in range(trace.shape[2]))
    per_dim = blackjax.diagnostics.effective_sample_size(np.transpose(trace, (1, 0, 2)), chain_axis=0, sample_axis=1)
    return float(np.min(per_dim))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chains", type=int, default=1024)
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--json", default="")
    a = p.parse_args()
    records = []
    for name, logdensity, d, sampler, step in [("gaussian-8", gaussian(), 8, "mala", 0.08),
                                              ("gaussian-8", gaussian(), 8, "hmc", 0.25),
                                              ("mixture-2", mixture(), 2, "mala", 0.2),
                                              ("mixture-2", mixture(), 2, "hmc", 0.3)]:
        kernel = kernel_of(sampler, logdensity, step, d)
        init = jax.vmap(kernel.init)(jnp.zeros((a.chains, d)))

        def run(state, key, steps, keep):
            def one(s, k):
                s, _ = jax.vmap(kernel.step)(jax.random.split(k, a.chains), s)
                return s, (s.position if keep else None)
            return jax.lax.scan(one, state, jax.random.split(key, steps))

        untraced = jax.jit(lambda s, k: run(s, k, a.steps, False)[0])
        traced = jax.jit(lambda s, k: run(s, k, a.steps, True))
        key = jax.random.PRNGKey(1)
        state = jax.jit(lambda s, k: run(s, k, 200, False)[0])(init, key)  # burn-in (and compilation)
        jax.block_until_ready(untraced(state, key))  # compile
        times = []
        for r in range(a.reps):
            t0 = time.perf_counter()
            state = jax.block_until_ready(untraced(state, jax.random.PRNGKey(r + 2)))
            times.append((time.perf_counter() - t0) * 1e3)
        state, trace = traced(state, jax.random.PRNGKey(99))
        ess = ess_of(np.asarray(trace, dtype=np.float32))
        med = statistics.median(times)
        shape = f"{name} {sampler}, {a.chains} chains x {a.steps} steps"
        records.append({"workload": "sample", "shape": shape, "variant": "blackjax-jit", "device": "cpu",
                        "blackjax": blackjax.__version__, "jax": jax.__version__,
                        "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "median_ms": med, "min_ms": min(times), "max_ms": max(times),
                        "effective_samples_per_s": ess / (med * 1e-3), "roofline": "none",
                        "ess_estimator": "ebmkit" if ebmkit is not None else "blackjax"})
        print(f"blackjax-jit {shape}: {med:9.3f} ms, ESS {ess:.0f}, {ess / (med * 1e-3):.3g} effective samples/s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(records, f, indent=1)


if __name__ == "__main__":
    main()
