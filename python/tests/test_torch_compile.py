"""ebmkit's operations as PyTorch custom operators (ebmkit.torch_ops): torch.library.opcheck
on each (schema, fake implementation, autograd registration, AOT dispatch with dynamic
shapes), and torch.compile(fullgraph=True) of a JEM-style training step with no graph
break and the eager step's values and gradients. Needs torch.library.custom_op (PyTorch
2.4 or later); older PyTorch (Debian's 1.13, which CI installs) takes ebmkit.torch's
autograd.Function path, tested in test_torch.py, and this module skips saying so."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
if not hasattr(torch.library, "custom_op"):
    pytest.skip(f"PyTorch {torch.__version__} has no torch.library.custom_op (2.4 or later): ebmkit.torch uses "
                "its autograd.Function path there (test_torch.py)", allow_module_level=True)

import ebmkit  # noqa: E402
import ebmkit.torch as et  # noqa: E402

ops = torch.ops.ebmkit


@pytest.fixture
def module():
    return et.MlpEnergy([12, 16, 5], "elu", seed=3)


def test_every_operator_passes_opcheck(rng, module):
    x = torch.from_numpy(rng.uniform(-1, 1, (9, 12)).astype(np.float32)).requires_grad_()
    labels = torch.from_numpy(rng.integers(0, 5, 9).astype(np.int32))
    params = list(module.flat)
    noise = torch.from_numpy(rng.standard_normal((9, 12)).astype(np.float32))
    sigma = torch.full((9,), 0.3)
    cases = [
        (ops.logsumexp, (x,)),
        (ops.mlp_energy, (x, None, module._key, params)),
        (ops.mlp_energy, (x, labels, module._key, params)),
        (ops.mlp_logits, (x.detach(), module._key, params)),
        (ops.langevin, (x.detach(), module._key, params, 3, 1.0, 0.01, 0, -1.0, 1.0, None)),
        (ops.denoising_score_loss, (x.detach(), noise, sigma, module._key, params, "scaled_by_noise", True)),
        (ops.sliced_score_loss, (x.detach(), noise, module._key, params, False)),
    ]
    for op, args in cases:
        torch.library.opcheck(op, args)


def _step(module, data, start, labels):
    """JEM's loss on one batch: cross-entropy, the energy gap to SGLD samples, and a
    LogSumExp of the logits (E(x) again, through the stand-alone operator)."""
    samples = et.langevin(module, start, steps=5, first_step=7)
    logits = module.logits(data)
    ce = torch.nn.functional.cross_entropy(logits, labels.long())
    return ce + module(data).mean() - module(samples).mean() - et.logsumexp(logits).mean() * 0.1


def test_a_jem_step_compiles_whole_and_matches_eager(rng, module):
    data = torch.from_numpy(rng.uniform(-1, 1, (32, 12)).astype(np.float32))
    start = torch.from_numpy(rng.uniform(-1, 1, (32, 12)).astype(np.float32))
    labels = torch.from_numpy(rng.integers(0, 5, 32).astype(np.int32))

    explanation = torch._dynamo.explain(_step)(module, data, start, labels)
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1

    eager = _step(module, data, start, labels)
    eager.backward()
    eager_grads = [p.grad.clone() for p in module.flat]
    module.zero_grad()

    compiled = torch.compile(_step, fullgraph=True, backend="aot_eager")
    loss = compiled(module, data, start, labels)
    loss.backward()
    assert torch.allclose(loss, eager, rtol=1e-5, atol=1e-6)
    for got, want in zip((p.grad for p in module.flat), eager_grads):
        assert torch.allclose(got, want, rtol=1e-4, atol=1e-6)


def test_the_energys_gradient_to_x_compiles(rng, module):
    """grad_x E through the operator's autograd formula, compiled, against eager."""
    x = torch.from_numpy(rng.uniform(-1, 1, (20, 12)).astype(np.float32))

    total = torch.compile(lambda x: module(x).sum(), fullgraph=True, backend="aot_eager")
    x.requires_grad_()
    total(x).backward()
    want = ebmkit.energy_grad_x(module.ctx, module.model, x.detach().numpy())
    assert np.allclose(x.grad.numpy(), want, atol=1e-6)
