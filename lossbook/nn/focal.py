"""Focal losses as modules: MONAI's FocalLoss, and torchvision's sigmoid focal loss as a module.

torchvision offers the sigmoid focal loss only as a function (``torchvision.ops.sigmoid_focal_loss``);
its module here is named :class:`SigmoidFocalLoss`, with the function's arguments and defaults.
``FocalLoss`` is MONAI's class (``monai.losses.FocalLoss``): sigmoid (default) or softmax
(``use_softmax=True``) over the channels of an (N, C, *spatial) input, MONAI's ``alpha`` and
``weight`` conventions and reductions.

Both forwards are lossbook's log-space forms (:func:`lossbook.sigmoid_focal_loss`,
:func:`lossbook.focal_loss`), finite for every finite logit and exact for tiny losses, and both
backwards are lossbook's hand-derived gradients. Every per-element focal term touches only its
own logits (one element, or one pixel's row of C logits), so the vector-Jacobian product with
an upstream gradient is the gradient of the sum times that upstream gradient, element by
element.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import array_api_compat.torch as _NS  # the namespace of the library's checks, for tensors
import torch

from lossbook import focal
from lossbook._array import float_input
from lossbook._validation import (
    check_class_indices,
    check_in_set,
    check_non_empty,
    check_non_negative,
    check_probabilities,
    check_same_shape,
    shape_str,
)
from lossbook.nn._base import Loss, inplace, refuse_grad

__all__ = ["FocalLoss", "SigmoidFocalLoss"]

_TARGET_GRAD = " (the focal modulating factor is not differentiated with respect to targets)"


# --- torchvision's sigmoid focal loss as a module --------------------------------------------------


class _SigmoidFocal(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, target, alpha, gamma, reduction):
        ctx.save_for_backward(input, target)
        ctx.options = (alpha, gamma, reduction)
        return focal.sigmoid_focal_loss(input, target, alpha=alpha, gamma=gamma,
                                        reduction=reduction, validate=False)

    @staticmethod
    def backward(ctx: Any, grad_output):
        input, target = ctx.saved_tensors
        alpha, gamma, reduction = ctx.options
        grad = focal.sigmoid_focal_loss_grad(input, target, grad_output=grad_output, alpha=alpha,
                                             gamma=gamma, reduction=reduction, validate=False)
        return grad, None, None, None, None


class SigmoidFocalLoss(Loss):
    r"""torchvision's sigmoid focal loss as a module (torchvision has only the function), exact.

    .. math::
        \ell = \alpha_t (1 - p_t)^\gamma \bigl(-t \log\sigma(x) - (1 - t)\log\sigma(-x)\bigr),
        \qquad p_t = t\,\sigma(x) + (1 - t)(1 - \sigma(x)),\quad
        \alpha_t = \alpha t + (1 - \alpha)(1 - t)

    Parameters
    ----------
    alpha : float in [0, 1] or None
        Weight of the positives; ``None`` switches the weighting off (torchvision's ``-1``).
    gamma : float >= 0
        Exponent of the modulating factor.
    reduction : {"none", "mean", "sum"}
        torchvision's default is "none", and so is this module's.
    validate : bool
        Keyword-only. Check that the target holds values in [0, 1].

    Notes
    -----
    The forward is :func:`lossbook.sigmoid_focal_loss` (every factor in log space: finite for
    every finite logit, exact where torchvision's formula rounds :math:`1 - p_t` to 0); the
    backward is :func:`lossbook.sigmoid_focal_loss_grad`, finite at :math:`p_t = 1` for every
    :math:`\gamma \ge 0`. Soft targets follow torchvision's formula. A target that requires
    grad is refused with a ValueError.

    See Also
    --------
    lossbook.sigmoid_focal_loss, lossbook.sigmoid_focal_loss_grad : the reference.
    FocalLoss : MONAI's class, sigmoid or softmax.
    notebooks/06_focal_loss.ipynb : the derivation.

    References
    ----------
    T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal Loss for Dense Object
    Detection", ICCV 2017, arXiv:1708.02002; torchvision, ``torchvision/ops/focal_loss.py``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import SigmoidFocalLoss
    >>> x, t = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1.0, 0.0, 0.0])
    >>> print(f"{SigmoidFocalLoss(reduction='mean')(x, t).item():.6f}")
    0.100168
    """

    def __init__(self, alpha: float | None = 0.25, gamma: float = 2.0,
                 reduction: str = "none", *, validate: bool = True) -> None:
        super().__init__(reduction, validate=validate)
        if alpha is not None:
            focal._check_scalar_alpha(alpha)
        check_non_negative(gamma, "gamma")
        self.alpha = None if alpha is None else float(alpha)
        self.gamma = float(gamma)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, gamma={self.gamma}, {super().extra_repr()}"

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        focal._sigmoid_checks(input, target, self.alpha, self.gamma, self.reduction,
                              self.validate)
        refuse_grad(target, "target", _TARGET_GRAD)
        if target.dtype != input.dtype:
            target = target.to(input.dtype)
        return _SigmoidFocal.apply(input, target, self.alpha, self.gamma, self.reduction)


# --- MONAI's FocalLoss ----------------------------------------------------------------------------


def _per_class(value: Any, name: str) -> float | torch.Tensor | None:
    """MONAI's scalar-or-sequence option: None, a float, or a 1-d float64 tensor."""
    if value is None:
        return None
    if isinstance(value, Real) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, torch.Tensor) and value.ndim == 0:
        return float(value)
    if isinstance(value, (Sequence, torch.Tensor)) and not isinstance(value, str):
        t = torch.as_tensor(value, dtype=torch.float64)
        if t.ndim != 1:
            raise ValueError(f"{name} must be a number or a sequence of one value per class; "
                             f"got shape {shape_str(t)}")
        return t
    raise TypeError(f"{name} must be None, a number or a sequence of numbers; "
                    f"got {type(value).__name__}")


