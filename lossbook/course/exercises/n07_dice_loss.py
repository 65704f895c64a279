"""Exercises of notebook 07_dice_loss."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise


def _jaccard_grad(q: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d/dq_i of 1 - I/U, I = sum(q y), U = sum(q) + sum(y) - I (no smoothing)."""
    intersection = np.sum(q * y)
    union = np.sum(q) + np.sum(y) - intersection
    return -(y * union - intersection * (1 - y)) / union**2


def _tversky_weights(b: float) -> tuple[float, float]:
    """The (alpha, beta) for which the Tversky index is the F_b score."""
    return 1 / (1 + b**2), b**2 / (1 + b**2)


def _background_push_ratio(smooth: float = 1e-5) -> float:
    """dice_loss_grad at a background pixel of q = y, a 2 x 2 object over an 8 x 8 one: D / S with
    D = 1 and S = 2F + smooth (smooth_nr = smooth_dr)."""
    small, large = 2 * 4 + smooth, 2 * 64 + smooth
    return large / small


# The data of the Tversky exercise, also printed in the notebook: a prediction q and a mask y.
TVERSKY_Q = np.array([0.9, 0.7, 0.4, 0.2, 0.1, 0.6])
TVERSKY_Y = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
TVERSKY_ALPHA, TVERSKY_BETA = 0.3, 0.7


def _tversky_answer() -> float:
    q, y = TVERSKY_Q, TVERSKY_Y
    tp, fp, fn = np.sum(q * y), np.sum(q * (1 - y)), np.sum((1 - q) * y)
    return float(1 - tp / (tp + TVERSKY_ALPHA * fp + TVERSKY_BETA * fn))


EXERCISES = (
    Exercise(
        "07.jaccard_grad",
        _jaccard_grad,
        cases=(
            (np.array([0.8, 0.1, 0.6, 0.0]), np.array([1.0, 0.0, 1.0, 0.0])),
            (np.array([0.5, 0.5, 0.5]), np.array([0.0, 1.0, 0.0])),
            (np.array([0.2, 0.9, 0.3, 0.7]), np.array([0.0, 1.0, 0.5, 1.0])),
        ),
    ),
    Exercise(
        "07.tversky_weights",
        _tversky_weights,
        cases=((2.0,), (0.5,), (3.0,)),
    ),
    Exercise(
        "07.background_push_ratio",
        _background_push_ratio(),
        rtol=1e-3,
        hint="measure dice_loss_grad(q, y) at a pixel outside the object in each image (with "
        "q = y) and divide the small object's value by the large object's.",
    ),
    Exercise(
        "07.tversky_value",
        _tversky_answer(),
        rtol=1e-4,
        hint="TP = sum(q y), FP = sum(q (1 - y)), FN = sum((1 - q) y); alpha weighs FP, beta FN",
    ),
)
