"""Exercises of notebook 12_choosing_a_loss."""

from __future__ import annotations

import math

import numpy as np

from lossbook.course.exercises import Exercise


def _kl_batchmean(model_probs: np.ndarray, target_probs: np.ndarray) -> float:
    """KL(target || model) summed over classes, averaged over the rows."""
    ratio = np.where(target_probs > 0, target_probs / model_probs, 1.0)
    return float(np.sum(target_probs * np.log(ratio)) / target_probs.shape[0])


def _focal_share(alpha: float, gamma: float, hard: float, easy: float, negatives: int) -> float:
    """The share of one positive (true-class probability ``hard``) in the focal loss of it and
    ``negatives`` negatives (true-class probability ``easy``)."""
    positive = alpha * (1 - hard) ** gamma * -math.log(hard)
    negative = (1 - alpha) * (1 - easy) ** gamma * -math.log(easy)
    return positive / (positive + negatives * negative)


EXERCISES = (
    Exercise(
        "12.double_softmax_classes",
        10,
        rtol=0.0,
        atol=0.01,
        hint="the floor of a double softmax is log(e + C - 1) - 1; solve it for C (a whole number)",
    ),
    Exercise(
        "12.kl_batchmean",
        _kl_batchmean,
        cases=(
            (np.array([[0.5, 0.25, 0.25], [0.1, 0.6, 0.3]]), np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]])),
            (np.array([[0.9, 0.1]]), np.array([[0.5, 0.5]])),
            (np.array([[0.3, 0.3, 0.4], [0.25, 0.25, 0.5], [0.6, 0.2, 0.2]]),
             np.array([[0.0, 0.5, 0.5], [0.25, 0.25, 0.5], [1.0, 0.0, 0.0]])),
        ),
    ),
    Exercise(
        "12.broadcast_mse",
        float(np.mean((np.arange(1.0, 5.0)[:, None] - 2 * np.arange(1.0, 5.0)[None, :]) ** 2)),
        rtol=1e-6,
        hint="with shapes (4, 1) and (4,) every prediction meets every target: average "
        "(prediction - target)^2 over all 16 pairs",
    ),
    Exercise(
        "12.focal_share",
        _focal_share(0.25, 2.0, 0.3, 0.9, 20),
        rtol=1e-3,
        hint="a positive's focal loss is alpha (1 - q_t)^gamma (-log q_t), a negative's "
        "(1 - alpha) (1 - q_t)^gamma (-log q_t); add up 1 positive and 20 negatives",
    ),
)
