"""Registered cases of ``lossbook.classification``: cross_entropy (class indices and probability
targets) and nll_loss."""

from __future__ import annotations

import numpy as np
import torch.nn.functional as F

from lossbook import classification
from lossbook.testing.registry import Case, Documented, Tag, reductions

__all__ = ["CASES", "DOCUMENTED", "MODULE"]

MODULE = "lossbook.classification"


def _logits(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.normal(scale=2.0, size=shape)


def _probs(rng: np.random.Generator, shape: tuple[int, ...], axis: int) -> np.ndarray:
    e = rng.uniform(0.1, 1.0, size=shape)
    return e / e.sum(axis=axis, keepdims=True)


def _batch(rng):  # (N, C) = (5, 4); class 1 appears twice so ignore_index=1 drops two
    return _logits(rng, 5, 4), np.array([0, 1, 3, 1, 2])


def _nd(rng):  # (N, C, d1, d2) = (2, 4, 3, 2); one target is the default ignore_index
    target = np.array([[[0, 1], [3, 2], [1, -100]], [[2, 2], [0, 3], [1, 0]]])
    return _logits(rng, 2, 4, 3, 2), target


def _unbatched(rng):  # input (C,) with a 0-d target
    return _logits(rng, 4), np.array(2)


def _prob(rng):
    return _logits(rng, 5, 4), _probs(rng, (5, 4), 1)


def _prob_nd(rng):
    return _logits(rng, 2, 4, 3), _probs(rng, (2, 4, 3), 1)


def _prob_unbatched(rng):
    return _logits(rng, 4), _probs(rng, (4,), 0)


def _log_probs(make):
    def make_log_probs(rng):
        x, target = make(rng)
        axis = 0 if x.ndim == 1 else 1
        return x - np.log(np.exp(x).sum(axis=axis, keepdims=True)), target
    return make_log_probs


_W4 = np.array([0.5, 1.0, 2.0, 0.25])
_STANDARD = frozenset({Tag.REDUCTION, Tag.FLOAT_INPUT, Tag.NON_EMPTY})
_INDEX_OPTIONS = [
    *reductions(),
    *reductions(weight=_W4),
    *reductions(ignore_index=1),
    *reductions(weight=_W4, ignore_index=1),
    *reductions(label_smoothing=0.2),
    *reductions(label_smoothing=0.2, weight=_W4),
    *reductions(label_smoothing=0.2, ignore_index=1),
    *reductions(label_smoothing=0.2, weight=_W4, ignore_index=1),
    *reductions(label_smoothing=1.0, weight=_W4),
]
_ND_OPTIONS = [
    *reductions(),
    *reductions(weight=_W4),
    *reductions(label_smoothing=0.1, weight=_W4),
    *reductions(label_smoothing=0.1),
]
_SMALL_OPTIONS = [*reductions(), *reductions(weight=_W4),
                  *reductions(label_smoothing=0.3, weight=_W4)]
_PROB_OPTIONS = [
    *reductions(),
    *reductions(weight=_W4),
    *reductions(label_smoothing=0.2),
    *reductions(label_smoothing=0.2, weight=_W4),
]
_NLL_OPTIONS = [
    *reductions(),
    *reductions(weight=_W4),
    *reductions(ignore_index=1),
    *reductions(weight=_W4, ignore_index=1),
]


def _ce_case(make, options):
    return Case(classification.cross_entropy, F.cross_entropy, make,
                grad=classification.cross_entropy_grad, options=options, tags=_STANDARD)


def _nll_case(make, options):
    return Case(classification.nll_loss, F.nll_loss, _log_probs(make),
                grad=classification.nll_loss_grad, options=options, tags=_STANDARD)


CASES: list[Case] = [
    _ce_case(_batch, _INDEX_OPTIONS),
    _ce_case(_nd, _ND_OPTIONS),
    _ce_case(_unbatched, _SMALL_OPTIONS),
    _ce_case(_prob, _PROB_OPTIONS),
    _ce_case(_prob_nd, _SMALL_OPTIONS),
    _ce_case(_prob_unbatched, _SMALL_OPTIONS),
    _nll_case(_batch, _NLL_OPTIONS),
    _nll_case(_nd, [*reductions(), *reductions(weight=_W4)]),
    _nll_case(_unbatched, [*reductions(), *reductions(weight=_W4)]),
]

# lossbook's documented choices where it differs from a twin on a special value.
DOCUMENTED: list[Documented] = [
    # a weight at the largest float with an upstream gradient: PyTorch's backward forms
    # weight * grad_output first (inf) and then inf - inf (NaN); lossbook's gradient is exact,
    # finite for the soft targets, +-inf where the exact value overflows for the (N, C, d1, d2)
    # index targets (tests/test_classification.py, against mpmath)
    Documented("cross_entropy_grad", "weight", "max", "no-nan",
               "The upstream gradient multiplies last"),
]
