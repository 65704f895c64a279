"""Registered cases of ``lossbook.primitives``: logsumexp, softmax, log_softmax, sigmoid,
log_sigmoid, softplus, log1mexp, xlogy and xlog1py."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from lossbook import primitives
from lossbook.testing import twins
from lossbook.testing.registry import Case, Documented, Tag

__all__ = ["CASES", "DOCUMENTED", "MODULE"]

MODULE = "lossbook.primitives"


def _softmax_inputs(rng: np.random.Generator) -> tuple[np.ndarray]:
    return (rng.normal(scale=2.0, size=(3, 4, 2)),)


def _logits(rng: np.random.Generator) -> tuple[np.ndarray]:
    x = np.concatenate([4.0 * rng.normal(size=10), [-30.0, -2.5, 1.5, 30.0]])
    return (x,)


def _log1mexp_inputs(rng: np.random.Generator) -> tuple[np.ndarray]:
    # both sides of the switch at -ln 2, away from 0 where the value is -inf
    return (-np.concatenate([rng.uniform(0.01, 0.6, size=5), rng.uniform(0.8, 30.0, size=5)]),)


def _xlogy_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = np.where(rng.random(size=8) < 0.3, 0.0, rng.uniform(0.1, 2.0, size=8))
    return x, rng.uniform(0.05, 3.0, size=8)


_DIMS = [{"dim": -1}, {"dim": 0}, {"dim": 1}]
_SOFTMAX = frozenset({Tag.FLOAT_INPUT, Tag.NON_EMPTY})
_ELEMENTWISE = frozenset({Tag.FLOAT_INPUT})

CASES: list[Case] = [
    Case(primitives.logsumexp, twins.torch_logsumexp, _softmax_inputs,
         grad=primitives.logsumexp_grad,
         options=[*_DIMS, {"dim": 1, "keepdim": True}, {"dim": 2, "keepdim": True}],
         tags=_SOFTMAX),
    Case(primitives.softmax, twins.torch_softmax, _softmax_inputs, grad=primitives.softmax_grad,
         options=_DIMS, tags=_SOFTMAX),
    Case(primitives.log_softmax, twins.torch_log_softmax, _softmax_inputs,
         grad=primitives.log_softmax_grad, options=_DIMS, tags=_SOFTMAX),
    Case(primitives.sigmoid, torch.sigmoid, _logits, grad=primitives.sigmoid_grad,
         tags=_ELEMENTWISE),
    Case(primitives.log_sigmoid, F.logsigmoid, _logits, grad=primitives.log_sigmoid_grad,
         tags=_ELEMENTWISE),
    Case(primitives.softplus, F.softplus, _logits, grad=primitives.softplus_grad,
         tags=_ELEMENTWISE),
    Case(primitives.log1mexp, twins.torch_log1mexp, _log1mexp_inputs,
         grad=primitives.log1mexp_grad, options=[{}, {"validate": False}], tags=_ELEMENTWISE),
    # xlogy and xlog1py have no _grad: they are building blocks of two arguments, not losses
    Case(primitives.xlogy, torch.special.xlogy, _xlogy_inputs,
         tags=_ELEMENTWISE | {Tag.SAME_SHAPE}),
    Case(primitives.xlog1py, torch.special.xlog1py, _xlogy_inputs,
         tags=_ELEMENTWISE | {Tag.SAME_SHAPE}),
]

# lossbook's documented choices where it differs from a twin on a special value.
DOCUMENTED: list[Documented] = [
    # a +inf logit: PyTorch's logsumexp backward exp(x - lse) gives 0 at the finite entries of
    # the row (and NaN at the infinite one); lossbook's gradient is its softmax, NaN throughout
    Documented("logsumexp_grad", "input", "inf", "nan",
               "A row with a ``+inf`` logit gives NaN throughout, as :func:`softmax` does"),
]
