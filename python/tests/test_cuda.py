"""The CUDA backend from PyTorch: CUDA tensors in and out without copies, results
against the CPU path, a host array refused by a CUDA context. Skips without a GPU
(tools/gpu-run.sh python runs it on one)."""
import numpy as np
import pytest

import ebmkit

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not (ebmkit.cuda_available() and torch.cuda.is_available()),
                                reason="no CUDA device (ebmkit's or torch's)")


def test_cuda_tensors_in_and_out(rng):
    cpu, gpu = ebmkit.Context("cpu", 3), ebmkit.Context("cuda", 3)
    x = rng.uniform(-1, 1, (300, 20)).astype(np.float32)
    xg = torch.from_numpy(x).cuda()
    out = torch.empty(300, device="cuda")
    lse = ebmkit.logsumexp(gpu, xg, out=out)
    assert lse.data_ptr() == out.data_ptr() and lse.is_cuda
    assert np.allclose(lse.cpu().numpy(), ebmkit.logsumexp(cpu, x), atol=1e-5)
    with pytest.raises(ValueError, match="x"):
        ebmkit.logsumexp(gpu, x)  # a host array on a CUDA context


def test_mlp_on_cuda_matches_the_cpu(rng):
    cpu, gpu = ebmkit.Context("cpu", 3), ebmkit.Context("cuda", 3)
    host = ebmkit.MlpEnergy([20, 64, 10], "elu")
    host.init_uniform(4)
    device = host.to("cuda")
    x = rng.uniform(-1, 1, (300, 20)).astype(np.float32)
    xg = torch.from_numpy(x).cuda()
    assert np.allclose(ebmkit.energy(gpu, device, xg).cpu().numpy(), ebmkit.energy(cpu, host, x), atol=1e-4)
    assert np.allclose(ebmkit.energy_grad_x(gpu, device, xg).cpu().numpy(), ebmkit.energy_grad_x(cpu, host, x),
                       atol=1e-4)
    dlogits = rng.uniform(-1, 1, (300, 10)).astype(np.float32)
    g_host = ebmkit.param_grad(cpu, host, x, dlogits)
    g_dev = ebmkit.param_grad(gpu, device, xg, torch.from_numpy(dlogits).cuda())
    like = torch.zeros(1, device="cuda")
    for a, b in zip(ebmkit.parameters(g_host), ebmkit.parameters(g_dev, like=like)):
        assert np.allclose(a, b.cpu().numpy(), atol=1e-3 * max(1.0, np.abs(a).max()))


def test_torch_module_on_cuda(rng):
    import ebmkit.torch as et

    module = et.MlpEnergy([8, 32, 4], "elu", seed=2, device="cuda")
    ref = et.MlpEnergy([8, 32, 4], "elu", seed=2, device="cpu")
    x = torch.from_numpy(rng.uniform(-1, 1, (64, 8)).astype(np.float32))
    module(x.cuda()).sum().backward()
    ref(x).sum().backward()
    for a, b in zip(module.flat, ref.flat):
        assert torch.allclose(a.grad.cpu(), b.grad, atol=1e-4)
