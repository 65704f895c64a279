"""The test registry: one entry per lossbook function, with its twin, gradient and inputs.

test_registry.py runs every entry through ``lossbook.compare`` for every option set and
backend, through ``gradcheck``, and through the bad-input rules its tags select; the
completeness test fails when a public function of a loss-family module has no entry here
(scikit-learn's test_common works the same way).

Each family keeps its entries in its own section below.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CASES", "FAMILIES", "Case"]

# The loss-family modules whose public functions must all be registered.
FAMILIES = (
    "lossbook.information",
    "lossbook.classification",
    "lossbook.binary",
    "lossbook.regression",
    "lossbook.focal",
    "lossbook.segmentation",
    "lossbook.embedding",
)


@dataclass(frozen=True)
class Case:
    """One registered function.

    Parameters
    ----------
    ours : callable
        The lossbook function.
    theirs : callable
        Its twin on torch tensors with the same signature: a ``torch.nn.functional`` function,
        or a wrapper around an external reference (torchvision's formula, MONAI).
    make_inputs : callable
        ``make_inputs(rng) -> tuple`` of NumPy reference inputs (float64 data, int64 indices),
        kept away from kinks where the gradient is not unique.
    grad : callable, optional
        The hand-derived gradient ``<name>_grad``.
    options : sequence of dict
        Every option combination to test (reduction, weight, ...).
    tags : frozenset of str
        Which generic rules apply: "elementwise" (input and target of one shape, so (N,1) vs
        (N,) must raise), "reduction" (takes reduction=), "float_input" (integer input must
        raise TypeError), "non_empty" (empty input must raise ValueError).
    rtol, atol : float, optional
        Looser tolerances, each with a comment at the entry saying why.
    """

    ours: Callable[..., Any]
    theirs: Callable[..., Any]
    make_inputs: Callable[[np.random.Generator], tuple[Any, ...]]
    grad: Callable[..., Any] | None = None
    options: Sequence[dict[str, Any]] = ({},)
    tags: frozenset[str] = field(default_factory=frozenset)
    rtol: float | None = None
    atol: float | None = None

    @property
    def name(self) -> str:
        return self.ours.__name__


def _reductions(**fixed: Any) -> list[dict[str, Any]]:
    """The three reductions, each with ``fixed`` options."""
    return [dict(fixed, reduction=r) for r in ("none", "mean", "sum")]


STANDARD = frozenset({"reduction", "float_input", "non_empty"})

# --- information (lossbook/information.py) ----------------------------------------------------
INFORMATION: list[Case] = []

# --- classification (lossbook/classification.py) ----------------------------------------------
CLASSIFICATION: list[Case] = []

# --- binary (lossbook/binary.py) --------------------------------------------------------------
BINARY: list[Case] = []

# --- regression (lossbook/regression.py) ------------------------------------------------------
import torch.nn.functional as _reg_F  # noqa: E402

from lossbook import regression as _regression  # noqa: E402

_REG_KINKS = (0.5, 1.0, 5.0)  # the beta/delta values inside the residuals' range


def _regression_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A (4, 5) input and target whose residuals span 0.1..12 in size, both signs, and stay
    at least 0.05 from 0 and from every beta/delta tested, where the slope or curvature jumps."""
    target = rng.normal(size=(4, 5))
    while True:
        size = rng.uniform(0.1, 12.0, size=(4, 5))
        if min(abs(size - k).min() for k in _REG_KINKS) > 0.05:
            break
    sign = np.where(rng.random((4, 5)) < 0.5, -1.0, 1.0)
    return target + sign * size, target


REGRESSION: list[Case] = [
    Case(_regression.mse_loss, _reg_F.mse_loss, _regression_inputs, grad=_regression.mse_loss_grad,
         options=_reductions(), tags=STANDARD | {"elementwise"}),
    Case(_regression.l1_loss, _reg_F.l1_loss, _regression_inputs, grad=_regression.l1_loss_grad,
         options=_reductions(), tags=STANDARD | {"elementwise"}),
    Case(_regression.smooth_l1_loss, _reg_F.smooth_l1_loss, _regression_inputs,
         grad=_regression.smooth_l1_loss_grad,
         options=[*_reductions(),
                  *(o for b in (0.0, 0.5, 1.0, 5.0, 1e3) for o in _reductions(beta=b))],
         tags=STANDARD | {"elementwise"}),
    # delta = 0 is refused (by PyTorch too): tests/test_regression.py checks the error.
    Case(_regression.huber_loss, _reg_F.huber_loss, _regression_inputs,
         grad=_regression.huber_loss_grad,
         options=[*_reductions(),
                  *(o for d in (0.5, 1.0, 5.0, 1e3) for o in _reductions(delta=d))],
         tags=STANDARD | {"elementwise"}),
]

# --- focal (lossbook/focal.py) ----------------------------------------------------------------
FOCAL: list[Case] = []

# --- segmentation (lossbook/segmentation.py) --------------------------------------------------
SEGMENTATION: list[Case] = []

# --- embedding (lossbook/embedding.py) --------------------------------------------------------
EMBEDDING: list[Case] = []

CASES: list[Case] = [
    *INFORMATION, *CLASSIFICATION, *BINARY, *REGRESSION, *FOCAL, *SEGMENTATION, *EMBEDDING,
]
