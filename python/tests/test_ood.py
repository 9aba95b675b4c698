"""Out-of-distribution metrics from Python (ebmkit.ood_metrics) against scikit-learn's
roc_auc_score, average_precision_score and roc_curve on random scores with ties (skipped
where scikit-learn is not installed), and the bootstrap interval around the estimate."""
import numpy as np
import pytest

import ebmkit


def test_the_metrics_are_scikit_learns(rng):
    metrics = pytest.importorskip("sklearn.metrics")
    for _ in range(10):
        a = np.round(rng.normal(1.0, 1.0, int(rng.integers(50, 300))), 1).astype(np.float32)
        b = np.round(rng.normal(0.0, 1.0, int(rng.integers(50, 300))), 1).astype(np.float32)
        m = ebmkit.ood_metrics(a, b, reps=0)
        scores = np.concatenate([a, b]).astype(np.float64)
        is_in = np.concatenate([np.ones(len(a)), np.zeros(len(b))])
        assert abs(m["auroc"][0] - metrics.roc_auc_score(is_in, scores)) < 1e-12
        assert abs(m["aupr_in"][0] - metrics.average_precision_score(is_in, scores)) < 1e-12
        assert abs(m["aupr_out"][0] - metrics.average_precision_score(1 - is_in, -scores)) < 1e-12
        fpr, tpr, _ = metrics.roc_curve(is_in, scores, drop_intermediate=False)
        assert abs(m["fpr_at_95_tpr"][0] - fpr[tpr >= 0.95].min()) < 1e-12


def test_intervals_cover_the_estimate_and_bad_input_is_refused(rng):
    a = rng.normal(1.0, 1.0, 400).astype(np.float32)
    b = rng.normal(0.0, 1.0, 400).astype(np.float32)
    m = ebmkit.ood_metrics(a, b, reps=200, seed=3)
    for value, low, high in m.values():
        assert low <= value <= high and low < high
    assert m == ebmkit.ood_metrics(a, b, reps=200, seed=3)
    with pytest.raises(ValueError, match="in_scores is empty"):
        ebmkit.ood_metrics(np.zeros(0, np.float32), b)
    with pytest.raises(TypeError, match="in_scores"):
        ebmkit.ood_metrics(a.astype(np.float64), b)
    with pytest.raises(ValueError, match="1-D float32"):
        ebmkit.ood_metrics(a.reshape(20, 20), b)


def test_jem_and_rbm_scores_are_their_definitions(rng):
    """-E(x) and max_y p(y | x) against NumPy computations of the model's logits; -F(v) of a zero RBM."""
    ctx = ebmkit.Context("cpu", 1)
    model = ebmkit.MlpEnergy([5, 8, 3], "tanh")
    model.init_uniform(2)
    x = rng.uniform(-1, 1, (40, 5)).astype(np.float32)
    s = ebmkit.jem_ood_scores(ctx, model, x)
    h = np.tanh(x.astype(np.float64) @ model.weight(0).T.astype(np.float64) + model.bias(0))
    f = h @ model.weight(1).T.astype(np.float64) + model.bias(1)
    lse = np.log(np.exp(f).sum(axis=1))
    assert np.allclose(s["log_density"], lse, rtol=1e-5, atol=1e-5)
    assert np.allclose(s["max_softmax"], np.exp(f.max(axis=1) - lse), rtol=1e-5, atol=1e-6)
    assert all(g <= 0 for g in s["neg_grad_norm"])
    rbm = ebmkit.Rbm(4, 3)
    assert np.allclose(ebmkit.rbm_ood_scores(ctx, rbm, np.ones((2, 4), np.float32)), 3 * np.log(2.0))


def test_roc_curve_area_is_sklearns_auroc(rng):
    roc_auc_score = pytest.importorskip("sklearn.metrics").roc_auc_score
    a = rng.integers(0, 30, 200).astype(np.float32)
    b = rng.integers(0, 25, 150).astype(np.float32)
    fpr, tpr = ebmkit.roc_curve(a, b)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    area = np.trapz(tpr, fpr)
    assert area == pytest.approx(roc_auc_score(np.r_[np.ones(200), np.zeros(150)], np.r_[a, b]), abs=1e-12)


