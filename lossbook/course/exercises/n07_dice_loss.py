"""Exercises of notebook 07_dice_loss."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise


def _dice_from_counts(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / (2 * tp + fp + fn)


def _jaccard_from_dice(dice: np.ndarray) -> np.ndarray:
    return dice / (2 - dice)


def _soft_dice_loss(p: np.ndarray, t: np.ndarray, smooth: float) -> float:
    return 1 - (2 * np.sum(p * t) + smooth) / (np.sum(p) + np.sum(t) + smooth)


# The data of the Tversky exercise, also printed in the notebook.
TVERSKY_P = np.array([0.9, 0.7, 0.4, 0.2, 0.1, 0.6])
TVERSKY_T = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
TVERSKY_ALPHA, TVERSKY_BETA = 0.3, 0.7


def _tversky_answer() -> float:
    p, t = TVERSKY_P, TVERSKY_T
    tp, fp, fn = np.sum(p * t), np.sum(p * (1 - t)), np.sum((1 - p) * t)
    return float(1 - tp / (tp + TVERSKY_ALPHA * fp + TVERSKY_BETA * fn))


EXERCISES = (
    Exercise(
        "07.dice_from_counts",
        _dice_from_counts,
        cases=((10.0, 2.0, 4.0), (1.0, 0.0, 0.0), (3.0, 7.0, 5.0), (0.0, 4.0, 1.0)),
    ),
    Exercise(
        "07.jaccard_from_dice",
        _jaccard_from_dice,
        cases=((np.array([0.0, 0.5, 0.9, 1.0]),), (np.array([0.25, 2 / 3]),)),
    ),
    Exercise(
        "07.soft_dice_loss",
        _soft_dice_loss,
        cases=(
            (np.array([0.8, 0.1, 0.6, 0.0]), np.array([1.0, 0.0, 1.0, 0.0]), 0.0),
            (np.array([0.5, 0.5]), np.array([0.0, 1.0]), 1.0),
            (np.zeros(3), np.zeros(3), 1e-5),
            (np.array([0.2, 0.9, 0.3]), np.array([0.0, 1.0, 0.5]), 0.1),
        ),
    ),
    Exercise(
        "07.tversky_value",
        _tversky_answer(),
        rtol=1e-4,
        hint="TP = sum(p t), FP = sum(p (1 - t)), FN = sum((1 - p) t); alpha weighs FP, beta FN",
    ),
)
