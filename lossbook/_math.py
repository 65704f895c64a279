"""Numerically stable primitives shared by the loss families, on any array API namespace.

No input checks here: the public functions validate, then call these. Every formula avoids
overflow and cancellation without an epsilon or a clamp:

- log-sum-exp shifts by the maximum, so no exp overflows and the largest term is exactly 1;
- softplus(x) = max(x, 0) + log1p(exp(-|x|)) and log_sigmoid(x) = -softplus(-x) never take
  exp of a positive number, and log1p keeps the tiny values accurate;
- xlogy(x, y) = 0 where x = 0 (so 0 log 0 = 0), with a gradient that is 0 there, not NaN.
"""

from __future__ import annotations

from lossbook._array import Array, is_torch, namespace

__all__ = ["log_sigmoid", "log_softmax", "logsumexp", "softmax", "softplus", "xlogy"]


def logsumexp(x: Array, axis: int = -1, keepdims: bool = False) -> Array:
    """log(sum(exp(x))) along ``axis``, shifted by the maximum; all -inf gives -inf, not NaN."""
    xp = namespace(x)
    m = xp.max(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    m = _detach(m)  # the shift cancels exactly; keep it out of autograd's graph
    out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else xp.squeeze(out, axis=axis)


def log_softmax(x: Array, axis: int = -1) -> Array:
    """x - logsumexp(x): log-probabilities, exact where softmax itself would underflow to 0."""
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x: Array, axis: int = -1) -> Array:
    """exp(x - max) / sum(exp(x - max)): no overflow for any finite logits."""
    xp = namespace(x)
    m = _detach(xp.max(x, axis=axis, keepdims=True))
    e = xp.exp(x - m)
    return e / xp.sum(e, axis=axis, keepdims=True)


def softplus(x: Array) -> Array:
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): exact for large |x| of either sign."""
    xp = namespace(x)
    return xp.maximum(x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))


def log_sigmoid(x: Array) -> Array:
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)) = -softplus(-x)."""
    xp = namespace(x)
    return xp.minimum(x, xp.zeros_like(x)) - xp.log1p(xp.exp(-xp.abs(x)))


def xlogy(x: Array, y: Array) -> Array:
    """x * log(y), with 0 where x == 0 (so 0 * log 0 = 0) and a finite gradient there."""
    xp = namespace(x, y)
    zero = x == 0
    safe_y = xp.where(zero, xp.ones_like(y), y)
    return xp.where(zero, xp.zeros_like(x), x * xp.log(safe_y))


def _detach(x: Array) -> Array:
    # The shift of a log-sum-exp cancels exactly, so it needs no gradient (torch only).
    return x.detach() if is_torch(x) else x
