"""Results against NumPy references in double, central differences and enumeration."""
import numpy as np
import pytest

import ebmkit
import reference
from conftest import uniform


def test_logsumexp_and_its_gradient(rng, ctx):
    x = uniform(rng, (17, 33), -5, 5)
    lse = ebmkit.logsumexp(ctx, x)
    assert np.allclose(lse, reference.logsumexp(x.astype(np.float64)), atol=1e-5)
    dlse = uniform(rng, (17,))
    dx = ebmkit.logsumexp_backward(ctx, x, lse, dlse)
    softmax = np.exp(x - reference.logsumexp(x.astype(np.float64))[:, None])
    assert np.allclose(dx, softmax * dlse[:, None], atol=1e-6)


@pytest.mark.parametrize("activation", ["relu", "elu", "tanh", "softplus", "silu", "leaky_relu"])
def test_mlp_energy_matches_the_reference(rng, ctx, activation):
    model = ebmkit.MlpEnergy([7, 9, 5, 4], activation)
    model.init_uniform(int(rng.integers(1 << 30)))
    params = ebmkit.parameters(model)
    x = uniform(rng, (11, 7))
    labels = rng.integers(0, 4, size=11).astype(np.int32)
    assert np.allclose(ebmkit.logits(ctx, model, x), reference.mlp_logits(params, activation, x), atol=1e-5)
    assert np.allclose(ebmkit.energy(ctx, model, x), reference.energy(params, activation, x), atol=1e-5)
    assert np.allclose(ebmkit.energy(ctx, model, x, labels), reference.energy(params, activation, x, labels), atol=1e-5)


def central(f, a, h=1e-3):
    """d sum(f) / d a by central differences in double."""
    g = np.zeros(a.shape)
    for i in np.ndindex(a.shape):
        saved = a[i]
        a[i] = saved + h
        up = f().sum()
        a[i] = saved - h
        down = f().sum()
        a[i] = saved
        g[i] = (up - down) / (2 * h)
    return g


def test_energy_gradients_against_central_differences(rng, ctx):
    model = ebmkit.MlpEnergy([4, 6, 3], "tanh")
    model.init_uniform(int(rng.integers(1 << 30)))
    params = ebmkit.parameters(model)
    x = uniform(rng, (5, 4)).astype(np.float64)
    labels = rng.integers(0, 3, size=5).astype(np.int32)
    for y in (None, labels):
        g = ebmkit.energy_grad_x(ctx, model, x.astype(np.float32), y)
        assert np.allclose(g, central(lambda: reference.energy(params, "tanh", x, y), x), atol=1e-4)
    # Parameter gradient of sum_r E(x_r): dlogits = -softmax(f).
    f = reference.mlp_logits(params, "tanh", x)
    dlogits = -np.exp(f - reference.logsumexp(f)[:, None])
    grad = ebmkit.param_grad(ctx, model, x.astype(np.float32), dlogits.astype(np.float32))
    for p, g in zip(params, ebmkit.parameters(grad)):
        p64 = p.astype(np.float64)
        numeric = central(lambda: reference.energy([p64 if q is p else q for q in params], "tanh", x), p64)
        assert np.allclose(g, numeric, atol=1e-4)


