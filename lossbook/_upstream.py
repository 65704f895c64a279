"""The upstream gradient a loss's ``_grad`` receives: ``grad_output``, checked and reduced.

Every ``<loss>_grad(..., grad_output=None)`` returns the vector-Jacobian product of the reduced
loss with respect to its first argument: ``grad_output`` times the Jacobian, where
``grad_output`` has the loss's output shape (one value per element for ``reduction="none"``,
0-d otherwise) and ``None`` means ones (the gradient of the sum for "none").
:func:`reduce_grad` turns it into the factor each per-element loss receives.
"""

from __future__ import annotations

from typing import Any

from lossbook._array import Array, float_input, namespace
from lossbook._validation import shape_str

__all__ = ["check_grad_output", "reduce_grad"]


def _dtype(x: Array) -> str:
    return str(x.dtype).removeprefix("torch.")


def check_grad_output(
    xp: Any, grad_output: Array, shape: tuple[int, ...], like: Array, like_name: str = "input"
) -> Array:
    """Require ``grad_output`` to be a real floating array of ``like``'s library, dtype and ``shape``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros(3)
    >>> check_grad_output(namespace(x), np.ones(2), (3,), x)
    Traceback (most recent call last):
    ...
    ValueError: grad_output must have the output's shape (3,); got (2,)
    """
    namespace(like, grad_output)
    float_input(grad_output, "grad_output")
    if grad_output.dtype != like.dtype:
        raise TypeError(
            f"grad_output must have the dtype of {like_name} ({_dtype(like)}); got "
            f"{_dtype(grad_output)} (cast one of them explicitly)"
        )
    if tuple(int(d) for d in grad_output.shape) != tuple(shape):
        raise ValueError(
            f"grad_output must have the output's shape {tuple(shape)}; "
            f"got {shape_str(grad_output)}"
        )
    return grad_output


def reduce_grad(
    xp: Any,
    shape: tuple[int, ...],
    reduction: str,
    grad_output: Array | None,
    *,
    like: Array,
    like_name: str = "input",
) -> Array | float:
    """The vector-Jacobian product of a reduction: what each per-element loss receives.

    .. math::
        g_i = \\frac{\\partial\\, \\mathrm{reduce}(\\ell)}{\\partial \\ell_i}\\, \\bar g
        = \\begin{cases} \\bar g_i & \\text{none} \\\\ \\bar g & \\text{sum} \\\\
        \\bar g / n & \\text{mean} \\end{cases}

    with :math:`\\bar g` the ``grad_output`` (ones when ``None``) and :math:`n` the number of
    per-element losses.

    Parameters
    ----------
    xp : namespace
        The array namespace.
    shape : tuple of int
        The shape of the per-element losses.
    reduction : {"none", "mean", "sum"}
        The loss's reduction (already checked).
    grad_output : array or None
        The upstream gradient: of shape ``shape`` for "none", 0-d otherwise, of ``like``'s
        dtype.
    like, like_name : array, str
        The loss's first argument and its name, for the dtype check and its message.

    Returns
    -------
    array or float
        Broadcastable against the per-element losses.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((2, 5))
    >>> reduce_grad(namespace(x), x.shape, "mean", None, like=x)
    0.1
    """
    if grad_output is None:
        g: Array | float = 1.0
    else:
        out_shape = tuple(int(d) for d in shape) if reduction == "none" else ()
        g = check_grad_output(xp, grad_output, out_shape, like, like_name)
    if reduction == "mean":
        n = 1
        for d in shape:
            n *= int(d)
        return g / n
    return g
