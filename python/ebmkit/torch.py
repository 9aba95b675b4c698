"""ebmkit inside PyTorch: autograd Functions for LogSumExp and the MLP energy (with
gradients to the input and to every parameter), a module whose parameters are
ebmkit's own memory (so torch.optim trains the fused model in place), and Langevin
sampling as a no-grad op.

Everything runs on torch's current CUDA stream: the contexts made here adopt it
(Context.adopt_stream), so no call needs a fence or a host wait. A context passed in
keeps its own stream and is fenced with torch's by events at each call's two ends.
Where PyTorch has ``torch.library.custom_op`` (2.4 and later) the operations are
registered custom operators (``ebmkit.torch_ops``), so ``torch.compile(fullgraph=True)``
traces code calling them without a graph break; older PyTorch takes the
``autograd.Function`` path below, which computes the same values.
Import it only where torch is installed: ``import ebmkit.torch``.
"""
import torch

import ebmkit
from ebmkit import torch_ops

__all__ = ["logsumexp", "MlpEnergy", "langevin", "denoising_score_loss", "sliced_score_loss"]


def _clones(ctx, grad, like):
    """Torch copies of an ebmkit gradient's parameters. On CUDA the copies run on torch's
    stream while ebmkit frees grad's memory on the legacy default stream, so the
    context's stream waits for them first: the free comes after (no host wait)."""
    clones = [g.clone() for g in ebmkit.parameters(grad, like=like)]
    if like.is_cuda:
        ctx.wait_for_stream(torch.cuda.current_stream(like.device).cuda_stream)
    return clones


def _ctx_for(t, ctx):
    if ctx is not None:
        return ctx
    made = ebmkit.Context("cuda" if t.is_cuda else "cpu")
    torch_ops.on_torch_stream(made, t)
    return made


class _LogSumExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx_, x, ctx):
        x = x.contiguous()
        lse = ebmkit.logsumexp(ctx, x)
        ctx_.save_for_backward(x, lse)
        ctx_.ebm = ctx
        return lse

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx_, dlse):
        x, lse = ctx_.saved_tensors
        return ebmkit.logsumexp_backward(ctx_.ebm, x, lse, dlse.contiguous()), None


def logsumexp(x, ctx=None):
    """Row-wise log-sum-exp of x [N, K] (float32), differentiable. Without ctx, a custom
    operator where PyTorch has them."""
    if ctx is None and torch_ops.available:
        return torch.ops.ebmkit.logsumexp(x)
    return _LogSumExp.apply(x, _ctx_for(x, ctx))


class _Energy(torch.autograd.Function):
    """E(x) = -logsumexp f(x) or E(x, y) = -f(x)[y]; the parameters are inputs only so
    that autograd hands their gradients to them."""

    @staticmethod
    def forward(ctx_, x, labels, module, *params):
        x = x.contiguous()
        ctx = module.ctx
        e = ebmkit.energy(ctx, module.model, x, labels)
        ctx_.save_for_backward(x)
        ctx_.labels, ctx_.module = labels, module
        return e

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx_, de):
        (x,) = ctx_.saved_tensors
        module, labels = ctx_.module, ctx_.labels
        ctx, model = module.ctx, module.model
        de = de.contiguous()
        grad_x = None
        if ctx_.needs_input_grad[0]:
            grad_x = ebmkit.energy_grad_x(ctx, model, x, labels) * de[:, None]
        param_grads = [None] * len(module.flat)
        if any(ctx_.needs_input_grad[3:]):
            # dE/df: -softmax(f) for E(x), minus the one-hot of y for E(x, y).
            if labels is None:
                dlogits = -torch.softmax(ebmkit.logits(ctx, model, x), dim=1) * de[:, None]
            else:
                dlogits = torch.zeros(x.shape[0], model.widths[-1], device=x.device)
                dlogits.scatter_(1, labels.long()[:, None], -de[:, None])
            grad = ebmkit.param_grad(ctx, model, x, dlogits.contiguous())
            param_grads = _clones(ctx, grad, x)
        return (grad_x, None, None, *param_grads)


class _Logits(torch.autograd.Function):
    """f(x), differentiable in the parameters (x is data: no gradient to it)."""

    @staticmethod
    def forward(ctx_, x, module, *params):
        x = x.contiguous()
        ctx_.save_for_backward(x)
        ctx_.module = module
        return ebmkit.logits(module.ctx, module.model, x)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx_, dlogits):
        (x,) = ctx_.saved_tensors
        if ctx_.needs_input_grad[0]:
            raise RuntimeError("ebmkit.torch: logits carry no gradient to x; use the energy for that")
        module = ctx_.module
        grad = ebmkit.param_grad(module.ctx, module.model, x, dlogits.contiguous())
        return (None, None, *_clones(module.ctx, grad, x))


