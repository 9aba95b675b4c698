"""ebmkit from Python: energy-based-model kernels on NumPy, PyTorch and CuPy arrays.

Arrays go in without a copy (DLPack); outputs are written into arrays of the
caller's framework and device, allocated here when not passed as ``out=``. The
array must be float32 (int32 for labels), C-contiguous, on the context's device;
anything else raises TypeError or ValueError naming the argument.
"""
from . import _ebmkit as _ext
from ._ebmkit import __version__
from ._ebmkit import (BananaEnergy, Context, DoubleWellEnergy, GaussianEnergy, GaussianMixtureEnergy, JemTrainer,
                      JemTrainOptions, LangevinParams, LangevinSampler, MlpEnergy, Optimizer, OptimizerOptions,
                      ParallelTempering, Rbm, RbmTrainer, RbmTrainOptions, ReplayBuffer, SampleParams, SamplerOptions,
                      build_summary, cuda_available, effective_sample_size, geometric_betas, jem_ood_scores, ood_metrics,
                      rbm_ood_scores, sample_accept,
                      sample_momentum, sample_propose, split_r_hat, ScoreTrainer, ScoreTrainOptions, geometric_ladder,
                      make_ood_set, roc_curve, make_mask, restoration_error)

__all__ = [
    "__version__",
    "Context", "MlpEnergy", "Rbm", "LangevinParams", "LangevinSampler", "SamplerOptions",
    "ReplayBuffer", "ParallelTempering", "geometric_betas", "Optimizer", "OptimizerOptions",
    "langevin_chain", "RbmTrainer", "RbmTrainOptions", "JemTrainer", "JemTrainOptions",
    "build_summary", "cuda_available", "logsumexp", "logsumexp_backward", "logits", "energy",
    "energy_grad_x", "param_grad", "parameters", "rbm_hidden_probs", "rbm_visible_probs",
    "gibbs_chain", "free_energy", "cd_gradient", "rbm_gradient", "log_partition_exact",
    "log_partition_ais", "log_likelihood_raise", "pseudo_log_likelihood", "save_safetensors",
    "load_safetensors", "sample", "SampleParams", "GaussianEnergy", "GaussianMixtureEnergy", "DoubleWellEnergy",
    "BananaEnergy", "effective_sample_size", "split_r_hat", "sample_propose", "sample_momentum", "sample_accept",
    "ood_metrics", "jem_ood_scores", "rbm_ood_scores", "denoising_score_gradient", "denoising_score_loss",
    "sliced_score_gradient", "sliced_score_loss", "annealed_langevin", "tweedie_denoise", "geometric_ladder",
    "ScoreTrainer", "ScoreTrainOptions", "make_ood_set", "roc_curve", "make_mask", "restoration_error",
]


def _framework(a):
    return type(a).__module__.split(".")[0]


def _ordered(fn):
    """Orders a call on CUDA arrays with the caller's framework, without a host wait:
    ebmkit's work waits for what the framework's current stream has queued, and that
    stream waits for ebmkit's work after (Context.wait_for_stream / make_stream_wait).
    A call on ebmkit's own objects only (log_partition_exact, say) needs no fence."""
    import functools

    @functools.wraps(fn)
    def call(ctx, *args, **kwargs):
        stream = _caller_stream(args) if ctx.device == "cuda" else None
        if stream is not None and ctx.stream == stream:
            stream = None  # the context runs on the caller's stream (Context.adopt_stream): no fence
        if stream is not None:
            ctx.wait_for_stream(stream)
        result = fn(ctx, *args, **kwargs)
        if stream is not None:
            ctx.make_stream_wait(stream)
        return result

    return call


def _caller_stream(args):
    """The current stream (a cudaStream_t as an int) of the first CUDA array's framework."""
    for a in args:
        framework = _framework(a)
        if framework == "torch" and a.is_cuda:
            import torch
            return torch.cuda.current_stream(a.device).cuda_stream
        if framework == "cupy":
            import cupy
            return cupy.cuda.get_current_stream().ptr
    return None


def _empty(like, shape, dtype="float32"):
    """An uninitialised array of shape in like's framework and on its device."""
    framework = _framework(like)
    if framework == "torch":
        import torch
        return torch.empty(shape, dtype=getattr(torch, dtype), device=like.device)
    if framework == "cupy":
        import cupy
        return cupy.empty(shape, dtype=dtype)
    import numpy
    return numpy.empty(shape, dtype=dtype)


