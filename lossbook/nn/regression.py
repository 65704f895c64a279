"""Regression losses as modules: MSELoss, L1Loss, SmoothL1Loss, HuberLoss.

Each forward is PyTorch's fused kernel where it computes the loss exactly as lossbook does
(the same per-element formula, proven on the adversarial suite), and lossbook's own stable form
where it does not (SmoothL1 with ``beta < 1`` or ``beta > 2**511``). The backward is the
hand-derived gradient of :mod:`lossbook.regression`, a function of the residual alone.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from lossbook import regression
from lossbook._array import check_float, namespace
from lossbook._validation import check_non_empty, check_non_negative, check_same_shape
from lossbook.nn._base import Loss, inplace, scaled

__all__ = ["HuberLoss", "L1Loss", "MSELoss", "SmoothL1Loss"]


def _check(input: torch.Tensor, target: torch.Tensor) -> None:
    """The checks of lossbook.regression: floating input and target of one dtype and shape."""
    xp = namespace(input=input, target=target)
    check_float(xp, input, "input")
    check_float(xp, target, "target", like=input)
    check_same_shape(input, target)
    check_non_empty(input)


def _residual_grads(ctx: Any, local: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
    """(d/d input, d/d target) from the per-element derivative with respect to the residual."""
    need_input, need_target = ctx.needs_input_grad[:2]
    if need_target:
        return (local if need_input else None), -local
    return local, None


def _residual(ctx: Any) -> torch.Tensor:
    input, target = ctx.saved_tensors
    return input - target


class _MSE(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, target, reduction):
        ctx.save_for_backward(input, target)
        ctx.reduction = reduction
        return F.mse_loss(input, target, reduction=reduction)  # (x - y)^2, as lossbook

    @staticmethod
    def backward(ctx: Any, grad_output):
        r = _residual(ctx)
        g = 2 * scaled(grad_output, ctx.reduction, r.numel())
        local = r.mul_(g) if inplace() else r * g
        return (*_residual_grads(ctx, local), None)


class _L1(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, target, reduction):
        ctx.save_for_backward(input, target)
        ctx.reduction = reduction
        return F.l1_loss(input, target, reduction=reduction)  # |x - y|, as lossbook

    @staticmethod
    def backward(ctx: Any, grad_output):
        r = _residual(ctx)
        g = scaled(grad_output, ctx.reduction, r.numel())
        local = r.sign_().mul_(g) if inplace() else torch.sign(r) * g
        return (*_residual_grads(ctx, local), None)


def _fused_smooth_l1_is_exact(beta: float) -> bool:
    """PyTorch's kernel computes 0.5 z z / beta. For beta >= 1 a subnormal 0.5 z z means a
    loss below the normal range anyway, and for beta <= 2**511 (so z < 2**511) 0.5 z z cannot
    overflow; beta = 0 is L1 in both. Elsewhere lossbook's (z / 2)(z / beta) is used."""
    return beta == 0 or 1.0 <= beta <= 2.0**511


class _SmoothL1(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, target, reduction, beta):
        ctx.save_for_backward(input, target)
        ctx.reduction, ctx.beta = reduction, beta
        if _fused_smooth_l1_is_exact(beta):
            return F.smooth_l1_loss(input, target, reduction=reduction, beta=beta)
        return regression.smooth_l1_loss(input, target, reduction=reduction, beta=beta)

    @staticmethod
    def backward(ctx: Any, grad_output):
        # r / beta inside |r| < beta, sign(r) outside: r / beta clipped to [-1, 1]
        r = _residual(ctx)
        g = scaled(grad_output, ctx.reduction, r.numel())
        if ctx.beta == 0:
            local = r.sign_().mul_(g) if inplace() else torch.sign(r) * g
        elif inplace():
            local = r.div_(ctx.beta).clamp_(-1.0, 1.0).mul_(g)
        else:
            local = torch.clamp(r / ctx.beta, -1.0, 1.0) * g
        return (*_residual_grads(ctx, local), None, None)


