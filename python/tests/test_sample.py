"""The samplers for any energy from Python (ebmkit.sample) against closed forms: MALA and
HMC on a correlated Gaussian reach its mean and covariance, and on an MLP whose density
is a mixture of asymmetric Laplace densities (also conditioned on a class) its mean, ULA reaches the discretised
chain's covariance T (P - alpha P^2 / 2)^-1, temperature T samples exp(-E / T); the trace,
its diagnostics and bad input. Tolerances: 5 standard errors from the effective sample
size of each estimate's own series (computed by ebmkit's diagnostics on the trace)."""
import numpy as np
import pytest

import ebmkit

MEAN = np.array([1.0, -1.0])
COV = np.array([[1.0, 0.6], [0.6, 2.0]])


def gaussian():
    return ebmkit.GaussianEnergy.from_covariance(MEAN.tolist(), COV.ravel().tolist())


def chains(seed, sampler, step, temperature=1.0, n=512, burn_in=300, draws=300, **kw):
    ctx = ebmkit.Context("cpu", seed)
    x = np.zeros((n, 2), np.float32)
    ebmkit.sample(ctx, gaussian(), x, sampler=sampler, step=step, steps=burn_in, temperature=temperature, **kw)
    return ebmkit.sample(ctx, gaussian(), x, sampler=sampler, step=step, steps=draws, first_step=burn_in,
                         temperature=temperature, trace=True, **kw)


def ess_of(series):
    """ESS of a [draws, chains] series, by the same estimator the library reports
    (a one-dimensional trace through ebmkit.sample's diagnostics is not at hand here:
    Geyer's initial monotone sequence, written again in NumPy as an independent check)."""
    draws, m = series.shape
    centred = series - series.mean(axis=0)
    w = (centred ** 2).sum(axis=0).mean() / (draws - 1)
    b = draws * series.mean(axis=0).var(ddof=1) if m > 1 else 0.0
    var_plus = (draws - 1) / draws * w + b / draws
    total, prev = 0.0, np.inf
    for t in range(0, draws - 1, 2):
        rho = [1 - (w - (centred[: draws - u] * centred[u:]).sum(axis=0).mean() / draws) / var_plus for u in (t, t + 1)]
        pair = min(rho[0] + rho[1], prev)
        if pair <= 0:
            break
        total, prev = total + pair, pair
    return draws * m / max(-1 + 2 * total, 1 / np.log10(draws * m))


def check_moments(stats, want_mean, want_cov):
    trace = stats["trace"]
    mean = trace.reshape(-1, 2).mean(axis=0)
    for i in range(2):
        se = np.sqrt(want_cov[i, i] / stats["ess"][i])
        assert abs(mean[i] - want_mean[i]) < 5 * se, (i, mean[i], want_mean[i], se)
        for j in range(2):
            product = (trace[:, :, i] - mean[i]) * (trace[:, :, j] - mean[j])
            se = np.sqrt((want_cov[i, i] * want_cov[j, j] + want_cov[i, j] ** 2) / ess_of(product))
            assert abs(product.mean() - want_cov[i, j]) < 5 * se, (i, j, product.mean(), want_cov[i, j], se)


def test_mala_and_hmc_reach_the_gaussian(rng):
    mala = chains(int(rng.integers(1 << 30)), "mala", 0.2)
    assert 0.5 < mala["acceptance_rate"] < 1.0
    check_moments(mala, MEAN, COV)
    hmc = chains(int(rng.integers(1 << 30)), "hmc", 0.25, leapfrog=6, mass=[1.0, 2.0])
    check_moments(hmc, MEAN, COV)
    assert hmc["trace"].shape == (300, 512, 2) and len(hmc["mean_energy"]) == 300
    # The library's ESS of x is the NumPy rewrite's, through the trace and alone.
    x0 = np.ascontiguousarray(hmc["trace"][:, :, 0])
    assert np.allclose(hmc["ess"][0], ess_of(x0.astype(np.float64)), rtol=1e-3)
    assert np.isclose(ebmkit.effective_sample_size(x0), hmc["ess"][0])
    assert np.isclose(ebmkit.split_r_hat(x0), hmc["split_r_hat"][0])