def _as(like, exported):
    """ebmkit's memory (a NumPy array on the host, a __dlpack__ array on a device) as
    an array of like's framework, no copy."""
    framework = _framework(like) if like is not None else _framework(exported)
    if framework == _framework(exported):
        return exported
    if framework == "torch":
        import torch
        return torch.from_dlpack(exported)
    if framework == "cupy":
        import cupy
        return cupy.from_dlpack(exported)
    import numpy
    return numpy.from_dlpack(exported)


@_ordered
def logsumexp(ctx, x, out=None):
    """Row-wise log-sum-exp of x [N, K] into out [N]."""
    out = _empty(x, (x.shape[0],)) if out is None else out
    _ext.logsumexp(ctx, x, out)
    return out


@_ordered
def logsumexp_backward(ctx, x, lse, dlse, out=None):
    """d L / d x [N, K] from d L / d lse [N]."""
    out = _empty(x, tuple(x.shape)) if out is None else out
    _ext.logsumexp_backward(ctx, x, lse, dlse, out)
    return out


@_ordered
def logits(ctx, model, x, out=None):
    """f(x) [N, K]."""
    out = _empty(x, (x.shape[0], model.widths[-1])) if out is None else out
    _ext.mlp_logits(ctx, model, x, out)
    return out


@_ordered
def energy(ctx, model, x, labels=None, out=None):
    """E(x) = -logsumexp f(x), or E(x, y) = -f(x)[y] given int32 labels [N]; [N]."""
    out = _empty(x, (x.shape[0],)) if out is None else out
    if labels is None:
        _ext.energy(ctx, model, x, out)
    else:
        _ext.energy_y(ctx, model, x, labels, out)
    return out


@_ordered
def energy_grad_x(ctx, model, x, labels=None, out=None):
    """grad_x E(x) (or of E(x, y)) [N, D]; the score is its negative."""
    out = _empty(x, tuple(x.shape)) if out is None else out
    if labels is None:
        _ext.energy_grad_x(ctx, model, x, out)
    else:
        _ext.energy_grad_x_y(ctx, model, x, labels, out)
    return out


@_ordered
def param_grad(ctx, model, x, dlogits, grad=None, accumulate=False):
    """The gradient of L = sum_r l_r(f(x_r)) for every parameter, given dlogits = dL/df:
    an MlpEnergy of the model's shapes (grad, overwritten or added to)."""
    grad = model.zeros_like() if grad is None else grad
    _ext.param_grad(ctx, model, x, dlogits, grad, accumulate)
    return grad


@_ordered
def denoising_score_gradient(ctx, model, x, noise, sigma, conditioning="none", sigma_squared_weight=False, grad=None):
    """Denoising score matching's mean loss over the rows of x [N, D], each perturbed by its
    noise level sigma [N] times its normal draw noise [N, D], and its parameter gradient
    (grad, an MlpEnergy of the model's shapes, overwritten): (loss, grad).
    l = w / 2 |s(x + sigma eps, sigma) + eps / sigma|^2, s = -grad_x E, s(x, sigma) = s(x) / sigma
    with conditioning "scaled_by_noise", w = sigma^2 with sigma_squared_weight."""
    grad = model.zeros_like() if grad is None else grad
    loss = _ext.denoising_score_gradient(ctx, model, x, noise, sigma, conditioning, sigma_squared_weight, grad)
    return loss, grad


@_ordered
def denoising_score_loss(ctx, model, x, noise, sigma, conditioning="none", sigma_squared_weight=False):
    """denoising_score_gradient's loss alone."""
    return _ext.denoising_score_loss(ctx, model, x, noise, sigma, conditioning, sigma_squared_weight)


@_ordered
def sliced_score_gradient(ctx, model, x, projections, variance_reduced=False, grad=None):
    """Sliced score matching's mean loss over the rows of x [N, D] with a projection v [N, D]
    per row, l = v^T grad_x s v + 1/2 (v . s)^2 (variance-reduced: + 1/2 |s|^2), and its
    parameter gradient: (loss, grad)."""
    grad = model.zeros_like() if grad is None else grad
    loss = _ext.sliced_score_gradient(ctx, model, x, projections, variance_reduced, grad)
    return loss, grad


@_ordered
def sliced_score_loss(ctx, model, x, projections, variance_reduced=False):
    """sliced_score_gradient's loss alone."""
    return _ext.sliced_score_loss(ctx, model, x, projections, variance_reduced)


