"""Registered cases of ``lossbook.focal``: sigmoid_focal_loss (against torchvision's formula)
and the softmax focal_loss (against MONAI's)."""

from __future__ import annotations

import numpy as np

from lossbook import focal
from lossbook.testing import twins
from lossbook.testing.registry import Case, Documented, Tag, reductions

__all__ = ["CASES", "DOCUMENTED", "MODULE"]

MODULE = "lossbook.focal"


def _sigmoid_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = 2.0 * rng.normal(size=(6, 4))
    t = rng.integers(0, 2, size=(6, 4)).astype(np.float64)
    t[:, -1] = rng.uniform(0.05, 0.95, size=6)  # soft targets: torchvision's formula takes them
    return x, t


def _softmax_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = 2.0 * rng.normal(size=(5, 3, 2))
    y = rng.integers(0, 3, size=(5, 2))
    y[0, 1] = -100  # one ignored element (the default ignore_index)
    return x, y


_STANDARD = frozenset({Tag.REDUCTION, Tag.FLOAT_INPUT, Tag.NON_EMPTY})

CASES: list[Case] = [
    Case(focal.sigmoid_focal_loss, twins.torchvision_sigmoid_focal_loss, _sigmoid_inputs,
         grad=focal.sigmoid_focal_loss_grad,
         options=[
             *reductions(),
             *reductions(alpha=None, gamma=0.0),
             *reductions(alpha=0.75, gamma=0.5),
             dict(alpha=None, gamma=3.5, reduction="mean"),
         ],
         tags=_STANDARD | {Tag.SAME_SHAPE}),
    Case(focal.focal_loss, twins.monai_softmax_focal_loss, _softmax_inputs,
         grad=focal.focal_loss_grad,
         options=[
             *reductions(),
             *reductions(gamma=0.0),
             *reductions(alpha=np.array([0.2, 0.5, 0.9]), gamma=0.5),
             dict(alpha=0.25, gamma=1.0, reduction="mean"),
         ],
         tags=_STANDARD),
]

# lossbook's documented choices where it differs from a twin on a special value.
DOCUMENTED: list[Documented] = [
    # the limits at an infinite logit, where torchvision's and MONAI's formulas meet 0 * inf
    Documented("sigmoid_focal_loss", "input", "-inf", "finite",
               "An infinite logit gives the limits of the loss and its gradient"),
    Documented("sigmoid_focal_loss_grad", "input", "-inf", "finite",
               "An infinite logit gives the limits of the loss and its gradient"),
    # x = 1.8e308, t = 0: alpha_t * grad_output (the other term, c * e^{-x}, is 0)
    Documented("sigmoid_focal_loss_grad", "input", "max", "finite", "is finite and right"),
    Documented("focal_loss", "input", "-inf", "finite",
               "its term vanishes, and the loss and the gradient are those of the other classes"),
    Documented("focal_loss_grad", "input", "-inf", "finite",
               "its term vanishes, and the loss and the gradient are those of the other classes"),
    Documented("focal_loss", "input", "inf", "inf",
               "outside the target class gives the loss"),
]
