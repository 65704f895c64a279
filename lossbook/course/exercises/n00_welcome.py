"""Exercises of notebook 00_welcome."""

from __future__ import annotations

import math

import numpy as np

from lossbook.course.exercises import Exercise


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
)
