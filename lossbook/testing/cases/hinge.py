"""Registered cases of ``lossbook.hinge``: multi_margin_loss, multilabel_margin_loss,
soft_margin_loss and multilabel_soft_margin_loss, against PyTorch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch.nn.functional as F

from lossbook import hinge
from lossbook.testing.registry import Case, Documented, Tag, reductions

__all__ = ["CASES", "DOCUMENTED", "MODULE"]

MODULE = "lossbook.hinge"

_MARGINS = (0.0, 0.5, 1.0)  # every margin tested: the hinge's kinks sit at z = 0


def _away_from_kinks(rng: np.random.Generator, draw: Callable[..., tuple[Any, ...]],
                     kinks: Callable[..., list[np.ndarray]]) -> tuple[np.ndarray, ...]:
    """Draw until every hinge argument the inputs give is 0.05 or more away from 0."""
    while True:
        inputs = draw(rng)
        if min(np.abs(z).min() for z in kinks(*inputs)) > 0.05:
            return inputs


def _multi_margin_inputs(rng: np.random.Generator, n: int | None = 6) -> tuple[np.ndarray, ...]:
    """Scores (6, 5) (or (5,)) and class indices; z = m - x_y + x_j away from 0 for every m
    tested, with both signs of z present."""
    def draw(rng):
        x = rng.normal(0.0, 1.5, size=(5,) if n is None else (n, 5))
        y = rng.integers(0, 5, size=() if n is None else (n,))
        return x, y

    def kinks(x, y):
        xs, ys = np.atleast_2d(x), np.atleast_1d(y)
        d = xs - xs[np.arange(len(ys)), ys][:, None]
        others = np.arange(5)[None, :] != ys[:, None]
        return [(m + d)[others] for m in _MARGINS]

    return _away_from_kinks(rng, draw, kinks)


def _multilabel_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Scores (5, 4) and label lists padded with -1: two labels, one label repeated, none,
    all four, and entries after the -1 that must be ignored; 1 - x_j + x_i away from 0."""
    target = np.array([[3, 0, -1, 1], [1, 1, -1, 0], [-1, 2, 2, 2], [0, 1, 2, 3], [2, -1, -1, -1]])

    def draw(rng):
        return rng.normal(0.0, 1.5, size=(5, 4)), target

    def kinks(x, y):
        return [1 - x[:, :, None] + x[:, None, :]]

    return _away_from_kinks(rng, draw, kinks)


def _soft_margin_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return 3.0 * rng.normal(size=(4, 5)), rng.choice([-1.0, 1.0], size=(4, 5))


def _multilabel_soft_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Logits (2, 3, 4) (classes last) and targets: hard 0/1 labels and soft ones."""
    target = rng.uniform(0.05, 0.95, size=(2, 3, 4))
    hard = rng.random(size=target.shape) < 0.5
    return 3.0 * rng.normal(size=(2, 3, 4)), np.where(hard, np.round(target), target)


_W5 = np.array([0.5, 1.0, 2.0, 0.25, 1.5])
_TAGS = frozenset({Tag.REDUCTION, Tag.FLOAT_INPUT, Tag.NON_EMPTY})

CASES: list[Case] = [
    Case(hinge.multi_margin_loss, F.multi_margin_loss, _multi_margin_inputs,
         grad=hinge.multi_margin_loss_grad,
         options=[*reductions(), *reductions(p=2), *reductions(margin=0.0),
                  *reductions(margin=0.5, weight=_W5), *reductions(p=2, margin=0.5, weight=_W5)],
         tags=_TAGS),
    Case(hinge.multi_margin_loss, F.multi_margin_loss,
         lambda rng: _multi_margin_inputs(rng, None),  # (C,) scores, a 0-d target
         grad=hinge.multi_margin_loss_grad,
         options=[*reductions(), *reductions(p=2, weight=_W5)], tags=_TAGS),
    Case(hinge.multilabel_margin_loss, F.multilabel_margin_loss, _multilabel_inputs,
         grad=hinge.multilabel_margin_loss_grad, options=reductions(),
         tags=_TAGS | {Tag.SAME_SHAPE}),
    Case(hinge.multilabel_margin_loss, F.multilabel_margin_loss,
         lambda rng: tuple(a[0] for a in _multilabel_inputs(rng)),  # (C,) scores
         grad=hinge.multilabel_margin_loss_grad, options=reductions(),
         tags=_TAGS | {Tag.SAME_SHAPE}),
    Case(hinge.soft_margin_loss, F.soft_margin_loss, _soft_margin_inputs,
         grad=hinge.soft_margin_loss_grad, options=reductions(), tags=_TAGS | {Tag.SAME_SHAPE}),
    Case(hinge.multilabel_soft_margin_loss, F.multilabel_soft_margin_loss,
         _multilabel_soft_inputs, grad=hinge.multilabel_soft_margin_loss_grad,
         options=[*reductions(), *reductions(weight=np.array([0.5, 1.0, 2.0, 0.0])),
                  *reductions(weight=np.linspace(0.2, 1.8, 12).reshape(3, 4))],
         tags=_TAGS | {Tag.SAME_SHAPE}),
]

# lossbook's documented choices where it differs from a twin on a special value.
DOCUMENTED: list[Documented] = [
    # a NaN score: PyTorch's kernels skip it (NaN > 0 is false); lossbook's loss is NaN, and its
    # gradient counts the term, as autograd through lossbook's loss does
    Documented("multi_margin_loss", "input", "nan", "nan",
               "returns a finite loss; lossbook returns NaN"),
    Documented("multi_margin_loss_grad", "input", "nan", "finite",
               "A NaN score counts as active"),
    Documented("multilabel_margin_loss", "input", "nan", "nan",
               "A NaN score gives NaN (PyTorch's kernel skips it)"),
    Documented("multilabel_margin_loss_grad", "input", "nan", "finite",
               "A NaN score counts as active"),
    # softplus(-y x) where PyTorch's log1p(exp(-y x)) overflows, and its backward's NaN
    *(Documented("soft_margin_loss", argument, value, "finite", "exact for any finite score")
      for argument, value in (("input", "max"), ("target", "-max"))),
    *(Documented("soft_margin_loss_grad", "input", value, "finite",
                 "so it never overflows: PyTorch's backward divides two overflowing "
                 "exponentials and returns NaN") for value in ("inf", "max")),
    Documented("soft_margin_loss_grad", "target", "-inf", "inf",
               "An infinite label gives an infinite slope"),
    Documented("soft_margin_loss_grad", "target", "-max", "inf",
               "so does a finite label whose slope exceeds the largest float"),
]
