"""Exercises of notebook 03_kl_divergence."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise

# Exercise 1: a target smoothed with epsilon = 0.2 over 5 classes; its entropy is the floor.
SMOOTHED_TARGET = np.array([0.84, 0.04, 0.04, 0.04, 0.04])


def _entropy(p: np.ndarray) -> float:
    return float(-np.sum(p * np.log(p)))


def _kl_from_logits(student_logits: np.ndarray, teacher_probs: np.ndarray) -> float:
    z = np.asarray(student_logits, dtype=np.float64)
    p = np.asarray(teacher_probs, dtype=np.float64)
    shifted = z - z.max(axis=1, keepdims=True)
    log_q = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    safe_p = np.where(p > 0, p, 1.0)
    terms = np.where(p > 0, p * (np.log(safe_p) - log_q), 0.0)
    return float(terms.sum() / z.shape[0])


EXERCISES = (
    Exercise(
        "03.kl_from_logits",
        _kl_from_logits,
        cases=(
            (np.array([[2.0, 0.0, -1.0]]), np.array([[0.6, 0.3, 0.1]])),
            (np.array([[0.0, 0.0], [5.0, -5.0]]), np.array([[0.5, 0.5], [0.1, 0.9]])),
            (np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 9.0]]),
             np.array([[0.0, 0.0, 0.5, 0.5], [0.25, 0.25, 0.25, 0.25]])),
            (np.array([[1000.0, 0.0]]), np.array([[1.0, 0.0]])),
        ),
        rtol=1e-9,
        atol=1e-12,
    ),
    Exercise(
        "03.smoothed_floor",
        _entropy(SMOOTHED_TARGET),
        rtol=1e-3,
        hint="write cross-entropy as H(p) + KL(p || q) and ask which q makes the KL term smallest",
    ),
    # Exercise 3: for modes at -1.5 and 1.5 (width 0.6) the global minimum of the reverse KL
    # over the grid of section 4 covers both modes, at mu = 0 (the modes are local minima only).
    Exercise(
        "03.close_modes",
        0.0,
        rtol=0.0,
        atol=0.1,
        hint="rebuild the target with the modes at -1.5 and 1.5 and take the smallest reverse KL "
        "over the whole (mu, sigma) grid, as section 4 did; gradient descent may stop in a local "
        "minimum",
    ),
)
