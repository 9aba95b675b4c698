"""The samplers for any energy from Python (ebmkit.sample) against closed forms: MALA and
HMC on a correlated Gaussian reach its mean and covariance, ULA reaches the discretised
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
    with pytest.raises(TypeError, match="shipped"):
        ebmkit.sample(ctx, lambda v: v, x)
    with pytest.raises(ValueError):
        ebmkit.sample(ctx, gaussian(), np.zeros((3, 5), np.float32))
