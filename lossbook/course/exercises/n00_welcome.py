"""Exercises of notebook 00_welcome.

``00.square_loss`` and ``00.accuracy`` are answered on the notebook's page (the notebook shows
``check`` on a wrong try of the first); they stay here as the checker's own examples.
"""

from __future__ import annotations

import math

import numpy as np

from lossbook.course.exercises import Exercise

# The five targets of the "best constant" exercises: four close together and one far away.
_TARGETS = np.array([1.0, 2.0, 3.0, 4.0, 100.0])


def _square_loss(prediction: float, target: float) -> float:
    return (prediction - target) ** 2


def _accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean((scores > 0) == (labels == 1)))


EXERCISES = (
    Exercise(
        "00.square_loss",
        _square_loss,
        cases=((2.0, 0.5), (-1.0, -1.0), (0.0, 3.0)),
    ),
    Exercise(
        "00.accuracy",
        _accuracy,
        cases=(
            (np.array([0.3, -2.0, 1.5, -0.1]), np.array([1, 0, 0, 0])),
            (np.array([-1.0, -1.0]), np.array([1, 1])),
            (np.array([5.0]), np.array([1])),
        ),
    ),
    Exercise(
        "00.one_example_cross_entropy",
        -math.log(0.8),
        rtol=1e-3,
        hint="the loss is minus the natural logarithm of the probability of the true class",
    ),
    Exercise(
        "00.best_constant_squared",
        float(np.mean(_TARGETS)),
        rtol=1e-6,
        hint="the derivative of (c - y)^2 with respect to c is 2(c - y): average it over the five "
        "targets, pass that function of c to descend, and run enough steps that c stops moving",
    ),
    Exercise(
        "00.best_constant_absolute",
        float(np.median(_TARGETS)),
        rtol=0.0,
        atol=0.25,
        hint="the derivative of |c - y| with respect to c is +1 where c > y and -1 where c < y "
        "(np.sign(c - y)); average it over the five targets and keep the learning rate small, "
        "so that the steps settle",
    ),
)