def test_rbm_against_enumeration(rng, ctx):
    rbm = ebmkit.Rbm(6, 4)
    rbm.init_normal(int(rng.integers(1 << 30)), 0.5)
    w, b, c = rbm.w(), rbm.b(), rbm.c()
    b[...] = uniform(rng, 6)
    c[...] = uniform(rng, 4)
    v = (rng.random((10, 6)) < 0.5).astype(np.float32)
    f = ebmkit.free_energy(ctx, rbm, v)
    assert np.allclose(f, reference.rbm_free_energy(w, b, c, v), atol=1e-5)
    sigmoid = lambda z: 1 / (1 + np.exp(-z))
    assert np.allclose(ebmkit.rbm_hidden_probs(ctx, rbm, v), sigmoid(v @ w + c), atol=1e-6)
    h = (rng.random((10, 4)) < 0.5).astype(np.float32)
    assert np.allclose(ebmkit.rbm_visible_probs(ctx, rbm, h), sigmoid(h @ w.T + b), atol=1e-6)
    log_z = reference.rbm_log_z(w.astype(np.float64), b.astype(np.float64), c.astype(np.float64))
    assert abs(ebmkit.log_partition_exact(ctx, rbm) - log_z) < 1e-6 * max(1.0, abs(log_z))
    # AIS brackets the exact value.
    z, low, high = ebmkit.log_partition_ais(ctx, rbm, np.zeros(6, np.float32), runs=200, betas=np.linspace(0, 1, 300))
    assert low <= log_z <= high and abs(z - log_z) < 0.1
    # RAISE: per-row estimates just below the exact log p(v), their mean and spread.
    mean, std_error, per_row = ebmkit.log_likelihood_raise(ctx, rbm, np.zeros(6, np.float32), v, runs=50,
                                                           betas=np.linspace(0, 1, 300))
    exact = -reference.rbm_free_energy(w, b, c, v) - log_z
    assert per_row.shape == (10,) and per_row.dtype == np.float64
    assert np.all(per_row < exact + 0.05) and np.all(per_row > exact - 0.5)
    assert abs(mean - per_row.mean()) < 1e-12 and std_error > 0
    # Pseudo-log-likelihood: each bit given the others, summed (all bits, as the library does).
    pl = ebmkit.pseudo_log_likelihood(ctx, rbm, v)
    expected = np.zeros(10)
    for i in range(6):
        flipped = v.copy()
        flipped[:, i] = 1 - flipped[:, i]
        fe, ff = reference.rbm_free_energy(w, b, c, v), reference.rbm_free_energy(w, b, c, flipped)
        expected += -np.logaddexp(0, fe - ff)
    assert np.allclose(pl, expected, atol=1e-4)


def test_gibbs_chain_and_cd_gradient_run_in_place(rng, ctx):
    rbm = ebmkit.Rbm(5, 3)
    rbm.init_normal(1, 0.3)
    v = (rng.random((8, 5)) < 0.5).astype(np.float32)
    h = np.zeros((8, 3), np.float32)
    v0 = v.copy()
    ebmkit.gibbs_chain(ctx, rbm, v, h, 0, 5)
    assert set(np.unique(v)) <= {0.0, 1.0} and set(np.unique(h)) <= {0.0, 1.0}
    assert not np.array_equal(v, v0)
    chains = v0.copy()
    grad = ebmkit.cd_gradient(ctx, rbm, v0, chains, 0, 1)
    assert grad.w().shape == (5, 3) and np.isfinite(grad.w()).all()
    # The gradient from the samples CD just drew (chains now hold them) is the same one,
    # and it matches its definition: <v p(h|v)^T>_data - <v p(h|v)^T>_samples.
    again = ebmkit.rbm_gradient(ctx, rbm, v0, chains)
    assert np.allclose(again.w(), grad.w(), atol=1e-6)
    sigmoid = lambda z: 1 / (1 + np.exp(-z))
    w, c = np.asarray(rbm.w(), np.float64), np.asarray(rbm.c(), np.float64)
    stat = lambda x: x.T @ sigmoid(x @ w + c) / len(x)
    assert np.allclose(again.w(), stat(v0.astype(np.float64)) - stat(chains.astype(np.float64)), atol=1e-5)


def test_cd_gradient_shards_sum_to_the_whole_batch(rng, ctx):
    """Two ranks' parts (data rows 0..5 and 6..9, chains 0..3 and 4..7, keyed by their
    global chain index and divided by the global row counts) sum to the whole batch's
    gradient, and advance those rows of the chains exactly: what a torch.distributed
    user all-reduces."""
    rbm = ebmkit.Rbm(6, 4)
    rbm.init_normal(3, 0.5)
    data = (rng.random((10, 6)) < 0.5).astype(np.float32)
    start = (rng.random((8, 6)) < 0.5).astype(np.float32)
    chains = start.copy()
    whole = ebmkit.cd_gradient(ctx, rbm, data, chains, 5, 2)
    total = np.zeros((6, 4))
    for rows, first in ((slice(0, 6), 0), (slice(6, 10), 4)):
        part = start[first:first + 4].copy()
        grad = ebmkit.cd_gradient(ctx, rbm, data[rows].copy(), part, 5, 2, first_chain=first, data_rows=10, sample_rows=8)
        assert np.array_equal(part, chains[first:first + 4])
        total += np.asarray(grad.w(), np.float64)
    assert np.allclose(total, whole.w(), atol=1e-6)
