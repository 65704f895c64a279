"""Registered cases of ``lossbook.information``: surprisal, entropy, cross-entropy, KL and JS
between distributions, and PyTorch's ``kl_div``."""

from __future__ import annotations

import numpy as np

from lossbook import information, primitives
from lossbook.testing import twins
from lossbook.testing.registry import Case, Documented, Tag

__all__ = ["CASES", "DOCUMENTED", "MODULE"]

MODULE = "lossbook.information"


def _probabilities(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Probabilities in about [0.05, 0.95], away from 0 where log and its gradient blow up."""
    return rng.uniform(0.05, 0.95, size=shape)


def _distribution_pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    p = primitives.softmax(rng.normal(size=(3, 5)))
    q = primitives.softmax(rng.normal(size=(3, 5)))
    return p, q


# gradcheck perturbs p off the simplex, so the distribution functions are registered with
# validate=False; tests/test_information.py checks validation and validate=True values. The
# gradients of the functions of two distributions are with respect to q, the model (wrt=1).
_DISTRIBUTION_OPTIONS = [
    {"validate": False},
    {"dim": 0, "validate": False},
    {"base": 2, "validate": False},
    {"dim": -2, "base": 10.0, "validate": False},
]
_KL_DIV_REDUCTIONS = ("none", "mean", "sum", "batchmean")
_ALL = frozenset({Tag.FLOAT_INPUT, Tag.NON_EMPTY})


def _pair_case(ours, theirs, grad) -> Case:
    return Case(ours, theirs, _distribution_pair, grad=grad, wrt=1,
                options=_DISTRIBUTION_OPTIONS, tags=_ALL | {Tag.SAME_SHAPE})


CASES: list[Case] = [
    Case(information.surprisal, twins.torch_surprisal,
         make_inputs=lambda rng: (_probabilities(rng, (3, 4)),),
         grad=information.surprisal_grad, options=[{}, {"base": 2}, {"base": 10.0}], tags=_ALL),
    Case(information.entropy, twins.torch_entropy,
         make_inputs=lambda rng: (primitives.softmax(rng.normal(size=(3, 5))),),
         grad=information.entropy_grad, options=_DISTRIBUTION_OPTIONS, tags=_ALL),
    _pair_case(information.cross_entropy_between, twins.torch_cross_entropy_between,
               information.cross_entropy_between_grad),
    _pair_case(information.kl_divergence, twins.torch_kl_divergence,
               information.kl_divergence_grad),
    _pair_case(information.js_divergence, twins.torch_js_divergence,
               information.js_divergence_grad),
    # kl_div with probability targets ...
    Case(information.kl_div, twins.torch_kl_div,
         make_inputs=lambda rng: (primitives.log_softmax(rng.normal(size=(4, 5))),
                                  primitives.softmax(rng.normal(size=(4, 5)))),
         grad=information.kl_div_grad,
         options=[{"reduction": r} for r in _KL_DIV_REDUCTIONS],
         tags=_ALL | {Tag.REDUCTION, Tag.SAME_SHAPE}),
    # ... and with log-probability targets (log_target=True), a second entry with its own inputs.
    Case(information.kl_div, twins.torch_kl_div,
         make_inputs=lambda rng: (primitives.log_softmax(rng.normal(size=(4, 5))),
                                  primitives.log_softmax(rng.normal(size=(4, 5)))),
         grad=information.kl_div_grad,
         options=[{"reduction": r, "log_target": True} for r in _KL_DIV_REDUCTIONS],
         tags=_ALL | {Tag.REDUCTION, Tag.SAME_SHAPE}),
]

# lossbook's documented choices where it differs from a twin on a special value.
DOCUMENTED: list[Documented] = [
    # log_target=True, target = -inf: the term of a zero probability, 0 (PyTorch: 0 * -inf)
    Documented("kl_div", "target", "-inf", "finite",
               "lossbook gives the limit 0 of a zero-probability term"),
]
