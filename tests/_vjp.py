"""Hold a hand-derived ``_grad`` with a ``grad_output`` against autograd's vector-Jacobian product."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch


def _torch(x: Any) -> Any:
    return torch.from_numpy(np.array(x)) if isinstance(x, np.ndarray) else x


def assert_vjp(
    f: Callable[..., Any],
    f_grad: Callable[..., Any],
    *inputs: np.ndarray,
    seed: int = 0,
    **options: Any,
) -> None:
    """``f_grad(*inputs, grad_output=g, **options)`` equals autograd's ``g``-weighted gradient of
    ``f`` with respect to ``inputs[0]``, for a random ``g`` of ``f``'s output shape, on torch
    float64 and on NumPy float64 (the same numbers)."""
    tensors = [_torch(x) for x in inputs]
    torch_options = {k: _torch(v) for k, v in options.items()}
    leaf = tensors[0].clone().requires_grad_(True)
    out = f(leaf, *tensors[1:], **torch_options)
    g = torch.from_numpy(np.random.default_rng(seed).normal(size=tuple(out.shape)))
    (expected,) = torch.autograd.grad(out, leaf, g)
    got = f_grad(*tensors, grad_output=g, **torch_options)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)
    got_numpy = f_grad(*inputs, grad_output=g.numpy(), **options)
    assert isinstance(got_numpy, np.ndarray)
    np.testing.assert_allclose(got_numpy, expected.numpy(), rtol=1e-10, atol=1e-12)
