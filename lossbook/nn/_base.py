"""What every ``lossbook.nn`` module shares: the base class, option checks, reduction helpers.

A module checks its arguments in ``forward`` (the library's validators, the library's
messages), then calls a ``torch.autograd.Function`` whose ``forward`` computes the loss and
whose ``backward`` is the hand-derived vector-Jacobian product. The backward saves only the
inputs and recomputes what it needs from them with differentiable torch operations, so a
second backward (``create_graph=True``) differentiates the hand gradient itself.
"""

from __future__ import annotations

from typing import Any

import torch

from lossbook._reduction import check_reduction
from lossbook._validation import check_option

__all__ = ["Hand", "Loss", "hand", "hand_layers", "inplace", "refuse_grad", "scaled"]


class Loss(torch.nn.Module):
    """Base of the lossbook.nn modules: ``reduction`` and ``validate`` as attributes.

    PyTorch's deprecated ``size_average`` and ``reduce`` are accepted in their positions (so
    that a positional call written for ``torch.nn`` lands on the right parameter) but must be
    ``None``: ``reduction`` says the same thing in one argument.
    """

    def __init__(
        self,
        reduction: str = "mean",
        *,
        size_average: Any = None,
        reduce: Any = None,
        validate: bool = True,
        reductions: tuple[str, ...] = ("none", "mean", "sum"),
    ) -> None:
        super().__init__()
        for name, value in (("size_average", size_average), ("reduce", reduce)):
            if value is not None:
                raise ValueError(
                    f"{name} is deprecated in PyTorch and not supported here; got {name}={value!r} "
                    "(use reduction='none', 'mean' or 'sum')"
                )
        self.reduction = check_reduction(reduction, reductions)
        self.validate = check_option(validate, "validate", bool)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" + ("" if self.validate else ", validate=False")


def refuse_grad(tensor: torch.Tensor | None, name: str, why: str = "") -> None:
    """Raise a clear error if ``tensor`` requires grad where no gradient is provided for it."""
    if tensor is not None and tensor.requires_grad:
        raise ValueError(
            f"{name} requires grad, but this loss differentiates only with respect to its "
            f"input{why}; detach {name} (e.g. {name}.detach())"
        )


def inplace() -> bool:
    """True when a backward may overwrite its temporaries (no graph is being recorded).

    With ``create_graph=True`` autograd records the backward's operations, and an in-place
    update of a tensor that an earlier operation saved would break the second backward.
    """
    return not torch.is_grad_enabled()


def scaled(grad_output: torch.Tensor, reduction: str, count: int | torch.Tensor) -> torch.Tensor:
    """The upstream gradient each per-element loss receives: g, g (for "sum"), g / count ("mean")."""
    if reduction == "mean":
        return grad_output / count
    return grad_output


class Hand(torch.autograd.Function):
    """A lossbook loss as an autograd node: ``forward`` is the functional loss, ``backward`` its
    hand-derived gradient ``<loss>_grad`` with ``grad_output``.

    ``apply(loss, grad, layers, options, *tensors)``: ``tensors`` are the loss's data
    arguments; with ``layers = n > 0`` they are two sequences of ``n`` feature maps each
    (``features_input`` then ``features_target``), flattened. ``options`` is a tuple of
    ``(name, value)`` pairs passed as keywords to both functions. The gradient is returned for
    the first argument (every map of ``features_input``), none for the others. The backward is
    the library's torch operations, recorded when ``create_graph=True``, so a second backward
    differentiates the hand gradient itself.
    """

    @staticmethod
    def forward(ctx: Any, loss: Any, grad: Any, layers: int, options: tuple, *tensors: Any):
        ctx.grad, ctx.layers, ctx.options = grad, layers, options
        ctx.save_for_backward(*tensors)
        return loss(*_arguments(layers, tensors), **dict(options))

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor):
        tensors = ctx.saved_tensors
        options = dict(ctx.options, validate=False) if "validate" in dict(ctx.options) else dict(
            ctx.options)
        g = ctx.grad(*_arguments(ctx.layers, tensors), grad_output=grad_output, **options)
        first = list(g) if ctx.layers else [g]
        return (None, None, None, None, *first, *[None] * (len(tensors) - len(first)))


def _arguments(layers: int, tensors: tuple) -> tuple:
    if not layers:
        return tensors
    return list(tensors[:layers]), list(tensors[layers:])


def hand(loss: Any, grad: Any, *tensors: torch.Tensor, **options: Any) -> torch.Tensor:
    """``loss(*tensors, **options)`` whose backward is ``grad`` (see :class:`Hand`)."""
    return Hand.apply(loss, grad, 0, tuple(options.items()), *tensors)


def hand_layers(loss: Any, grad: Any, features_input: list, features_target: list,
                **options: Any) -> torch.Tensor:
    """:func:`hand` for a loss of two sequences of feature maps."""
    return Hand.apply(loss, grad, len(features_input), tuple(options.items()),
                      *features_input, *features_target)