def test_ula_samples_the_discretised_chain_and_the_temperature(rng):
    alpha, temperature = 0.3, 1.5
    p = np.linalg.inv(COV)
    want = temperature * np.linalg.inv(p - alpha / 2 * p @ p)
    ula = chains(int(rng.integers(1 << 30)), "ula", alpha, temperature)
    assert ula["acceptance_rate"] == 1.0
    check_moments(ula, MEAN, want)
    check_moments(chains(int(rng.integers(1 << 30)), "mala", 0.2, temperature), MEAN, temperature * COV)


def test_bad_input_is_refused_and_changes_nothing(ctx):
    x = np.full((3, 2), 0.5, np.float32)
    for kwargs in ({"step": 0.0}, {"temperature": -1.0}, {"sampler": "hmc", "leapfrog": 0},
                   {"sampler": "hmc", "mass": [1.0]}, {"sampler": "mala", "mass": [1.0, 1.0]}):
        with pytest.raises((ValueError, RuntimeError)):
            ebmkit.sample(ctx, gaussian(), x, steps=2, **kwargs)
        assert np.all(x == 0.5)
    with pytest.raises(ValueError, match="sampler"):
        ebmkit.sample(ctx, gaussian(), x, sampler="gibbs")
    with pytest.raises(TypeError, match="shipped energy .* or a callable"):
        ebmkit.sample(ctx, "gaussian", x)
    with pytest.raises(ValueError):
        ebmkit.sample(ctx, gaussian(), np.zeros((3, 5), np.float32))


# A callable energy: the same Gaussian computed by the caller (NumPy returns E and its
# gradient; PyTorch may return E alone, its gradient then by autograd), ebmkit drawing
# the noise and momenta and taking the Metropolis tests.
PRECISION = np.linalg.inv(COV).astype(np.float32)


def numpy_gaussian(x):
    u = x - MEAN.astype(np.float32)
    g = (u @ PRECISION).astype(np.float32)
    return (0.5 * (u * g).sum(axis=1)).astype(np.float32), g


def callable_chains(seed, energy, x, sampler, step, temperature=1.0, burn_in=300, draws=300, **kw):
    ctx = ebmkit.Context("cpu", seed)
    ebmkit.sample(ctx, energy, x, sampler=sampler, step=step, steps=burn_in, temperature=temperature, **kw)
    return ebmkit.sample(ctx, energy, x, sampler=sampler, step=step, steps=draws, first_step=burn_in,
                         temperature=temperature, trace=True, **kw)


def test_a_numpy_callable_reaches_the_closed_forms(rng):
    x = np.zeros((512, 2), np.float32)
    mala = callable_chains(int(rng.integers(1 << 30)), numpy_gaussian, x, "mala", 0.2)
    assert 0.5 < mala["acceptance_rate"] < 1.0 and mala["trace"].shape == (300, 512, 2)
    check_moments(mala, MEAN, COV)
    hmc = callable_chains(int(rng.integers(1 << 30)), numpy_gaussian, np.zeros((512, 2), np.float32), "hmc", 0.25,
                          leapfrog=6, mass=[1.0, 2.0])
    check_moments(hmc, MEAN, COV)
    alpha, temperature = 0.3, 1.5
    p = np.linalg.inv(COV)
    ula = callable_chains(int(rng.integers(1 << 30)), numpy_gaussian, np.zeros((512, 2), np.float32), "ula", alpha,
                          temperature)
    assert ula["acceptance_rate"] == 1.0
    check_moments(ula, MEAN, temperature * np.linalg.inv(p - alpha / 2 * p @ p))


def test_a_callable_follows_the_shipped_energys_chains(rng):
    """The same energy, written by the caller: the same keys and rules, so the chains
    agree with the shipped energy's but for the rounding of the caller's arithmetic."""
    seed = int(rng.integers(1 << 30))
    start = rng.uniform(-1, 1, (200, 2)).astype(np.float32)
    for sampler in ("ula", "mala", "hmc"):
        a, b = start.copy(), start.copy()
        ebmkit.sample(ebmkit.Context("cpu", seed), gaussian(), a, sampler=sampler, step=0.1, steps=20)
        ebmkit.sample(ebmkit.Context("cpu", seed), numpy_gaussian, b, sampler=sampler, step=0.1, steps=20)
        close = np.all(np.abs(a - b) < 1e-3, axis=1)
        assert close.mean() > 0.97, (sampler, close.mean())


