"""Margin losses as modules: MarginRankingLoss, HingeEmbeddingLoss, CosineEmbeddingLoss and
TripletMarginLoss.

Margin ranking and hinge embedding compute PyTorch's formula, which is lossbook's (one
subtraction, a maximum), so their forward is PyTorch's; cosine embedding and triplet keep
lossbook's forms (1 - cos without cancellation; a p-norm that neither overflows nor underflows)
and their backward is lossbook's hand-derived gradient, for every input.
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat.torch as _NS  # the namespace lossbook's helpers take, for tensors
import torch
import torch.nn.functional as F

from lossbook import margin as margin_
from lossbook._validation import check_non_negative, check_option
from lossbook.nn._base import Loss, inplace, scaled

__all__ = [
    "CosineEmbeddingLoss",
    "HingeEmbeddingLoss",
    "MarginRankingLoss",
    "TripletMarginLoss",
]


def _step_at_zero(z: torch.Tensor) -> torch.Tensor:
    """[z >= 0] as a float. Under torch.compile it is clamp(sign(z) + 1, 0, 1): AOTAutograd's
    partitioner would otherwise save the boolean from the forward, and inductor's CPU backend
    stores booleans element by element (about 12 ns each: the compiled margin losses took
    twice PyTorch's eager time). A NaN argument then gives a NaN gradient instead of 0."""
    if torch.compiler.is_compiling():
        return torch.clamp(torch.sign(z) + 1, 0, 1)
    return (z >= 0).to(z.dtype)


def _not_equal(y: torch.Tensor, value: float) -> torch.Tensor:
    """[y != value] as a float; under torch.compile sign(|y - value|), for the reason of
    :func:`_step_at_zero`."""
    if torch.compiler.is_compiling():
        return torch.sign(torch.abs(y - value))
    return (y != value).to(y.dtype)


def _labels(target: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return target if target.dtype == like.dtype else target.to(like.dtype)


# --- margin ranking -------------------------------------------------------------------------------


class _MarginRanking(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input1, input2, target, margin, reduction):
        ctx.save_for_backward(input1, input2, target)
        ctx.options = (margin, reduction)
        # max(0, -y (x1 - x2) + m), PyTorch's formula and lossbook's, in one buffer
        loss = torch.sub(input1, input2).mul_(target).neg_().add_(margin).clamp_(min=0)
        if reduction == "none":
            return loss
        return loss.sum() if reduction == "sum" else loss.mean()

    @staticmethod
    def backward(ctx: Any, grad_output):
        input1, input2, target = ctx.saved_tensors
        margin, reduction = ctx.options
        up = scaled(grad_output, reduction, input1.numel())
        need1, need2, need_t = ctx.needs_input_grad[:3]
        diff = input1 - input2
        # active where -y (x1 - x2) + m >= 0 (the kink counts as active, as PyTorch's autograd)
        active = _step_at_zero(-target * diff + margin)
        grad_t = -diff * active * up if need_t else None
        if inplace():
            g1 = active.mul_(target).mul_(-up)  # -y [z >= 0] upstream
        else:
            g1 = -target * active * up
        return (g1 if need1 else None, -g1 if need2 else None, grad_t, None, None)


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
        self.margin = check_non_negative(margin, "margin")

    def extra_repr(self) -> str:
        return f"margin={self.margin}, {super().extra_repr()}"

    def forward(self, input1: torch.Tensor, input2: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        margin_._ranking_check(input1, input2, target, self.margin, self.reduction,
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
        push = _step_at_zero(margin - input).neg_()  # -[m - x >= 0]: the kink is active
        # both terms for a label other than +-1, as PyTorch (only with validate=False)
        local = push.mul_(_not_equal(target, 1)).add_(_not_equal(target, -1))
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
        self.margin = check_non_negative(margin, "margin")

    def extra_repr(self) -> str:
        return f"margin={self.margin}, {super().extra_repr()}"

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        margin_._hinge_check(input, target, self.margin, self.reduction, self.validate)
        return _HingeEmbedding.apply(input, _labels(target, input), self.margin, self.reduction)


# --- cosine embedding -----------------------------------------------------------------------------


class _CosineEmbedding(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input1, input2, target, margin, reduction):
        ctx.save_for_backward(input1, input2, target)
        ctx.options = (margin, reduction)
        x1, x2, y = _rows(input1, input2, target)
        parts = _cosine_fast(x1, x2)
        ctx.parts = parts if any(ctx.needs_input_grad[:2]) else None  # for one backward
        loss = _cosine_rows(parts, y, margin)
        if reduction == "none":
            return loss.reshape(target.shape)
        return loss.sum() if reduction == "sum" else loss.mean()

    @staticmethod
    def backward(ctx: Any, grad_output):
        input1, input2, target = ctx.saved_tensors
        margin, reduction = ctx.options
        rows = input1.shape[0] if input1.ndim == 2 else 1
        need1, need2 = ctx.needs_input_grad[:2]
        parts, ctx.parts = ctx.parts, None  # consumed: a second backward recomputes them
        if not inplace():  # a second backward differentiates lossbook's own gradient
            grads = []
            for need, (u, v) in zip((need1, need2), ((input1, input2), (input2, input1)),
                                    strict=True):
                # symmetric loss: d/dx2 is d/dx1 with the roles swapped
                grads.append(margin_.cosine_embedding_loss_grad(
                    u, v, target, grad_output=grad_output, margin=margin, reduction=reduction,
                    validate=False) if need else None)
            return grads[0], grads[1], None, None, None
        x1, x2, y = _rows(input1, input2, target)
        cos, omc, diff, n1, n2 = parts if parts is not None else _cosine_fast(x1, x2)
        g = scaled(grad_output, reduction, rows).reshape(-1)
        # the loss's derivative with respect to cos, per row: -1 (y = 1) or [cos - m >= 0]
        dl_dcos = torch.where(y == 1, -1.0, torch.where((y == -1) & (cos - margin >= 0), 1.0,
                                                        0.0)).to(x1.dtype) * g
        near = cos > 0.5  # d cos / du = ((v^ - u^) + (1 - cos) u^) / a there (lossbook Notes)
        zero = torch.zeros_like(cos)
        inv_ab = 1 / (n1 * n2)
        grad1 = grad2 = None
        if need1:  # c1 x1 + c2 x2 + c3 (v^ - u^), in the diff buffer unless x2 needs it too
            c1 = torch.where(near, omc / (n1 * n1), -cos / (n1 * n1)) * dl_dcos
            c2 = torch.where(near, zero, inv_ab) * dl_dcos
            c3 = torch.where(near, 1 / n1, zero) * dl_dcos
            grad1 = diff.mul(c3[:, None]) if need2 else diff.mul_(c3[:, None])
            grad1.addcmul_(x1, c1[:, None]).addcmul_(x2, c2[:, None])
        if need2:  # the same with the roles swapped: u^ - v^ = -diff
            d1 = torch.where(near, zero, inv_ab) * dl_dcos
            d2 = torch.where(near, omc / (n2 * n2), -cos / (n2 * n2)) * dl_dcos
            d3 = torch.where(near, -1 / n2, zero) * dl_dcos
            grad2 = diff.mul_(d3[:, None]).addcmul_(x1, d1[:, None]).addcmul_(x2, d2[:, None])
        return _unrow(grad1, input1), _unrow(grad2, input2), None, None, None


def _rows(input1, input2, target):
    """(N, D) views of one or a batch of embedding pairs, and the labels as (N,)."""
    if input1.ndim == 1:
        return input1[None], input2[None], target.reshape(1)
    return input1, input2, target


def _unrow(grad, like):
    return None if grad is None else grad.reshape(like.shape)


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise dot products without a full-size temporary (a batched matrix product)."""
    return torch.bmm(a.unsqueeze(1), b.unsqueeze(2)).reshape(a.shape[0])


def _cosine_fast(x1, x2):
    """lossbook's cosine and 1 - cos (margin_._cosine_parts) with one full-size buffer:
    cos, 1 - cos, v^ - u^ and the two regularised norms."""
    eps = margin_.COSINE_EPS
    n1 = torch.hypot(torch.linalg.vector_norm(x1, dim=-1), torch.tensor(eps**0.5, dtype=x1.dtype))
    n2 = torch.hypot(torch.linalg.vector_norm(x2, dim=-1), torch.tensor(eps**0.5, dtype=x1.dtype))
    cos = _dot(x1, x2) / (n1 * n2)
    w = torch.sub(x2, x1)  # exact when the two are close
    # 1/b - 1/a = -<w, x1 + x2> / (a b (a + b)): the eps cancels exactly in a^2 - b^2. The two
    # dot products may cancel, with an error of ulp(|w| |x|), the size of the rounding of w / a
    inv_diff = -(_dot(w, x1) + _dot(w, x2)) / (n1 * n2 * (n1 + n2))
    longer2 = n2 >= n1
    # v^ - u^ = w / max(a, b) + (the shorter vector) (1/b - 1/a)
    first = torch.where(longer2, inv_diff, torch.zeros_like(inv_diff))
    second = torch.where(longer2, torch.zeros_like(inv_diff), inv_diff)
    diff = w.mul_((1 / torch.maximum(n1, n2))[:, None])
    diff.addcmul_(x1, first[:, None]).addcmul_(x2, second[:, None])
    sq_diff = torch.linalg.vector_norm(diff, dim=-1).square()
    omc = (sq_diff + (eps / (n1 * n1) + eps / (n2 * n2))) / 2
    return cos, omc, diff, n1, n2


def _cosine_rows(parts, y, margin):
    cos, omc = parts[0], parts[1]
    zeros = torch.zeros_like(cos)
    return (torch.where(y == 1, omc, zeros)
            + torch.where(y == -1, torch.clamp(cos - margin, min=0), zeros))


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
        m = check_option(margin, "margin", float)
        if not -1 <= m <= 1:
            raise ValueError(f"margin must be within [-1, 1] (a cosine similarity); got {margin!r}")
        self.margin = m

    def extra_repr(self) -> str:
        return f"margin={self.margin}, {super().extra_repr()}"

    def forward(self, input1: torch.Tensor, input2: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        margin_._cosine_check(input1, input2, target, self.margin, self.reduction,
                                self.validate)
        return _CosineEmbedding.apply(input1, input2, _labels(target, input1), self.margin,
                                      self.reduction)


# --- triplet margin -------------------------------------------------------------------------------


class _TripletMargin(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, anchor, positive, negative, margin, p, eps, swap, reduction):
        ctx.save_for_backward(anchor, positive, negative)
        ctx.options = (margin, p, eps, swap, reduction)
        state = _triplet_state(anchor, positive, negative, margin, p, eps, swap)
        # the scaled differences are the gradient's raw material: kept for one backward
        ctx.state = state if any(ctx.needs_input_grad[:3]) else None
        loss = torch.clamp(state["z"], min=0)
        if reduction == "none":
            return loss.reshape(anchor.shape[:-1])
        return loss.sum() if reduction == "sum" else loss.mean()

    @staticmethod
    def backward(ctx: Any, grad_output):
        anchor, positive, negative = ctx.saved_tensors
        margin, p, eps, swap, reduction = ctx.options
        rows = anchor.shape[0] if anchor.ndim == 2 else 1
        need = ctx.needs_input_grad[:3]
        state, ctx.state = ctx.state, None  # consumed: a second backward recomputes it
        if not inplace():  # a second backward differentiates lossbook's own gradient
            grads = _triplet_grads_reference(anchor, positive, negative, margin, p, eps, swap,
                                             reduction, grad_output, rows, need)
            return (*grads, None, None, None, None, None)
        if state is None:  # retain_graph: a later backward
            state = _triplet_state(anchor, positive, negative, margin, p, eps, swap)
        weight = state["weight"]
        up = (state["z"] >= 0).to(anchor.dtype) * scaled(grad_output, reduction, rows).reshape(-1)
        g_pos = _norm_grad_(state["r_pos"], state["s_pos"], p, up)  # d||u||/du times up, in place
        g_neg = _norm_grad_(state["r_neg"], state["s_neg"], p, up if weight is None else up * weight)
        grads: list[torch.Tensor | None] = [None, None, None]
        if need[0]:  # z = m + ||u|| - d_neg with u = a - p + eps, v = a - n + eps
            grads[0] = torch.sub(g_pos, g_neg)
        if swap:
            g_swap = _norm_grad_(state["r_swap"], state["s_swap"], p, up * (1 - weight))
            if need[1]:  # du/dp = -I; d(p, n) enters with weight 1 - w
                grads[1] = g_pos.neg_().sub_(g_swap)
            if need[2]:  # dv/dn = -I, d(p - n)/dn = -I
                grads[2] = g_neg.add_(g_swap)
        else:
            grads[1] = g_pos.neg_() if need[1] else None
            grads[2] = g_neg if need[2] else None
        grads = [None if g is None else g.reshape(anchor.shape) for g in grads]
        return (*grads, None, None, None, None, None)


def _triplet_state(anchor, positive, negative, margin, p, eps, swap) -> dict[str, Any]:
    """The distances' scaled differences r = v / max|v_i| and norms ||r||_p, the swap weight and
    the hinge argument z = m + d(a, p) - d(a, n) (lossbook's margin_._triplet_parts)."""
    a, pos, neg = (x[None] if anchor.ndim == 1 else x for x in (anchor, positive, negative))
    d_pos, r_pos, s_pos = _scaled_norm(torch.sub(a, pos).add_(eps), p)
    d_neg, r_neg, s_neg = _scaled_norm(torch.sub(a, neg).add_(eps), p)
    state = dict(r_pos=r_pos, s_pos=s_pos, r_neg=r_neg, s_neg=s_neg, weight=None)
    if swap:  # at::min(d(a, n), d(p, n)); its backward: the smaller gets it, a tie splits it
        d_swap, state["r_swap"], state["s_swap"] = _scaled_norm(torch.sub(pos, neg).add_(eps), p)
        weight = torch.where(d_neg < d_swap, 1.0, torch.where(d_neg == d_swap, 0.5, 0.0))
        state["weight"] = weight.to(a.dtype)
        d_neg = torch.minimum(d_neg, d_swap)
    state["z"] = margin + d_pos - d_neg
    return state


def _scaled_norm(v: torch.Tensor, p: float):
    """||v||_p per row as m ||v / m||_p, m = max |v_i| (lossbook's margin_._pnorm): no
    overflow or underflow where the norm is representable. Returns (norm, v / m, ||v / m||_p);
    ``v`` is overwritten by v / m."""
    m = torch.linalg.vector_norm(v, ord=math.inf, dim=-1)
    if p == math.inf:
        return m, v, None
    if p == 1:
        return torch.linalg.vector_norm(v, ord=1, dim=-1), v, None
    safe = torch.where(m > 0, m, torch.ones_like(m))
    r = v.div_(safe[:, None])
    s = torch.linalg.vector_norm(r, ord=p, dim=-1)
    # v = 0: norm 0 (m = 0), and s = 1 keeps the gradient 0 as lossbook does
    s = torch.where(m > 0, s, torch.ones_like(s))
    return m * s, r, s


def _norm_grad_(r: torch.Tensor, s: torch.Tensor | None, p: float, up: torch.Tensor):
    """d||v||_p / dv times the per-row ``up``, overwriting r = v / m (PyTorch's subgradients:
    0 where v_i = 0; for p = inf the sign shared among the largest |v_i|)."""
    if p == 1:
        return r.sign_().mul_(up[:, None])
    if p == math.inf:
        m = torch.linalg.vector_norm(r, ord=math.inf, dim=-1, keepdim=True)
        hits = ((r.abs() == m) & (r != 0)).to(r.dtype)
        count = hits.sum(-1, keepdim=True)
        share = up[:, None] / torch.where(count > 0, count, torch.ones_like(count))
        return r.sign_().mul_(hits).mul_(share)
    if p == 2:  # v / ||v|| = (v / m) / s
        return r.mul_((up / s)[:, None])
    # sign(v) (|v| / ||v||)^(p - 1) = sign(r) (|r| / s)^(p - 1), 0 where r = 0
    ratio = r.abs().div_(s[:, None]).pow_(p - 1)  # inf where r = 0 and p < 1 ...
    grad = r.sign_().mul_(ratio)
    if p < 1:  # ... where sign(r) = 0: the subgradient there is 0, not 0 * inf
        grad.nan_to_num_(nan=0.0, posinf=math.inf, neginf=-math.inf)
    return grad.mul_(up[:, None])


def _triplet_grads_reference(anchor, positive, negative, margin, p, eps, swap, reduction,
                             grad_output, rows, need):
    parts = margin_._triplet_parts(_NS, anchor, positive, negative, margin, p, eps, swap)
    v_pos, v_neg, d_pos, _, weight, z = parts
    up = (z >= 0).to(anchor.dtype) * scaled(grad_output, reduction, rows)
    up = up.unsqueeze(-1)
    g_pos = margin_._pnorm_grad(_NS, v_pos, d_pos, p)  # d||a - p + eps|| / da
    g_neg = margin_._pnorm_grad(_NS, v_neg, margin_._pnorm(_NS, v_neg, p), p)
    w = None if weight is None else weight.unsqueeze(-1)
    if w is not None:
        v_swap = positive - negative + eps
        g_swap = margin_._pnorm_grad(_NS, v_swap, margin_._pnorm(_NS, v_swap, p), p)
    grads = [None, None, None]
    if need[0]:
        grads[0] = (g_pos - (g_neg if w is None else w * g_neg)) * up
    if need[1]:
        grads[1] = (-g_pos if w is None else -g_pos - (1 - w) * g_swap) * up
    if need[2]:
        grads[2] = (g_neg if w is None else w * g_neg + (1 - w) * g_swap) * up
    return grads


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
        self.margin = margin_._check_margin_positive(margin)
        self.p, self.eps = margin_._check_p_eps(p, eps)
        self.swap = check_option(swap, "swap", bool)

    def extra_repr(self) -> str:
        return (f"margin={self.margin}, p={self.p}, eps={self.eps}, swap={self.swap}, "
                f"{super().extra_repr()}")

    def forward(self, anchor: torch.Tensor, positive: torch.Tensor,
                negative: torch.Tensor) -> torch.Tensor:
        margin_._triplet_check(anchor, positive, negative, self.margin, self.p, self.eps,
                               self.swap, self.reduction)
        return _TripletMargin.apply(anchor, positive, negative, self.margin, self.p, self.eps,
                                    self.swap, self.reduction)
