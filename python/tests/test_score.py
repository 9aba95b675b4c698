"""Score matching from Python: ebmkit's losses and parameter gradients against PyTorch's
double backward (create_graph=True) in float64, for every activation and for batch
sizes that are and are not multiples of a tile; the ebmkit.torch path's gradient
reaching the module's parameters; the trainer, annealed Langevin and Tweedie's step."""
import numpy as np
import pytest

import ebmkit

torch = pytest.importorskip("torch")
import ebmkit.torch as et  # noqa: E402

ACTIVATIONS = {
    "relu": torch.relu,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
    "elu": torch.nn.functional.elu,
    "silu": torch.nn.functional.silu,
    "tanh": torch.tanh,
    "softplus": torch.nn.functional.softplus,
}


def torch_energy(x, params, activation):
    h = x
    for layer in range(0, len(params), 2):
        h = h @ params[layer].T + params[layer + 1]
        if layer + 2 < len(params):
            h = ACTIVATIONS[activation](h)
    return -torch.logsumexp(h, 1)


def model_and_params(rng, widths, activation):
    model = ebmkit.MlpEnergy(widths, activation)
    model.init_uniform(int(rng.integers(1 << 30)))
    params = [torch.from_numpy(np.array(p)).double().requires_grad_() for p in ebmkit.parameters(model)]
    return model, params


def flat_gradient(grad):
    return np.concatenate([np.array(p).ravel() for p in ebmkit.parameters(grad)])


