"""The one reduction shared by every loss, and its gradient: "none", "mean" or "sum", as in PyTorch.

``reduce`` turns per-element losses into the loss; ``reduce_grad`` is its vector-Jacobian
product, the upstream gradient each per-element loss receives. Both know every denominator the
losses use: the number of elements (the plain mean), a weight total (cross-entropy's weighted
mean, focal's mean over the non-ignored elements) and the batch size (``kl_div``'s
"batchmean").

A weight total overflows long before the weighted mean does: ``scale_to_one`` divides the
weights by a power of two first, which leaves the mean's value unchanged.
"""

from __future__ import annotations

from typing import Any

from lossbook._array import Array, check_float, namespace, quiet
from lossbook._validation import shape_str

__all__ = ["REDUCTIONS", "check_reduction", "reduce", "reduce_grad", "scale_to_one"]

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


def _count(shape: tuple[int, ...], reduction: str) -> int:
    """The default denominator: every element ("mean") or the batch size ("batchmean")."""
    if reduction == "batchmean":
        return int(shape[0]) if len(shape) else 1
    n = 1
    for d in shape:
        n *= int(d)
    return n


def reduce(
    values: Array, reduction: str, *, xp: Any = None, denominator: Array | None = None
) -> Array:
    """Reduce per-element losses: ``"none"`` keeps them, ``"sum"`` adds, the means divide.

    .. math::
        \\text{none}: \\ell_i, \\qquad \\text{sum}: \\sum_i \\ell_i, \\qquad
        \\text{mean}: \\frac{1}{D}\\sum_i \\ell_i

    Parameters
    ----------
    values : array
        Per-element losses, any shape.
    reduction : {"none", "mean", "sum", "batchmean"}
        How to reduce them. The caller has checked that its loss offers ``reduction``.
    xp : namespace, optional
        The array namespace of ``values``, as the public function resolved it.
    denominator : array, optional
        The mean's divisor :math:`D` when it is not the number of elements: the total weight
        of the non-ignored targets (cross-entropy with ``weight``, NLL, focal). By default
        :math:`D` is the number of elements ("mean") or ``values.shape[0]`` ("batchmean",
        1 for 0-d values, as in PyTorch).

    Returns
    -------
    array
        ``values`` itself for "none", else a 0-d array of the same type, dtype and device.

    Notes
    -----
    A zero denominator gives 0/0 = NaN, as in PyTorch (every target ignored), without a NumPy
    RuntimeWarning; the losses refuse empty input before they get here. A weighted mean
    passes weights scaled by :func:`scale_to_one`, so that its two totals stay finite.

    Examples
    --------
    >>> import numpy as np
    >>> print(float(reduce(np.array([1.0, 2.0, 6.0]), "mean")))
    3.0
    """
    if reduction == "none":
        return values
    xp = namespace(values=values) if xp is None else xp
    with quiet(values):  # a sum beyond the largest float is inf; 0/0 is the documented NaN
        total = xp.sum(values)
        if reduction == "sum":
            return total
        if denominator is None:
            return total / _count(tuple(values.shape), reduction)
        return total / denominator


