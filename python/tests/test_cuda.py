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


def test_sliced_score_on_cuda_matches_the_cpu(rng):
    cpu, gpu = ebmkit.Context("cpu", 3), ebmkit.Context("cuda", 3)
    host = ebmkit.MlpEnergy([12, 40, 3], "silu")
    host.init_uniform(5)
    device = host.to("cuda")
    x = rng.uniform(-1, 1, (37, 12)).astype(np.float32)
    v = rng.choice([-1.0, 1.0], (37, 12)).astype(np.float32)
    like = torch.zeros(1, device="cuda")
    for reduced in (False, True):
        loss_c, g_c = ebmkit.sliced_score_gradient(cpu, host, x, v, reduced)
        loss_g, g_g = ebmkit.sliced_score_gradient(gpu, device, torch.from_numpy(x).cuda(), torch.from_numpy(v).cuda(),
                                                   reduced)
        assert loss_g == pytest.approx(loss_c, rel=1e-4, abs=1e-5)
        for a, b in zip(ebmkit.parameters(g_c), ebmkit.parameters(g_g, like=like)):
            assert np.allclose(a, b.cpu().numpy(), atol=1e-4 * max(1.0, np.abs(a).max()))


def test_torch_module_on_cuda(rng):
    import ebmkit.torch as et

    module = et.MlpEnergy([8, 32, 4], "elu", seed=2, device="cuda")
    ref = et.MlpEnergy([8, 32, 4], "elu", seed=2, device="cpu")
    x = torch.from_numpy(rng.uniform(-1, 1, (64, 8)).astype(np.float32))
    module(x.cuda()).sum().backward()
    ref(x).sum().backward()
    for a, b in zip(module.flat, ref.flat):
        assert torch.allclose(a.grad.cpu(), b.grad, atol=1e-4)


def test_calls_follow_torchs_current_stream_without_host_waits(rng):
    """On a side stream kept busy by a spin, x is written, ebmkit reads it and torch reads
    ebmkit's output: unfenced, ebmkit would read x before it is written, or torch the
    output before ebmkit writes it. No host wait is made for it."""
    import ebmkit.torch as et

    gpu = ebmkit.Context("cuda", 3)
    host = ebmkit.MlpEnergy([784, 256, 256, 10], "elu")
    host.init_uniform(1)
    model = host.to("cuda")
    ebmkit.energy(gpu, model, torch.zeros(4096, 784, device="cuda"))  # workspace sized once, outside the count
    torch.cuda.synchronize()
    side = torch.cuda.Stream()
    gpu.reset_transfers()
    with torch.cuda.stream(side):
        x = torch.empty(4096, 784, device="cuda")
        torch.cuda._sleep(200_000_000)
        x.uniform_(-1, 1)
        e = ebmkit.energy(gpu, model, x)
        e_copy = e * 1.0
    assert gpu.transfers()[1] == 0
    side.synchronize()
    reference = ebmkit.energy(ebmkit.Context("cpu"), host, x.cpu().numpy())
    assert np.allclose(e_copy.cpu().numpy(), reference, atol=1e-4)

    module = et.MlpEnergy([8, 32, 4], "elu", seed=2, device="cuda")
    ref = et.MlpEnergy([8, 32, 4], "elu", seed=2, device="cpu")
    xs = torch.from_numpy(rng.uniform(-1, 1, (64, 8)).astype(np.float32))
    with torch.cuda.stream(side):
        xd = xs.to("cuda", non_blocking=True)
        torch.cuda._sleep(100_000_000)
        module(xd).sum().backward()
    side.synchronize()
    ref(xs).sum().backward()
    for a, b in zip(module.flat, ref.flat):
        assert torch.allclose(a.grad.cpu(), b.grad, atol=1e-4)


def test_a_context_adopts_torchs_stream_and_needs_no_fence(rng):
    """Context.adopt_stream: ebmkit's work queues on torch's side stream itself, in order
    with torch's work there; ebmkit.torch's own contexts follow torch's current stream."""
    import ebmkit.torch as et

    gpu = ebmkit.Context("cuda", 3)
    host = ebmkit.MlpEnergy([784, 256, 10], "elu")
    host.init_uniform(1)
    model = host.to("cuda")
    side = torch.cuda.Stream()
    gpu.adopt_stream(side.cuda_stream)
    assert gpu.stream == side.cuda_stream
    with torch.cuda.stream(side):
        x = torch.empty(4096, 784, device="cuda")
        torch.cuda._sleep(200_000_000)
        x.uniform_(-1, 1)
        e = ebmkit.energy(gpu, model, x)  # no fence: the same stream
        e_copy = e * 1.0
    side.synchronize()
    reference = ebmkit.energy(ebmkit.Context("cpu"), host, x.cpu().numpy())
    assert np.allclose(e_copy.cpu().numpy(), reference, atol=1e-4)

    module = et.MlpEnergy([8, 32, 4], "elu", seed=2, device="cuda")
    xs = torch.from_numpy(rng.uniform(-1, 1, (64, 8)).astype(np.float32)).cuda()
    with torch.cuda.stream(side):
        module(xs).sum().backward()
        assert module.ctx.stream == side.cuda_stream
    module(xs)
    assert module.ctx.stream == torch.cuda.current_stream().cuda_stream  # back on the default stream
    torch.cuda.synchronize()


def test_shipped_energies_sample_on_cuda_tensors():
    gpu = ebmkit.Context("cuda", 5)
    energy = ebmkit.BananaEnergy(1.0, 0.5)
    x = torch.zeros(4096, 2, device="cuda")
    ebmkit.sample(gpu, energy, x, sampler="hmc", step=0.15, leapfrog=10, steps=200)
    stats = ebmkit.sample(gpu, energy, x, sampler="hmc", step=0.15, leapfrog=10, steps=200, first_step=200, trace=True)
    assert x.is_cuda and stats["acceptance_rate"] > 0.8
    mean = stats["trace"].reshape(-1, 2).mean(axis=0)
    for i, var in enumerate((1.0, 1.5)):  # var x_1 = 1 + 2 b^2 s^4
        assert abs(mean[i]) < 5 * np.sqrt(var / stats["ess"][i])


def test_a_torch_callable_samples_on_the_callers_stream():
    """A PyTorch energy on CUDA tensors: autograd gradients, ebmkit's noise and tests on
    the caller's stream (a side stream here), the chains reaching the Gaussian's mean."""
    gpu = ebmkit.Context("cuda", 9)
    mean = torch.tensor([1.0, -1.0], device="cuda")
    precision = torch.linalg.inv(torch.tensor([[1.0, 0.6], [0.6, 2.0]], device="cuda"))

    def energy(v):
        u = v - mean
        return 0.5 * ((u @ precision) * u).sum(dim=1)

    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        x = torch.zeros(4096, 2, device="cuda")
        ebmkit.sample(gpu, energy, x, sampler="mala", step=0.2, steps=200)
        stats = ebmkit.sample(gpu, energy, x, sampler="mala", step=0.2, steps=200, first_step=200, trace=True)
    m = stats["trace"].reshape(-1, 2).mean(axis=0)
    for i, var in enumerate((1.0, 2.0)):
        assert abs(m[i] - (1.0, -1.0)[i]) < 5 * np.sqrt(var / stats["ess"][i])
