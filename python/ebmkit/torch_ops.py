"""ebmkit's operations as PyTorch custom operators (``torch.library.custom_op``, PyTorch
2.4 and later), so that ``torch.compile(fullgraph=True)`` traces code calling them
without a graph break: each has a fake implementation (shapes only, for tracing) and
an autograd formula. ``ebmkit.torch`` uses them where PyTorch has ``custom_op`` and
its ``autograd.Function`` path elsewhere; the two compute the same values.

The operators (namespace ``ebmkit``, see ``torch.ops.ebmkit``):

- ``logsumexp(x) -> lse`` and its ``logsumexp_backward``;
- ``mlp_energy(x, labels, model, params) -> E`` (E(x) = -LSE f(x), or E(x, y) with int32
  labels) and ``mlp_logits(x, model, params) -> f``, differentiable in x (the energy)
  and in the parameters, through ``mlp_energy_backward`` / ``mlp_logits_backward``;
- ``langevin(x, model, params, ...) -> x'`` (no gradient);
- ``denoising_score_loss`` / ``sliced_score_loss(..., model, params) -> [loss, *grads]``,
  differentiable in the parameters.

``model`` is the key of an ``ebmkit.torch.MlpEnergy`` module (its parameters are the
``params`` passed beside it, so that autograd tracks them); the operators run on the
module's context, which follows torch's current stream.
"""
import weakref
from typing import List, Optional

import torch

import ebmkit

available = hasattr(torch.library, "custom_op")

_modules = weakref.WeakValueDictionary()  # key -> ebmkit.torch.MlpEnergy
_contexts = {}  # device -> ebmkit.Context for the stateless operators


def register(module):
    """The key under which the operators find module."""
    key = id(module)
    _modules[key] = module
    return key


def _module(key):
    module = _modules.get(key)
    if module is None:
        raise RuntimeError(f"ebmkit.torch_ops: no live MlpEnergy module has key {key}")
    return module


def on_torch_stream(ctx, t):
    """ctx's work on torch's current stream of t's device from now on (no fence needed):
    Context.adopt_stream, where it runs elsewhere."""
    if t.is_cuda:
        stream = torch.cuda.current_stream(t.device).cuda_stream
        if ctx.stream != stream:
            ctx.adopt_stream(stream)


def _context_for(t):
    key = str(t.device)
    if key not in _contexts:
        _contexts[key] = ebmkit.Context("cuda" if t.is_cuda else "cpu")
    ctx = _contexts[key]
    on_torch_stream(ctx, t)
    return ctx


def _model_context(key, t):
    module = _module(key)
    if module._adopts:
        on_torch_stream(module.ctx, t)
    return module


