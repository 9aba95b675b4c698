"""Langevin chains and the optimizer from NumPy."""
import numpy as np

import ebmkit
from conftest import uniform


def model_of(seed, widths=(6, 12, 3)):
    model = ebmkit.MlpEnergy(list(widths), "elu")
    model.init_uniform(seed)
    return model


def test_noiseless_steps_are_gradient_descent(rng, ctx):
    model = model_of(int(rng.integers(1 << 30)))
    x = uniform(rng, (9, 6), -0.5, 0.5)
    expected = x.astype(np.float64)
    p = ebmkit.LangevinParams()
    p.alpha, p.sigma = 0.05, 0.0
    for _ in range(4):
        expected -= 0.05 * ebmkit.energy_grad_x(ctx, model, expected.astype(np.float32))
    chains = x.copy()
    stats = ebmkit.langevin_chain(ctx, model, chains, p, 0, 4)
    assert stats["proposals"] == 36 and stats["acceptance_rate"] == 1.0
    assert np.allclose(chains, expected, atol=1e-5)


def test_noise_is_keyed_by_seed_and_step(rng):
    model = model_of(3)
    x = uniform(rng, (5, 6))
    p = ebmkit.LangevinParams()
    p.sigma, p.clamp = 0.1, True
    runs = []
    for seed, first in ((1, 0), (1, 0), (2, 0), (1, 10)):
        chains = x.copy()
        ebmkit.langevin_chain(ebmkit.Context("cpu", seed), model, chains, p, first, 3)
        runs.append(chains)
    assert np.array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2]) and not np.array_equal(runs[0], runs[3])
    assert (np.abs(runs[0]) <= 1).all()


def test_mala_and_class_conditional_chains(rng, ctx):
    model = model_of(4)
    x = uniform(rng, (16, 6))
    p = ebmkit.LangevinParams()
    p.mala, p.alpha, p.sigma = True, 0.5, 1.0
    stats = ebmkit.langevin_chain(ctx, model, x, p, 0, 10, trace=True)
    assert 0 <= stats["acceptance_rate"] <= 1 and len(stats["mean_energy"]) == 10
    labels = rng.integers(0, 3, 16).astype(np.int32)
    q = ebmkit.LangevinParams()
    q.sigma = 0.0
    before = ebmkit.energy(ctx, model, x, labels).mean()
    ebmkit.langevin_chain(ctx, model, x, q, 0, 20, labels=labels)
    assert ebmkit.energy(ctx, model, x, labels).mean() < before


def test_sgd_step_is_the_pytorch_rule(rng, ctx):
    model = model_of(5, (4, 3))
    grad = model_of(6, (4, 3))
    o = ebmkit.OptimizerOptions()
    o.kind, o.lr, o.momentum = "sgd", 0.1, 0.0
    opt = ebmkit.Optimizer(model, o)
    before = [p.copy() for p in ebmkit.parameters(model)]
    opt.step(ctx, model, grad)
    for b, p, g in zip(before, ebmkit.parameters(model), ebmkit.parameters(grad)):
        assert np.allclose(p, b - 0.1 * g, atol=1e-7)
    assert opt.steps == 1


def test_replay_buffer_sampler(rng):
    model = model_of(7)

    def sampler():
        o = ebmkit.SamplerOptions()
        o.start, o.steps, o.buffer_size = "replay_buffer", 5, 40
        o.step.clamp = True
        return ebmkit.LangevinSampler(ebmkit.Context("cpu", 9), 6, o)

    a, b = sampler(), sampler()
    assert a.buffer().shape == (40, 6) and (np.abs(a.buffer()) <= 1).all()
    before = a.buffer().copy()
    x = a.sample(model, 8)
    assert x.shape == (8, 6) and (np.abs(x) <= 1).all() and a.rounds == 1
    assert np.array_equal(x, b.sample(model, 8))  # the same seed, the same chains
    changed = ~np.all(a.buffer() == before, axis=1)
    assert 1 <= changed.sum() <= 8  # the round's rows went back into their slots
    data = uniform(rng, (4, 6))
    o = ebmkit.SamplerOptions()
    o.start, o.steps = "data", 3
    o.step.sigma = 0.0
    o.step.alpha = 0.05
    moved = ebmkit.LangevinSampler(ebmkit.Context("cpu"), 6, o).sample(model, 4, data=data)
    ctx = ebmkit.Context("cpu")
    assert ebmkit.energy(ctx, model, moved).mean() < ebmkit.energy(ctx, model, data).mean()  # descent from the data