def torch_flat(grads):
    return np.concatenate([g.detach().numpy().ravel() for g in grads])


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("rows", [1, 16, 19])
@pytest.mark.parametrize("conditioning,weighted", [("none", False), ("scaled_by_noise", True)])
def test_denoising_gradient_is_torch_double_backward(rng, ctx, activation, rows, conditioning, weighted):
    model, params = model_and_params(rng, [5, 12, 9, 3], activation)
    x = rng.uniform(-1, 1, (rows, 5)).astype(np.float32)
    noise = rng.standard_normal((rows, 5)).astype(np.float32)
    sigma = rng.uniform(0.05, 1.0, rows).astype(np.float32)
    loss, grad = ebmkit.denoising_score_gradient(ctx, model, x, noise, sigma, conditioning, weighted)

    # ebmkit perturbs in float32: the same x~ in double.
    noisy = torch.from_numpy((x + sigma[:, None] * noise).astype(np.float32)).double().requires_grad_()
    s64, e64 = torch.from_numpy(sigma).double(), torch.from_numpy(noise).double()
    g = torch.autograd.grad(torch_energy(noisy, params, activation).sum(), noisy, create_graph=True)[0]
    c = s64[:, None] if conditioning == "scaled_by_noise" else 1.0
    w = s64 ** 2 if weighted else torch.ones_like(s64)
    reference = (w / 2 * ((-g / c + e64 / s64[:, None]) ** 2).sum(1)).mean()
    want = torch.autograd.grad(reference, params)
    assert loss == pytest.approx(reference.item(), rel=1e-5, abs=1e-6)
    np.testing.assert_allclose(flat_gradient(grad), torch_flat(want), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("rows", [3, 16])
@pytest.mark.parametrize("variance_reduced", [False, True])
def test_sliced_gradient_is_torch_double_backward(rng, ctx, activation, rows, variance_reduced):
    model, params = model_and_params(rng, [4, 10, 2], activation)
    x = rng.uniform(-1, 1, (rows, 4)).astype(np.float32)
    v = rng.choice([-1.0, 1.0], (rows, 4)).astype(np.float32)
    loss, grad = ebmkit.sliced_score_gradient(ctx, model, x, v, variance_reduced)

    x64 = torch.from_numpy(x).double().requires_grad_()
    v64 = torch.from_numpy(v).double()
    g = torch.autograd.grad(torch_energy(x64, params, activation).sum(), x64, create_graph=True)[0]
    vg = (v64 * g).sum(1)
    hv = torch.autograd.grad(vg.sum(), x64, create_graph=True)[0]
    second = 0.5 * (g ** 2).sum(1) if variance_reduced else 0.5 * vg ** 2
    reference = (-(v64 * hv).sum(1) + second).mean()
    want = torch.autograd.grad(reference, params)
    assert loss == pytest.approx(reference.item(), rel=1e-5, abs=1e-6)
    np.testing.assert_allclose(flat_gradient(grad), torch_flat(want), rtol=1e-4, atol=1e-5)


def test_torch_path_gradient_reaches_the_parameters(rng):
    module = et.MlpEnergy([3, 8, 1], "softplus", seed=int(rng.integers(1 << 30)))
    x = torch.from_numpy(rng.uniform(-1, 1, (6, 3)).astype(np.float32))
    noise = torch.from_numpy(rng.standard_normal((6, 3)).astype(np.float32))
    sigma = torch.full((6,), 0.3)
    loss = et.denoising_score_loss(module, x, noise, sigma, "scaled_by_noise", True)
    (2.0 * loss).backward()
    _, grad = ebmkit.denoising_score_gradient(module.ctx, module.model, x.numpy(), noise.numpy(), sigma.numpy(),
                                              "scaled_by_noise", True)
    got = np.concatenate([p.grad.numpy().ravel() for p in module.flat])
    np.testing.assert_allclose(got, 2.0 * flat_gradient(grad), rtol=1e-6)
    before = module.flat[0].detach().clone()
    torch.optim.SGD(module.parameters(), lr=0.1).step()
    assert not torch.equal(before, torch.from_numpy(np.array(ebmkit.parameters(module.model)[0])))
    v = torch.from_numpy(rng.choice([-1.0, 1.0], (6, 3)).astype(np.float32))
    assert torch.isfinite(et.sliced_score_loss(module, x, v, True))


def test_trainer_fits_a_gaussian_and_checks_its_ladder(rng, ctx):
    data = (0.5 * rng.standard_normal((1024, 2)) + 0.3).astype(np.float32)
    model = ebmkit.MlpEnergy([2, 16, 1], "softplus")
    model.init_uniform(3)
    o = ebmkit.ScoreTrainOptions()
    o.batch, o.loss, o.lr, o.sigmas = 128, "ssm_vr", 1e-2, [0.5]
    trainer = ebmkit.ScoreTrainer(ctx, model, o)
    first = trainer.evaluate(data)
    for _ in range(5):
        trainer.train_epoch(data)
    assert trainer.iterations == 40
    assert trainer.evaluate(data) < first
    o.sigmas = [0.1, 0.2]
    with pytest.raises(Exception, match="sigmas must decrease"):
        ebmkit.ScoreTrainer(ctx, model, o)
    with pytest.raises(ValueError, match="conditioning"):
        o.conditioning = "sideways"


def test_annealed_langevin_and_tweedie_move_along_the_score(rng, ctx):
    # E(x) = -(w . x + b): the score is w everywhere, so every step moves x along w.
    model = ebmkit.MlpEnergy([2, 1], "relu")
    ebmkit.parameters(model)[0][:] = np.array([[1.0, -2.0]], dtype=np.float32)
    x = np.zeros((4, 2), dtype=np.float32)
    ebmkit.tweedie_denoise(ctx, model, x, 0.5, "none")
    np.testing.assert_allclose(x, np.tile([[0.25, -0.5]], (4, 1)), rtol=1e-6)
    y = np.zeros((2000, 2), dtype=np.float32)
    ebmkit.annealed_langevin(ctx, model, y, ebmkit.geometric_ladder(1.0, 0.1, 3), epsilon=1e-3, steps_per_level=10,
                             denoise=False, conditioning="none")
    # Mean move: sum_i T a_i / 2 w with a_i = eps sigma_i^2 / sigma_L^2 = 0.1, 0.01, 0.001.
    shift = 10 * (0.1 + 0.01 + 0.001) / 2
    sd = np.sqrt(10 * (0.1 + 0.01 + 0.001) / 2000)
    np.testing.assert_allclose(y.mean(0), [shift, -2 * shift], atol=5 * sd)
