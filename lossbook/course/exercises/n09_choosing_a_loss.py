"""Exercises of notebook 09_choosing_a_loss."""

from __future__ import annotations

import math

import numpy as np

from lossbook.course.exercises import Exercise


def _kl_batchmean(model_probs: np.ndarray, target_probs: np.ndarray) -> float:
    """KL(target || model) summed over classes, averaged over the rows."""
    ratio = np.where(target_probs > 0, target_probs / model_probs, 1.0)
    return float(np.sum(target_probs * np.log(ratio)) / target_probs.shape[0])


EXERCISES = (
    Exercise(
        "09.double_softmax_floor",
        math.log(math.e + 9) - 1,
        rtol=1e-4,
        hint="after the first softmax the best 'logits' CrossEntropyLoss can see are 1 for the "
        "true class and 0 for the others",
    ),
    Exercise(
        "09.kl_batchmean",
        _kl_batchmean,
        cases=(
            (np.array([[0.5, 0.25, 0.25], [0.1, 0.6, 0.3]]), np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]])),
            (np.array([[0.9, 0.1]]), np.array([[0.5, 0.5]])),
            (np.array([[0.3, 0.3, 0.4], [0.25, 0.25, 0.5], [0.6, 0.2, 0.2]]),
             np.array([[0.0, 0.5, 0.5], [0.25, 0.25, 0.5], [1.0, 0.0, 0.0]])),
        ),
    ),
    Exercise(
        "09.broadcast_mse",
        2.5,
        rtol=1e-6,
        hint="with shapes (4, 1) and (4,) every prediction meets every target: average (i - j)^2 "
        "over all 16 pairs",
    ),
    Exercise(
        "09.alpha_share",
        0.25 / (0.25 + 0.75 * 20),
        rtol=1e-4,
        hint="a positive weighs alpha and a negative 1 - alpha; add them up over 1 positive and "
        "20 negatives",
    ),
)
