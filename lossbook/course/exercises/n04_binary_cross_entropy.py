"""Exercises of notebook 04_binary_cross_entropy."""

from __future__ import annotations

import math

from lossbook.course.exercises import Exercise


def _bce(p: float, y: float) -> float:
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _logit_grad(x: float, y: float, c: float) -> float:
    return (1 - y) * _sigmoid(x) - c * y * _sigmoid(-x)


EXERCISES = (
    Exercise(
        "04.bce",
        _bce,
        cases=((0.8, 1.0), (0.3, 0.0), (0.6, 0.25), (0.05, 0.9)),
    ),
    Exercise(
        "04.logit_grad_pos_weight",
        _logit_grad,
        cases=((0.0, 1.0, 2.0), (1.5, 0.0, 3.0), (-0.5, 0.7, 0.5), (2.0, 0.4, 1.0)),
    ),
    Exercise(
        "04.pos_weight",
        850 / 150,
        rtol=1e-3,
        hint="PyTorch's rule of thumb is the number of negatives divided by the number of "
        "positives of that label",
    ),
    Exercise(
        "04.weighted_minimum",
        math.log(2 * 0.2 / (1 - 0.2)),  # soft target y = 0.2, pos_weight c = 2
        atol=1e-3,
        hint="set the gradient (1 - y) sigmoid(x) - c y sigmoid(-x) to zero and solve for "
        "sigmoid(x) first",
    ),
)
