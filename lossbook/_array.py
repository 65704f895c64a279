"""The array namespace behind every lossbook function, and the dtype policy.

One implementation serves NumPy arrays and PyTorch tensors through the Python array API
(`array_api_compat`): NumPy float64 is the reference, torch tensors keep autograd, and the
result has the input's type, dtype and device. Each public function resolves the namespace once,
from all its array arguments by name (:func:`namespace`), and passes it down as ``xp``.

The dtype policy: floating arrays that meet in one computation share one dtype (a float32
``input`` with a float64 ``target`` is a TypeError naming ``target``; nothing is promoted or
cast). Integer class indices of any width are compared without wrapping (:func:`int_equal`,
:func:`class_mask`). bool is not a number, and complex is refused.
"""

from __future__ import annotations

import contextlib
from typing import Any

import array_api_compat
import numpy as np

__all__ = [
    "Array",
    "check_float",
    "check_integer",
    "class_mask",
    "device",
    "dtype_name",
    "float_input",
    "int_equal",
    "int_outside",
    "is_torch",
    "namespace",
    "quiet",
    "value_of",
]

Array = Any
"""A NumPy array or a torch tensor (any object the array API namespace accepts)."""


def _library(x: Array) -> str:
    return type(x).__module__.split(".")[0]


def namespace(**arrays: Array | None) -> Any:
    """Return the array API namespace shared by the named ``arrays`` (``None`` entries skipped).

    The public functions call this once, with every array argument by name, and pass the
    result down as ``xp``.

    Raises
    ------
    TypeError
        Naming the argument: if one is not an array (a list, a Python float), or the arrays
        mix libraries.

    Examples
    --------
    >>> import numpy as np
    >>> namespace(input=np.zeros(2)).__name__
    'array_api_compat.numpy'
    >>> namespace(input=np.zeros(2), target=[1.0, 0.0])
    Traceback (most recent call last):
    ...
    TypeError: target must be a NumPy array or a torch tensor, got list (wrap Python numbers and lists with numpy.asarray or torch.tensor)
    """
    present = {name: a for name, a in arrays.items() if a is not None}
    for name, a in present.items():
        if not array_api_compat.is_array_api_obj(a):
            raise TypeError(
                f"{name} must be a NumPy array or a torch tensor, got {type(a).__name__} "
                "(wrap Python numbers and lists with numpy.asarray or torch.tensor)"
            )
    try:
        return array_api_compat.array_namespace(*present.values())
    except TypeError as error:
        (first, a0), *rest = present.items()
        other = next(name for name, a in rest if _library(a) != _library(a0))
        raise TypeError(
            f"{other} must come from the same library as {first} ({_library(a0)}); got "
            f"{_library(present[other])} (convert with numpy.asarray or torch.from_numpy)"
        ) from error


def is_torch(x: Array) -> bool:
    """True if ``x`` is a torch tensor."""
    return array_api_compat.is_torch_array(x)


def value_of(x: Array) -> float:
    """A one-element array as a Python number, for a message.

    A torch tensor is read detached: ``float()`` of a tensor in an autograd graph makes torch
    warn, and a refused input should come with its error only.

    Examples
    --------
    >>> import numpy as np
    >>> value_of(np.array([2.5])[0])
    2.5
    """
    return (x.detach() if is_torch(x) else x).item()


def dtype_name(x: Array) -> str:
    """The dtype as users write it: ``float32`` for both ``numpy.float32`` and ``torch.float32``."""
    return str(x.dtype).removeprefix("torch.")


def check_float(
    xp: Any, x: Array, name: str, *, like: Array | None = None, like_name: str = "input"
) -> Array:
    """Require a real floating array (of ``like``'s dtype, if given); return ``x``.

    Losses are defined on real values: integer or boolean logits are refused rather than
    silently cast (a cast would hide, for example, class indices passed as logits), complex
    values too. Two floating arrays of one computation share one dtype: nothing is promoted.

    Raises
    ------
    TypeError
        If ``x`` is not a real floating array, or its dtype differs from ``like``'s.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros(2)
    >>> check_float(namespace(input=x), np.zeros(2, dtype=np.float32), "target", like=x)
    Traceback (most recent call last):
    ...
    TypeError: target must have the dtype of input (float64); got float32 (cast one of them explicitly)
    """
    if not xp.isdtype(x.dtype, "real floating"):
        raise TypeError(
            f"{name} must have a real floating dtype (float16/32/64, bfloat16), got {dtype_name(x)}"
        )
    if like is not None and x.dtype != like.dtype:
        raise TypeError(
            f"{name} must have the dtype of {like_name} ({dtype_name(like)}); got "
            f"{dtype_name(x)} (cast one of them explicitly)"
        )
    return x


