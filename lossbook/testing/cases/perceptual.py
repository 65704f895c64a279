"""Registered cases of ``lossbook.perceptual``: feature_loss, whose inputs are sequences of
feature maps (one array per layer), against the feature distances written in PyTorch and
LPIPS's normalisation."""

from __future__ import annotations

import numpy as np

from lossbook import perceptual
from lossbook.testing import twins
from lossbook.testing.registry import Case, Documented, Tag, reductions

__all__ = ["CASES", "DOCUMENTED", "MODULE"]

MODULE = "lossbook.perceptual"


def _feature_maps(rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Three layers of one batch of 3: (3, 4, 3, 2), (3, 8, 1, 2) and a pooled (3, 5), small
    enough for gradcheck's finite differences; the targets nearby, so no difference is exactly
    0 (the kink of p = 1)."""
    shapes = [(3, 4, 3, 2), (3, 8, 1, 2), (3, 5)]
    features = [rng.normal(size=s) for s in shapes]
    targets = [f + rng.choice([-1.0, 1.0], size=f.shape) * rng.uniform(0.05, 1.0, size=f.shape)
               for f in features]
    return features, targets


_WEIGHTS = [0.5, np.linspace(0.0, 2.0, 8), 2.0]

CASES: list[Case] = [
    Case(perceptual.feature_loss, twins.torch_feature_loss, _feature_maps,
         grad=perceptual.feature_loss_grad,
         options=[*reductions(), *reductions(p=1), *reductions(weights=_WEIGHTS),
                  *reductions(normalize=True), *reductions(normalize=True, p=1),
                  *reductions(normalize=True, weights=_WEIGHTS, eps=0.0)],
         tags={Tag.REDUCTION, Tag.FLOAT_INPUT, Tag.NON_EMPTY, Tag.SAME_SHAPE}),
]

# lossbook's documented choices where it differs from a twin on a special value.
DOCUMENTED: list[Documented] = []
