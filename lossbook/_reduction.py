"""The one reduction shared by every loss: "none", "mean" or "sum", as in PyTorch."""

from __future__ import annotations

from lossbook._array import Array, namespace

__all__ = ["REDUCTIONS", "check_reduction", "grad_scale", "reduce"]

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction: str, valid: tuple[str, ...] = REDUCTIONS) -> str:
    """Return ``reduction`` if it is one of ``valid``, else raise a ValueError listing them.

    Examples
    --------
    >>> check_reduction("avg")
    Traceback (most recent call last):
    ...
    ValueError: reduction must be one of 'none', 'mean', 'sum'; got 'avg'
    """
    if not isinstance(reduction, str) or reduction not in valid:
        choices = ", ".join(repr(r) for r in valid)
        raise ValueError(f"reduction must be one of {choices}; got {reduction!r}")
    return reduction


def reduce(values: Array, reduction: str) -> Array:
    """Reduce per-element losses: ``"none"`` keeps them, ``"mean"`` averages, ``"sum"`` adds.

    .. math::
        \\text{none}: \\ell_i, \\qquad \\text{mean}: \\frac{1}{n}\\sum_i \\ell_i,
        \\qquad \\text{sum}: \\sum_i \\ell_i

    Parameters
    ----------
    values : array
        Per-element losses, any shape.
    reduction : {"none", "mean", "sum"}
        How to reduce them.

    Returns
    -------
    array
        ``values`` itself for "none", else a 0-d array of the same type, dtype and device.

    Notes
    -----
    The mean of zero elements is NaN, as in PyTorch; losses refuse empty input before they
    get here, so this only matters to code that calls ``reduce`` directly.

    Examples
    --------
    >>> import numpy as np
    >>> print(float(reduce(np.array([1.0, 2.0, 6.0]), "mean")))
    3.0
    """
    check_reduction(reduction)
    if reduction == "none":
        return values
    xp = namespace(values)
    if reduction == "sum":
        return xp.sum(values)
    return xp.mean(values)


def grad_scale(values: Array, reduction: str) -> float:
    """The factor d(reduce(v))/dv_i: 1 for "none" (the gradient of the sum) and "sum", 1/n for "mean".

    Examples
    --------
    >>> import numpy as np
    >>> grad_scale(np.ones((2, 5)), "mean")
    0.1
    """
    check_reduction(reduction)
    if reduction == "mean":
        n = 1
        for d in values.shape:
            n *= d
        return 1.0 / n
    return 1.0