class _Huber(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, target, reduction, delta):
        ctx.save_for_backward(input, target)
        ctx.reduction, ctx.delta = reduction, delta
        # (z / 2) z inside, delta (z - delta / 2) outside: lossbook's formula, rounding included
        return F.huber_loss(input, target, reduction=reduction, delta=delta)

    @staticmethod
    def backward(ctx: Any, grad_output):
        # r inside |r| < delta, delta sign(r) outside: r clipped to [-delta, delta]
        r = _residual(ctx)
        g = scaled(grad_output, ctx.reduction, r.numel())
        d = ctx.delta
        local = r.clamp_(-d, d).mul_(g) if inplace() else torch.clamp(r, -d, d) * g
        return (*_residual_grads(ctx, local), None, None)


class MSELoss(Loss):
    r"""Mean squared error, a drop-in for ``torch.nn.MSELoss`` with a hand-derived backward.

    .. math::
        \ell_i = (x_i - y_i)^2, \qquad
        \frac{\partial \ell_i}{\partial x_i} = 2 (x_i - y_i)

    then reduced ("mean" divides by the number of elements).

    Parameters
    ----------
    size_average, reduce : None
        PyTorch's deprecated arguments, kept in their positions; anything but ``None`` raises.
    reduction : {"none", "mean", "sum"}
        As ``torch.nn.MSELoss``.
    validate : bool
        Keyword-only; kept for a uniform interface (MSE has no value checks: shapes and dtypes
        are always checked).

    Notes
    -----
    The forward is ``torch.nn.functional.mse_loss`` (one rounding per element, as
    :func:`lossbook.mse_loss`); the backward computes :math:`2 (x - y) \bar g / n` from the
    saved input and target (see :func:`lossbook.mse_loss_grad`), and the gradient with
    respect to ``target`` is its negative. Unlike PyTorch, an input of shape (N, 1) against a
    target of shape (N,) is a ValueError, not a warning and an (N, N) broadcast.

    See Also
    --------
    lossbook.mse_loss, lossbook.mse_loss_grad : the functional reference and its gradient.
    notebooks/05_regression_losses.ipynb : the derivation.

    References
    ----------
    PyTorch, ``torch.nn.MSELoss`` and ``aten/src/ATen/native/Loss.cpp`` (``mse_loss``).

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import MSELoss
    >>> x = torch.tensor([1.0, 2.0, 4.0], requires_grad=True)
    >>> loss = MSELoss()(x, torch.tensor([1.5, 2.0, 2.0]))
    >>> loss.backward()
    >>> print(f"{loss.item():.6f} {x.grad[2].item():.6f}")
    1.416667 1.333333
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", *,
                 validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _check(input, target)
        return _MSE.apply(input, target, self.reduction)


class L1Loss(Loss):
    r"""Mean absolute error, a drop-in for ``torch.nn.L1Loss`` with a hand-derived backward.

    .. math::
        \ell_i = |x_i - y_i|, \qquad
        \frac{\partial \ell_i}{\partial x_i} = \operatorname{sign}(x_i - y_i),
        \quad \operatorname{sign}(0) = 0

    Parameters
    ----------
    size_average, reduce : None
        PyTorch's deprecated arguments, kept in their positions; anything but ``None`` raises.
    reduction : {"none", "mean", "sum"}
        As ``torch.nn.L1Loss``.
    validate : bool
        Keyword-only; L1 has no value checks (shapes and dtypes are always checked).

    Notes
    -----
    Forward: ``torch.nn.functional.l1_loss`` (exact up to the rounding of the subtraction).
    Backward: :math:`\operatorname{sign}(x - y)\,\bar g / n`, the subgradient 0 at a tie as
    PyTorch's autograd chooses (:func:`lossbook.l1_loss_grad`).

    See Also
    --------
    lossbook.l1_loss, lossbook.l1_loss_grad : the functional reference and its gradient.
    notebooks/05_regression_losses.ipynb : the derivation.

    References
    ----------
    PyTorch, ``torch.nn.L1Loss``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import L1Loss
    >>> loss = L1Loss()(torch.tensor([1.0, 2.0, 4.0]), torch.tensor([1.5, 2.0, 2.0]))
    >>> print(f"{loss.item():.6f}")
    0.833333
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", *,
                 validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _check(input, target)
        return _L1.apply(input, target, self.reduction)


