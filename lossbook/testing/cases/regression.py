"""Registered cases of ``lossbook.regression``: mse_loss, l1_loss, smooth_l1_loss and
huber_loss."""

from __future__ import annotations

import numpy as np
import torch.nn.functional as F

from lossbook import regression
from lossbook.testing.registry import Case, Documented, Tag, reductions

__all__ = ["CASES", "DOCUMENTED", "MODULE"]

MODULE = "lossbook.regression"

_KINKS = (0.5, 1.0, 5.0)  # the beta/delta values inside the residuals' range


def _inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A (4, 5) input and target whose residuals span 0.1..12 in size, both signs, and stay
    at least 0.05 from 0 and from every beta/delta tested, where the slope or curvature jumps."""
    target = rng.normal(size=(4, 5))
    while True:
        size = rng.uniform(0.1, 12.0, size=(4, 5))
        if min(abs(size - k).min() for k in _KINKS) > 0.05:
            break
    sign = np.where(rng.random((4, 5)) < 0.5, -1.0, 1.0)
    return target + sign * size, target


_STANDARD = frozenset({Tag.REDUCTION, Tag.FLOAT_INPUT, Tag.NON_EMPTY, Tag.SAME_SHAPE})

CASES: list[Case] = [
    Case(regression.mse_loss, F.mse_loss, _inputs, grad=regression.mse_loss_grad,
         options=reductions(), tags=_STANDARD),
    Case(regression.l1_loss, F.l1_loss, _inputs, grad=regression.l1_loss_grad,
         options=reductions(), tags=_STANDARD),
    Case(regression.smooth_l1_loss, F.smooth_l1_loss, _inputs,
         grad=regression.smooth_l1_loss_grad,
         options=[*reductions(), *(o for b in (0.0, 0.5, 1.0, 5.0, 1e3) for o in reductions(beta=b))],
         tags=_STANDARD),
    # delta = 0 is refused (by PyTorch too): tests/test_regression.py checks the error.
    Case(regression.huber_loss, F.huber_loss, _inputs, grad=regression.huber_loss_grad,
         options=[*reductions(), *(o for d in (0.5, 1.0, 5.0, 1e3) for o in reductions(delta=d))],
         tags=_STANDARD),
]

# lossbook's documented choices where it differs from a twin on a special value.
DOCUMENTED: list[Documented] = [
    # a residual at the largest float: 2 * grad_output first, then the residual (PyTorch's
    # 2 * (x - y) is inf); the exact gradient is finite for the registered grad_output
    *(Documented("mse_loss_grad", argument, value, "finite",
                 "the gradient is finite wherever its exact value is")
      for argument in ("input", "target") for value in ("max", "-max")),
    # a NaN residual: NaN, as lossbook's other regression gradients and PyTorch's smooth L1 and
    # Huber backwards (PyTorch's L1 backward gives 0: torch.sign(nan) = 0)
    *(Documented("l1_loss_grad", argument, "nan", "nan", "A NaN residual gives a NaN gradient")
      for argument in ("input", "target")),
]
