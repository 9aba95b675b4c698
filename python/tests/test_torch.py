"""ebmkit.torch: the autograd Functions against PyTorch's own autograd on a reference
in double, and a torch.optim step on the module's parameters changing the ebmkit model."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ebmkit  # noqa: E402
import ebmkit.torch as et  # noqa: E402


def reference_energy(x, params, activation, labels=None):
    act = {"tanh": torch.tanh, "elu": torch.nn.functional.elu}[activation]
    h = x
    for layer in range(0, len(params), 2):
        h = h @ params[layer].T + params[layer + 1]
        if layer + 2 < len(params):
            h = act(h)
    return -torch.logsumexp(h, 1) if labels is None else -h.gather(1, labels.long()[:, None])[:, 0]


def test_logsumexp_function_matches_torch(rng):
    x = torch.from_numpy(rng.uniform(-3, 3, (8, 5)).astype(np.float32)).requires_grad_()
    weights = torch.from_numpy(rng.uniform(-1, 1, 8).astype(np.float32))
    (et.logsumexp(x) * weights).sum().backward()
    x64 = x.detach().double().requires_grad_()
    (torch.logsumexp(x64, 1) * weights.double()).sum().backward()
    assert torch.allclose(x.grad.double(), x64.grad, atol=1e-6)


@pytest.mark.parametrize("conditional", [False, True])
def test_energy_gradients_to_input_and_every_parameter(rng, conditional):
    module = et.MlpEnergy([6, 8, 8, 4], "tanh", seed=int(rng.integers(1 << 30)))
    x = torch.from_numpy(rng.uniform(-1, 1, (7, 6)).astype(np.float32)).requires_grad_()
    labels = torch.from_numpy(rng.integers(0, 4, 7).astype(np.int32)) if conditional else None
    weights = torch.from_numpy(rng.uniform(-1, 1, 7).astype(np.float32))
    e = module(x, labels)
    (e * weights).sum().backward()
    params = [p.detach().double().requires_grad_() for p in module.flat]
    x64 = x.detach().double().requires_grad_()
    r = reference_energy(x64, params, "tanh", labels)
    (r * weights.double()).sum().backward()
    assert torch.allclose(e.double(), r, atol=1e-5)
    assert torch.allclose(x.grad.double(), x64.grad, atol=1e-5)
    for p, q in zip(module.flat, params):
        assert p.grad is not None and torch.allclose(p.grad.double(), q.grad, atol=1e-5)


def test_an_optimizer_step_changes_the_ebmkit_model(rng):
    module = et.MlpEnergy([4, 5, 3], "elu", seed=2)
    opt = torch.optim.SGD(module.parameters(), lr=0.1)
    x = torch.from_numpy(rng.uniform(-1, 1, (6, 4)).astype(np.float32))
    before = ebmkit.energy(module.ctx, module.model, x.numpy()).copy()
    module(x).mean().backward()
    opt.step()
    after = ebmkit.energy(module.ctx, module.model, x.numpy())
    assert after.mean() < before.mean()  # a gradient step down the mean energy
    assert np.array_equal(ebmkit.parameters(module.model)[0], module.flat[0].detach().numpy())


def test_langevin_lowers_the_energy(rng):
    module = et.MlpEnergy([4, 16, 3], "elu", seed=5)
    x = torch.from_numpy(rng.uniform(-1, 1, (32, 4)).astype(np.float32))
    y = et.langevin(module, x, steps=50, alpha=0.1, sigma=0.0)
    assert not y.requires_grad and y.shape == x.shape and (y.abs() <= 1).all()
    assert module(y).mean() < module(x).mean()


def test_logits_carry_parameter_gradients(rng):
    module = et.MlpEnergy([5, 7, 3], "tanh", seed=4)
    x = torch.from_numpy(rng.uniform(-1, 1, (6, 5)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 3, 6))
    torch.nn.functional.cross_entropy(module.logits(x), y).backward()
    params = [p.detach().double().requires_grad_() for p in module.flat]
    h = torch.tanh(x.double() @ params[0].T + params[1]) @ params[2].T + params[3]
    torch.nn.functional.cross_entropy(h, y).backward()
    for p, q in zip(module.flat, params):
        assert torch.allclose(p.grad.double(), q.grad, atol=1e-6)
    with pytest.raises(RuntimeError, match="no gradient to x"):
        module.logits(x.clone().requires_grad_()).sum().backward()


def test_examples_run(tmp_path):
    """The examples, on a few hundred images (the test's own IDX files)."""
    import gzip
    import os
    import subprocess
    import sys

    rng = np.random.default_rng(0)
    for split, n in (("train", 400), ("t10k", 200)):
        images = (rng.random((n, 784)) * 255).astype(np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        with gzip.open(tmp_path / f"{split}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0\0\x08\x03" + n.to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + images.tobytes())
        with gzip.open(tmp_path / f"{split}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0\0\x08\x01" + n.to_bytes(4, "big") + labels.tobytes())
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(root, "examples"), os.environ.get("PYTHONPATH", "")]))
    for script, extra in (("rbm_ais_numpy.py", ["--hidden", "20", "--ais-betas", "100", "--ais-runs", "10"]),
                          ("jem_torch.py", ["--sgld-steps", "2", "--buffer", "100", "--device", "cpu"])):
        run = subprocess.run([sys.executable, os.path.join(root, "examples", script), "--epochs", "1",
                              "--data", str(tmp_path), *extra], env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        assert "epoch 1" in run.stdout