class _MonaiFocal(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, labels, factor, opts):
        """``labels``: targets in [0, 1] (sigmoid) or class indices with -1 for none (softmax);
        ``factor``: the per-element weight (alpha and class weight), of the loss's shape."""
        ctx.save_for_backward(input, labels, factor)
        ctx.opts = opts
        x = input if opts["include_background"] else input[:, 1:]
        need = ctx.needs_input_grad[0]
        if opts["use_softmax"]:  # keep the softmax parts for one backward
            focal_term, *parts = _softmax_focal(x, labels, opts["gamma"], grad=need)
            ctx.parts = parts if need else None
            return _monai_reduce(focal_term * factor, labels, x, opts)
        # the per-element gradient shares the loss's intermediates: computed here, kept once
        loss, ctx.parts = _sigmoid_focal(x, labels, opts["gamma"], grad=need)
        return _monai_reduce(loss.mul_(factor), None, x, opts)

    @staticmethod
    def backward(ctx: Any, grad_output):
        input, labels, factor = ctx.saved_tensors
        opts = ctx.opts
        x = input if opts["include_background"] else input[:, 1:]
        gamma = opts["gamma"]
        parts, ctx.parts = ctx.parts, None  # consumed: a later backward recomputes them
        if not inplace():  # a second backward: lossbook's own gradients, differentiable
            grad = _reference_grad(x, labels, factor, grad_output, opts)
        elif opts["use_softmax"]:
            up = _softmax_upstream(grad_output, labels, x, opts) * factor
            if parts is None:
                _, *parts = _softmax_focal(x, labels, gamma, grad=True)
            dl_dd, e, total = parts
            dl_dd = dl_dd.mul_(up).unsqueeze(1)
            # d d / d x_j = -e_j / sum_{k != y} e_k for j != y (e_y = 0), and 1 at y
            grad = e.mul_(-dl_dd / total.unsqueeze(1))
            grad.scatter_add_(1, labels.clamp(min=0).unsqueeze(1), dl_dd)
        else:
            up = grad_output if opts["reduction"] == "none" else _monai_scale(grad_output, x, opts)
            local = parts if parts is not None else _sigmoid_focal(x, labels, gamma, grad=True)[1]
            grad = local.mul_(factor).mul_(up)
        if not opts["include_background"]:
            grad = torch.cat([torch.zeros_like(input[:, :1]), grad], dim=1)
        return grad, None, None, None


def _softmax_upstream(grad_output, labels, x, opts):
    if opts["reduction"] == "none":  # the upstream gradient at each pixel's target class
        safe = labels.clamp(min=0).unsqueeze(1)
        return grad_output.gather(1, safe).squeeze(1)
    return _monai_scale(grad_output, x, opts)