class SmoothL1Loss(Loss):
    r"""Smooth L1 loss, a drop-in for ``torch.nn.SmoothL1Loss`` with a hand-derived backward.

    .. math::
        \ell_i = \begin{cases} r_i^2 / (2\beta) & |r_i| < \beta \\
        |r_i| - \beta / 2 & \text{otherwise} \end{cases}, \qquad
        \frac{\partial \ell_i}{\partial x_i} = \operatorname{clip}(r_i / \beta, -1, 1),
        \qquad r_i = x_i - y_i

    Parameters
    ----------
    size_average, reduce : None
        PyTorch's deprecated arguments, kept in their positions; anything but ``None`` raises.
    reduction : {"none", "mean", "sum"}
        As ``torch.nn.SmoothL1Loss``.
    beta : float
        Where the quadratic part turns linear, >= 0 (0 is L1).
    validate : bool
        Keyword-only; no value checks apply (shapes, dtypes and ``beta`` are always checked).

    Notes
    -----
    For ``beta = 0`` and ``1 <= beta <= 2**511`` the forward is PyTorch's fused kernel: its
    :math:`0.5 z z / \beta` is as exact as lossbook's :math:`(z/2)(z/\beta)` there (a
    subnormal :math:`0.5 z z` then means a loss below the normal range, and it cannot
    overflow). Elsewhere the forward is :func:`lossbook.smooth_l1_loss` itself, so a tiny
    ``beta`` keeps lossbook's accuracy. The backward clips :math:`r/\beta` to [-1, 1], equal
    to :func:`lossbook.smooth_l1_loss_grad` (at :math:`|r| = \beta` both give :math:`\pm 1`).

    See Also
    --------
    lossbook.smooth_l1_loss, lossbook.smooth_l1_loss_grad : the reference and its gradient.
    HuberLoss : the same curve scaled by ``delta``.
    notebooks/05_regression_losses.ipynb : the derivation.

    References
    ----------
    R. Girshick, "Fast R-CNN", ICCV 2015; PyTorch, ``torch.nn.SmoothL1Loss``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import SmoothL1Loss
    >>> loss = SmoothL1Loss()(torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0]))
    >>> print(f"{loss.item():.6f}")
    1.312500
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0, *, validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)
        self.beta = check_non_negative(beta, "beta")

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, beta={self.beta}"

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _check(input, target)
        return _SmoothL1.apply(input, target, self.reduction, self.beta)


class HuberLoss(Loss):
    r"""Huber loss, a drop-in for ``torch.nn.HuberLoss`` with a hand-derived backward.

    .. math::
        \ell_i = \begin{cases} r_i^2 / 2 & |r_i| < \delta \\
        \delta (|r_i| - \delta / 2) & \text{otherwise} \end{cases}, \qquad
        \frac{\partial \ell_i}{\partial x_i} = \operatorname{clip}(r_i, -\delta, \delta)

    Parameters
    ----------
    reduction : {"none", "mean", "sum"}
        As ``torch.nn.HuberLoss``.
    delta : float
        Where the quadratic part turns linear, > 0.
    validate : bool
        Keyword-only; no value checks apply (shapes, dtypes and ``delta`` are always checked).

    Notes
    -----
    The forward is ``torch.nn.functional.huber_loss``, whose :math:`(z/2) z` and
    :math:`\delta (z - \delta/2)` are lossbook's formula with the same roundings. The backward
    clips the residual to :math:`[-\delta, \delta]` (:func:`lossbook.huber_loss_grad`).

    See Also
    --------
    lossbook.huber_loss, lossbook.huber_loss_grad : the reference and its gradient.
    SmoothL1Loss : Huber divided by ``delta`` with ``beta = delta``.
    notebooks/05_regression_losses.ipynb : the derivation.

    References
    ----------
    P. J. Huber, "Robust Estimation of a Location Parameter", Ann. Math. Statist. 35 (1964);
    PyTorch, ``torch.nn.HuberLoss``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import HuberLoss
    >>> loss = HuberLoss(delta=2.0)(torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0]))
    >>> print(f"{loss.item():.6f}")
    2.062500
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0, *,
                 validate: bool = True) -> None:
        super().__init__(reduction, validate=validate)
        regression._check_delta(delta)
        self.delta = float(delta)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, delta={self.delta}"

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _check(input, target)
        return _Huber.apply(input, target, self.reduction, self.delta)
