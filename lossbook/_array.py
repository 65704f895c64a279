"""The array namespace behind every lossbook function.

One implementation serves NumPy arrays and PyTorch tensors through the Python array API
(`array_api_compat`): NumPy float64 is the reference, torch tensors keep autograd, and the
result has the input's type, dtype and device.
"""

from __future__ import annotations

from typing import Any

import array_api_compat

__all__ = ["Array", "check_float", "device", "dtype_name", "float_input", "is_torch", "namespace"]

Array = Any
"""A NumPy array or a torch tensor (any object the array API namespace accepts)."""


def namespace(*arrays: Array | None) -> Any:
    """Return the array API namespace shared by ``arrays`` (``None`` entries are skipped).

    Raises
    ------
    TypeError
        If an argument is not an array (a list, a Python float) or the arrays mix libraries.

    Examples
    --------
    >>> import numpy as np
    >>> namespace(np.zeros(2)).__name__
    'array_api_compat.numpy'
    """
    present = [a for a in arrays if a is not None]
    for a in present:
        if not array_api_compat.is_array_api_obj(a):
            raise TypeError(
                f"expected a NumPy array or a torch tensor, got {type(a).__name__}; "
                "wrap Python numbers and lists with numpy.asarray or torch.tensor"
            )
    try:
        return array_api_compat.array_namespace(*present)
    except TypeError as error:
        kinds = sorted({type(a).__module__.split(".")[0] for a in present})
        raise TypeError(
            f"all arrays must come from one library, got a mix of {', '.join(kinds)}"
        ) from error


def is_torch(x: Array) -> bool:
    """True if ``x`` is a torch tensor."""
    return array_api_compat.is_torch_array(x)


def float_input(x: Array, name: str) -> Any:
    """Check that ``x`` is a real floating-point array and return its namespace.

    Losses are defined on real values: integer or boolean logits are refused rather than
    silently cast (a cast would hide, for example, class indices passed as logits).

    Raises
    ------
    TypeError
        If ``x`` is not an array or its dtype is not a real floating type.

    Examples
    --------
    >>> import numpy as np
    >>> float_input(np.array([1, 2]), "input")
    Traceback (most recent call last):
    ...
    TypeError: input must have a real floating dtype (float16/32/64), got int64
    """
    xp = namespace(x)
    if not xp.isdtype(x.dtype, "real floating"):
        raise TypeError(
            f"{name} must have a real floating dtype (float16/32/64), got {dtype_name(x)}"
        )
    return xp


def check_float(
    xp: Any, x: Array, name: str, *, like: Array | None = None, like_name: str = "input"
) -> Array:
    """Require a real floating array (of ``like``'s dtype and library, if given); return ``x``.

    This is the package's dtype policy: floating arrays that meet in one computation share one
    dtype; nothing is promoted or cast.

    Raises
    ------
    TypeError
        If ``x`` is not a real floating array, or its dtype or library differs from ``like``'s.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros(2)
    >>> check_float(namespace(x), np.zeros(2, dtype=np.float32), "target", like=x)
    Traceback (most recent call last):
    ...
    TypeError: target must have the dtype of input (float64); got float32 (cast one of them explicitly)
    """
    if like is not None:
        namespace(like, x)
    if not xp.isdtype(x.dtype, "real floating"):
        raise TypeError(
            f"{name} must have a real floating dtype (float16/32/64), got {dtype_name(x)}"
        )
    if like is not None and x.dtype != like.dtype:
        raise TypeError(
            f"{name} must have the dtype of {like_name} ({dtype_name(like)}); got "
            f"{dtype_name(x)} (cast one of them explicitly)"
        )
    return x


def dtype_name(x: Array) -> str:
    """The dtype as users write it: ``float32`` for both ``numpy.float32`` and ``torch.float32``."""
    return str(x.dtype).removeprefix("torch.")


def device(x: Array) -> Any:
    """The device of ``x`` (``"cpu"`` for NumPy arrays)."""
    return array_api_compat.device(x)
