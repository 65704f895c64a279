"""Multi-class losses as modules: CrossEntropyLoss and NLLLoss.

Cross-entropy is computed as lossbook computes it, never as ``logsumexp(x) - x_y``: with
:math:`m` the largest logit of a row and :math:`y` its target,

.. math::
    -\\log \\operatorname{softmax}(x)_y = (m - x_y) + \\operatorname{log1p}\\bigl(
    \\operatorname{expm1}(x_y - m) + \\textstyle\\sum_{j \\ne y} e^{x_j - m}\\bigr),

two non-negative terms. When the target is the largest logit, ``expm1(0) = 0`` and the
``log1p`` sees only the other classes, so a loss of 1e-300 keeps its digits (the sum leaves out
the target's term by zeroing it in place, an index write per row, no argmax). When it is not,
the loss is at least ``log 2`` and the argument of ``log1p`` is at least ``e^{x_y - m}``: no
cancellation either way. The backward is the hand-derived :math:`\\operatorname{softmax}(x)
\\sum_c w_c q_c - w \\odot q`, with the softmax recomputed from the saved logits.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from lossbook import classification
from lossbook._validation import check_option
from lossbook.nn._base import Loss, inplace, refuse_grad

__all__ = ["CrossEntropyLoss", "NLLLoss"]


def _checks(input, target, weight, ignore_index, reduction, label_smoothing, validate,
            probabilities: bool) -> tuple[int, str]:
    """The library's checks (classification._check); returns the class dim and target kind."""
    c = classification._check(input, target, weight, ignore_index, reduction, label_smoothing,
                              validate, None, allow_probabilities=probabilities)
    refuse_grad(weight, "weight")
    return c.dim, "probabilities" if c.probabilities else "indices"


def _class_shape(input: torch.Tensor, cd: int) -> tuple[int, ...]:
    shape = [1] * input.ndim
    shape[cd] = input.shape[cd]
    return tuple(shape)


