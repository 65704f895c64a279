"""Numerically stable primitives shared by the loss families, on any array API namespace.

No input checks here: the public functions validate, then call these. Every formula avoids
overflow and cancellation without an epsilon or a clamp:

- log-sum-exp is split as m + log1p(T), with m the maximum and T the sum of the other
  exp(x_j - m): no exp overflows, and a tiny T keeps its relative accuracy;
- softplus(x) = max(x, 0) + log1p(exp(-|x|)) and log_sigmoid(x) = -softplus(-x) never take
  exp of a positive number, and log1p keeps the tiny values accurate;
- xlogy(x, y) = 0 where x = 0 (so 0 log 0 = 0), with a gradient that is 0 there, not NaN.
"""

from __future__ import annotations

import numpy as np

from lossbook._array import Array, device, is_torch, namespace

__all__ = [
    "log_sigmoid", "log_softmax", "logsumexp", "logsumexp_parts", "softmax", "softplus", "xlog1py",
    "xlogy",
]


def logsumexp_parts(x: Array, axis: int = -1) -> tuple[Array, Array]:
    """Split logsumexp(x) along ``axis`` as ``m + log1p(T)``, both with keepdims.

    ``m`` is the entry at the (first) argmax and ``T = sum_{j != argmax} exp(x_j - m)``.
    Unlike ``log(sum(exp(x - m)))``, ``log1p(T)`` keeps its relative accuracy when ``T`` is
    tiny (logits [40, 0]: T = 4.2e-18, where 1 + T rounds to 1). ``m`` is picked out with a
    mask (not ``max``), so autograd sends its gradient to one entry only, which keeps the
    derivative exact when the maximum is tied.
    """
    xp = namespace(x)
    n = x.shape[axis]
    shape = [1] * x.ndim
    shape[axis] = n
    classes = xp.reshape(xp.arange(n, device=device(x)), tuple(shape))
    top = classes == xp.argmax(x, axis=axis, keepdims=True)
    zero = xp.zeros_like(x)
    m = xp.sum(xp.where(top, x, zero), axis=axis, keepdims=True)
    shift = xp.where(xp.isfinite(m), m, xp.zeros_like(m))  # all -inf: lse = -inf, not NaN
    rest = xp.where(top, zero, xp.exp(x - shift))
    return m, xp.log1p(xp.sum(rest, axis=axis, keepdims=True))


def logsumexp(x: Array, axis: int = -1, keepdims: bool = False) -> Array:
    """log(sum(exp(x))) along ``axis`` as ``m + log1p(T)``; all -inf gives -inf, not NaN."""
    xp = namespace(x)
    m, log1p_t = logsumexp_parts(x, axis)
    out = m + log1p_t
    return out if keepdims else xp.squeeze(out, axis=axis)


def log_softmax(x: Array, axis: int = -1) -> Array:
    """(x - m) - log1p(T): two non-positive terms, so every entry keeps its relative accuracy,
    also where softmax itself underflows to 0 or rounds to 1."""
    m, log1p_t = logsumexp_parts(x, axis)
    return (x - m) - log1p_t


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
    return _x_times_log(x, y, log1p=False)


def xlog1py(x: Array, y: Array) -> Array:
    """x * log1p(y) = x * log(1 + y), accurate for tiny y, with 0 where x == 0."""
    return _x_times_log(x, y, log1p=True)


def _x_times_log(x: Array, y: Array, log1p: bool) -> Array:
    xp = namespace(x, y)
    zero = x == 0
    safe_y = xp.where(zero, xp.zeros_like(y) if log1p else xp.ones_like(y), y)
    log = xp.log1p if log1p else xp.log
    if is_torch(y):
        return xp.where(zero, xp.zeros_like(x), x * log(safe_y))
    with np.errstate(divide="ignore"):  # x > 0 where the log is -inf is meant to give -inf
        return xp.where(zero, xp.zeros_like(x), x * log(safe_y))


def _detach(x: Array) -> Array:
    # The shift of a log-sum-exp cancels exactly, so it needs no gradient (torch only).
    return x.detach() if is_torch(x) else x
