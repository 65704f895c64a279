"""Exercises of notebook 05_regression_losses."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise


def _huber(residual: np.ndarray, delta: float) -> np.ndarray:
    a = np.abs(residual)
    return np.where(a < delta, 0.5 * residual**2, delta * (a - 0.5 * delta))


def _smooth_l1_grad(residual: np.ndarray, beta: float) -> np.ndarray:
    return np.where(np.abs(residual) < beta, residual / beta, np.sign(residual))


# The data of exercise 3, also printed in the notebook: one large outlier among five numbers.
L1_DATA = np.array([4.0, -2.0, 9.0, 1.0, 250.0])

EXERCISES = (
    Exercise(
        "05.huber",
        _huber,
        cases=(
            (np.array([0.3, -0.3, 2.5, -4.0]), 1.0),
            (np.array([-7.0, 0.0, 1.9, 2.1]), 2.0),
            (np.array([0.25, -10.0]), 0.1),
        ),
    ),
    Exercise(
        "05.smooth_l1_grad",
        _smooth_l1_grad,
        cases=(
            (np.array([0.2, -0.2, 3.0, -3.0]), 1.0),
            (np.array([0.0, 1.5, -0.75]), 2.0),
            (np.array([0.05, -40.0, 0.3]), 0.5),
        ),
    ),
    Exercise(
        "05.l1_minimiser",
        float(np.median(L1_DATA)),
        rtol=1e-6,
        hint="the L1 loss is minimised by the value with as many data points below it as above",
    ),
)
