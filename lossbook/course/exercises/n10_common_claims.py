"""Exercises of notebook 10_common_claims."""

from __future__ import annotations

import math

import numpy as np

from lossbook.course.exercises import Exercise


def _stable_bce_with_logits(logit: np.ndarray, target: np.ndarray) -> np.ndarray:
    return np.maximum(logit, 0.0) - logit * target + np.log1p(np.exp(-np.abs(logit)))


def _weighted_mean(losses: np.ndarray, weights: np.ndarray) -> float:
    return float(np.sum(weights * losses) / np.sum(weights))


EXERCISES = (
    Exercise(
        "10.eps_ceiling",
        -math.log(1e-7),
        rtol=1e-4,
        hint="the loss -log(p + 1e-7) is largest when the predicted probability p is as small as "
        "it can be",
    ),
    Exercise(
        "10.smoothing_optimum",
        1 - 0.2 + 0.2 / 5,
        rtol=1e-4,
        hint="with label smoothing the target puts 1 - eps + eps / C on the true class, and the "
        "cross-entropy is smallest when the prediction equals the target",
    ),
    Exercise(
        "10.stable_bce",
        _stable_bce_with_logits,
        cases=(
            (np.array([0.5, -3.0, 40.0]), np.array([1.0, 0.0, 1.0])),
            (np.array([-800.0, 800.0]), np.array([1.0, 0.0])),
            (np.array([2.0, -2.0, 0.0]), np.array([0.25, 0.75, 0.5])),
        ),
        rtol=1e-9,
    ),
    Exercise(
        "10.weighted_mean",
        _weighted_mean,
        cases=(
            (np.array([0.2, 1.5, 0.7]), np.array([1.0, 3.0, 0.5])),
            (np.array([2.0, 2.0]), np.array([0.1, 0.1])),
            (np.array([0.0, 4.0, 1.0, 1.0]), np.array([2.0, 0.25, 1.0, 1.0])),
        ),
    ),
)
