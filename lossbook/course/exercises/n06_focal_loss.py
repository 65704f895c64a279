"""Exercises of notebook 06_focal_loss."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise


def _p_t(logit: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Probability the model gives to the right answer: sigmoid(x) for t = 1, 1 - sigmoid(x) for t = 0."""
    return np.where(target == 1, 1 / (1 + np.exp(-logit)), 1 / (1 + np.exp(logit)))


def _binary_focal(logit: np.ndarray, target: np.ndarray, alpha: float, gamma: float) -> np.ndarray:
    p_t = _p_t(logit, target)
    alpha_t = np.where(target == 1, alpha, 1 - alpha)
    return -alpha_t * (1 - p_t) ** gamma * np.log(p_t)


EXERCISES = (
    Exercise(
        "06.p_t",
        _p_t,
        cases=(
            (np.array([0.0, 2.0, -1.0]), np.array([1, 1, 0])),
            (np.array([3.0, -3.0]), np.array([0, 0])),
            (np.array([-0.5]), np.array([1])),
        ),
    ),
    Exercise(
        "06.focal_by_hand",
        _binary_focal,
        cases=(
            (np.array([1.0, -2.0, 0.3]), np.array([1, 0, 0]), 0.25, 2.0),
            (np.array([0.0, 4.0]), np.array([0, 1]), 0.5, 1.0),
            (np.array([-1.5, 2.5]), np.array([1, 1]), 0.9, 0.0),
        ),
    ),
    Exercise(
        "06.factor_at_090",
        (1 - 0.9) ** 2,
        rtol=1e-6,
        hint="the modulating factor is (1 - p_t) ** gamma; here gamma = 2 and p_t = 0.9.",
    ),
    Exercise(
        "06.balancing_alpha",
        100 / 101,
        rtol=1e-4,
        hint="with 1 positive for every 100 negatives, the positives' total weight is alpha * 1 "
        "and the negatives' is (1 - alpha) * 100; set them equal.",
    ),
)
