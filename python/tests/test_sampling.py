"""Langevin chains and the optimizer from NumPy."""
import numpy as np
import pytest

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


def test_replay_buffer_draws_and_stores_by_slot(rng):
    ctx = ebmkit.Context("cpu", 11)
    buffer = ebmkit.ReplayBuffer(ctx, 20, 3, lo=-0.5, hi=0.5, classes=2)
    chains = buffer.samples()
    assert (buffer.size, buffer.classes, chains.shape) == (20, 2, (20, 3))
    assert (np.abs(chains) <= 0.5).all() and len(np.unique(chains)) == 60  # U(lo, hi) noise
    row_classes = np.array([0, 1, 1, 0, 1, 0], np.int32)
    rows, slots = buffer.draw(6, 0.0, 0, row_classes)  # no fresh rows
    assert rows.shape == (6, 3) and slots.dtype == np.int32
    assert np.array_equal(rows, chains[slots])
    assert all(10 * c <= s < 10 * (c + 1) for s, c in zip(slots, row_classes))  # each class its own segment
    fresh, fresh_slots = buffer.draw(6, 1.0, 1, row_classes)
    assert (fresh_slots == -1).all() and (np.abs(fresh) <= 0.5).all()
    new = uniform(rng, (6, 3), 2.0, 3.0)  # outside the box: easy to find again
    buffer.store(slots, new, 0, row_classes)
    last = {int(s): b for b, s in enumerate(slots)}  # of two rows bound for one slot the later stays
    for s, b in last.items():
        assert np.array_equal(chains[s], new[b])  # chains is a view: the stores show in it
    assert (chains > 1).all(axis=1).sum() == len(last)
    buffer.store(fresh_slots, new, 1, row_classes)  # slot -1: a random slot of the row's class
    in_segment = [(chains[10 * c:10 * (c + 1)] == row).all(axis=1).any() for row, c in zip(new, row_classes)]
    assert all(in_segment)
    with pytest.raises(ValueError, match="classes"):
        ebmkit.ReplayBuffer(ctx, 21, 3, classes=2)
    with pytest.raises(ValueError, match="row_classes"):
        buffer.draw(6, 0.0, 0)  # a class-conditional buffer needs the classes