def test_ood_sets_from_python(rng):
    images = rng.uniform(0, 1, (20, 12)).astype(np.float32)
    np.testing.assert_array_equal(ebmkit.make_ood_set("invert", images, 3, 4), 1 - images)
    flipped = ebmkit.make_ood_set("flip", images, 3, 4)
    np.testing.assert_array_equal(flipped.reshape(20, 3, 4), images.reshape(20, 3, 4)[:, ::-1])
    assert np.array_equal(ebmkit.make_ood_set("uniform", images, 3, 4, seed=5),
                          ebmkit.make_ood_set("uniform", images, 3, 4, seed=5))
    with pytest.raises(ValueError, match="none of"):
        ebmkit.make_ood_set("sideways", images, 3, 4)


def test_inpainting_from_python(rng, ctx):
    """A clamped Gibbs chain never changes an observed pixel; the metrics over the missing ones."""
    mask = ebmkit.make_mask("box", 10, 4, 4)
    assert mask.shape == (10, 16) and (mask.reshape(10, 4, 4)[:, 1:3, 1:3] == 0).all() and mask.sum() == 10 * 12
    rbm = ebmkit.Rbm(16, 5)
    rbm.init_normal(3, 1.0)
    v = rng.integers(0, 2, (10, 16)).astype(np.float32)
    start = v.copy()
    h = np.zeros((10, 5), dtype=np.float32)
    ebmkit.gibbs_chain(ctx, rbm, v, h, 0, 20, clamp=mask)
    np.testing.assert_array_equal(v[mask == 1], start[mask == 1])
    e = ebmkit.restoration_error(v, start, mask)
    assert e["missing"] == 40 and e["mse"] == pytest.approx(((v - start)[mask == 0] ** 2).mean())


def test_a_visible_field_from_python(rng, ctx):
    """gibbs_chain's field: zero is the unconditioned chain bit for bit; a field of +-30
    (a certain observation) sets the unit; with a clamp too, the clamp wins."""
    rbm = ebmkit.Rbm(12, 4)
    rbm.init_normal(5, 1.0)
    start = rng.integers(0, 2, (20, 12)).astype(np.float32)
    h = np.zeros((20, 4), dtype=np.float32)
    plain, with_zero = start.copy(), start.copy()
    ebmkit.gibbs_chain(ctx, rbm, plain, h, 3, 10)
    ebmkit.gibbs_chain(ctx, rbm, with_zero, h, 3, 10, field=np.zeros_like(start))
    np.testing.assert_array_equal(plain, with_zero)
    field = np.zeros_like(start)
    field[:, :4], field[:, 4:8] = 30.0, -30.0
    v = start.copy()
    ebmkit.gibbs_chain(ctx, rbm, v, h, 3, 10, field=field)
    assert (v[:, :4] == 1).all() and (v[:, 4:8] == 0).all()
    clamp = np.zeros_like(start)
    clamp[:, :2] = 1.0
    v = start.copy()
    ebmkit.gibbs_chain(ctx, rbm, v, h, 3, 10, clamp=clamp, field=field)
    np.testing.assert_array_equal(v[:, :2], start[:, :2])
    assert (v[:, 2:4] == 1).all()
    with pytest.raises(ValueError, match="field"):
        ebmkit.gibbs_chain(ctx, rbm, start.copy(), h, 0, 1, field=np.zeros((20, 11), np.float32))


def test_a_clamped_langevin_chain_from_python(rng, ctx):
    """langevin_chain's clamp: clamped coordinates keep their values; a clamp of zeros is
    the unclamped chain bit for bit; MALA and traces are refused."""
    model = ebmkit.MlpEnergy([10, 16, 3], "elu")
    model.init_uniform(2)
    p = ebmkit.LangevinParams()
    p.clamp, p.sigma = True, 0.05
    start = rng.uniform(-1, 1, (8, 10)).astype(np.float32)
    plain, zero = start.copy(), start.copy()
    ebmkit.langevin_chain(ctx, model, plain, p, 4, 6)
    ebmkit.langevin_chain(ctx, model, zero, p, 4, 6, clamp=np.zeros_like(start))
    np.testing.assert_array_equal(plain, zero)
    clamp = (rng.random((8, 10)) < 0.5).astype(np.float32)
    x = start.copy()
    ebmkit.langevin_chain(ctx, model, x, p, 4, 6, clamp=clamp)
    np.testing.assert_array_equal(x[clamp == 1], start[clamp == 1])
    assert (x[clamp == 0] != start[clamp == 0]).all()
    with pytest.raises(ValueError, match="trace"):
        ebmkit.langevin_chain(ctx, model, x, p, 0, 1, trace=True, clamp=clamp)
    p.mala = True
    with pytest.raises(ValueError, match="MALA|mala"):
        ebmkit.langevin_chain(ctx, model, x, p, 0, 1, clamp=clamp)
