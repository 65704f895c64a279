"""Registered cases of ``lossbook.segmentation``: dice_loss, jaccard_loss and tversky_loss
against MONAI, on probabilities, logits and class-index targets."""

from __future__ import annotations

import numpy as np

from lossbook import segmentation
from lossbook.testing import twins
from lossbook.testing.registry import Case, Documented, Tag, reductions

__all__ = ["CASES", "DOCUMENTED", "MODULE"]

MODULE = "lossbook.segmentation"


def _probabilities(rng):
    # probabilities and soft targets in (0, 1): valid as they are, and as logits too
    shape = (2, 3, 4, 5)
    return rng.uniform(0.05, 0.95, shape), rng.uniform(0.0, 1.0, shape)


def _logits(rng):
    # logits and a one-hot float target, three spatial axes; every class present in each sample
    labels = rng.integers(0, 3, size=(2, 3, 3, 3))
    labels[:, 0, 0, :3] = [0, 1, 2]
    onehot = (labels[:, None] == np.arange(3)[None, :, None, None, None]).astype(np.float64)
    return rng.normal(0.0, 2.0, (2, 3, 3, 3, 3)), onehot


def _indices(rng):
    # logits and integer class indices (N, 1, L), one spatial axis
    labels = rng.integers(0, 4, size=(3, 1, 8))
    labels[:, 0, :4] = [0, 1, 2, 3]
    return rng.normal(0.0, 2.0, (3, 4, 8)), labels


_ON_PROBABILITIES = [
    *reductions(),
    *reductions(include_background=False),
    *reductions(squared_pred=True),
    *reductions(batch=True),
    *reductions(smooth_nr=0.0, smooth_dr=0.0),
    *reductions(smooth_nr=1.0, smooth_dr=0.5, batch=True, include_background=False),
]
_ON_LOGITS = [
    *reductions(sigmoid=True),
    *reductions(softmax=True),
    *reductions(softmax=True, include_background=False),
    *reductions(sigmoid=True, squared_pred=True, batch=True),
    dict(softmax=True, squared_pred=True, smooth_nr=0.0, smooth_dr=0.0),
]
_ON_INDICES = [
    *reductions(to_onehot_y=True, softmax=True),
    *reductions(to_onehot_y=True, softmax=True, include_background=False, batch=True),
    dict(to_onehot_y=True, sigmoid=True, squared_pred=True),
]


def _no_squared(options_list):
    # TverskyLoss has no squared_pred
    return [o for o in options_list if "squared_pred" not in o]


_TVERSKY_EXTRA = [
    *reductions(alpha=0.3, beta=0.7),
    *reductions(alpha=0.0, beta=1.0, batch=True, smooth_nr=0.0, smooth_dr=0.0),
    *reductions(alpha=2.0, beta=0.25, include_background=False),
]
_STANDARD = frozenset({Tag.REDUCTION, Tag.FLOAT_INPUT, Tag.NON_EMPTY})
_DICE_INPUTS = ((_probabilities, _ON_PROBABILITIES), (_logits, _ON_LOGITS),
                (_indices, _ON_INDICES))
_TVERSKY_INPUTS = ((_probabilities, _no_squared(_ON_PROBABILITIES) + _TVERSKY_EXTRA),
                   (_logits, _no_squared(_ON_LOGITS)), (_indices, _no_squared(_ON_INDICES)))

CASES: list[Case] = [
    *(Case(segmentation.dice_loss, twins.monai_dice_loss, make,
           grad=segmentation.dice_loss_grad, options=options, tags=_STANDARD)
      for make, options in _DICE_INPUTS),
    *(Case(segmentation.jaccard_loss, twins.monai_jaccard_loss, make,
           grad=segmentation.jaccard_loss_grad, options=options, tags=_STANDARD)
      for make, options in _DICE_INPUTS),
    *(Case(segmentation.tversky_loss, twins.monai_tversky_loss, make,
           grad=segmentation.tversky_loss_grad, options=options, tags=_STANDARD)
      for make, options in _TVERSKY_INPUTS),
]

# lossbook's documented choices where it differs from a twin on a special value.
DOCUMENTED: list[Documented] = []
