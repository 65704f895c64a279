"""Exercises of notebook 09_multiclass_hinge."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise

# The scores of exercise 1, multiplied by a scale s; the true class is 0.
SCALE_SCORES = np.array([2.0, 1.5, -0.5])


def _scale_to_zero(margin: float = 1.0) -> float:
    """The smallest s for which every wrong score of s * SCALE_SCORES trails the true one by the
    margin: s * (z_0 - max_j z_j) = margin (the hinge is 0 at the kink)."""
    return margin / float(SCALE_SCORES[0] - SCALE_SCORES[1:].max())


def _ce_below(level: float = 0.1) -> float:
    """The s at which the cross-entropy of s * SCALE_SCORES (true class 0) falls to ``level``:
    log(sum_c exp(s (z_c - z_0))) decreases in s, so bisection finds it."""
    gaps = SCALE_SCORES - SCALE_SCORES[0]
    lo, hi = 0.0, 100.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.log(np.sum(np.exp(mid * gaps))) > level else (lo, mid)
    return hi


def _squared_hinge() -> float:
    """PyTorch's multi_margin_loss of exercise 2: p = 2, margin 0.8, weight (2, 1, 1, 1)."""
    z, y, margin, w = np.array([0.2, 1.0, 0.5, -1.0]), 0, 0.8, np.array([2.0, 1.0, 1.0, 1.0])
    a = np.delete(margin - z[y] + z, y)
    return float(w[y] * np.sum(np.maximum(a, 0.0) ** 2) / len(z))


def _svm_grad(z: np.ndarray, y: int, margin: float) -> np.ndarray:
    """The gradient of CS231n's SVM loss sum_{j != y} max(0, margin - z_y + z_j) for one example."""
    active = (margin - z[y] + z > 0).astype(float)
    active[y] = 0.0
    grad = active.copy()
    grad[y] = -active.sum()
    return grad


def _multilabel_target(multi_hot: np.ndarray) -> np.ndarray:
    """A 0/1 row as PyTorch's multilabel_margin_loss target: the listed classes, then -1s."""
    labels = np.flatnonzero(multi_hot)
    return np.concatenate([labels, -np.ones(len(multi_hot) - len(labels), dtype=labels.dtype)])


EXERCISES = (
    Exercise(
        "09.scale_to_zero",
        _scale_to_zero(),
        rtol=1e-3,
        atol=1e-6,
        hint="the loss is 0 once every wrong score trails the true one by the margin; which wrong "
        "score is the last to get there, and what does multiplying by s do to the gap?",
    ),
    Exercise(
        "09.ce_below_tenth",
        _ce_below(),
        rtol=0.0,
        atol=0.01,  # the grid's step: the first grid point past the crossing, or the crossing
        hint="compute cross_entropy at every s of the grid and take the first s where it is below "
        "0.1; for large s, only the wrong class closest to the true one still adds to the loss.",
    ),
    Exercise(
        "09.squared_hinge",
        _squared_hinge(),
        hint="list the violations m - z_y + z_j of the wrong classes only, keep the positive ones, "
        "square them, then apply the weight of the true class and PyTorch's division by C.",
    ),
    Exercise(
        "09.svm_grad",
        _svm_grad,
        cases=(
            (np.array([3.2, 5.1, -1.7]), 0, 1.0),
            (np.array([1.3, 4.9, 2.0]), 1, 1.0),
            (np.array([2.2, 2.5, -3.1]), 2, 1.0),
            (np.array([0.3, -0.4, 0.9, 0.1, -1.2]), 2, 0.5),
            (np.array([0.3, -0.4, 0.9, 0.1, -1.2]), 4, 2.0),
        ),
    ),
    Exercise(
        "09.multilabel_target",
        _multilabel_target,
        cases=(
            (np.array([0, 1, 0, 1]),),
            (np.array([1, 1, 1, 1, 1]),),
            (np.array([0, 0, 0]),),
            (np.array([1, 0, 0, 0, 0, 1]),),
        ),
    ),
)