if available:
    # --- LogSumExp -------------------------------------------------------------------
    @torch.library.custom_op("ebmkit::logsumexp", mutates_args=())
    def logsumexp(x: torch.Tensor) -> torch.Tensor:
        """Row-wise log-sum-exp of x [N, K]."""
        return ebmkit.logsumexp(_context_for(x), x.contiguous())

    @logsumexp.register_fake
    def _(x):
        return x.new_empty(x.shape[0])

    @torch.library.custom_op("ebmkit::logsumexp_backward", mutates_args=())
    def logsumexp_backward(x: torch.Tensor, lse: torch.Tensor, dlse: torch.Tensor) -> torch.Tensor:
        """dx = softmax(x) * dlse."""
        return ebmkit.logsumexp_backward(_context_for(x), x.contiguous(), lse.contiguous(), dlse.contiguous())

    @logsumexp_backward.register_fake
    def _(x, lse, dlse):
        return torch.empty_like(x)

    def _lse_setup(ctx, inputs, output):
        ctx.save_for_backward(inputs[0], output)

    def _lse_backward(ctx, dlse):
        x, lse = ctx.saved_tensors
        return logsumexp_backward(x, lse, dlse)

    logsumexp.register_autograd(_lse_backward, setup_context=_lse_setup)

    # --- The MLP energy and logits ---------------------------------------------------
    def _param_grads(module, x, dlogits):
        grad = ebmkit.param_grad(module.ctx, module.model, x, dlogits.contiguous())
        # Copies on torch's side: grad's memory is ebmkit's and goes with grad.
        return [g.clone() for g in ebmkit.parameters(grad, like=x)]

    @torch.library.custom_op("ebmkit::mlp_energy", mutates_args=())
    def mlp_energy(x: torch.Tensor, labels: Optional[torch.Tensor], model: int,
                   params: List[torch.Tensor]) -> torch.Tensor:
        """E(x) = -LSE f(x) [N], or E(x, y) = -f(x)[y] given int32 labels [N]."""
        module = _model_context(model, x)
        return ebmkit.energy(module.ctx, module.model, x.contiguous(), labels)

    @mlp_energy.register_fake
    def _(x, labels, model, params):
        return x.new_empty(x.shape[0])

    @torch.library.custom_op("ebmkit::mlp_energy_backward", mutates_args=())
    def mlp_energy_backward(x: torch.Tensor, labels: Optional[torch.Tensor], model: int, params: List[torch.Tensor],
                            de: torch.Tensor) -> List[torch.Tensor]:
        """[dE/dx * de, then each parameter's gradient of sum(E * de)]."""
        module = _model_context(model, x)
        ctx, m = module.ctx, module.model
        x, de = x.contiguous(), de.contiguous()
        grad_x = ebmkit.energy_grad_x(ctx, m, x, labels) * de[:, None]
        # dE/df: -softmax(f) for E(x), minus the one-hot of y for E(x, y).
        if labels is None:
            dlogits = -torch.softmax(ebmkit.logits(ctx, m, x), dim=1) * de[:, None]
        else:
            dlogits = torch.zeros(x.shape[0], m.widths[-1], device=x.device)
            dlogits.scatter_(1, labels.long()[:, None], -de[:, None])
        return [grad_x, *_param_grads(module, x, dlogits)]

    @mlp_energy_backward.register_fake
    def _(x, labels, model, params, de):
        return [torch.empty_like(x), *[torch.empty_like(p) for p in params]]

    def _energy_setup(ctx, inputs, output):
        x, labels, model, params = inputs
        ctx.save_for_backward(x, labels, *params)
        ctx.model = model

    def _energy_backward(ctx, de):
        x, labels, *params = ctx.saved_tensors
        grads = mlp_energy_backward(x, labels, ctx.model, params, de)
        return grads[0], None, None, list(grads[1:])

    mlp_energy.register_autograd(_energy_backward, setup_context=_energy_setup)

    @torch.library.custom_op("ebmkit::mlp_logits", mutates_args=())
    def mlp_logits(x: torch.Tensor, model: int, params: List[torch.Tensor]) -> torch.Tensor:
        """f(x) [N, K]."""
        module = _model_context(model, x)
        return ebmkit.logits(module.ctx, module.model, x.contiguous())

    @mlp_logits.register_fake
    def _(x, model, params):
        return x.new_empty(x.shape[0], params[-1].shape[0])

    @torch.library.custom_op("ebmkit::mlp_logits_backward", mutates_args=())
    def mlp_logits_backward(x: torch.Tensor, model: int, params: List[torch.Tensor],
                            dlogits: torch.Tensor) -> List[torch.Tensor]:
        """Each parameter's gradient of sum(f * dlogits)."""
        module = _model_context(model, x)
        return _param_grads(module, x.contiguous(), dlogits)

    @mlp_logits_backward.register_fake
    def _(x, model, params, dlogits):
        return [torch.empty_like(p) for p in params]

    def _logits_setup(ctx, inputs, output):
        x, model, params = inputs
        ctx.save_for_backward(x, *params)
        ctx.model = model

    def _logits_backward(ctx, dlogits):
        if ctx.needs_input_grad[0]:
            raise RuntimeError("ebmkit.torch: logits carry no gradient to x; use the energy for that")
        x, *params = ctx.saved_tensors
        return None, None, mlp_logits_backward(x, ctx.model, params, dlogits)

    mlp_logits.register_autograd(_logits_backward, setup_context=_logits_setup)

    # --- Langevin (no gradient) ------------------------------------------------------
    @torch.library.custom_op("ebmkit::langevin", mutates_args=())
    def langevin(x: torch.Tensor, model: int, params: List[torch.Tensor], steps: int, alpha: float, sigma: float,
                 first_step: int, lo: float, hi: float, labels: Optional[torch.Tensor]) -> torch.Tensor:
        """SGLD from x (a copy): clamp(x - alpha grad_x E + sigma eps) for steps steps."""
        module = _model_context(model, x)
        out = x.detach().contiguous().clone()
        p = ebmkit.LangevinParams()
        p.alpha, p.sigma, p.clamp, p.lo, p.hi = alpha, sigma, True, lo, hi
        ebmkit.langevin_chain(module.ctx, module.model, out, p, first_step, steps, labels)
        return out

    @langevin.register_fake
    def _(x, model, params, steps, alpha, sigma, first_step, lo, hi, labels):
        return torch.empty_like(x)

    def _langevin_setup(ctx, inputs, output):
        ctx.n_inputs, ctx.n_params = len(inputs), len(inputs[2])

    def _langevin_backward(ctx, grad):
        # The samples are constants of the loss (JEM's and contrastive divergence's rule):
        # no gradient flows back through the chain to its start or the parameters.
        result = [None] * ctx.n_inputs
        result[2] = [None] * ctx.n_params
        return tuple(result)

    langevin.register_autograd(_langevin_backward, setup_context=_langevin_setup)

    # --- Score matching (a loss and its parameter gradient in one call) ----------------
    def _loss_and_grads(module, like, compute):
        loss, grad = compute(module.ctx, module.model)
        grads = [g.clone() for g in ebmkit.parameters(grad, like=like)]
        return [torch.tensor(loss, dtype=torch.float32, device=like.device), *grads]

    @torch.library.custom_op("ebmkit::denoising_score_loss", mutates_args=())
    def denoising_score_loss(x: torch.Tensor, noise: torch.Tensor, sigma: torch.Tensor, model: int,
                             params: List[torch.Tensor], conditioning: str,
                             sigma_squared_weight: bool) -> List[torch.Tensor]:
        """[the denoising loss, its gradient in each parameter]."""
        module = _model_context(model, x)
        x, noise, sigma = x.contiguous(), noise.contiguous(), sigma.contiguous()
        return _loss_and_grads(module, x, lambda c, m: ebmkit.denoising_score_gradient(
            c, m, x, noise, sigma, conditioning, sigma_squared_weight))

    @denoising_score_loss.register_fake
    def _(x, noise, sigma, model, params, conditioning, sigma_squared_weight):
        return [x.new_empty(()), *[torch.empty_like(p) for p in params]]

    @torch.library.custom_op("ebmkit::sliced_score_loss", mutates_args=())
    def sliced_score_loss(x: torch.Tensor, projections: torch.Tensor, model: int, params: List[torch.Tensor],
                          variance_reduced: bool) -> List[torch.Tensor]:
        """[the sliced loss, its gradient in each parameter]."""
        module = _model_context(model, x)
        x, v = x.contiguous(), projections.contiguous()
        return _loss_and_grads(module, x,
                               lambda c, m: ebmkit.sliced_score_gradient(c, m, x, v, variance_reduced))

    @sliced_score_loss.register_fake
    def _(x, projections, model, params, variance_reduced):
        return [x.new_empty(()), *[torch.empty_like(p) for p in params]]

    def _score_setup(ctx, inputs, output):
        ctx.save_for_backward(*output[1:])
        ctx.n_inputs = len(inputs)
        ctx.params_at = next(i for i, a in enumerate(inputs) if isinstance(a, (list, tuple)))  # the one list input

    def _score_backward(ctx, grads_out):
        dloss = grads_out[0]
        param_grads = [g * dloss for g in ctx.saved_tensors]
        result = [None] * ctx.n_inputs
        result[ctx.params_at] = param_grads
        return tuple(result)

    denoising_score_loss.register_autograd(_score_backward, setup_context=_score_setup)
    sliced_score_loss.register_autograd(_score_backward, setup_context=_score_setup)