@_ordered
def annealed_langevin(ctx, model, x, sigmas, epsilon=2e-5, steps_per_level=100, denoise=True,
                      conditioning="scaled_by_noise", first_chain=0, first_step=0):
    """Song & Ermon's annealed Langevin dynamics on the rows of x [N, D] in place: at each
    level sigma_i, steps_per_level steps x <- x + a_i / 2 s(x, sigma_i) + sqrt(a_i) z with
    a_i = epsilon sigma_i^2 / sigma_L^2, then (denoise) Tweedie's x + sigma_L^2 s(x, sigma_L)."""
    _ext.annealed_langevin(ctx, model, x, list(sigmas), epsilon, steps_per_level, denoise, conditioning, first_chain,
                           first_step)
    return x


@_ordered
def tweedie_denoise(ctx, model, x, sigma, conditioning="scaled_by_noise"):
    """Tweedie's step x <- x + sigma^2 s(x, sigma) on the rows of x [N, D] in place."""
    _ext.tweedie_denoise(ctx, model, x, sigma, conditioning)
    return x


def parameters(model, like=None):
    """The model's parameters in order (weight 0, bias 0, weight 1, ...), as views of
    its memory in like's framework (NumPy by default): writing them changes the model."""
    out = []
    for layer in range(model.num_layers):
        out += [_as(like, model.weight(layer)), _as(like, model.bias(layer))]
    return out


@_ordered
def langevin_chain(ctx, model, x, params, first_step, steps, labels=None, trace=False, clamp=None):
    """steps Langevin (MALA with params.mala) steps on the chains x [N, D] in place, on
    E(x), or on E(x, y) given int32 labels; ebmkit's Philox noise (on a GPU one step
    replayed as a CUDA graph; all steps in one fused kernel where ctx.mlp_path is
    "fused" and the model fits). clamp [N, D] (float32, optional; inpainting): where
    nonzero the coordinate keeps its value, the draws keyed as the unclamped chain's
    (unadjusted steps only, no trace). Returns the acceptance statistics."""
    if clamp is not None:
        if trace:
            raise ValueError("langevin_chain: trace is not recorded for clamped chains")
        return _ext.langevin_chain_clamped(ctx, model, x, params, first_step, steps, labels, clamp)
    return _ext.langevin_chain(ctx, model, x, params, first_step, steps, labels, trace)


_SHIPPED_ENERGIES = (GaussianEnergy, GaussianMixtureEnergy, DoubleWellEnergy, BananaEnergy)


def sample(ctx, energy, x, sampler="mala", step=0.01, steps=100, first_step=0, temperature=1.0, leapfrog=10,
           mass=None, first_chain=0, trace=False, label=None):
    """steps of ULA, MALA or HMC (``sampler``) on the chains x [N, D] in place, for the
    density exp(-E(x) / temperature). The convention:
    x' = x - step * grad E(x) + sqrt(2 step temperature) eps (MALA then accepts or rejects);
    HMC takes ``leapfrog`` steps of size ``step`` with per-dimension ``mass``. Keys are
    ebmkit's Philox draws (steps first_step, ...; chains first_chain, ...).

    ``energy`` is a shipped energy (GaussianEnergy, GaussianMixtureEnergy, DoubleWellEnergy,
    BananaEnergy: the whole chain runs in ebmkit), an MlpEnergy (its E(x), or E(x | label)
    with ``label``; the model on the context's device, the whole chain in ebmkit: HMC on
    a JEM model), or a callable of x's framework: f(x)
    returning E [N] (PyTorch: its gradient by autograd) or a pair (E [N], grad E [N, D]).
    With a callable, ebmkit draws the noise and momenta, proposes and accepts or rejects
    (sample_propose, sample_momentum, sample_accept), on the caller's CUDA stream where
    x is a CUDA tensor, with no host wait until the end; the leapfrog's updates are x's
    framework's. Same keys, same rules: a callable computing a shipped energy gives its
    chains, up to the rounding of its own arithmetic.

    Returns the statistics; with trace, also the states [steps, N, D] (NumPy), the mean
    energy per step, and each dimension's effective sample size and split R-hat."""
    p = SampleParams()
    p.sampler, p.step, p.temperature, p.leapfrog, p.first_chain = sampler, step, temperature, leapfrog, first_chain
    if isinstance(energy, _SHIPPED_ENERGIES + (MlpEnergy,)):
        if mass is not None:
            p.mass = [float(m) for m in mass]
        if isinstance(energy, MlpEnergy):
            run = lambda ctx, *a: _ext.sample_mlp(ctx, energy, -1 if label is None else int(label), *a)
        else:
            if label is not None:
                raise TypeError("sample: label is for an MlpEnergy, not a " + type(energy).__name__)
            run = lambda ctx, *a: _ext.sample(ctx, energy, *a)
        return _ordered(run)(ctx, x, p, first_step, steps, trace)
    if not callable(energy):
        raise TypeError("sample: energy must be a shipped energy (" + ", ".join(e.__name__ for e in _SHIPPED_ENERGIES) +
                        ") or a callable, got " + type(energy).__name__)
    return _sample_callable(ctx, energy, x, p, first_step, steps, mass, trace)


