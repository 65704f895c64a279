"""The one set of input checks. Every message names the argument, what was expected and what came.

Shape checks are free and always run. Checks that must look at values (index range,
probability range, sums, labels) cost a pass over the data and force a host sync, so the
losses run them only when ``validate=True`` (the default); training code under
``torch.compile`` passes ``validate=False``. Reference checks never switch them off.
"""

from __future__ import annotations

import math
from numbers import Real

from lossbook._array import Array, device, namespace

__all__ = [
    "check_class_indices",
    "check_distribution",
    "check_in_set",
    "check_non_empty",
    "check_non_negative",
    "check_probabilities",
    "check_same_shape",
    "shape_str",
]


def shape_str(x: Array) -> str:
    """A shape as PyTorch and NumPy users read it: ``(4, 1)``, ``(4,)``, ``()``."""
    return str(tuple(int(d) for d in x.shape))


def check_same_shape(a: Array, b: Array, names: tuple[str, str] = ("input", "target")) -> None:
    """Require identical shapes: no broadcasting, so (N, 1) against (N,) is an error, not (N, N).

    Examples
    --------
    >>> import numpy as np
    >>> check_same_shape(np.zeros((4, 1)), np.zeros(4))
    Traceback (most recent call last):
    ...
    ValueError: input and target must have the same shape (no broadcasting); got input (4, 1) and target (4,)
    """
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape (no broadcasting); "
            f"got {names[0]} {shape_str(a)} and {names[1]} {shape_str(b)}"
        )


def check_non_empty(x: Array, name: str = "input") -> None:
    """Require at least one element (a mean over nothing is NaN, not a loss).

    Examples
    --------
    >>> import numpy as np
    >>> check_non_empty(np.zeros((0, 3)))
    Traceback (most recent call last):
    ...
    ValueError: input must not be empty; got shape (0, 3)
    """
    if 0 in tuple(x.shape):  # no generator: torch.compile traces this without a graph break
        raise ValueError(f"{name} must not be empty; got shape {shape_str(x)}")


def check_non_negative(value: float, name: str) -> None:
    """Require a finite real number >= 0 (gamma, beta, delta, margin, smoothing, ...).

    Examples
    --------
    >>> check_non_negative(-0.5, "gamma")
    Traceback (most recent call last):
    ...
    ValueError: gamma must be a finite number >= 0; got -0.5
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")


def check_probabilities(p: Array, name: str = "input") -> None:
    """Require every value within [0, 1] (NaN is outside).

    Examples
    --------
    >>> import numpy as np
    >>> check_probabilities(np.array([0.2, 1.5]))
    Traceback (most recent call last):
    ...
    ValueError: input must hold probabilities within [0, 1]; got values from 0.2 to 1.5
    """
    xp = namespace(p)
    inside = xp.logical_and(p >= 0, p <= 1)
    if not bool(xp.all(inside)):
        lo, hi = float(xp.min(p)), float(xp.max(p))
        nan = ", and NaN" if bool(xp.any(xp.isnan(p))) else ""
        raise ValueError(
            f"{name} must hold probabilities within [0, 1]; got values from {lo:.6g} to {hi:.6g}{nan}"
        )


def check_distribution(p: Array, axis: int, name: str = "input", rtol: float | None = None) -> None:
    """Require probabilities that sum to 1 along ``axis``.

    The tolerance is a few hundred ulps of the dtype times the number of terms summed
    (default ``rtol = 64 * n * eps``), so rounding passes and a real mistake does not.

    Examples
    --------
    >>> import numpy as np
    >>> check_distribution(np.array([0.5, 0.6]), axis=-1, name="p")
    Traceback (most recent call last):
    ...
    ValueError: p must sum to 1 along axis -1; got sums from 1.1 to 1.1
    """
    check_probabilities(p, name)
    xp = namespace(p)
    n = int(p.shape[axis]) if p.ndim else 1
    if rtol is None:
        rtol = 64 * max(n, 1) * float(xp.finfo(p.dtype).eps)
    sums = xp.sum(p, axis=axis)
    if not bool(xp.all(xp.abs(sums - 1) <= rtol)):
        raise ValueError(
            f"{name} must sum to 1 along axis {axis}; got sums from "
            f"{float(xp.min(sums)):.6g} to {float(xp.max(sums)):.6g}"
        )


def check_class_indices(
    target: Array, num_classes: int, ignore_index: int | None = None, name: str = "target"
) -> None:
    """Require an integer array of class indices within [0, num_classes), except ``ignore_index``.

    Examples
    --------
    >>> import numpy as np
    >>> check_class_indices(np.array([0, 3, -100]), 3, ignore_index=-100)
    Traceback (most recent call last):
    ...
    ValueError: target must hold class indices within [0, 3) or ignore_index=-100; got 3
    """
    xp = namespace(target)
    if not xp.isdtype(target.dtype, "integral"):
        raise TypeError(
            f"{name} must hold integer class indices; got dtype "
            f"{str(target.dtype).removeprefix('torch.')}"
        )
    bad = xp.logical_or(target < 0, target >= num_classes)
    if ignore_index is not None:
        bad = xp.logical_and(bad, target != ignore_index)
    if bool(xp.any(bad)):
        first = int(target[bad][0]) if target.ndim else int(target)
        also = "" if ignore_index is None else f" or ignore_index={ignore_index}"
        raise ValueError(
            f"{name} must hold class indices within [0, {num_classes}){also}; got {first}"
        )


def check_in_set(x: Array, allowed: tuple[float, ...], name: str = "target") -> None:
    """Require every value in ``allowed`` (for example labels in {-1, 1}).

    Examples
    --------
    >>> import numpy as np
    >>> check_in_set(np.array([1.0, 0.0]), (-1, 1))
    Traceback (most recent call last):
    ...
    ValueError: target must hold only the values {-1, 1}; got 0.0
    """
    xp = namespace(x)
    ok = xp.zeros(x.shape, dtype=xp.bool, device=device(x))
    for v in allowed:
        ok = xp.logical_or(ok, x == v)
    if not bool(xp.all(ok)):
        first = x[xp.logical_not(ok)][0] if x.ndim else x
        values = ", ".join(str(v) for v in allowed)
        raise ValueError(f"{name} must hold only the values {{{values}}}; got {float(first)!r}")

