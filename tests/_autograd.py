"""A loss and its hand-derived ``_grad`` as one ``torch.autograd.Function``.

``gradcheck`` on :func:`hand` compares the hand gradient itself (not autograd through the
loss) with finite differences of the loss; :func:`assert_vjp` compares ``_grad`` with a random
``grad_output`` against autograd's vector-Jacobian product.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch


def hand(f: Callable[..., Any], f_grad: Callable[..., Any], *rest: Any,
         value: Callable[..., Any] | None = None, **options: Any) -> Callable[[torch.Tensor], Any]:
    """``x -> f(x, *rest, **options)`` whose backward is ``f_grad(..., grad_output=g)``.

    ``value`` replaces ``f`` in the forward where the gradient is the derivative of another
    function than the loss (CIoU holds alpha constant: ``value`` is the loss with alpha frozen
    at the point checked).
    """

    class Hand(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return (value or f)(x, *rest, **options)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return f_grad(x, *rest, grad_output=g, **options)

    return Hand.apply


def assert_vjp(f: Callable[..., Any], f_grad: Callable[..., Any], *inputs: np.ndarray,
               seed: int = 0, **options: Any) -> None:
    """``f_grad(*inputs, grad_output=g)`` equals autograd's ``g``-weighted gradient of ``f`` with
    respect to ``inputs[0]``, for a random ``g`` of ``f``'s output shape, in torch float64 and
    in NumPy float64."""
    def torch_(x: Any) -> Any:
        return torch.from_numpy(np.array(x)) if isinstance(x, np.ndarray) else x

    tensors = [torch_(x) for x in inputs]
    torch_options = {k: torch_(v) for k, v in options.items()}
    leaf = tensors[0].clone().requires_grad_(True)
    out = f(leaf, *tensors[1:], **torch_options)
    g = torch.from_numpy(np.random.default_rng(seed).normal(size=tuple(out.shape)))
    (expected,) = torch.autograd.grad(out, leaf, g)
    got = f_grad(*tensors, grad_output=g, **torch_options)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)
    got_numpy = f_grad(*inputs, grad_output=g.numpy(), **options)
    assert isinstance(got_numpy, np.ndarray)
    np.testing.assert_allclose(got_numpy, expected.numpy(), rtol=1e-10, atol=1e-12)