def _copy(a):
    return a.clone() if _framework(a) == "torch" else a.copy()


def _evaluate(fn, v):
    """(E [N], grad E [N, D]) of the rows of v from the user's callable, checked."""
    torch_input = _framework(v) == "torch"
    if torch_input:
        import torch
        v = v.detach().requires_grad_(True)
        with torch.enable_grad():
            out = fn(v)
            if isinstance(out, tuple):
                e, g = out
            else:
                e = out
                if not (hasattr(e, "requires_grad") and e.requires_grad):
                    raise TypeError("sample: energy(x) must depend on x through autograd, or return (E, grad E)")
                g = torch.autograd.grad(e.sum(), [v])[0]
        e, g = e.detach(), g.detach()
    else:
        out = fn(v)
        if not isinstance(out, tuple):
            raise TypeError("sample: a callable on " + _framework(v) + " arrays must return (E, grad E)")
        e, g = out
    n, d = v.shape
    for name, a, shape in (("E", e, (n,)), ("grad E", g, (n, d))):
        if tuple(a.shape) != shape or str(a.dtype).split(".")[-1] != "float32" or _framework(a) != _framework(v):
            raise ValueError(f"sample: energy(x) returned {name} of shape {tuple(a.shape)} and dtype {a.dtype}; "
                             f"expected float32 {shape} of x's framework and device")
    return (e.contiguous(), g.contiguous()) if torch_input else (e, g)


def _sample_callable(ctx, fn, x, p, first_step, steps, mass, trace):
    framework = _framework(x)
    n, d = x.shape
    propose, momentum, accept = (_ordered(_ext.sample_propose), _ordered(_ext.sample_momentum),
                                 _ordered(_ext.sample_accept))
    masses = None
    if mass is not None:
        import numpy
        masses = numpy.asarray(mass, dtype="float32")
        if framework == "torch":
            import torch
            masses = torch.from_numpy(masses).to(x.device)
    e, g = _evaluate(fn, x)
    e, g = _copy(e), _copy(g)  # sample_accept writes the accepted rows' values into them
    proposal = _empty(x, (n, d))
    accepted = _empty(x, (n,), "int32")
    count = 0
    p0 = p1 = None
    if p.sampler == "hmc":
        p0 = _empty(x, (n, d))
    states, energies = [], []
    for k in range(first_step, first_step + steps):
        if p.sampler == "ula":
            propose(ctx, x, g, p, k, x)
            e, g = _evaluate(fn, x)  # no test: nothing of ebmkit's writes into them
            count += n
        else:
            if p.sampler == "mala":
                propose(ctx, x, g, p, k, proposal)
            else:
                momentum(ctx, p0, p, k, masses)
                half, full = 0.5 * p.step / p.temperature, p.step / p.temperature
                p1 = p0 - half * g
                proposal[...] = x
                for step_index in range(p.leapfrog):
                    proposal += p.step * (p1 / masses if masses is not None else p1)
                    _, pg = _evaluate(fn, proposal)
                    p1 -= (full if step_index + 1 < p.leapfrog else half) * pg
            pe, pg = _evaluate(fn, proposal)
            accept(ctx, x, e, g, proposal, pe, pg, p, k, accepted, p0, p1, masses)
            count = count + accepted.sum()
        if trace:
            states.append(_copy(x))
            energies.append(_copy(e))
    return _statistics(n, d, steps, count, states, energies)


def _statistics(n, d, steps, count, states, energies):
    """The library's statistics (proposals, acceptance, and with a trace its mean energies,
    ESS and split R-hat) of a callable's chains, from the states and energies per step."""
    import numpy
    count = int(count.item()) if hasattr(count, "item") else int(count)
    if not states:
        return _ext.sample_statistics(n, d, steps, count)

    def host(a):
        return a.detach().cpu().numpy() if hasattr(a, "detach") else numpy.asarray(a)
    trace = numpy.ascontiguousarray(numpy.stack([host(s) for s in states]), dtype=numpy.float32)
    values = numpy.ascontiguousarray(numpy.stack([host(e) for e in energies]), dtype=numpy.float32)
    return _ext.sample_statistics(n, d, steps, count, trace, values)


@_ordered
def rbm_hidden_probs(ctx, rbm, v, out=None):
    out = _empty(v, (v.shape[0], rbm.hidden)) if out is None else out
    _ext.rbm_hidden_probs(ctx, rbm, v, out)
    return out