def _softplus(v: torch.Tensor) -> torch.Tensor:
    """max(v, 0) + log1p(exp(-|v|)), lossbook's exact softplus."""
    return v.abs().neg_().exp_().log1p_().add_(torch.clamp(v, min=0))


def _softmax_focal(x: torch.Tensor, labels: torch.Tensor, gamma: float, grad: bool):
    """Per pixel, lossbook's softmax focal term -(1 - p_t)^gamma log p_t through the margin
    d = x_y - log sum_{j != y} e^{x_j} (lossbook.focal_loss Notes): p_t = sigma(d),
    1 - p_t = sigma(-d). d is never rounded at its own scale: with m the largest other logit,
    delta = x_y - m and S = sum_{j != y} e^{x_j - m} (so d = delta - log S),
    E = e^{-|d|} = min(e^{-delta} S, e^{delta} / S). Returns the term (0 where the label is -1),
    and with ``grad`` also d(term)/dd, the buffer e_j = exp(x_j - m) (0 at y) and S."""
    valid = (labels >= 0).to(x.dtype)
    idx = labels.clamp(min=0).unsqueeze(1)
    others = x.scatter(1, idx, -math.inf)  # the classes other than the target
    m = others.amax(1, keepdim=True)
    e = others.sub_(m).exp_()
    total = e.sum(1)
    delta = (x.gather(1, idx) - m).squeeze(1)  # a difference of two inputs: exact when close
    a = torch.exp(-delta).mul_(total)  # e^{-d}
    big_e = torch.minimum(a, a.reciprocal())  # e^{-|d|} <= 1
    pos = (a < 1).to(x.dtype)  # d > 0: the target wins
    minus_d = total.log().sub_(delta)  # -d, only where it is not tiny relative to log1p(E)
    log1p_e = torch.log1p(big_e)
    one_e = big_e + 1
    q = (pos * big_e + (1 - pos)) / one_e  # 1 - p_t = sigma(-d)
    p_t = (pos + (1 - pos) * big_e) / one_e  # sigma(d)
    nlog_pt = (1 - pos) * minus_d + log1p_e  # softplus(-d) = -log p_t >= 0
    mod = q.pow(gamma)  # (1 - p_t)^gamma, one rounding; no gamma q^(gamma - 1) is ever formed
    term = (mod * nlog_pt).mul_(valid)
    if not grad:
        return (term,)
    # d term / d d = -q^gamma (q + gamma p_t (-log p_t)): bounded for every gamma >= 0
    dl_dd = (mod.mul_(q + gamma * p_t * nlog_pt)).neg_().mul_(valid)
    return term, dl_dd, e, total


def _sigmoid_focal(x: torch.Tensor, t: torch.Tensor, gamma: float, grad: bool):
    """MONAI's sigmoid focal term, ce * exp(-gamma softplus(z)) with z = (2t - 1) x and the
    binary cross-entropy ce = t softplus(-x) + (1 - t) softplus(x), each factor exact
    (lossbook's forms; for hard targets lossbook's sigmoid_focal_loss); with ``grad`` also its
    derivative exp(-gamma softplus(z)) (dce - gamma ce sigma(z) (2t - 1)), dce = sigma(x) - t
    formed without cancellation, sharing the intermediates. Returns (term, derivative or None)."""
    a = x.abs()
    tau = a.neg().exp_().log1p_()  # log1p(exp(-|x|))
    sign = x.sign()
    s_t = sign.add(1).mul_(0.5).sub_(t)  # s - t, s = (sign(x) + 1) / 2
    # ce = tau + x (s - t), as BCEWithLogitsLoss: 0 * inf at an infinite matching logit is 0,
    # a NaN target stays NaN
    ce = torch.mul(x, s_t).nan_to_num_(nan=0.0, posinf=math.inf, neginf=-math.inf)
    ce.add_(t, alpha=0.0).add_(tau)
    two_t = t.mul(2).sub_(1)  # 2t - 1
    z = torch.mul(two_t, x)
    mod = _softplus(z).mul_(-gamma).exp_()  # (1 - p_t)^gamma = sigma(-z)^gamma in log space
    term = ce * mod
    if not grad:
        return term, None
    u = a.neg_().sigmoid_().mul_(sign)  # sign(x) sigma(-|x|)
    dce = s_t.sub_(u)  # sigma(x) - t without cancellation
    ce.mul_(z.sigmoid_()).mul_(two_t).mul_(gamma)  # gamma ce sigma(z) (2t - 1)
    return term, dce.sub_(ce).mul_(mod)