def test_a_callable_returning_the_wrong_thing_is_refused(ctx):
    x = np.zeros((4, 2), np.float32)
    with pytest.raises(TypeError, match="E, grad E"):
        ebmkit.sample(ctx, lambda v: v.sum(axis=1), x, steps=1)
    with pytest.raises(ValueError, match="grad E"):
        ebmkit.sample(ctx, lambda v: (v.sum(axis=1), v[:, :1].copy()), x, steps=1)
    with pytest.raises(ValueError, match="E of shape"):
        ebmkit.sample(ctx, lambda v: (v.sum(axis=1).astype(np.float64), v), x, steps=1)
    with pytest.raises(TypeError):
        ebmkit.sample(ctx, 3.0, x)


def test_a_torch_callable_takes_autograd_gradients(rng):
    torch = pytest.importorskip("torch")
    mean = torch.tensor(MEAN, dtype=torch.float32)
    precision = torch.from_numpy(PRECISION)

    def energy(v):
        u = v - mean
        return 0.5 * ((u @ precision) * u).sum(dim=1)

    x = torch.zeros(512, 2)
    stats = callable_chains(int(rng.integers(1 << 30)), energy, x, "mala", 0.2)
    assert x.dtype == torch.float32 and stats["trace"].shape == (300, 512, 2)
    check_moments(stats, MEAN, COV)


def laplace_mlp(a, b, c):
    """The MLP {1, 2, K} (ReLU) whose exp(-E) is a mixture of asymmetric Laplace densities:
    h = relu(x, -x), f_k = c_k - a_k relu(x) - b_k relu(-x), and the exact E[x], Var x
    of exp(-E) and of exp(-E(x | y)) = exp(f_y) for each class y."""
    model = ebmkit.MlpEnergy([1, 2, len(a)], "relu")
    model.weight(0)[:, 0] = [1.0, -1.0]
    model.weight(1)[:, 0] = -np.asarray(a)
    model.weight(1)[:, 1] = -np.asarray(b)
    model.bias(1)[:] = c
    ia, ib = 1 / np.asarray(a), 1 / np.asarray(b)
    m1 = (ia ** 2 - ib ** 2) / (ia + ib)
    m2 = 2 * (ia ** 3 + ib ** 3) / (ia + ib)
    w = np.exp(c) * (ia + ib)
    w = w / w.sum()
    mixture = ((w * m1).sum(), (w * m2).sum() - (w * m1).sum() ** 2)
    return model, mixture, list(zip(m1, m2 - m1 ** 2))


def test_an_mlp_energy_runs_in_every_sampler_to_its_closed_moments(rng):
    model, (mean, var), per_class = laplace_mlp([1.0, 2.0, 0.7], [1.5, 0.8, 2.5], [0.0, 0.5, -0.3])
    for sampler, step, label, (want_mean, want_var) in (("mala", 0.4, None, (mean, var)),
                                                        ("hmc", 0.4, None, (mean, var)),
                                                        ("mala", 0.4, 1, per_class[1])):
        ctx = ebmkit.Context("cpu", int(rng.integers(1 << 30)))
        x = np.zeros((256, 1), np.float32)
        kw = dict(sampler=sampler, step=step, leapfrog=5, label=label)
        ebmkit.sample(ctx, model, x, steps=200, **kw)
        stats = ebmkit.sample(ctx, model, x, steps=600, first_step=200, trace=True, **kw)
        assert 0.3 < stats["acceptance_rate"] < 1.0, (sampler, stats["acceptance_rate"])
        got = stats["trace"].mean()
        se = np.sqrt(want_var / stats["ess"][0])
        assert abs(got - want_mean) < 5 * se, (sampler, label, got, want_mean, se)
    with pytest.raises(ValueError, match="label 3 is outside"):
        ebmkit.sample(ebmkit.Context("cpu", 1), model, np.zeros((4, 1), np.float32), label=3)  # K = 3
    with pytest.raises(TypeError):
        ebmkit.sample(ebmkit.Context("cpu", 1), gaussian(), np.zeros((4, 2), np.float32), label=0)
