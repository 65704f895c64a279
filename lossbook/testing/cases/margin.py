"""Registered cases of ``lossbook.margin`` (notebook 08): triplet_margin_loss,
margin_ranking_loss, hinge_embedding_loss and cosine_embedding_loss."""

from __future__ import annotations

import math

import numpy as np
import torch.nn.functional as F

from lossbook import margin
from lossbook.testing.registry import Case, Documented, Tag, reductions

__all__ = ["CASES", "DOCUMENTED", "MODULE"]

MODULE = "lossbook.margin"


def _triplets(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Six (N, D) triplets: three hard (negative near), three easy (far); in each group the
    swap picks d(p, n) for some rows and keeps d(a, n) for others, never near a tie."""
    anchor = rng.normal(size=(6, 3))
    u = rng.normal(size=(6, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    side = np.array([1.0, -1.0, -1.0, -1.0, 1.0, -1.0])[:, None]  # +1: negative beyond positive
    positive = anchor + 0.1 * u
    scale = np.array([0.3, 0.3, 0.3, 30.0, 30.0, 30.0])[:, None]
    negative = anchor + side * scale * u
    return anchor, positive, negative


def _triplet_1d(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One (D,) triplet, active for every option tested."""
    anchor = rng.normal(size=4)
    return anchor, anchor + 0.1 * rng.normal(size=4), anchor + 0.2 * rng.normal(size=4)


def _ranking(rng: np.random.Generator, shape: tuple[int, ...] = (8,)) -> tuple[np.ndarray, ...]:
    """Scores whose differences (+-0.2, 0.7, 1.3, 1.9) stay 0.2 away from every tested margin."""
    input2 = rng.normal(size=shape)
    diff = rng.choice([-1.9, -1.3, -0.7, -0.2, 0.2, 0.7, 1.3, 1.9], size=shape)
    target = rng.choice([-1.0, 1.0], size=shape)
    return input2 + diff, input2, target


def _hinge(rng: np.random.Generator, shape: tuple[int, ...] = (10,)) -> tuple[np.ndarray, ...]:
    """Distances 0.05 or more away from the tested margins 0.5, 1 and 2."""
    base = rng.choice([0.1, 0.3, 0.8, 1.4, 2.6], size=shape)
    target = rng.choice([-1.0, 1.0], size=shape)
    return base + rng.uniform(-0.04, 0.04, size=shape), target


def _cosine_pairs(rng: np.random.Generator, n: int | None = 6) -> tuple[np.ndarray, ...]:
    """Pairs whose cosine stays 0.05 away from the tested margins -0.5, 0 and 0.5."""
    shape = (4,) if n is None else (n, 4)
    while True:
        x1, x2 = rng.normal(size=shape), rng.normal(size=shape)
        x2 = x2 + 0.8 * x1 * rng.choice([-1.0, 1.0], size=(*shape[:-1], 1))
        cos = (x1 * x2).sum(-1) / np.sqrt((x1 * x1).sum(-1) * (x2 * x2).sum(-1))
        kinks = np.abs(np.asarray(cos)[..., None] - np.array([-0.5, 0.0, 0.5]))
        if kinks.min() > 0.05:
            break
    target = rng.choice([-1.0, 1.0], size=shape[:-1])
    if n is None:
        target = np.asarray(-1.0)
    else:
        target[:2] = [-1.0, 1.0]
    return x1, x2, target


_TRIPLET_OPTIONS = [
    *reductions(),
    *reductions(margin=0.5, p=1.0),
    *reductions(p=3.0, eps=0.0),
    *reductions(p=math.inf),
    *reductions(p=0.5, margin=2.0),
    *reductions(swap=True),
    *reductions(swap=True, margin=2.0, p=1.5, eps=1e-3),
]
_BASE = frozenset({Tag.REDUCTION, Tag.FLOAT_INPUT, Tag.NON_EMPTY, Tag.SAME_SHAPE})

CASES: list[Case] = [
    Case(margin.triplet_margin_loss, F.triplet_margin_loss, _triplets,
         grad=margin.triplet_margin_loss_grad, options=_TRIPLET_OPTIONS, tags=_BASE),
    Case(margin.triplet_margin_loss, F.triplet_margin_loss, _triplet_1d,
         grad=margin.triplet_margin_loss_grad,
         options=[*reductions(), *reductions(p=1.0, swap=True, margin=0.5)], tags=_BASE),
    Case(margin.margin_ranking_loss, F.margin_ranking_loss, _ranking,
         grad=margin.margin_ranking_loss_grad,
         options=[*reductions(), *reductions(margin=0.5), *reductions(margin=1.0)],
         tags=_BASE),
    Case(margin.margin_ranking_loss, F.margin_ranking_loss,
         lambda rng: _ranking(rng, (3, 4)), grad=margin.margin_ranking_loss_grad,
         options=reductions(margin=0.5), tags=_BASE),
    Case(margin.hinge_embedding_loss, F.hinge_embedding_loss, _hinge,
         grad=margin.hinge_embedding_loss_grad,
         options=[*reductions(), *reductions(margin=0.5), *reductions(margin=2.0)],
         tags=_BASE),
    Case(margin.hinge_embedding_loss, F.hinge_embedding_loss,
         lambda rng: _hinge(rng, (2, 5)), grad=margin.hinge_embedding_loss_grad,
         options=reductions(margin=2.0), tags=_BASE),
    Case(margin.cosine_embedding_loss, F.cosine_embedding_loss, _cosine_pairs,
         grad=margin.cosine_embedding_loss_grad,
         options=[*reductions(), *reductions(margin=0.5), *reductions(margin=-0.5)], tags=_BASE),
    Case(margin.cosine_embedding_loss, F.cosine_embedding_loss,
         lambda rng: _cosine_pairs(rng, None), grad=margin.cosine_embedding_loss_grad,
         options=[*reductions(), *reductions(margin=-0.5)], tags=_BASE),
]

# lossbook's documented choices where it differs from a twin on a special value.
DOCUMENTED: list[Documented] = [
    # a component at the largest float: the scaled norms stay finite where PyTorch's overflow
    *(Documented("triplet_margin_loss", argument, value, "finite",
                 "so it neither overflows nor underflows where the norm itself is representable")
      for argument in ("anchor", "positive") for value in ("max", "-max")),
    *(Documented("triplet_margin_loss_grad", "positive", value, "finite",
                 "The ratio form never overflows.") for value in ("max", "-max")),
    # an infinite component: the norm's gradient is its limit sign(v_k) (PyTorch: inf / inf),
    # and a zero or NaN hinge slope times that limit is 0 (PyTorch: 0 * NaN)
    *(Documented("triplet_margin_loss_grad", argument, value, "finite",
                 "An infinite component gives the limit of the norm's gradient")
      for argument in ("anchor", "positive", "negative") for value in ("inf", "-inf")),
    # a component at the largest float: the vector is scaled by a power of two, its cosine is
    # right (tests/test_margin.py, against mpmath) where PyTorch's squared norm overflows to
    # inf and its cosine becomes 0 (its gradient NaN)
    *(Documented(function, argument, value, "finite",
                 "lossbook's cosine stays right up to the largest float")
      for function, arguments in (("cosine_embedding_loss", ("input1", "input2")),
                                  ("cosine_embedding_loss_grad", ("input2",)))
      for argument in arguments for value in ("max", "-max")),
]