@_ordered
def rbm_visible_probs(ctx, rbm, h, out=None):
    out = _empty(h, (h.shape[0], rbm.visible)) if out is None else out
    _ext.rbm_visible_probs(ctx, rbm, h, out)
    return out


@_ordered
def gibbs_chain(ctx, rbm, v, h, first_step, k, clamp=None, field=None):
    """k block-Gibbs sweeps of chains v [S, D] (and h [S, M]) in place, keyed first_step,
    first_step + 1, ... (every chain call takes first_step, then the count). Evidence
    about the visible units, each optional (float32 [S, D]): clamp, where nonzero the unit
    keeps its value (inpainting: the chains sample p(v_free | v_clamped)); field, added to
    each visible unit's input, p(v_i = 1 | h) = sigm(b_i + W_i h + field_i) (denoising bits
    flipped at rate r: field = (2 v_noisy - 1) log((1 - r) / r), the posterior p(v | v_noisy))."""
    if clamp is None and field is None:
        _ext.gibbs_chain(ctx, rbm, v, h, first_step, k)
    else:
        _ext.gibbs_chain_evidence(ctx, rbm, v, h, first_step, k, clamp, field)
    return v, h


@_ordered
def free_energy(ctx, rbm, v, out=None):
    out = _empty(v, (v.shape[0],)) if out is None else out
    _ext.free_energy(ctx, rbm, v, out)
    return out


@_ordered
def cd_gradient(ctx, rbm, data, chains, first_step, k, grad=None, first_chain=0, data_rows=0, sample_rows=0):
    """CD-k / PCD ascent direction into grad (an Rbm); chains advance k sweeps in place,
    keyed first_step, first_step + 1, ...

    Data parallel (one rank's part, summed over the ranks by the caller, e.g. with
    torch.distributed.all_reduce): row r of chains is global chain first_chain + r in
    every draw, and the means divide by the global batch's data_rows and sample_rows
    (0: this call's own), so the ranks' results sum to the global batch's gradient."""
    grad = Rbm(rbm.visible, rbm.hidden, rbm.device) if grad is None else grad
    _ext.cd_gradient(ctx, rbm, data, chains, grad, first_step, k, first_chain, data_rows, sample_rows)
    return grad


@_ordered
def rbm_gradient(ctx, rbm, data, samples, grad=None, data_rows=0, sample_rows=0):
    """The same ascent direction from given model samples [S, D] (no sweeps): with
    cd_gradient, the gradient a data-parallel user all-reduces (grad.w(), grad.b(),
    grad.c() are arrays over ebmkit's memory) before their own update; data_rows and
    sample_rows as in cd_gradient."""
    grad = Rbm(rbm.visible, rbm.hidden, rbm.device) if grad is None else grad
    _ext.rbm_gradient(ctx, rbm, data, samples, grad, data_rows, sample_rows)
    return grad


@_ordered
def log_partition_exact(ctx, rbm):
    return _ext.log_partition_exact(ctx, rbm)


@_ordered
def log_partition_ais(ctx, rbm, base_visible_bias, runs=100, betas=()):
    """(log Z, low, high): AIS from the base-rate model; betas empty: the standard schedule."""
    return _ext.log_partition_ais(ctx, rbm, base_visible_bias, runs, list(betas))


@_ordered
def log_likelihood_raise(ctx, rbm, base_visible_bias, v, runs=1, betas=()):
    """(mean, std_error, per_row): RAISE's conservative log p(v) of each row of v, from
    `runs` reverse chains on AIS's path (betas empty: the standard schedule), with the
    mean over the rows and its standard error. per_row is a NumPy float64 array."""
    import numpy
    mean, std_error, per_row = _ext.log_likelihood_raise(ctx, rbm, base_visible_bias, v, runs, list(betas))
    return mean, std_error, numpy.asarray(per_row, dtype=numpy.float64)


@_ordered
def pseudo_log_likelihood(ctx, rbm, v, out=None):
    out = _empty(v, (v.shape[0],)) if out is None else out
    _ext.pseudo_log_likelihood(ctx, rbm, v, out)
    return out


def save_safetensors(path, tensors, metadata=None):
    """Writes {name: array} (any framework, host or device) and string metadata."""
    _ext.save_safetensors(path, list(tensors.items()), dict(metadata or {}))


def load_safetensors(path):
    """({name: NumPy array}, {key: value}) of a safetensors file (F32 and I32)."""
    tensors, metadata = _ext.load_safetensors(path)
    return {name: _as(None, t) for name, t in tensors.items()}, metadata
