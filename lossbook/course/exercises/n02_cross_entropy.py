"""Exercises of notebook 02_cross_entropy."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise


def _log_softmax(x: np.ndarray) -> np.ndarray:
    m = np.max(x)
    return x - m - np.log(np.sum(np.exp(x - m)))


def _cross_entropy_grad(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    s = e / e.sum(axis=1, keepdims=True)
    s[np.arange(len(targets)), targets] -= 1.0
    return s / len(targets)


EXERCISES = (
    Exercise(
        "02.log_softmax",
        _log_softmax,
        cases=(
            (np.array([1.0, 2.0, 3.0, 4.0]),),
            (np.array([1000.0, 0.0, -1000.0]),),
            (np.array([-800.0, -801.0]),),
            (np.array([5.0]),),
        ),
        rtol=1e-9,
    ),
    Exercise(
        "02.smoothed_loss",
        # logits [1, 0, 0], target 0, label_smoothing 0.3: q = [0.8, 0.1, 0.1]
        float(np.log(np.e + 2.0) - 0.8),
        hint="smooth the target first: q = (1 - eps) * one_hot + eps / C, then -sum(q * log_softmax).",
    ),
    Exercise(
        "02.cross_entropy_grad",
        _cross_entropy_grad,
        cases=(
            (np.array([[1.0, 2.0, 0.5]]), np.array([2])),
            (np.array([[0.0, 0.0], [3.0, -1.0], [200.0, 0.0]]), np.array([0, 1, 0])),
            (np.array([[2.0, 1.0, 0.0, -1.0], [0.5, 0.5, 0.5, 0.5]]), np.array([3, 1])),
        ),
        rtol=1e-9,
        atol=1e-12,
    ),
    Exercise(
        "02.weighted_mean",
        # (3 * 0.5 + 1 * 1.0 + 1 * 2.0 + 0) / (3 + 1 + 1)
        0.9,
        hint="the ignored target adds nothing to the sum or to the denominator, and the "
        "denominator is the sum of the weights of the remaining targets, not their count.",
    ),
)
