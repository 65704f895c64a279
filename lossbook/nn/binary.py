"""Binary losses as modules: BCELoss (probabilities) and BCEWithLogitsLoss (logits).

Both compute lossbook's exact forms with torch operations. On logits, with
:math:`a = |x|`, :math:`\\tau = \\operatorname{log1p}(e^{-a})` and the positive weight
:math:`c` (1 without ``pos_weight``),

.. math::
    c\\,y\\,\\operatorname{softplus}(-x) + (1 - y)\\operatorname{softplus}(x)
    = \\tau\\,\\bigl((1 - y) + c\\,y\\bigr) + k\\,a, \\qquad
    k = \\begin{cases} 1 - y & x \\ge 0 \\\\ c\\,y & x < 0, \\end{cases}

two non-negative terms (no cancellation for a tiny loss, unlike PyTorch's
:math:`(1 - y) x - \\log\\sigma(x)`), with :math:`k a = 0` where :math:`k = 0` even for an
infinite logit. The gradient :math:`(1 - y)\\sigma(x) - c\\,y\\,\\sigma(-x)` is formed from
:math:`u = \\sigma(-a)` as :math:`k - u\\,((1 - y) + c\\,y)` (for :math:`x \\ge 0`) or its
negative (for :math:`x < 0`): a tiny gradient keeps its relative accuracy.
"""

from __future__ import annotations

from typing import Any

import torch

from lossbook import binary
from lossbook.nn._base import Loss, inplace, refuse_grad, scaled

__all__ = ["BCELoss", "BCEWithLogitsLoss"]