class _ScoreLoss(torch.autograd.Function):
    """A score-matching loss (a scalar) whose gradient reaches the module's parameters:
    ebmkit computes the loss and its exact second-order parameter gradient in one call;
    the inputs are data (no gradient to them)."""

    @staticmethod
    def forward(ctx_, compute, module, *params):
        loss, grad = compute(module.ctx, module.model)
        ctx_.grads = _clones(module.ctx, grad, params[0])
        return torch.tensor(loss, dtype=torch.float32, device=params[0].device)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx_, dloss):
        return (None, None, *[g * dloss for g in ctx_.grads])


def denoising_score_loss(module, x, noise, sigma, conditioning="none", sigma_squared_weight=False):
    """Denoising score matching's mean loss on module's energy (ebmkit.denoising_score_gradient),
    differentiable in the module's parameters."""
    x, noise, sigma = x.detach().contiguous(), noise.detach().contiguous(), sigma.detach().contiguous()
    if torch_ops.available:
        return torch.ops.ebmkit.denoising_score_loss(x, noise, sigma, module._key, list(module.flat), conditioning,
                                                     sigma_squared_weight)[0]
    module._on_torch_stream(x)
    return _ScoreLoss.apply(
        lambda c, m: ebmkit.denoising_score_gradient(c, m, x, noise, sigma, conditioning, sigma_squared_weight),
        module, *module.flat)


def sliced_score_loss(module, x, projections, variance_reduced=False):
    """Sliced score matching's mean loss on module's energy (ebmkit.sliced_score_gradient),
    differentiable in the module's parameters."""
    x, v = x.detach().contiguous(), projections.detach().contiguous()
    if torch_ops.available:
        return torch.ops.ebmkit.sliced_score_loss(x, v, module._key, list(module.flat), variance_reduced)[0]
    module._on_torch_stream(x)
    return _ScoreLoss.apply(lambda c, m: ebmkit.sliced_score_gradient(c, m, x, v, variance_reduced), module,
                            *module.flat)


class MlpEnergy(torch.nn.Module):
    """ebmkit's MLP energy as a torch module. Its parameters are views of the ebmkit
    model's memory: an optimizer's in-place steps are the model's."""

    def __init__(self, widths, activation="elu", seed=0, device="cpu", ctx=None):
        super().__init__()
        self.ctx = ctx if ctx is not None else ebmkit.Context("cuda" if str(device).startswith("cuda") else "cpu", seed)
        self._adopts = ctx is None  # a context of its own follows torch's current stream
        self._key = torch_ops.register(self)  # how the custom operators find this module
        host = ebmkit.MlpEnergy(list(widths), activation)
        host.init_uniform(seed)
        self.model = host if self.ctx.device == "cpu" else host.to("cuda")
        like = torch.zeros(1, device=self.ctx.device)
        self.flat = torch.nn.ParameterList(torch.nn.Parameter(p, requires_grad=True)
                                           for p in ebmkit.parameters(self.model, like=like))

    def forward(self, x, labels=None):
        """E(x) [N], or E(x, y) given int32 labels [N]."""
        if torch_ops.available:
            return torch.ops.ebmkit.mlp_energy(x, labels, self._key, list(self.flat))
        self._on_torch_stream(x)
        return _Energy.apply(x, labels, self, *self.flat)

    def logits(self, x):
        """f(x) [N, K], differentiable in the parameters (a classifier's loss)."""
        if torch_ops.available:
            return torch.ops.ebmkit.mlp_logits(x, self._key, list(self.flat))
        self._on_torch_stream(x)
        return _Logits.apply(x, self, *self.flat)

    def _on_torch_stream(self, x):
        if self._adopts:
            torch_ops.on_torch_stream(self.ctx, x)


@torch.no_grad()
def langevin(module, x, steps, alpha=1.0, sigma=0.01, first_step=0, lo=-1.0, hi=1.0, labels=None):
    """SGLD x <- clamp(x - alpha grad_x E + sigma eps) for steps steps on module's energy,
    as a no-grad op: ebmkit's chain (Philox noise keyed by the module's context seed and
    first_step; one fused kernel where the context asks for the fused path) on a copy of x."""
    if torch_ops.available:
        return torch.ops.ebmkit.langevin(x.detach(), module._key, list(module.flat), steps, alpha, sigma, first_step,
                                         lo, hi, labels)
    x = x.detach().contiguous().clone()
    p = ebmkit.LangevinParams()
    p.alpha, p.sigma, p.clamp, p.lo, p.hi = alpha, sigma, True, lo, hi
    module._on_torch_stream(x)
    ebmkit.langevin_chain(module.ctx, module.model, x, p, first_step, steps, labels)
    return x
