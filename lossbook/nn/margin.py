"""Margin losses as modules: MarginRankingLoss, HingeEmbeddingLoss, CosineEmbeddingLoss and
TripletMarginLoss.

Margin ranking and hinge embedding compute PyTorch's formula, which is lossbook's (one
subtraction, a maximum), so their forward is PyTorch's; cosine embedding and triplet keep
lossbook's forms (1 - cos without cancellation; a p-norm that neither overflows nor underflows)
and their backward is lossbook's hand-derived gradient, for every input.
"""

from __future__ import annotations

from typing import Any

import array_api_compat.torch as _NS  # the namespace lossbook's helpers take, for tensors
import torch
import torch.nn.functional as F

from lossbook import embedding
from lossbook._validation import check_non_negative
from lossbook.nn._base import Loss, scaled

__all__ = [
    "CosineEmbeddingLoss",
    "HingeEmbeddingLoss",
    "MarginRankingLoss",
    "TripletMarginLoss",
]


def _labels(target: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return target if target.dtype == like.dtype else target.to(like.dtype)


# --- margin ranking -------------------------------------------------------------------------------


class _MarginRanking(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input1, input2, target, margin, reduction):
        ctx.save_for_backward(input1, input2, target)
        ctx.options = (margin, reduction)
        # max(0, -y (x1 - x2) + m): PyTorch's composition is lossbook's formula
        return F.margin_ranking_loss(input1, input2, target, margin=margin, reduction=reduction)

    @staticmethod
    def backward(ctx: Any, grad_output):
        input1, input2, target = ctx.saved_tensors
        margin, reduction = ctx.options
        diff = input1 - input2
        active = (-target * diff + margin >= 0).to(input1.dtype)  # the kink counts as active
        up = active * scaled(grad_output, reduction, input1.numel())
        g1 = -target * up
        need1, need2, need_t = ctx.needs_input_grad[:3]
        return (g1 if need1 else None, -g1 if need2 else None,
                -diff * up if need_t else None, None, None)


class MarginRankingLoss(Loss):
    r"""Margin ranking loss, a drop-in for ``torch.nn.MarginRankingLoss`` with a hand-derived backward.

    .. math::
        \ell_i = \max\bigl(0,\; -y_i (x_{1,i} - x_{2,i}) + m\bigr), \qquad
        \frac{\partial \ell_i}{\partial x_{1,i}} = -\frac{\partial \ell_i}{\partial x_{2,i}}
        = -y_i\, [z_i \ge 0]

    Parameters
    ----------
    margin : float
        :math:`m \ge 0`.
    size_average, reduce : None
        PyTorch's deprecated arguments, kept in their positions; anything but ``None`` raises.
    reduction : {"none", "mean", "sum"}
        As ``torch.nn.MarginRankingLoss``.
    validate : bool
        Keyword-only. Check that the target holds only -1 and 1.

    Notes
    -----
    The forward is ``torch.nn.functional.margin_ranking_loss``, whose composition is
    lossbook's formula. The backward takes the hinge as active at its kink :math:`z = 0`, as
    PyTorch's autograd does (:func:`lossbook.margin_ranking_loss_grad`); the gradient with
    respect to a target that requires grad is :math:`-(x_1 - x_2) [z \ge 0]`.

    See Also
    --------
    lossbook.margin_ranking_loss, lossbook.margin_ranking_loss_grad : the reference.
    notebooks/08_margin_losses.ipynb : the derivation.

    References
    ----------
    PyTorch, ``torch.nn.MarginRankingLoss``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import MarginRankingLoss
    >>> x1, x2 = torch.tensor([0.8, 0.1, 0.5]), torch.tensor([0.3, 0.4, 0.6])
    >>> print(f"{MarginRankingLoss(0.2)(x1, x2, torch.tensor([1.0, 1.0, -1.0])).item():.6f}")
    0.200000
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean", *, validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)
        check_non_negative(margin, "margin")
        self.margin = float(margin)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, {super().extra_repr()}"

    def forward(self, input1: torch.Tensor, input2: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        embedding._ranking_check(input1, input2, target, self.margin, self.reduction,
                                 self.validate)
        return _MarginRanking.apply(input1, input2, _labels(target, input1), self.margin,
                                    self.reduction)


# --- hinge embedding ------------------------------------------------------------------------------


class _HingeEmbedding(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, target, margin, reduction):
        ctx.save_for_backward(input, target)
        ctx.options = (margin, reduction)
        # where(y != 1, max(0, m - x), 0) + where(y != -1, x, 0): PyTorch's and lossbook's
        return F.hinge_embedding_loss(input, target, margin=margin, reduction=reduction)

    @staticmethod
    def backward(ctx: Any, grad_output):
        input, target = ctx.saved_tensors
        margin, reduction = ctx.options
        zero = torch.zeros((), dtype=input.dtype)
        push = torch.where(margin - input >= 0, -1.0, 0.0).to(input.dtype)  # kink: active
        local = torch.where(target != 1, push, zero) + torch.where(target != -1, 1.0, zero)
        return local * scaled(grad_output, reduction, input.numel()), None, None, None


class HingeEmbeddingLoss(Loss):
    r"""Hinge embedding loss, a drop-in for ``torch.nn.HingeEmbeddingLoss`` with a hand-derived backward.

    .. math::
        \ell_i = \begin{cases} x_i & y_i = 1 \\ \max(0,\; m - x_i) & y_i = -1 \end{cases},
        \qquad \frac{\partial \ell_i}{\partial x_i} = \begin{cases} 1 & y_i = 1 \\
        -[m - x_i \ge 0] & y_i = -1 \end{cases}

    Parameters
    ----------
    margin : float
        :math:`m \ge 0`.
    size_average, reduce : None
        PyTorch's deprecated arguments, kept in their positions; anything but ``None`` raises.
    reduction : {"none", "mean", "sum"}
        As ``torch.nn.HingeEmbeddingLoss``.
    validate : bool
        Keyword-only. Check that the target holds only -1 and 1.

    Notes
    -----
    Forward: ``torch.nn.functional.hinge_embedding_loss`` (lossbook's formula, both terms for
    a label other than +-1 when ``validate=False``, as PyTorch). Backward:
    :func:`lossbook.hinge_embedding_loss_grad`, active at the kink :math:`x = m`. The labels get
    no gradient (the loss is piecewise constant in them).

    See Also
    --------
    lossbook.hinge_embedding_loss, lossbook.hinge_embedding_loss_grad : the reference.
    notebooks/08_margin_losses.ipynb : the derivation.

    References
    ----------
    PyTorch, ``torch.nn.HingeEmbeddingLoss``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import HingeEmbeddingLoss
    >>> x, y = torch.tensor([0.3, 0.4, 1.5]), torch.tensor([1.0, -1.0, -1.0])
    >>> print(f"{HingeEmbeddingLoss()(x, y).item():.6f}")
    0.300000
    """

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None,
                 reduction: str = "mean", *, validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)
        check_non_negative(margin, "margin")
        self.margin = float(margin)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, {super().extra_repr()}"

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        embedding._hinge_check(input, target, self.margin, self.reduction, self.validate)
        return _HingeEmbedding.apply(input, _labels(target, input), self.margin, self.reduction)


# --- cosine embedding -----------------------------------------------------------------------------


def _row_upstream(grad_output: torch.Tensor, reduction: str, rows: int) -> torch.Tensor:
    g = scaled(grad_output, reduction, rows)
    return g.unsqueeze(-1) if reduction == "none" else g


class _CosineEmbedding(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input1, input2, target, margin, reduction):
        ctx.save_for_backward(input1, input2, target)
        ctx.options = (margin, reduction)
        return embedding.cosine_embedding_loss(input1, input2, target, margin=margin,
                                               reduction=reduction, validate=False)

    @staticmethod
    def backward(ctx: Any, grad_output):
        input1, input2, target = ctx.saved_tensors
        margin, reduction = ctx.options
        rows = input1.shape[0] if input1.ndim == 2 else 1
        up = _row_upstream(grad_output, reduction, rows)
        grads = []
        for need, (u, v) in zip(ctx.needs_input_grad[:2], ((input1, input2), (input2, input1)),
                                strict=True):
            # the loss is symmetric in the two embeddings: d/dx2 is d/dx1 with the roles swapped
            grads.append(embedding.cosine_embedding_loss_grad(
                u, v, target, margin=margin, reduction="sum", validate=False) * up
                if need else None)
        return grads[0], grads[1], None, None, None


class CosineEmbeddingLoss(Loss):
    r"""Cosine embedding loss, a drop-in for ``torch.nn.CosineEmbeddingLoss``, exact near cos = 1.

    .. math::
        \ell_i = \begin{cases} 1 - \cos(x_{1,i}, x_{2,i}) & y_i = 1 \\
        \max(0,\; \cos(x_{1,i}, x_{2,i}) - m) & y_i = -1 \end{cases}, \qquad
        \frac{\partial \cos}{\partial u} = \frac{v}{\alpha\beta} - \cos\,\frac{u}{\alpha^2}

    with PyTorch's regularised norms :math:`\alpha = \sqrt{\lVert u\rVert^2 + \epsilon}`,
    :math:`\beta = \sqrt{\lVert v\rVert^2 + \epsilon}`.

    Parameters
    ----------
    margin : float
        :math:`m \in [-1, 1]`.
    size_average, reduce : None
        PyTorch's deprecated arguments, kept in their positions; anything but ``None`` raises.
    reduction : {"none", "mean", "sum"}
        As ``torch.nn.CosineEmbeddingLoss``.
    validate : bool
        Keyword-only. Check that the target holds only -1 and 1.

    Notes
    -----
    The forward is :func:`lossbook.cosine_embedding_loss` itself: :math:`1 - \cos` as
    :math:`\tfrac12 \lVert \hat u - \hat v\rVert^2` plus PyTorch's eps terms, with no
    cancellation, so a nearly parallel similar pair keeps its loss where PyTorch's
    :math:`1 - \cos` keeps about 1e-16 / loss of relative accuracy. The backward is
    :func:`lossbook.cosine_embedding_loss_grad` for ``input1`` and, the loss being symmetric,
    the same function with the roles swapped for ``input2``. The labels get no gradient.

    See Also
    --------
    lossbook.cosine_embedding_loss, lossbook.cosine_embedding_loss_grad : the reference.
    notebooks/08_margin_losses.ipynb : the derivation.

    References
    ----------
    PyTorch, ``torch.nn.CosineEmbeddingLoss`` and ``aten/src/ATen/native/Loss.cpp``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import CosineEmbeddingLoss
    >>> x1 = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    >>> x2 = torch.tensor([[1.0, 1.0], [1.0, 0.0]])
    >>> print(f"{CosineEmbeddingLoss()(x1, x2, torch.tensor([1.0, -1.0])).item():.6f}")
    0.500000
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean", *, validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)
        m = embedding._real(margin, "margin")
        if not -1 <= m <= 1:
            raise ValueError(f"margin must be within [-1, 1] (a cosine similarity); got {margin!r}")
        self.margin = m

    def extra_repr(self) -> str:
        return f"margin={self.margin}, {super().extra_repr()}"

    def forward(self, input1: torch.Tensor, input2: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        embedding._cosine_check(input1, input2, target, self.margin, self.reduction,
                                self.validate)
        return _CosineEmbedding.apply(input1, input2, _labels(target, input1), self.margin,
                                      self.reduction)


# --- triplet margin -------------------------------------------------------------------------------


class _TripletMargin(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, anchor, positive, negative, margin, p, eps, swap, reduction):
        ctx.save_for_backward(anchor, positive, negative)
        ctx.options = (margin, p, eps, swap, reduction)
        return embedding.triplet_margin_loss(anchor, positive, negative, margin=margin, p=p,
                                             eps=eps, swap=swap, reduction=reduction)

    @staticmethod
    def backward(ctx: Any, grad_output):
        anchor, positive, negative = ctx.saved_tensors
        margin, p, eps, swap, reduction = ctx.options
        parts = embedding._triplet_parts(_NS, anchor, positive, negative, margin, p, eps, swap)
        v_pos, v_neg, d_pos, _, weight, z = parts
        rows = anchor.shape[0] if anchor.ndim == 2 else 1
        up = (z >= 0).to(anchor.dtype) * scaled(grad_output, reduction, rows)
        up = up.unsqueeze(-1)
        g_pos = embedding._pnorm_grad(_NS, v_pos, d_pos, p)  # d||a - p + eps|| / da
        g_neg = embedding._pnorm_grad(_NS, v_neg, embedding._pnorm(_NS, v_neg, p), p)
        w = None if weight is None else weight.unsqueeze(-1)
        if w is not None:
            v_swap = positive - negative + eps
            g_swap = embedding._pnorm_grad(_NS, v_swap, embedding._pnorm(_NS, v_swap, p), p)
        grads = [None, None, None]
        need = ctx.needs_input_grad
        if need[0]:  # z = m + ||u|| - d_neg, u = a - p + eps, v = a - n + eps
            grads[0] = (g_pos - (g_neg if w is None else w * g_neg)) * up
        if need[1]:  # du/dp = -I; with swap, d(p, n) = ||p - n + eps|| enters with weight 1 - w
            grads[1] = (-g_pos if w is None else -g_pos - (1 - w) * g_swap) * up
        if need[2]:  # dv/dn = -I, d(p - n)/dn = -I
            grads[2] = (g_neg if w is None else w * g_neg + (1 - w) * g_swap) * up
        return (*grads, None, None, None, None, None)


class TripletMarginLoss(Loss):
    r"""Triplet margin loss, a drop-in for ``torch.nn.TripletMarginLoss`` with a hand-derived backward.

    .. math::
        \ell_i = \max\bigl(0,\; m + d(a_i, p_i) - d(a_i, n_i)\bigr), \qquad
        d(x, y) = \lVert x - y + \epsilon \rVert_p, \qquad
        (\nabla \lVert v\rVert_p)_k = \operatorname{sign}(v_k)
        \Bigl(\frac{|v_k|}{\lVert v\rVert_p}\Bigr)^{p-1}

    with ``swap=True`` replacing :math:`d(a, n)` by :math:`\min(d(a, n), d(p, n))`.

    Parameters
    ----------
    margin : float
        :math:`m > 0`.
    p : float
        The norm degree, > 0 (``math.inf`` for the max norm).
    eps : float
        >= 0, added to every component of each difference (PyTorch's ``pairwise_distance``).
    swap : bool
        The distance swap of Balntas et al. (2016).
    size_average, reduce : None
        PyTorch's deprecated arguments, kept in their positions; anything but ``None`` raises.
    reduction : {"none", "mean", "sum"}
        As ``torch.nn.TripletMarginLoss``.
    validate : bool
        Keyword-only; kept for a uniform interface (the triplet loss has no value checks).

    Notes
    -----
    The forward is :func:`lossbook.triplet_margin_loss`: its p-norm is scaled by the largest
    component, so it neither overflows nor underflows where the distance itself is
    representable (PyTorch returns inf for a float32 difference of 3e19). The backward is the
    hand-derived gradient for all three inputs: :math:`[z \ge 0]` times
    :math:`\nabla d(a,p) - w \nabla d(a,n)` for the anchor, :math:`-\nabla d(a,p) - (1-w)
    \nabla d(p,n)` for the positive and :math:`w \nabla d(a,n) + (1-w) \nabla d(p,n)` for the
    negative, with :math:`w` the swap weight (1 without swap; 1/2 at a tie, as ``at::min``).
    The anchor's gradient is :func:`lossbook.triplet_margin_loss_grad`.

    See Also
    --------
    lossbook.triplet_margin_loss, lossbook.triplet_margin_loss_grad : the reference.
    notebooks/08_margin_losses.ipynb : the derivation.

    References
    ----------
    F. Schroff, D. Kalenichenko and J. Philbin, "FaceNet", CVPR 2015; V. Balntas et al.,
    "Learning local feature descriptors with triplets and shallow convolutional neural
    networks", BMVC 2016; PyTorch, ``torch.nn.TripletMarginLoss``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import TripletMarginLoss
    >>> a = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    >>> pos = torch.tensor([[0.5, 0.0], [1.0, 2.0]])
    >>> neg = torch.tensor([[1.0, 0.0], [3.0, 1.0]])
    >>> print(f"{TripletMarginLoss()(a, pos, neg).item():.6f}")
    0.250000
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average=None, reduce=None, reduction: str = "mean",
                 *, validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)
        embedding._check_margin_positive(margin)
        self.p = embedding._check_p_eps(p, eps)
        if not isinstance(swap, bool):
            raise TypeError(f"swap must be a bool; got {type(swap).__name__}")
        self.margin, self.eps, self.swap = float(margin), float(eps), swap

    def extra_repr(self) -> str:
        return (f"margin={self.margin}, p={self.p}, eps={self.eps}, swap={self.swap}, "
                f"{super().extra_repr()}")

    def forward(self, anchor: torch.Tensor, positive: torch.Tensor,
                negative: torch.Tensor) -> torch.Tensor:
        embedding._triplet_check(anchor, positive, negative, self.margin, self.p, self.eps,
                                 self.swap, self.reduction)
        return _TripletMargin.apply(anchor, positive, negative, self.margin, self.p, self.eps,
                                    self.swap, self.reduction)
