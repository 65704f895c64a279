"""Registered cases of ``lossbook.binary``: binary_cross_entropy and
binary_cross_entropy_with_logits."""

from __future__ import annotations

import numpy as np
import torch.nn.functional as F

from lossbook import binary
from lossbook.testing.registry import Case, Documented, Tag, reductions

__all__ = ["CASES", "DOCUMENTED", "MODULE"]

MODULE = "lossbook.binary"

_N, _C = 5, 3


def _targets(rng: np.random.Generator) -> np.ndarray:
    """Multi-label targets of shape (N, C): about half hard 0/1 labels, half soft in (0, 1)."""
    soft = rng.uniform(0.05, 0.95, size=(_N, _C))
    hard = rng.random(size=soft.shape) < 0.5
    return np.where(hard, np.round(soft), soft)


def _probability_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Probabilities in [0.05, 0.95]: far from 0 and 1, where PyTorch's forward clamps each log
    # at -100 (p < e^-100) and its backward divides by max(p(1-p), 1e-12) (p < ~1e-12); there
    # both are exact, and tests/test_binary.py checks the extreme region against mpmath.
    p = rng.uniform(0.05, 0.95, size=(_N, _C))
    return p, _targets(rng)


def _logit_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = 3.0 * rng.normal(size=(_N, _C))
    return x, _targets(rng)


_CLASS_WEIGHT = np.array([0.5, 1.0, 2.0])  # one weight per label, shape (C,)
_SAMPLE_WEIGHT = np.linspace(0.2, 1.8, _N)[:, None]  # one per sample, (N, 1)
_POS_WEIGHT = np.array([0.5, 2.0, 3.0])  # shape (C,), broadcast along the last dim
_STANDARD = frozenset({Tag.REDUCTION, Tag.FLOAT_INPUT, Tag.NON_EMPTY, Tag.SAME_SHAPE})

CASES: list[Case] = [
    Case(binary.binary_cross_entropy, F.binary_cross_entropy,
         _probability_inputs, grad=binary.binary_cross_entropy_grad,
         options=[*reductions(), *reductions(weight=_CLASS_WEIGHT),
                  *reductions(weight=_SAMPLE_WEIGHT)],
         tags=_STANDARD),
    Case(binary.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits,
         _logit_inputs, grad=binary.binary_cross_entropy_with_logits_grad,
         options=[*reductions(), *reductions(weight=_CLASS_WEIGHT),
                  *reductions(pos_weight=_POS_WEIGHT),
                  *reductions(weight=_SAMPLE_WEIGHT, pos_weight=_POS_WEIGHT)],
         tags=_STANDARD),
]

# lossbook's documented choices where it differs from a twin on a special value.
DOCUMENTED: list[Documented] = [
    # PyTorch clamps log p at -100: at p = 5e-324 a soft target's term is 100 y, not 744 y
    Documented("binary_cross_entropy", "input", "subnormal", "finite",
               "clamps each log at -100, so any loss term above 100 is reported as 100"),
    # -y / p at p = 5e-324 overflows: inf, where PyTorch's max(p(1 - p), 1e-12) gives 7e10
    Documented("binary_cross_entropy_grad", "input", "subnormal", "inf",
               "so its gradient is wrong for"),
    # x = -inf with a soft label: y softplus(inf) = inf, the limit (PyTorch: (1 - y) x - ... NaN)
    Documented("binary_cross_entropy_with_logits", "input", "-inf", "inf",
               "and with any other label the limit :math:`+\\infty` (PyTorch: NaN)"),
]