def _times_nonzero(c: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """c * v with 0 where c == 0, even where v is infinite."""
    return torch.where(c == 0, torch.zeros((), dtype=v.dtype), c * v)


def _positive_mix(target: torch.Tensor, pos_weight: torch.Tensor) -> torch.Tensor:
    """(1 - y) + c y: a sum of two non-negative terms (1 + (c - 1) y would cancel for c ~ 0)."""
    return torch.addcmul(1 - target, pos_weight, target)


def _upstream(grad_output: torch.Tensor, reduction: str, input: torch.Tensor,
              weight: torch.Tensor | None) -> torch.Tensor:
    g = scaled(grad_output, reduction, input.numel())
    return g if weight is None else g * weight


class _BCEWithLogits(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, target, weight, pos_weight, reduction):
        ctx.save_for_backward(input, target, weight, pos_weight)
        ctx.reduction = reduction
        if pos_weight is None:
            loss = _loss_without_pos_weight(input, target)
        else:
            loss = _loss_with_pos_weight(input, target, pos_weight)
        if weight is not None:
            loss.mul_(weight)  # weight broadcasts to the input's shape (checked)
        if reduction == "none":
            return loss
        return loss.sum() if reduction == "sum" else loss.mean()

    @staticmethod
    def backward(ctx: Any, grad_output):
        input, target, weight, pos_weight = ctx.saved_tensors
        up = _upstream(grad_output, ctx.reduction, input, weight)
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            if pos_weight is None:
                grad_input = _grad_without_pos_weight(input, target)
            else:
                grad_input = _grad_with_pos_weight(input, target, pos_weight)
            grad_input = grad_input.mul_(up) if inplace() else grad_input * up
        if ctx.needs_input_grad[1]:
            # d/dy [c y softplus(-x) + (1 - y) softplus(x)] = c softplus(-x) - softplus(x)
            tail = torch.log1p(torch.exp(-input.abs()))
            sp_pos = torch.clamp(input, min=0) + tail
            sp_neg = torch.clamp(input, max=0).neg() + tail
            if pos_weight is not None:
                sp_neg = pos_weight * sp_neg
            grad_target = (sp_neg - sp_pos) * up
        return grad_input, grad_target, None, None, None


_INF = float("inf")


def _loss_without_pos_weight(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """tau + x (s - t), s = (sign(x) + 1) / 2, elementwise (module Notes), with in-place
    steps: two full-size temporaries, no ``where`` (a slow kernel on the CPU)."""
    tau = x.abs().neg_().exp_().log1p_()  # log1p(exp(-|x|))
    k = x.sign().add_(1).mul_(0.5).sub_(t)  # s - t: 1 - t for x > 0, -t for x < 0 (1/2 - t at 0)
    k.mul_(x)  # x (s - t) = k |x| >= 0, linear in t as the loss is
    k.nan_to_num_(nan=0.0, posinf=_INF, neginf=-_INF)  # 0 * inf at an infinite matching logit
    k.add_(t, alpha=0.0)  # ... but a NaN target stays NaN (0 * NaN)
    return k.add_(tau)  # a NaN logit is NaN through tau


def _grad_without_pos_weight(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """(s - t) - sign(x) sigma(-|x|) = sigma(x) - t without cancellation for a hard target."""
    if not inplace():  # recorded for a second backward: out-of-place, differentiable
        sign = torch.sign(x)
        return ((sign + 1) * 0.5 - t) - sign * torch.sigmoid(-x.abs())
    u = x.abs().neg_().sigmoid_()
    sign = x.sign()
    u.mul_(sign)
    return sign.add_(1).mul_(0.5).sub_(t).sub_(u)


def _loss_with_pos_weight(x, t, c):
    a = x.abs()
    tail = torch.log1p(torch.exp(-a))
    k = torch.where(x >= 0, 1 - t, c * t)
    return tail * _positive_mix(t, c) + _times_nonzero(k, a)


def _grad_with_pos_weight(x, t, c):
    # x >= 0: (1 - y)(1 - u) - c y u = k - u K;  x < 0: (1 - y) u - c y (1 - u) = u K - k
    u = torch.sigmoid(-x.abs())
    k = torch.where(x >= 0, 1 - t, c * t)
    coeff = u * _positive_mix(t, c)
    return torch.where(x >= 0, k - coeff, coeff - k)


class _BCE(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, target, weight, reduction):
        ctx.save_for_backward(input, target, weight)
        ctx.reduction = reduction
        loss = _bce_terms(input, target)
        if weight is not None:
            loss.mul_(weight)
        if reduction == "none":
            return loss
        return loss.sum() if reduction == "sum" else loss.mean()

    @staticmethod
    def backward(ctx: Any, grad_output):
        input, target, weight = ctx.saved_tensors
        up = _upstream(grad_output, ctx.reduction, input, weight)
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_input = _bce_grad(input, target)
            grad_input = grad_input.mul_(up) if inplace() else grad_input * up
        if ctx.needs_input_grad[1]:
            # d/dy = log(1 - p) - log p
            grad_target = (torch.log1p(-input) - torch.log(input)) * up
        return grad_input, grad_target, None, None


def _bce_terms(p: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """-(t log p + (1 - t) log1p(-p)), each product 0 where its coefficient is 0; two
    full-size buffers."""
    if not inplace():
        return -(torch.special.xlogy(t, p) + torch.special.xlog1py(1 - t, -p))
    second = p.neg().log1p_()
    buf = torch.sub(1, t)
    second.mul_(buf)  # (1 - t) log1p(-p): 0 * -inf = NaN only where t = 1 and p = 1
    first = torch.log(p, out=buf).mul_(t)  # t log p: NaN only where t = 0 and p = 0
    loss = first.add_(second).nan_to_num_(nan=0.0, posinf=_INF, neginf=-_INF).neg_()
    return loss.add_(p, alpha=0.0).add_(t, alpha=0.0)  # a NaN input or target stays NaN


def _bce_grad(p: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """(1 - t) / (1 - p) - t / p, each ratio 0 where its numerator is 0; two full-size
    buffers."""
    if not inplace():
        return _ratio(1 - t, 1 - p) - _ratio(t, p)
    buf = torch.sub(1, p)
    first = torch.sub(1, t).div_(buf)  # 0 / 0 only where t = 1 and p = 1
    second = torch.div(t, p, out=buf)  # 0 / 0 only where t = 0 and p = 0
    grad = first.nan_to_num_(nan=0.0, posinf=_INF, neginf=-_INF).sub_(
        second.nan_to_num_(nan=0.0, posinf=_INF, neginf=-_INF))
    return grad.add_(p, alpha=0.0).add_(t, alpha=0.0)  # a NaN input or target stays NaN


def _ratio(c: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """c / d, 0 where c == d == 0 (the limit of BCE's gradient terms at 0 * inf); elsewhere the
    plain quotient, so its own derivative (for a second backward) is 1/d at c = 0 too."""
    both = (c == 0) & (d == 0)
    return c / torch.where(both, torch.ones((), dtype=d.dtype), d)


def _checks(input, target, weight, pos_weight, reduction, validate, probabilities):
    """The library's checks (binary._check); refuses weights that require grad."""
    binary._check(input, target, weight, pos_weight, reduction, validate, None,
                  probabilities=probabilities)
    refuse_grad(weight, "weight")
    refuse_grad(pos_weight, "pos_weight")


def _same_dtype(a: torch.Tensor | None, input: torch.Tensor) -> torch.Tensor | None:
    return a if a is None or a.dtype == input.dtype else a.to(input.dtype)


class BCEWithLogitsLoss(Loss):
    r"""Binary cross-entropy on logits, a drop-in for ``torch.nn.BCEWithLogitsLoss``, exact.

    .. math::
        \ell_i = w_i \bigl[c_i\, y_i \operatorname{softplus}(-x_i)
        + (1 - y_i) \operatorname{softplus}(x_i)\bigr], \qquad
        \frac{\partial \ell_i}{\partial x_i} = w_i \bigl[(1 - y_i)\sigma(x_i)
        - c_i\, y_i\, \sigma(-x_i)\bigr]

    with :math:`c` the ``pos_weight`` (1 without it) and :math:`w` the ``weight``.

    Parameters
    ----------
    weight : Tensor, optional
        Rescaling weight that broadcasts to the input (a buffer, as in PyTorch).
    size_average, reduce : None
        PyTorch's deprecated arguments, kept in their positions; anything but ``None`` raises.
    reduction : {"none", "mean", "sum"}
        As ``torch.nn.BCEWithLogitsLoss``.
    pos_weight : Tensor, optional
        Weight of the positive term, broadcast along the last dimensions (a buffer).
    validate : bool
        Keyword-only. Check targets in [0, 1] and weights >= 0 (a pass over the data).

    Notes
    -----
    The forward is :math:`\tau ((1 - y) + c y) + k |x|` with :math:`\tau =
    \operatorname{log1p}(e^{-|x|})` and :math:`k = 1 - y` for :math:`x \ge 0`, :math:`c y`
    otherwise (lossbook.nn.binary): a sum of two non-negative terms, so a tiny loss keeps its
    digits (logit -40, target 0: 4.25e-18, where ``torch.nn.BCEWithLogitsLoss`` returns 0), and
    an infinite logit with the matching hard target gives 0, not NaN. It equals
    :func:`lossbook.binary_cross_entropy_with_logits`; the backward saves the inputs only and
    forms the gradient from :math:`\sigma(-|x|)` without cancellation. The gradient with
    respect to the target is :math:`w [c \operatorname{softplus}(-x) -
    \operatorname{softplus}(x)]`.

    See Also
    --------
    lossbook.binary_cross_entropy_with_logits : the reference.
    lossbook.binary_cross_entropy_with_logits_grad : its gradient.
    notebooks/04_binary_cross_entropy.ipynb : the derivation.

    References
    ----------
    PyTorch, ``torch.nn.BCEWithLogitsLoss`` and ``aten/src/ATen/native/Loss.cpp``
    (``binary_cross_entropy_with_logits``).

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import BCEWithLogitsLoss
    >>> x = torch.tensor([-40.0], dtype=torch.float64)
    >>> print(f"{BCEWithLogitsLoss()(x, torch.tensor([0.0], dtype=torch.float64)).item():.6e}")
    4.248354e-18
    """

    def __init__(self, weight: torch.Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean", pos_weight: torch.Tensor | None = None, *,
                 validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _checks(input, target, self.weight, self.pos_weight, self.reduction, self.validate, False)
        return _BCEWithLogits.apply(input, _same_dtype(target, input),
                                    _same_dtype(self.weight, input),
                                    _same_dtype(self.pos_weight, input), self.reduction)


class BCELoss(Loss):
    r"""Binary cross-entropy on probabilities, a drop-in for ``torch.nn.BCELoss``, without clamps.

    .. math::
        \ell_i = -w_i \bigl[y_i \log p_i + (1 - y_i) \log(1 - p_i)\bigr], \qquad
        \frac{\partial \ell_i}{\partial p_i} = w_i \Bigl[\frac{1 - y_i}{1 - p_i}
        - \frac{y_i}{p_i}\Bigr], \qquad 0 \log 0 = 0

    Parameters
    ----------
    weight : Tensor, optional
        Rescaling weight that broadcasts to the input (a buffer, as in PyTorch).
    size_average, reduce : None
        PyTorch's deprecated arguments, kept in their positions; anything but ``None`` raises.
    reduction : {"none", "mean", "sum"}
        As ``torch.nn.BCELoss``.
    validate : bool
        Keyword-only. Check probabilities and targets in [0, 1] and weights >= 0.

    Notes
    -----
    The forward is ``-(xlogy(y, p) + xlog1py(1 - y, -p))`` (``torch.special``), lossbook's
    formula: no clamp of the logs at -100 as in ``torch.nn.BCELoss`` (at :math:`p = 10^{-200}`,
    :math:`y = 1` the loss is 460.517, not 100). The backward forms each ratio with 0 where
    its numerator is 0 (:func:`lossbook.binary_cross_entropy_grad`), without PyTorch's
    :math:`\max(p(1-p), 10^{-12})`. The gradient with respect to the target is
    :math:`w [\log(1 - p) - \log p]`.

    See Also
    --------
    lossbook.binary_cross_entropy, lossbook.binary_cross_entropy_grad : the reference.
    BCEWithLogitsLoss : the same loss on logits, exact where p would round to 0 or 1.
    notebooks/04_binary_cross_entropy.ipynb : the derivation.

    References
    ----------
    PyTorch, ``torch.nn.BCELoss`` and ``aten/src/ATen/native/Loss.cpp``
    (``binary_cross_entropy``).

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import BCELoss
    >>> p = torch.tensor([1e-200], dtype=torch.float64)
    >>> print(f"{BCELoss()(p, torch.tensor([1.0], dtype=torch.float64)).item():.3f}")
    460.517
    """

    def __init__(self, weight: torch.Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean", *, validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)
        self.register_buffer("weight", weight)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _checks(input, target, self.weight, None, self.reduction, self.validate, True)
        return _BCE.apply(input, _same_dtype(target, input), _same_dtype(self.weight, input),
                          self.reduction)
