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

__all__ = ["Loss", "inplace", "refuse_grad", "scaled"]


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
        if not isinstance(validate, bool):
            raise TypeError(f"validate must be a bool; got {type(validate).__name__}")
        self.validate = validate

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