def _reference_grad(x, labels, factor, grad_output, opts):
    """The out-of-place gradient through lossbook's functions (for a second backward)."""
    gamma = opts["gamma"]
    if opts["use_softmax"]:
        up = _softmax_upstream(grad_output, labels, x, opts)
        return focal.focal_loss_grad(x, labels, grad_output=up * factor, alpha=None, gamma=gamma,
                                     ignore_index=-1, reduction="none", validate=False)
    from lossbook.nn.binary import _grad_without_pos_weight

    up = grad_output if opts["reduction"] == "none" else _monai_scale(grad_output, x, opts)
    z = (2 * labels - 1) * x
    ce = labels * _softplus_out(-x) + (1 - labels) * _softplus_out(x)
    dce = _grad_without_pos_weight(x, labels)  # out of place while a graph is recorded
    mod = torch.exp(-gamma * _softplus_out(z))
    return mod * (dce - gamma * ce * torch.sigmoid(z) * (2 * labels - 1)) * up * factor


def _softplus_out(v: torch.Tensor) -> torch.Tensor:
    return torch.clamp(v, min=0) + torch.log1p(torch.exp(-v.abs()))


def _monai_scale(grad_output, x, opts):
    """d(reduced)/d(element): MONAI's "mean" divides by N C' prod(spatial), its "sum" (a sum of
    spatial means) by prod(spatial)."""
    spatial = x[0, 0].numel()
    if opts["reduction"] == "mean":
        return grad_output / (x.shape[0] * x.shape[1] * spatial)
    return grad_output / spatial


def _monai_reduce(loss, labels, x, opts):
    reduction = opts["reduction"]
    spatial = x[0, 0].numel()
    if reduction == "mean":
        return loss.sum() / (x.shape[0] * x.shape[1] * spatial)
    if reduction == "sum":
        return loss.sum() / spatial
    if labels is None:
        return loss
    # softmax: MONAI's (N, C', *spatial) tensor, the focal term at each pixel's class, 0 elsewhere
    out = torch.zeros_like(x)
    safe = torch.where(labels >= 0, labels, torch.zeros_like(labels)).unsqueeze(1)
    return out.scatter(1, safe, loss.unsqueeze(1))