def float_input(x: Array, name: str) -> Any:
    """Check that ``x`` is a real floating array and return its namespace (for one-array functions).

    Examples
    --------
    >>> import numpy as np
    >>> float_input(np.array([1, 2]), "input")
    Traceback (most recent call last):
    ...
    TypeError: input must have a real floating dtype (float16/32/64, bfloat16), got int64
    """
    xp = namespace(**{name: x})
    check_float(xp, x, name)
    return xp


def check_integer(xp: Any, x: Array, name: str, what: str = "integer class indices") -> Array:
    """Require an integer array (any width, signed or not; bool is not a number); return ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([True, False])
    >>> check_integer(namespace(target=x), x, "target")
    Traceback (most recent call last):
    ...
    TypeError: target must hold integer class indices; got dtype bool
    """
    if not xp.isdtype(x.dtype, "integral"):
        raise TypeError(f"{name} must hold {what}; got dtype {dtype_name(x)}")
    return x


def _fits(xp: Any, x: Array, value: int) -> bool:
    """Whether the Python int ``value`` is representable in the integer dtype of ``x``."""
    info = xp.iinfo(x.dtype)
    return int(info.min) <= value <= int(info.max)


def int_equal(xp: Any, x: Array, value: int) -> Array:
    """``x == value`` for an integer array without wrapping ``value`` into ``x``'s dtype.

    torch compares a uint8 tensor with -1 as with 255; a value the dtype cannot hold equals no
    element, so the mask is all False then.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([255, 1], dtype=torch.uint8)
    >>> int_equal(namespace(x=x), x, -1).tolist()
    [False, False]
    """
    if _fits(xp, x, value):
        return x == value
    return xp.zeros(x.shape, dtype=xp.bool, device=device(x))


def int_outside(xp: Any, x: Array, low: int, high: int) -> Array:
    """``(x < low) | (x >= high)`` for an integer array, without wrapping the bounds."""
    info = xp.iinfo(x.dtype)
    below = x < low if low > int(info.min) else xp.zeros(x.shape, dtype=xp.bool, device=device(x))
    if high <= int(info.max):
        return xp.logical_or(below, x >= high)
    return below


def class_mask(
    xp: Any, target: Array, num_classes: int, axis: int, ignore_index: int | None = None
) -> tuple[Array, Array]:
    """One-hot mask of integer class indices and the mask of the elements that count.

    Returns ``(selected, valid)``: ``selected`` has the target's shape with a class axis of
    length ``num_classes`` inserted at ``axis``, True at each non-ignored element's class;
    ``valid`` (the target's shape) is False where ``target == ignore_index``. Both comparisons
    are made without wrapping: a uint8 target of 156 is class 156, never ``ignore_index=-100``,
    and 300 classes are told apart with any index dtype.
    """
    n_dims = target.ndim + 1
    axis = axis % n_dims
    shape = [1] * n_dims
    shape[axis] = num_classes
    # the class numbers in the target's dtype when they fit in it, else in int64 (wider than
    # any dtype they do not fit in), so the comparison never wraps
    dtype = target.dtype if _fits(xp, target, num_classes - 1) else xp.int64
    classes = xp.reshape(xp.arange(num_classes, dtype=dtype, device=device(target)), tuple(shape))
    t = xp.expand_dims(target, axis=axis)
    if ignore_index is None:
        return t == classes, xp.ones(target.shape, dtype=xp.bool, device=device(target))
    valid = xp.logical_not(int_equal(xp, target, ignore_index))
    return xp.logical_and(t == classes, xp.expand_dims(valid, axis=axis)), valid


def quiet(x: Array) -> Any:
    """A context that silences NumPy's divide/invalid/overflow warnings; a no-op for torch.

    The losses meet these on purpose: log 0 = -inf is the right value of an impossible outcome,
    a residual of 1e200 squares to inf, and the NaN or inf of a branch that ``where`` discards
    never reaches a result. Every value is documented and tested, so the warnings would only
    alarm (and fail under ``warnings.simplefilter("error")``).
    """
    if is_torch(x):
        return contextlib.nullcontext()
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def device(x: Array) -> Any:
    """The device of ``x`` (``"cpu"`` for NumPy arrays)."""
    return array_api_compat.device(x)
