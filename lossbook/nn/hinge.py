"""Multi-class hinge losses as modules: MultiMarginLoss, MultiLabelMarginLoss, SoftMarginLoss,
MultiLabelSoftMarginLoss (``torch.nn``'s names and constructor arguments).

Each forward is the functional loss of :mod:`lossbook.hinge` and each backward its hand-derived
gradient with ``grad_output`` (:class:`lossbook.nn._base.Hand`); SoftMarginLoss computes the
same formulas in fused torch operations (``logaddexp``, ``sigmoid``). The class indices, labels
and targets get no gradient.
"""

from __future__ import annotations

from typing import Any

import torch

from lossbook import hinge
from lossbook._validation import check_option
from lossbook.nn._base import Loss, hand, refuse_grad, scaled

__all__ = ["MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "SoftMarginLoss"]


class MultiMarginLoss(Loss):
    r"""Multi-class hinge loss (Weston-Watkins / Crammer-Singer form), a drop-in for
    ``torch.nn.MultiMarginLoss``.

    .. math::

        \ell_n = \frac{1}{C} \sum_{j \ne y_n} w_{y_n} \max(0,\, m - x_{n, y_n} + x_{n, j})^p

    Parameters
    ----------
    p : int
        1 or 2, the power of the hinge.
    margin : float
        The margin :math:`m`.
    weight : torch.Tensor, optional
        One weight per class (a buffer of the module), applied at the true class.
    size_average, reduce : None
        PyTorch's deprecated arguments, refused unless None.
    reduction : {"mean", "sum", "none"}
    validate : bool
        Check the class indices' range (keyword-only); ``False`` for training loops.

    Notes
    -----
    Scores ``(N, C)`` or ``(C,)`` and class indices ``(N,)`` or ``()``. Forward
    :func:`lossbook.multi_margin_loss`, backward :func:`lossbook.multi_margin_loss_grad`.

    See Also
    --------
    lossbook.multi_margin_loss : the functional reference (notebook 09).

    References
    ----------
    PyTorch, ``torch.nn.MultiMarginLoss`` (aten/src/ATen/native/LossMultiMargin.cpp).

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import MultiMarginLoss
    >>> x = torch.tensor([[0.1, 0.2, 0.4, 0.8]])
    >>> print(f"{MultiMarginLoss()(x, torch.tensor([3])).item():.6f}")
    0.325000
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight: torch.Tensor | None = None,
                 size_average: Any = None, reduce: Any = None, reduction: str = "mean", *,
                 validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)
        self.p = hinge._check_p(p)
        self.margin = check_option(margin, "margin", float)
        self.register_buffer("weight", weight)

    def extra_repr(self) -> str:
        return f"p={self.p}, margin={self.margin}, {super().extra_repr()}"

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        refuse_grad(self.weight, "weight")
        return hand(hinge.multi_margin_loss, hinge.multi_margin_loss_grad, input, target,
                    p=self.p, margin=self.margin, weight=self.weight, reduction=self.reduction,
                    validate=self.validate)


class MultiLabelMarginLoss(Loss):
    r"""Multi-label hinge loss, a drop-in for ``torch.nn.MultiLabelMarginLoss``.

    .. math::

        \ell_n = \frac{1}{C} \sum_{i \in Y_n} \sum_{j \notin Y_n} \max(0,\, 1 - x_{n,i} + x_{n,j})

    where :math:`Y_n` are the class indices of row ``n`` of ``target`` before its first -1.

    Parameters
    ----------
    size_average, reduce : None
        PyTorch's deprecated arguments, refused unless None.
    reduction : {"mean", "sum", "none"}
    validate : bool
        Check the label indices' range (keyword-only); ``False`` for training loops.

    Notes
    -----
    Forward :func:`lossbook.multilabel_margin_loss`, backward
    :func:`lossbook.multilabel_margin_loss_grad`.

    See Also
    --------
    lossbook.multilabel_margin_loss : the functional reference (notebook 09).

    References
    ----------
    PyTorch, ``torch.nn.MultiLabelMarginLoss`` (aten/src/ATen/native/LossMultiLabelMargin.cpp).

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import MultiLabelMarginLoss
    >>> x = torch.tensor([[0.1, 0.2, 0.4, 0.8]])
    >>> print(f"{MultiLabelMarginLoss()(x, torch.tensor([[3, 0, -1, 1]])).item():.6f}")
    0.850000
    """

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean", *,
                 validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return hand(hinge.multilabel_margin_loss, hinge.multilabel_margin_loss_grad, input,
                    target, reduction=self.reduction, validate=self.validate)


class SoftMarginLoss(Loss):
    r"""Two-class logistic loss on labels :math:`y \in \{-1, 1\}`, a drop-in for
    ``torch.nn.SoftMarginLoss``.

    .. math::

        \ell_i = \log(1 + e^{-y_i x_i}) = \operatorname{softplus}(-y_i x_i)

    Parameters
    ----------
    size_average, reduce : None
        PyTorch's deprecated arguments, refused unless None.
    reduction : {"mean", "sum", "none"}
    validate : bool
        Keyword-only, for a uniform interface: the loss has no value checks to switch off.

    Notes
    -----
    Exact for any finite score, where PyTorch's ``log(1 + exp(-y x))`` overflows. Forward
    :func:`lossbook.soft_margin_loss`, backward :func:`lossbook.soft_margin_loss_grad`; the
    labels get no gradient.

    See Also
    --------
    lossbook.soft_margin_loss : the functional reference (notebook 09).

    References
    ----------
    PyTorch, ``torch.nn.SoftMarginLoss`` (aten/src/ATen/native/Loss.cpp).

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import SoftMarginLoss
    >>> x = torch.tensor([200.0, -200.0], dtype=torch.float64)
    >>> print(f"{SoftMarginLoss(reduction='sum')(x, torch.tensor([-1.0, 1.0], dtype=torch.float64)).item():.1f}")
    400.0
    """

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean", *,
                 validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        refuse_grad(target, "target")
        _, y = hinge._soft_margin_check(input, target, self.reduction)
        return _SoftMargin.apply(input, y, self.reduction)


class _SoftMargin(torch.autograd.Function):
    """softplus(-y x) as ``logaddexp(0, -y x)`` (one fused, stable kernel: max + log1p(exp(-|.|)),
    the library's form); backward the hand gradient -y sigmoid(-y x), in differentiable
    operations for a second backward."""

    @staticmethod
    def forward(ctx: Any, input, y, reduction):
        ctx.save_for_backward(input, y)
        ctx.reduction = reduction
        z = input * y
        loss = torch.logaddexp(torch.zeros((), dtype=z.dtype), z.neg_())
        return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()

    @staticmethod
    def backward(ctx: Any, grad_output):
        input, y = ctx.saved_tensors
        g = scaled(grad_output, ctx.reduction, input.numel())
        return -y * torch.sigmoid(-(y * input)) * g, None, None


class MultiLabelSoftMarginLoss(Loss):
    r"""Multi-label one-versus-all logistic loss, a drop-in for
    ``torch.nn.MultiLabelSoftMarginLoss``.

    .. math::

        \ell_n = \frac{1}{C} \sum_c w_c \left[ y_{n,c}\, \operatorname{softplus}(-x_{n,c})
        + (1 - y_{n,c})\, \operatorname{softplus}(x_{n,c}) \right]

    Parameters
    ----------
    weight : torch.Tensor, optional
        Per-class weights (a buffer of the module), broadcast against the input.
    size_average, reduce : None
        PyTorch's deprecated arguments, refused unless None.
    reduction : {"mean", "sum", "none"}
    validate : bool
        Check the targets and weights' range (keyword-only); ``False`` for training loops.

    Notes
    -----
    Forward :func:`lossbook.multilabel_soft_margin_loss`, backward
    :func:`lossbook.multilabel_soft_margin_loss_grad`; the targets get no gradient.

    See Also
    --------
    lossbook.multilabel_soft_margin_loss : the functional reference (notebook 09).

    References
    ----------
    PyTorch, ``torch.nn.MultiLabelSoftMarginLoss`` (torch/nn/functional.py).

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import MultiLabelSoftMarginLoss
    >>> x = torch.tensor([[0.0, 0.0]])
    >>> print(f"{MultiLabelSoftMarginLoss()(x, torch.tensor([[1.0, 0.0]])).item():.6f}")
    0.693147
    """

    def __init__(self, weight: torch.Tensor | None = None, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean", *, validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)
        self.register_buffer("weight", weight)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        refuse_grad(target, "target")
        refuse_grad(self.weight, "weight")
        return hand(hinge.multilabel_soft_margin_loss, hinge.multilabel_soft_margin_loss_grad,
                    input, target, weight=self.weight, reduction=self.reduction,
                    validate=self.validate)