class FocalLoss(Loss):
    r"""MONAI's focal loss, a drop-in for ``monai.losses.FocalLoss`` with hand-derived backward.

    .. math::
        \ell_{nci} = -w_c\, a_{nci}\,(1 - p_{t})^\gamma \log p_{t},

    per sample, channel and pixel, with :math:`p_t` the probability of the right answer: from
    the sigmoid of each channel (default; :math:`a = \alpha t + (1 - \alpha)(1 - t)` for a
    scalar ``alpha``, :math:`\alpha_c` on positives for a sequence), or from the softmax over
    the channels (``use_softmax=True``; nonzero only at the target class, :math:`a =
    (1 - \alpha, \alpha, \ldots, \alpha)_c` for a scalar ``alpha``).

    Parameters
    ----------
    include_background : bool
        If False, channel 0 is dropped before the activation, as MONAI does.
    to_onehot_y : bool
        The target holds class indices of shape (N, 1, *spatial).
    gamma : float
        Exponent of the modulating factor, >= 0.
    alpha : float, sequence of float or None
        MONAI's alpha (see above); a scalar is ignored with ``use_softmax=True`` and
        ``include_background=False``, as MONAI does.
    weight : float, sequence of float or None
        Class weights (>= 0), one per channel counted.
    reduction : {"mean", "sum", "none"}
        MONAI's: "mean" averages over every element (N C' prod(spatial)), "sum" adds the
        spatial means, "none" returns the (N, C', *spatial) tensor.
    use_softmax : bool
        Softmax over the channels instead of a sigmoid per channel.
    ignore_index : None
        MONAI's option that lossbook does not model: anything but ``None`` raises.
    validate : bool
        Keyword-only. Check that targets lie in [0, 1] (one-hot per pixel with
        ``use_softmax``) or are class indices in range.

    Notes
    -----
    Each focal term is lossbook's, computed in log space: per element (sigmoid) the binary
    cross-entropy :math:`t \operatorname{softplus}(-x) + (1 - t)\operatorname{softplus}(x)`
    times :math:`\exp(-\gamma \operatorname{softplus}((2t - 1) x))`, MONAI's definition, which
    for hard targets is :func:`lossbook.sigmoid_focal_loss` (``alpha=None``) and for soft
    targets takes :math:`\sigma(-(2t - 1) x)` as :math:`1 - p_t` (torchvision's
    :class:`SigmoidFocalLoss` takes :math:`t\sigma(-x) + (1 - t)\sigma(x)`); per pixel
    (softmax) :func:`lossbook.focal_loss` (``alpha=None``) through the margin of the target over
    the other classes, a one-hot target required; then MONAI's alpha and class weights. The
    backward is the hand-derived gradient, finite at :math:`p_t = 1` for every
    :math:`\gamma \ge 0`. A pixel whose one-hot target is all zero contributes 0, as in MONAI.
    Unlike MONAI, the input is not cast to float32: float64 stays float64, and a confident
    correct prediction keeps its tiny loss. A target that requires grad is refused with a
    ValueError.

    See Also
    --------
    lossbook.focal_loss, lossbook.sigmoid_focal_loss : the references.
    SigmoidFocalLoss : torchvision's definition, soft targets included.
    notebooks/06_focal_loss.ipynb : the derivation.

    References
    ----------
    T.-Y. Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017, arXiv:1708.02002;
    MONAI, ``monai/losses/focal_loss.py``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import FocalLoss
    >>> x = torch.tensor([[[2.0, -1.0]], [[0.5, 0.0]]])      # (N=2, C=1, 2 pixels)
    >>> t = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]])
    >>> print(f"{FocalLoss()(x, t).item():.6f}")
    0.143790
    """

    def __init__(self, include_background: bool = True, to_onehot_y: bool = False,
                 gamma: float = 2.0, alpha: float | Sequence[float] | None = None,
                 weight: float | Sequence[float] | torch.Tensor | None = None,
                 reduction: str = "mean", use_softmax: bool = False,
                 ignore_index: int | None = None, *, validate: bool = True) -> None:
        super().__init__(reduction, validate=validate)
        if ignore_index is not None:
            raise ValueError(
                "ignore_index is not modelled by lossbook.nn.FocalLoss (see lossbook.dice_loss "
                f"Notes); got ignore_index={ignore_index!r}")
        for name, value in (("include_background", include_background),
                            ("to_onehot_y", to_onehot_y), ("use_softmax", use_softmax)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be a bool; got {type(value).__name__}")
        check_non_negative(gamma, "gamma")
        self.alpha = _per_class(alpha, "alpha")
        if isinstance(self.alpha, float):
            focal._check_scalar_alpha(self.alpha)
        elif self.alpha is not None and not bool(((self.alpha >= 0) & (self.alpha <= 1)).all()):
            raise ValueError(f"alpha must hold values within [0, 1]; got {alpha!r}")
        self.class_weight = _per_class(weight, "weight")
        if self.class_weight is not None and not bool(
                (torch.as_tensor(self.class_weight) >= 0).all()):
            raise ValueError(f"weight must hold values >= 0; got {weight!r}")
        self.include_background, self.to_onehot_y = include_background, to_onehot_y
        self.use_softmax, self.gamma = use_softmax, float(gamma)

    def extra_repr(self) -> str:
        return (f"{super().extra_repr()}, gamma={self.gamma}, alpha={self.alpha}, "
                f"use_softmax={self.use_softmax}, include_background={self.include_background}")

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        labels, factor = self._prepare(input, target)
        opts = dict(include_background=self.include_background, use_softmax=self.use_softmax,
                    gamma=self.gamma, reduction=self.reduction)
        return _MonaiFocal.apply(input, labels, factor, opts)

    def _prepare(self, input: torch.Tensor, target: torch.Tensor):
        """Checks; the labels (hard targets, or class indices with -1 for none) and factors."""
        float_input(input, "input")
        check_non_empty(input, "input")
        if input.ndim < 3:
            raise ValueError("input must have shape (N, C, *spatial) with at least one spatial "
                             f"axis; got shape {shape_str(input)}")
        refuse_grad(target, "target", _TARGET_GRAD)
        n_classes = int(input.shape[1])
        counted = n_classes - (0 if self.include_background else 1)
        if counted < (2 if self.use_softmax else 1):
            raise ValueError(
                f"input must have at least {2 if self.use_softmax else 1} channels counted "
                f"(use_softmax={self.use_softmax}, include_background="
                f"{self.include_background}); got shape {shape_str(input)}")
        if self.to_onehot_y:
            expected = (int(input.shape[0]), 1, *(int(d) for d in input.shape[2:]))
            if tuple(int(d) for d in target.shape) != expected:
                raise ValueError(
                    "with to_onehot_y=True, target must hold class indices of shape "
                    f"(N, 1, *spatial) = {expected} for input {shape_str(input)}; got target "
                    f"{shape_str(target)}")
            if target.dtype.is_floating_point or target.dtype == torch.bool:
                raise TypeError("with to_onehot_y=True, target must hold integer class "
                                f"indices; got dtype {str(target.dtype).removeprefix('torch.')}")
            if self.validate:
                check_class_indices(_NS, target, n_classes, name="target")
            index = target[:, 0].to(torch.int64)
            onehot = None
        else:
            float_input(target, "target")
            check_same_shape(input, target)
            if self.validate and self.use_softmax:
                check_in_set(_NS, target, (0, 1), "target")
                if not bool((target.sum(1) <= 1).all()):
                    raise ValueError("with use_softmax=True, target must be one-hot along "
                                     "dim 1 (at most one 1 per pixel)")
            elif self.validate:
                check_probabilities(_NS, target, "target")
            onehot = target.to(input.dtype)
            index = None
        first = 0 if self.include_background else 1
        alpha, weight = self._factors(counted, input)
        if self.use_softmax:
            if index is None:  # sum_c t_c (c + 1): the class + 1 of a one-hot row, 0 if empty
                codes = torch.arange(1, n_classes + 1, dtype=input.dtype, device=input.device)
                index = torch.matmul(onehot.movedim(1, -1), codes).to(torch.int64) - 1
            # counted classes 0..C'-1; -1 for no target (or the background when it is dropped)
            labels = (index - first).clamp(min=-1)
            factor = torch.ones((), dtype=input.dtype, device=input.device)
            if alpha is not None or weight is not None:
                per_class = torch.ones(counted, dtype=input.dtype, device=input.device)
                for v in (alpha, weight):
                    if v is not None:
                        per_class = per_class * v
                factor = per_class[labels.clamp(min=0)]  # ignored pixels are 0 in the loss
            return labels, factor
        if onehot is None:
            classes = torch.arange(n_classes, device=input.device)
            classes = classes.reshape((1, n_classes) + (1,) * (input.ndim - 2))
            onehot = (index.unsqueeze(1) == classes).to(input.dtype)
        t = onehot[:, first:]
        shape = (1, counted) + (1,) * (input.ndim - 2)
        factor = torch.ones((), dtype=input.dtype, device=input.device)  # broadcasts
        if alpha is not None and alpha.ndim == 0:  # scalar: alpha t + (1 - alpha)(1 - t)
            factor = alpha * t + (1 - alpha) * (1 - t)
        elif alpha is not None:  # a sequence weights the positives of each class only
            factor = torch.where(t == 1, alpha.reshape(shape), torch.ones_like(t))
        if weight is not None:
            factor = factor * (weight if weight.ndim == 0 else weight.reshape(shape))
        return t, factor

    def _factors(self, counted: int, input: torch.Tensor):
        """MONAI's alpha and class weight as tensors of the input's dtype (or None)."""
        def tensor(v):
            return None if v is None else torch.as_tensor(v, dtype=input.dtype,
                                                          device=input.device)
        alpha, weight = self.alpha, self.class_weight
        if self.use_softmax and isinstance(alpha, float):
            # MONAI: (1 - alpha) for the background, alpha for the others; ignored without it
            alpha = None if not self.include_background else (
                [1 - alpha] + [alpha] * (counted - 1))
        for name, v in (("alpha", alpha), ("weight", weight)):
            if isinstance(v, torch.Tensor) and v.numel() != counted:
                raise ValueError(
                    f"{name} must have one value per channel counted ({counted}"
                    f"{'' if self.include_background else ', background excluded'}); "
                    f"got {v.numel()}")
        if isinstance(weight, float) and not self.use_softmax:
            weight = torch.tensor(weight)
        if isinstance(weight, float):
            weight = [weight] * counted
        return tensor(alpha), tensor(weight)
