"""KLDivLoss: PyTorch's pointwise KL terms with lossbook's rounding and zero-probability limits."""

from __future__ import annotations

from typing import Any

import torch

from lossbook import information
from lossbook.nn._base import Loss

__all__ = ["KLDivLoss"]


def _terms(input: torch.Tensor, target: torch.Tensor, log_target: bool) -> torch.Tensor:
    """t (log t - x), or e^t (t - x) with log_target; 0 where the probability is 0."""
    if log_target:
        pt = torch.exp(target)
        return torch.where(pt == 0, torch.zeros((), dtype=input.dtype), pt * (target - input))
    return torch.where(target == 0, torch.zeros((), dtype=input.dtype),
                       target * (torch.log(target) - input))


def _scale(input: torch.Tensor, reduction: str) -> float:
    if reduction == "mean":
        return 1.0 / input.numel()
    if reduction == "batchmean" and input.ndim > 0:
        return 1.0 / input.shape[0]
    return 1.0


class _KLDiv(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, target, reduction, log_target):
        ctx.save_for_backward(input, target)
        ctx.options = (reduction, log_target)
        terms = _terms(input, target, log_target)
        if reduction == "none":
            return terms
        total = terms.sum()
        scale = _scale(input, reduction)
        return total if scale == 1.0 else total * scale

    @staticmethod
    def backward(ctx: Any, grad_output):
        input, target = ctx.saved_tensors
        reduction, log_target = ctx.options
        up = grad_output * _scale(input, reduction)
        grad_input = grad_target = None
        prob = torch.exp(target) if log_target else target
        if ctx.needs_input_grad[0]:
            grad_input = -prob * up  # d/dx of t (log t - x)
        if ctx.needs_input_grad[1]:
            if log_target:  # d/dt of e^t (t - x) = e^t (t - x + 1)
                local = prob * (target - input + 1)
            else:  # d/dt of t log t - t x = log t + 1 - x (-inf at t = 0, the one-sided limit)
                local = torch.log(target) + 1 - input
            grad_target = local * up
        return grad_input, grad_target, None, None


class KLDivLoss(Loss):
    r"""PyTorch's KL divergence loss, a drop-in for ``torch.nn.KLDivLoss``, with lossbook's rounding.

    .. math::
        \ell_i = t_i (\log t_i - x_i) \quad (\text{log\_target=False}), \qquad
        \ell_i = e^{t_i} (t_i - x_i) \quad (\text{log\_target=True}), \qquad
        \frac{\partial \ell_i}{\partial x_i} = -t_i \ \text{ or } -e^{t_i}

    with ``x = input`` (log-probabilities) and ``t = target``; "batchmean" divides the sum by
    ``input.shape[0]``, "mean" by the number of elements (PyTorch's definitions).

    Parameters
    ----------
    size_average, reduce : None
        PyTorch's deprecated arguments, kept in their positions; anything but ``None`` raises.
    reduction : {"none", "mean", "sum", "batchmean"}
        As ``torch.nn.KLDivLoss``; "batchmean" is the KL divergence per sample.
    log_target : bool
        Whether ``target`` holds log-probabilities.
    validate : bool
        Keyword-only. Check that the input holds log-probabilities (<= 0) and the target
        probabilities (or log-probabilities); a pass over the data.

    Notes
    -----
    Each term is computed as :math:`t (\log t - x)`, one rounding less than PyTorch's
    :math:`\operatorname{xlogy}(t, t) - t x`, and a zero probability contributes exactly 0
    (PyTorch gives NaN for ``target = 0`` with ``input = -inf``): it equals
    :func:`lossbook.kl_div`. Where the target is the exponential of the input up to rounding,
    the term is a difference of two logarithms that agree to the last bit; it is
    ill-conditioned there (relative condition number :math:`1 / |\log t - x|`), and every
    float64 algorithm returns its rounding noise (benchmarks/RESULTS.md reports the backward
    error). The gradient with respect to the target is :math:`\log t + 1 - x` (or
    :math:`e^t (t - x + 1)`).

    See Also
    --------
    lossbook.kl_div, lossbook.kl_div_grad : the reference and its gradient.
    lossbook.kl_divergence : KL between two probability vectors.
    notebooks/03_kl_divergence.ipynb : the derivation.

    References
    ----------
    S. Kullback and R. A. Leibler, "On Information and Sufficiency", Ann. Math. Statist. 22
    (1951); PyTorch, ``torch.nn.KLDivLoss``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import KLDivLoss
    >>> log_q = torch.log(torch.tensor([[0.25, 0.75]]))
    >>> p = torch.tensor([[0.5, 0.5]])
    >>> print(f"{KLDivLoss(reduction='batchmean')(log_q, p).item():.6f}")
    0.143841
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False, *, validate: bool = True) -> None:
        super().__init__(reduction, size_average=size_average, reduce=reduce, validate=validate,
                         reductions=information.KL_DIV_REDUCTIONS)
        if not isinstance(log_target, bool):
            raise TypeError(f"log_target must be True or False; got {type(log_target).__name__}")
        self.log_target = log_target

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, log_target={self.log_target}"

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        information._kl_div_checks(input, target, self.reduction, self.log_target, self.validate)
        if target.dtype != input.dtype:
            target = target.to(input.dtype)
        return _KLDiv.apply(input, target, self.reduction, self.log_target)