def _neg_log_softmax_parts(x: torch.Tensor, cd: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(m, L) with -log softmax(x)_c = (m - x_c) + L, without cancellation (module Notes).

    The target-free form needs the sum over the classes other than the argmax; used for
    probability targets, where no single class is picked.
    """
    m = x.amax(cd, keepdim=True)
    shift = torch.where(torch.isfinite(m), m, torch.zeros_like(m))  # all -inf: NaN, as lossbook
    k = x.argmax(cd, keepdim=True)
    e = torch.exp(x - shift)
    e = e.scatter(cd, k, 0.0)
    return m, torch.log1p(e.sum(cd, keepdim=True))


def _index_parts(x: torch.Tensor, idx: torch.Tensor, cd: int):
    """(m, x_y, L): -log softmax(x)_y = (m - x_y) + L for the classes ``idx`` (module Notes)."""
    m = x.amax(cd, keepdim=True)
    shift = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    x_y = x.gather(cd, idx)
    if torch.compiler.is_compiling():  # a mask inductor fuses into the reduction
        e = torch.where(_is_target(x, idx, cd), 0.0, torch.exp(x - shift))
    elif inplace():  # eager: one index write per row instead of a full-size mask
        e = torch.sub(x, shift).exp_().scatter_(cd, idx, 0.0)
    else:
        e = torch.exp(x - shift).scatter(cd, idx, 0.0)
    others = e.sum(cd, keepdim=True)  # sum over j != y of exp(x_j - m)
    return m, x_y, torch.log1p(torch.expm1(x_y - shift) + others)


def _is_target(x: torch.Tensor, idx: torch.Tensor, cd: int) -> torch.Tensor:
    classes = torch.arange(x.shape[cd], device=x.device).reshape(_class_shape(x, cd))
    return classes == idx


def _index_setup(input, target, weight, ignore_index, cd):
    """Targets as gather indices, the valid mask and each element's class weight w_y."""
    target = target.to(torch.int64)  # compare without wrapping: uint8 156 is not -100
    valid = (target != ignore_index).unsqueeze(cd)
    idx = torch.where(valid, target.unsqueeze(cd), torch.zeros_like(target.unsqueeze(cd)))
    if weight is None:
        w_y = valid.to(input.dtype)
    else:
        w_y = torch.where(valid, weight.to(input.dtype)[idx], torch.zeros((), dtype=input.dtype))
    return valid, idx, w_y


def _mean_denominator(w_y: torch.Tensor) -> torch.Tensor:
    """The weighted mean's divisor; 0 (every target ignored) gives 0/0 = NaN, as PyTorch."""
    return w_y.sum()


def _finish(losses: torch.Tensor, reduction: str, cd: int, denominator) -> torch.Tensor:
    losses = losses.squeeze(cd)
    if reduction == "none":
        return losses
    total = losses.sum()
    return total if reduction == "sum" else total / denominator


def _upstream(grad_output, reduction, cd, denominator, w_y):
    """The per-element upstream gradient, keepdim on the class dim."""
    if reduction == "none":
        return grad_output.unsqueeze(cd)
    if reduction == "sum":
        return grad_output
    # every target ignored: the gradient is 0 (no term), as PyTorch, not 0/0
    safe = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
    return grad_output / safe


class _CrossEntropyIndices(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, target, weight, ignore_index, reduction, eps, cd):
        ctx.save_for_backward(input, target, weight)
        ctx.options = (ignore_index, reduction, eps, cd)
        valid, idx, w_y = _index_setup(input, target, weight, ignore_index, cd)
        m, x_y, big_l = _index_parts(input, idx, cd)
        nll = (m - x_y) + big_l  # -log p_y, two non-negative terms
        losses = w_y * nll
        if eps > 0:
            n_classes = input.shape[cd]
            wb = None if weight is None else weight.to(input.dtype).reshape(_class_shape(input, cd))
            gap = m - input  # >= 0, exact for logits near the top
            gap_sum = (gap if wb is None else gap * wb).sum(cd, keepdim=True)
            w_sum = n_classes if wb is None else wb.sum()
            smooth = gap_sum + big_l * w_sum  # sum_c w_c (-log p_c), non-negative terms
            smooth = torch.where(valid, smooth, torch.zeros_like(smooth))
            losses = (1 - eps) * losses + (eps / n_classes) * smooth
        return _finish(losses, reduction, cd, _mean_denominator(w_y))

    @staticmethod
    def backward(ctx: Any, grad_output):
        input, target, weight = ctx.saved_tensors
        ignore_index, reduction, eps, cd = ctx.options
        valid, idx, w_y = _index_setup(input, target, weight, ignore_index, cd)
        up = _upstream(grad_output, reduction, cd, _mean_denominator(w_y), w_y)
        n_classes = input.shape[cd]
        wb = None if weight is None else weight.to(input.dtype).reshape(_class_shape(input, cd))
        # sum_c w_c q_c per element: (1 - eps) w_y + eps/C sum_c w_c on non-ignored targets
        wq_sum = (1 - eps) * w_y
        if eps > 0:
            w_sum = n_classes if wb is None else wb.sum()
            wq_sum = wq_sum + torch.where(valid, (eps / n_classes) * w_sum,
                                          torch.zeros((), dtype=input.dtype))
        s = torch.softmax(input, cd)
        pick = -(1 - eps) * w_y * up  # the one-hot part of -w q, at the target class
        if torch.compiler.is_compiling():  # fused: the one-hot part as a mask
            grad = s * (wq_sum * up) + torch.where(_is_target(input, idx, cd), pick, 0.0)
        elif inplace():
            grad = s.mul_(wq_sum * up).scatter_add_(cd, idx, pick)
        else:
            grad = (s * (wq_sum * up)).scatter_add(cd, idx, pick)
        if eps > 0:
            smooth = (eps / n_classes) * torch.where(valid, up, torch.zeros_like(up))
            grad = grad - (smooth if wb is None else smooth * wb)
        return grad, None, None, None, None, None, None


class _CrossEntropyProbabilities(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, target, weight, reduction, eps, cd):
        ctx.save_for_backward(input, target, weight)
        ctx.options = (reduction, eps, cd)
        wq = _weighted_target(input, target, weight, eps, cd)
        m, big_l = _neg_log_softmax_parts(input, cd)
        nlogp = (m - input) + big_l
        terms = torch.where(wq == 0, torch.zeros_like(wq), wq * nlogp)  # 0 log 0 = 0
        losses = terms.sum(cd)
        if reduction == "none":
            return losses
        total = losses.sum()
        return total if reduction == "sum" else total / (input.numel() // input.shape[cd])

    @staticmethod
    def backward(ctx: Any, grad_output):
        input, target, weight = ctx.saved_tensors
        reduction, eps, cd = ctx.options
        if reduction == "none":
            up = grad_output.unsqueeze(cd)
        elif reduction == "sum":
            up = grad_output
        else:
            up = grad_output / (input.numel() // input.shape[cd])
        wq = _weighted_target(input, target, weight, eps, cd)
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            s = torch.softmax(input, cd)
            grad_input = (s * wq.sum(cd, keepdim=True) - wq) * up
        if ctx.needs_input_grad[1]:
            # d/dt_c of -sum_c w_c ((1 - eps) t_c + eps/C) log p_c = -(1 - eps) w_c log p_c
            m, big_l = _neg_log_softmax_parts(input, cd)
            nlogp = (m - input) + big_l
            if weight is not None:
                nlogp = nlogp * weight.to(input.dtype).reshape(_class_shape(input, cd))
            grad_target = (1 - eps) * nlogp * up
        return grad_input, grad_target, None, None, None, None


def _weighted_target(input, target, weight, eps, cd):
    n_classes = input.shape[cd]
    q = target if eps == 0 else target * (1 - eps) + eps / n_classes
    q = q.to(input.dtype)
    if weight is None:
        return q
    return q * weight.to(input.dtype).reshape(_class_shape(input, cd))


class CrossEntropyLoss(Loss):
    r"""Cross-entropy on logits, a drop-in for ``torch.nn.CrossEntropyLoss``, exact for tiny losses.

    .. math::
        \ell_n = -\sum_{c} w_c\, q_{n,c} \log \operatorname{softmax}(x_n)_c, \qquad
        q_{n,c} = (1 - \varepsilon)\, y_{n,c} + \varepsilon / C, \qquad
        \frac{\partial \ell_n}{\partial x_{n,i}} = s_{n,i} \sum_c w_c q_{n,c} - w_i q_{n,i}

    with :math:`y_n` the one-hot class index (or the given probabilities), :math:`\varepsilon`
    the ``label_smoothing`` and :math:`s = \operatorname{softmax}(x)`. "mean" divides by the
    total weight of the non-ignored targets (index targets) or by the number of samples
    (probability targets), as PyTorch.

    Parameters
    ----------
    weight : Tensor, optional
        Shape (C,): a weight per class (a buffer of the module, as in PyTorch).
    size_average, reduce : None
        PyTorch's deprecated arguments, kept in their positions; anything but ``None`` raises.
    ignore_index : int
        Index targets equal to it add nothing and leave the mean's denominator.
    reduction : {"none", "mean", "sum"}
        As ``torch.nn.CrossEntropyLoss``.
    label_smoothing : float
        Within [0, 1].
    validate : bool
        Keyword-only. Check index ranges, or that probability targets sum to 1 (a pass over the
        data and a host sync); ``validate=False`` for training loops and ``torch.compile``.

    Notes
    -----
    Input (C,), (N, C) or (N, C, d1, ...) with classes on dim 1 (dim 0 unbatched); target of
    class indices (an integer dtype) or of class probabilities (the input's floating dtype and
    shape), exactly as :func:`lossbook.cross_entropy`, which is the reference this module
    equals. The forward computes :math:`(m - x_y) + \operatorname{log1p}(\operatorname{expm1}
    (x_y - m) + \sum_{j \ne y} e^{x_j - m})` per element (lossbook.nn.classification), so a
    confident correct prediction keeps its loss (logits [40, 0], target 0: 4.25e-18, where
    ``torch.nn.CrossEntropyLoss`` returns 0). The backward recomputes the softmax from the
    saved logits: it saves the logits, the targets and the weight, nothing else. The gradient
    with respect to probability targets is :math:`-(1-\varepsilon) w_c \log s_c`.

    See Also
    --------
    lossbook.cross_entropy, lossbook.cross_entropy_grad : the reference and its gradient.
    NLLLoss : the same loss on log-probabilities.
    notebooks/02_cross_entropy.ipynb : the derivation.

    References
    ----------
    PyTorch, ``torch.nn.CrossEntropyLoss`` and ``aten/src/ATen/native/LossNLL.cpp``
    (``cross_entropy_loss_label_smoothing``).

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import CrossEntropyLoss
    >>> x = torch.tensor([[40.0, 0.0]], dtype=torch.float64, requires_grad=True)
    >>> loss = CrossEntropyLoss()(x, torch.tensor([0]))
    >>> loss.backward()
    >>> print(f"{loss.item():.6e} {x.grad[0, 1].item():.6e}")
    4.248354e-18 4.248354e-18
    """

    def __init__(self, weight: torch.Tensor | None = None, size_average=None,
                 ignore_index: int = -100, reduce=None, reduction: str = "mean",
                 label_smoothing: float = 0.0, *, validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)
        self.register_buffer("weight", weight)
        self.ignore_index = check_option(ignore_index, "ignore_index", int)
        self.label_smoothing = check_option(label_smoothing, "label_smoothing", float)
        if not 0.0 <= self.label_smoothing <= 1.0:  # NaN fails too
            raise ValueError(f"label_smoothing must be within [0, 1]; got {label_smoothing!r}")

    def extra_repr(self) -> str:
        return (f"{super().extra_repr()}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}")

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        cd, kind = _checks(input, target, self.weight, self.ignore_index, self.reduction,
                           self.label_smoothing, self.validate, probabilities=True)
        if kind == "probabilities":
            return _CrossEntropyProbabilities.apply(input, target, self.weight, self.reduction,
                                                    self.label_smoothing, cd)
        return _CrossEntropyIndices.apply(input, target, self.weight, self.ignore_index,
                                          self.reduction, self.label_smoothing, cd)


class _NLL(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, target, weight, ignore_index, reduction, cd):
        ctx.save_for_backward(input, target, weight)
        ctx.options = (ignore_index, reduction, cd)
        if cd == 0:  # unbatched (C,): F.nll_loss takes it too, but keep one code path
            input, target = input.unsqueeze(0), target.unsqueeze(0)
        w = None if weight is None else weight.to(input.dtype)
        out = F.nll_loss(input, target.to(torch.int64), weight=w,
                         ignore_index=ignore_index, reduction=reduction)  # -w_y x_y: exact
        return out.squeeze(0) if cd == 0 and reduction == "none" else out

    @staticmethod
    def backward(ctx: Any, grad_output):
        input, target, weight = ctx.saved_tensors
        ignore_index, reduction, cd = ctx.options
        _, idx, w_y = _index_setup(input, target, weight, ignore_index, cd)
        up = _upstream(grad_output, reduction, cd, _mean_denominator(w_y), w_y)
        grad = torch.zeros_like(input).scatter_(cd, idx, -w_y * up)
        return grad, None, None, None, None, None


class NLLLoss(Loss):
    r"""Negative log-likelihood, a drop-in for ``torch.nn.NLLLoss`` with a hand-derived backward.

    .. math::
        \ell_n = -w_{y_n}\, x_{n, y_n}, \qquad
        \frac{\partial \ell_n}{\partial x_{n,i}} = -w_i\, [i = y_n], \qquad
        \text{mean} = \frac{\sum_n \ell_n}{\sum_{n\ \text{not ignored}} w_{y_n}}

    Parameters
    ----------
    weight : Tensor, optional
        Shape (C,): a weight per class (a buffer of the module).
    size_average, reduce : None
        PyTorch's deprecated arguments, kept in their positions; anything but ``None`` raises.
    ignore_index : int
        Targets equal to it add nothing and leave the mean's denominator.
    reduction : {"none", "mean", "sum"}
        As ``torch.nn.NLLLoss``.
    validate : bool
        Keyword-only. Check that every target is a class index or ``ignore_index``.

    Notes
    -----
    The forward is ``torch.nn.functional.nll_loss`` (it picks and multiplies: exact); the
    backward writes :math:`-w_y \bar g` at each target (:func:`lossbook.nll_loss_grad`), 0 for
    every ignored target, also when all are ignored (where the "mean" is 0/0 = NaN).

    See Also
    --------
    lossbook.nll_loss, lossbook.nll_loss_grad : the reference and its gradient.
    CrossEntropyLoss : NLL of the log-softmax, in one exact step.
    notebooks/02_cross_entropy.ipynb : the derivation.

    References
    ----------
    PyTorch, ``torch.nn.NLLLoss`` and ``aten/src/ATen/native/LossNLL.cpp``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import NLLLoss
    >>> logp = torch.log(torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    >>> print(f"{NLLLoss()(logp, torch.tensor([0, 2])).item():.6f}")
    0.289909
    """

    def __init__(self, weight: torch.Tensor | None = None, size_average=None,
                 ignore_index: int = -100, reduce=None, reduction: str = "mean", *,
                 validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate)
        self.register_buffer("weight", weight)
        self.ignore_index = check_option(ignore_index, "ignore_index", int)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, ignore_index={self.ignore_index}"

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        cd, _ = _checks(input, target, self.weight, self.ignore_index, self.reduction, 0.0,
                        self.validate, probabilities=False)
        return _NLL.apply(input, target, self.weight, self.ignore_index, self.reduction, cd)
