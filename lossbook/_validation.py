"""The one set of input checks. Every message names the argument, what was expected and what came.

Shape and option checks are free and always run. Checks that must look at values (index range,
probability range, sums, labels) cost a pass over the data and force a host sync, so the
losses run them only when ``validate=True`` (the default); training code under
``torch.compile`` passes ``validate=False``. Reference checks never switch them off.

Options (``reduction`` aside) go through :func:`check_option`: a bool flag must be a bool, an
int option an integer, a real option a real number; NumPy scalars (``np.bool_``, ``np.int64``,
``np.float64``) are accepted as the Python value they hold, and the Python value is returned.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np

from lossbook._array import (
    Array,
    check_float,
    check_integer,
    device,
    int_equal,
    int_outside,
    value_of,
)

__all__ = [
    "check_class_dim",
    "check_class_indices",
    "check_class_weights",
    "check_dim",
    "check_distribution",
    "check_in_set",
    "check_index_target",
    "check_log_probabilities",
    "check_non_empty",
    "check_non_negative",
    "check_non_negative_values",
    "check_option",
    "check_probabilities",
    "check_same_shape",
    "shape_str",
]


def shape_str(x: Array) -> str:
    """A shape as PyTorch and NumPy users read it: ``(4, 1)``, ``(4,)``, ``()``."""
    return str(tuple(int(d) for d in x.shape))


def _what(value: Any) -> str:
    """A refused option as a message shows it: its type, and its value if short."""
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return type(value).__name__ + (f" {text}" if len(text) <= 40 else "")


def check_option(value: Any, name: str, kind: type) -> Any:
    """Check an option and return it as the Python ``bool``, ``int`` or ``float`` it holds.

    Parameters
    ----------
    value
        The option as given.
    name : str
        Its name, for the message.
    kind : {bool, int, float}
        ``bool``: True or False (``np.bool_`` too). ``int``: an integer (``np.int64`` too), not
        a bool. ``float``: a real number (integers and NumPy scalars too), not a bool.

    Raises
    ------
    TypeError
        Naming the option, what it must be and what came.

    Examples
    --------
    >>> import numpy as np
    >>> check_option(np.int64(-100), "ignore_index", int)
    -100
    >>> check_option("no", "sigmoid", bool)
    Traceback (most recent call last):
    ...
    TypeError: sigmoid must be True or False; got str 'no'
    """
    is_bool = isinstance(value, bool | np.bool_)
    if kind is bool:
        if not is_bool:
            raise TypeError(f"{name} must be True or False; got {_what(value)}")
        return bool(value)
    if kind is int:
        if is_bool or not isinstance(value, Integral):
            raise TypeError(f"{name} must be an int; got {_what(value)}")
        return int(value)
    if kind is float:
        if is_bool or not isinstance(value, Real):
            raise TypeError(f"{name} must be a real number; got {_what(value)}")
        return float(value)
    raise ValueError(f"kind must be bool, int or float; got {kind!r}")


def check_dim(x: Array, dim: Any, name: str = "input", holds: str = "to reduce over") -> int:
    """Check the ``dim`` option against ``x`` and return it as a non-negative axis.

    Examples
    --------
    >>> import numpy as np
    >>> check_dim(np.zeros((2, 3)), -1)
    1
    >>> check_dim(np.zeros((2, 3)), 2, "p")
    Traceback (most recent call last):
    ...
    ValueError: dim must be within [-2, 2) for p of shape (2, 3); got 2
    """
    dim = check_option(dim, "dim", int)
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension {holds}; got shape ()")
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(
            f"dim must be within [{-x.ndim}, {x.ndim}) for {name} of shape {shape_str(x)}; "
            f"got {dim}"
        )
    return dim % x.ndim


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


def check_non_negative(value: Any, name: str) -> float:
    """Require a finite real number >= 0 (gamma, beta, delta, margin, smoothing, ...); return it.

    Examples
    --------
    >>> check_non_negative(-0.5, "gamma")
    Traceback (most recent call last):
    ...
    ValueError: gamma must be a finite number >= 0; got -0.5
    """
    v = check_option(value, name, float)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return v


def check_probabilities(xp: Any, p: Array, name: str = "input") -> None:
    """Require every value within [0, 1] (NaN is outside).

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook._array import namespace
    >>> p = np.array([0.2, 1.5])
    >>> check_probabilities(namespace(input=p), p)
    Traceback (most recent call last):
    ...
    ValueError: input must hold probabilities within [0, 1]; got values from 0.2 to 1.5
    """
    inside = xp.logical_and(p >= 0, p <= 1)
    if not bool(xp.all(inside)):
        lo, hi = value_of(xp.min(p)), value_of(xp.max(p))
        nan = ", and NaN" if bool(xp.any(xp.isnan(p))) else ""
        raise ValueError(
            f"{name} must hold probabilities within [0, 1]; got values from {lo:.6g} to {hi:.6g}{nan}"
        )


def check_log_probabilities(xp: Any, x: Array, name: str = "input") -> None:
    """Require every value <= 0 (NaN is outside): log-probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook._array import namespace
    >>> x = np.array([-1.0, 0.5])
    >>> check_log_probabilities(namespace(input=x), x)
    Traceback (most recent call last):
    ...
    ValueError: input must hold log-probabilities (values <= 0, e.g. from log_softmax); got values up to 0.5
    """
    if not bool(xp.all(x <= 0)):
        nan = ", and NaN" if bool(xp.any(xp.isnan(x))) else ""
        raise ValueError(
            f"{name} must hold log-probabilities (values <= 0, e.g. from log_softmax); "
            f"got values up to {value_of(xp.max(x)):.6g}{nan}"
        )


def check_distribution(
    xp: Any, p: Array, dim: int, name: str = "input", rtol: float | None = None
) -> None:
    """Require probabilities that sum to 1 along ``dim``.

    The tolerance is a few hundred ulps of the dtype times the number of terms summed
    (default ``rtol = 64 * n * eps``), so rounding passes and a real mistake does not.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook._array import namespace
    >>> p = np.array([0.5, 0.6])
    >>> check_distribution(namespace(p=p), p, dim=-1, name="p")
    Traceback (most recent call last):
    ...
    ValueError: p must sum to 1 along dim -1; got sums from 1.1 to 1.1
    """
    check_probabilities(xp, p, name)
    n = int(p.shape[dim]) if p.ndim else 1
    if rtol is None:
        rtol = 64 * max(n, 1) * float(xp.finfo(p.dtype).eps)
    sums = xp.sum(p, axis=dim)
    if not bool(xp.all(xp.abs(sums - 1) <= rtol)):
        raise ValueError(
            f"{name} must sum to 1 along dim {dim}; got sums from "
            f"{value_of(xp.min(sums)):.6g} to {value_of(xp.max(sums)):.6g}"
        )


def check_class_indices(
    xp: Any, target: Array, num_classes: int, ignore_index: int | None = None,
    name: str = "target",
) -> None:
    """Require class indices within [0, num_classes), except ``ignore_index``, without wrapping.

    ``target`` has an integer dtype (the caller checked it); the bounds are compared as the
    numbers they are, so a uint8 target with 300 classes or an int8 target with 200 classes is
    judged right.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook._array import namespace
    >>> t = np.array([0, 3, -100])
    >>> check_class_indices(namespace(target=t), t, 3, ignore_index=-100)
    Traceback (most recent call last):
    ...
    ValueError: target must hold class indices within [0, 3) or ignore_index=-100; got 3
    """
    bad = int_outside(xp, target, 0, num_classes)
    if ignore_index is not None:
        bad = xp.logical_and(bad, xp.logical_not(int_equal(xp, target, ignore_index)))
    if bool(xp.any(bad)):
        first = int(target[bad][0]) if target.ndim else int(target)
        also = "" if ignore_index is None else f" or ignore_index={ignore_index}"
        raise ValueError(
            f"{name} must hold class indices within [0, {num_classes}){also}; got {first}"
        )


def check_in_set(xp: Any, x: Array, allowed: tuple[int, ...], name: str = "target") -> None:
    """Require every value in ``allowed`` (labels in {-1, 1}), integer values compared without wrapping.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook._array import namespace
    >>> y = np.array([1.0, 0.0])
    >>> check_in_set(namespace(target=y), y, (-1, 1))
    Traceback (most recent call last):
    ...
    ValueError: target must hold only the values {-1, 1}; got 0.0
    """
    integral = xp.isdtype(x.dtype, "integral")
    ok = xp.zeros(x.shape, dtype=xp.bool, device=device(x))
    for v in allowed:
        ok = xp.logical_or(ok, int_equal(xp, x, v) if integral else x == v)
    if not bool(xp.all(ok)):
        first = x[xp.logical_not(ok)][0] if x.ndim else x
        values = ", ".join(str(v) for v in allowed)
        shown = int(value_of(first)) if integral else float(value_of(first))
        raise ValueError(f"{name} must hold only the values {{{values}}}; got {shown!r}")


def check_non_negative_values(xp: Any, w: Array, name: str) -> None:
    """Require every value finite and >= 0 (weights; NaN is refused).

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook._array import namespace
    >>> w = np.array([1.0, np.nan])
    >>> check_non_negative_values(namespace(weight=w), w, "weight")
    Traceback (most recent call last):
    ...
    ValueError: weight must hold finite values >= 0; got nan
    """
    ok = xp.logical_and(xp.isfinite(w), w >= 0)
    if not bool(xp.all(ok)):
        first = w[xp.logical_not(ok)][0] if w.ndim else w
        raise ValueError(f"{name} must hold finite values >= 0; got {float(value_of(first)):.6g}")


# --- class-index losses: cross-entropy, NLL, softmax focal -------------------------------------


def check_class_dim(input: Array) -> int:
    """The class dim of a classification input: 1, or 0 for an unbatched input of shape (C,)."""
    if input.ndim == 0:
        raise ValueError(
            "input must have shape (C,), (N, C) or (N, C, d1, ..., dK) with the classes on "
            "dim 1 (dim 0 if unbatched); got shape ()"
        )
    return 0 if input.ndim == 1 else 1


def check_index_target(
    xp: Any, input: Array, target: Array, cd: int, what: str = "integer class indices"
) -> None:
    """Require integer class indices of the input's shape without the class dim ``cd``."""
    check_integer(xp, target, "target", what)
    expected = tuple(int(n) for i, n in enumerate(input.shape) if i != cd)
    if tuple(int(n) for n in target.shape) != expected:
        raise ValueError(
            f"target of class indices must have shape {expected} for input of shape "
            f"{shape_str(input)} (the input's shape without the class dim {cd}); "
            f"got {shape_str(target)}"
        )


def check_class_weights(xp: Any, weight: Array, input: Array, cd: int, name: str) -> Array:
    """Require one weight per class, of the input's dtype; return it shaped to broadcast on ``cd``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook._array import namespace
    >>> x, w = np.zeros((2, 3)), np.ones(2)
    >>> check_class_weights(namespace(input=x, weight=w), w, x, 1, "weight")
    Traceback (most recent call last):
    ...
    ValueError: weight must have shape (3,), one value per class of input (2, 3); got (2,)
    """
    check_float(xp, weight, name, like=input)
    n = int(input.shape[cd])
    if tuple(int(d) for d in weight.shape) != (n,):
        raise ValueError(
            f"{name} must have shape ({n},), one value per class of input {shape_str(input)}; "
            f"got {shape_str(weight)}"
        )
    shape = [1] * input.ndim
    shape[cd] = n
    return xp.reshape(weight, tuple(shape))