def reduce_grad(
    shape: tuple[int, ...],
    reduction: str,
    grad_output: Array | None,
    *,
    like: Array,
    xp: Any = None,
    like_name: str = "input",
    denominator: Array | None = None,
    expand: int | None = None,
) -> Array | float:
    """The vector-Jacobian product of :func:`reduce`: what each per-element loss receives.

    .. math::
        g_i = \\frac{\\partial\\, \\mathrm{reduce}(\\ell)}{\\partial \\ell_i}\\, \\bar g
        = \\begin{cases} \\bar g_i & \\text{none} \\\\ \\bar g & \\text{sum} \\\\
        \\bar g / D & \\text{mean, batchmean} \\end{cases}

    with :math:`\\bar g` the ``grad_output`` (ones when ``None``: for "none" the gradient of
    the sum). A loss's ``_grad`` multiplies its per-element derivative by this.

    Parameters
    ----------
    shape : tuple of int
        The shape of the per-element losses.
    reduction : {"none", "mean", "sum", "batchmean"}
        As for :func:`reduce`.
    grad_output : array or None
        The upstream gradient, with the loss's output shape: ``shape`` for "none",
        0-d otherwise; of ``like``'s dtype.
    like : array
        The loss's ``input``, whose dtype ``grad_output`` must have.
    like_name : str
        Its name in error messages.
    xp : namespace, optional
        The array namespace of ``like``, as the public function resolved it.
    denominator : array, optional
        As for :func:`reduce`. Where it is 0 no element contributes to the loss, so each
        element's derivative is 0 already; the divisor is then taken as 1 and the gradient is
        0, as PyTorch's (the loss itself is 0/0 = NaN).
    expand : int, optional
        For "none" with an upstream array: insert a size-1 axis there, so the result
        broadcasts against an input that has one more axis than the losses (the class axis
        of cross-entropy, the embedding axis of the margin losses).

    Returns
    -------
    array or float
        Broadcastable against the per-element losses: ``grad_output`` for "none", a 0-d array or a Python
        number otherwise.

    Raises
    ------
    TypeError
        If ``grad_output`` is not a real floating array of ``like``'s dtype and library.
    ValueError
        If ``grad_output`` does not have the output's shape.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.ones((2, 5))
    >>> reduce_grad(v.shape, "mean", None, like=v)
    0.1
    """
    xp = namespace(input=like) if xp is None else xp
    if grad_output is None:
        g = 1.0
    else:
        out_shape = tuple(int(d) for d in shape) if reduction == "none" else ()
        g = check_grad_output(xp, grad_output, out_shape, like, like_name)
        if expand is not None and reduction == "none":
            g = xp.expand_dims(g, axis=expand)
    if reduction in ("none", "sum"):
        return g
    if denominator is None:
        return g / _count(shape, reduction)
    safe = xp.where(denominator == 0, xp.ones_like(denominator), denominator)
    return g / safe


def scale_to_one(xp: Any, weights: Array, *arrays: Array) -> tuple[Array, ...]:
    r"""Divide ``weights`` and ``arrays`` by the power of two :math:`2^e` with
    :math:`\max_i |w_i| \in [2^{e-1}, 2^e)`.

    A weighted mean :math:`\sum_i w_i \ell_i / \sum_i w_i` does not change when every
    weight is divided by one number, but its two totals overflow to inf (and give
    inf / inf = NaN) once the weights come near the largest float, while the mean is finite.
    After the scaling the largest weight lies in [1/2, 1), so the denominator is at most the
    number of terms and each product :math:`w_i \ell_i` at most :math:`\ell_i`. Dividing
    by a power of two is exact (unless a value falls below the smallest normal float, which
    takes a weight :math:`2^{1021}` times smaller than the largest in float64), so ordinary
    weights give the same bits as unscaled ones. If the largest is 0, inf or NaN, nothing
    is scaled (:math:`e = 0`).

    Parameters
    ----------
    xp : namespace
        The array namespace.
    weights : array
        The weights whose largest absolute value sets the scale.
    *arrays : array
        Further arrays to divide by the same power of two (cross-entropy passes the weight of
        each element's target as ``weights`` and the class weights here).

    Returns
    -------
    tuple of array
        ``weights`` and each of ``arrays``, scaled.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook._array import namespace
    >>> w = np.array([1.5e308, 1.0e308, 0.5e308])  # w.sum() is inf
    >>> (scaled,) = scale_to_one(namespace(weight=w), w)
    >>> print(scaled.max(), float(scaled @ np.array([2.0, 4.0, 6.0]) / scaled.sum()))
    0.8344026969402005 3.3333333333333335
    """
    _, e = xp.frexp(xp.max(xp.abs(weights)))
    return tuple(xp.ldexp(a, -e) for a in (weights, *arrays))


def check_grad_output(
    xp: Any, grad_output: Array, shape: tuple[int, ...], like: Array, like_name: str = "input"
) -> Array:
    """Require ``grad_output`` to be a real floating array of ``like``'s dtype and ``shape``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook._array import namespace
    >>> x = np.zeros(3)
    >>> check_grad_output(namespace(input=x), np.ones(2), (3,), x)
    Traceback (most recent call last):
    ...
    ValueError: grad_output must have the output's shape (3,); got (2,)
    """
    check_float(xp, grad_output, "grad_output", like=like, like_name=like_name)
    if tuple(int(d) for d in grad_output.shape) != tuple(shape):
        raise ValueError(
            f"grad_output must have the output's shape {tuple(shape)}; "
            f"got {shape_str(grad_output)}"
        )
    return grad_output
