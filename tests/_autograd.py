"""A loss and its hand-derived ``_grad`` as one ``torch.autograd.Function``.

``gradcheck`` on :func:`hand` compares the hand gradient itself (not autograd through the
loss) with finite differences of the loss (``tests/_vjp.py`` holds ``grad_output`` against
autograd's vector-Jacobian product).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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

