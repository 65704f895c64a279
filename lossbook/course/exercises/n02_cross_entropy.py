"""Exercises of notebook 02_cross_entropy."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise


def _cross_entropy_batch(logits: np.ndarray, targets: np.ndarray) -> float:
    m = logits.max(axis=1, keepdims=True)
    log_q = logits - m - np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    return float(-np.mean(log_q[np.arange(len(targets)), targets]))


def _smoothed_optimum(classes: int = 10, eps: float = 0.1) -> float:
    """The probability of the true class where the smoothed loss is smallest: the softmax equals
    the smoothed target, whose true-class entry is 1 - eps + eps / C."""
    return 1.0 - eps + eps / classes


EXERCISES = (
    Exercise(
        "02.cross_entropy_batch",
        _cross_entropy_batch,
        cases=(
            (np.array([[1.0, 2.0, 0.5]]), np.array([2])),
            (np.array([[0.0, 0.0], [3.0, -1.0], [1000.0, 0.0]]), np.array([0, 1, 1])),
            (np.array([[-1000.0, -999.0, -1001.0], [2.0, 1.0, 0.0]]), np.array([2, 0])),
        ),
        rtol=1e-9,
        atol=1e-12,
    ),
    Exercise(
        "02.smoothed_loss",
        # logits [1, 0, 0], target 0, label_smoothing 0.3: p^eps = [0.8, 0.1, 0.1]
        float(np.log(np.e + 2.0) - 0.8),
        hint="label smoothing changes the target, not the logits: build the smoothed target "
        "distribution first (section 6), then take its cross-entropy with the softmax of the "
        "logits.",
    ),
    Exercise(
        "02.weighted_mean",
        # (3 * 0.5 + 1 * 1.0 + 1 * 2.0 + 0) / (3 + 1 + 1)
        0.9,
        hint="the ignored target adds nothing to the sum or to the denominator, and the "
        "denominator is the sum of the weights of the remaining targets, not their count.",
    ),
    Exercise(
        "02.smoothed_optimum",
        _smoothed_optimum(),
        rtol=0.0,
        atol=1e-3,
        hint="one step is z = z - cross_entropy_grad(z, y, label_smoothing=0.1); after the loop, "
        "read softmax(z)[0]. If it is still moving, take more steps.",
    ),
)
