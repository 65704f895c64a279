"""The array namespace behind every lossbook function.

One implementation serves NumPy arrays and PyTorch tensors through the Python array API
(`array_api_compat`): NumPy float64 is the reference, torch tensors keep autograd, and the
result has the input's type, dtype and device.
"""

from __future__ import annotations

from typing import Any

import array_api_compat

__all__ = ["Array", "device", "float_input", "is_torch", "namespace"]

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
            f"{name} must have a real floating dtype (float16/32/64), got {_dtype_name(x)}"
        )
    return xp


def _dtype_name(x: Array) -> str:
    return str(x.dtype).removeprefix("torch.")


def device(x: Array) -> Any:
    """The device of ``x`` (``"cpu"`` for NumPy arrays)."""
    return array_api_compat.device(x)
