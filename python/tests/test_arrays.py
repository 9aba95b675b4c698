"""Arrays in and out: zero-copy, the caller's framework, refusals that name the argument."""
import numpy as np
import pytest

import ebmkit
from conftest import uniform


def test_outputs_are_the_buffers_passed_in(rng, ctx):
    x = uniform(rng, (9, 4))
    out = np.full(9, np.nan, np.float32)
    result = ebmkit.logsumexp(ctx, x, out=out)
    assert result is out
    assert result.ctypes.data == out.ctypes.data
    assert np.isfinite(out).all()


def test_parameters_are_views_of_the_model(ctx):
    model = ebmkit.MlpEnergy([3, 2], "relu")
    w, b = ebmkit.parameters(model)
    assert w.shape == (2, 3) and b.shape == (2,)
    w[...] = 0
    b[...] = [1.0, 2.0]
    x = np.zeros((1, 3), np.float32)
    assert np.allclose(ebmkit.logits(ctx, model, x), [[1.0, 2.0]])
    assert ebmkit.parameters(model)[1].ctypes.data == b.ctypes.data


def test_refusals_name_the_argument(rng, ctx):
    x = uniform(rng, (4, 6))
    with pytest.raises(TypeError, match="x: .*float32"):
        ebmkit.logsumexp(ctx, x.astype(np.float64))
    with pytest.raises(ValueError, match="x: .*C-contiguous"):
        ebmkit.logsumexp(ctx, x[:, ::2])
    with pytest.raises(ValueError, match="out"):
        ebmkit.logsumexp(ctx, x, out=np.empty(3, np.float32))
    with pytest.raises(ValueError, match="rank"):
        ebmkit.logsumexp(ctx, np.zeros((1, 1, 1, 1, 1), np.float32))
    model = ebmkit.MlpEnergy([6, 3], "elu")
    with pytest.raises(ValueError, match="labels"):
        ebmkit.energy(ctx, model, x, labels=np.array([0, 1, 2, 3], np.int32))  # 3 is not a class
    with pytest.raises(ValueError, match="backend"):
        ebmkit.Context("tpu")
    with pytest.raises(ValueError, match="activation"):
        ebmkit.MlpEnergy([2, 2], "swish")


def test_context_settings():
    ctx = ebmkit.Context("cpu", 3)
    assert (ctx.backend, ctx.device, ctx.seed) == ("cpu", "cpu", 3)
    ctx.precision = "bf16"
    ctx.mlp_path = "unfused"
    ctx.tile_plan = "clusters"
    assert (ctx.precision, ctx.mlp_path, ctx.tile_plan) == ("bf16", "unfused", "clusters")
    ctx.tile_plan = "grid"  # the fused Langevin chain's cooperative plan
    assert ctx.tile_plan == "grid"
    with pytest.raises(ValueError, match="tile_plan"):
        ctx.tile_plan = "blocks"
    with pytest.raises(ValueError, match="precision"):
        ctx.precision = "fp8"
    assert "ebmkit" in ebmkit.build_summary()
    with pytest.raises(ValueError, match="cpu context|without CUDA"):
        ctx.wait_for_stream(0)  # stream fences are for CUDA contexts
    with pytest.raises(ValueError, match="cpu context|without CUDA"):
        ctx.adopt_stream(0)
    ctx.reset_transfers()
    ebmkit.logsumexp(ctx, np.zeros((3, 2), np.float32))
    assert ctx.transfers() == (0, 0, 0)  # the CPU path copies, waits for and allocates nothing


def test_torch_arrays_come_back_as_torch(rng, ctx):
    torch = pytest.importorskip("torch")
    x = torch.from_numpy(uniform(rng, (5, 3)))
    lse = ebmkit.logsumexp(ctx, x)
    assert isinstance(lse, torch.Tensor)
    assert torch.allclose(lse, torch.logsumexp(x, 1), atol=1e-6)
    out = torch.empty(5)
    assert ebmkit.logsumexp(ctx, x, out=out).data_ptr() == out.data_ptr()
    with pytest.raises(ValueError, match="C-contiguous"):
        ebmkit.logsumexp(ctx, x.t())


def test_version_is_the_builds_and_the_packages():
    import pathlib
    import re
    assert re.fullmatch(r"\d+\.\d+\.\d+", ebmkit.__version__)
    assert ebmkit.build_summary().startswith(f"ebmkit {ebmkit.__version__} ")  # what ebm --version prints
    cmake = pathlib.Path(__file__).resolve().parents[2] / "CMakeLists.txt"
    if cmake.exists():  # the library's version, which the wheel's carries (tools/wheel_version.py)
        assert f"project(ebmkit VERSION {ebmkit.__version__} " in cmake.read_text()
