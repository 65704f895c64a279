"""Exercises of notebook 06_focal_loss."""

from __future__ import annotations

import math

import numpy as np

from lossbook.course.exercises import Exercise


def _q_t(logit: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Probability the model gives to the right answer: sigmoid(z) for y = 1, 1 - sigmoid(z) for y = 0."""
    return np.where(label == 1, 1 / (1 + np.exp(-logit)), 1 / (1 + np.exp(logit)))


def _softmax_focal(logits: np.ndarray, labels: np.ndarray, gamma: float) -> np.ndarray:
    """-(1 - q_t)^gamma log q_t per example, q_t the softmax probability of the labelled class."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_q = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_q_t = log_q[np.arange(len(labels)), labels]
    return -((1 - np.exp(log_q_t)) ** gamma) * log_q_t


# Every example starts at q = sigma(-log 99) = 0.01: a negative costs -log(0.99), a positive
# -log(0.01); the notebook's training set has 2000 negatives and 20 positives.
_NEG, _POS = 2000 * -math.log(0.99), 20 * -math.log(0.01)

EXERCISES = (
    Exercise(
        "06.q_t",
        _q_t,
        cases=(
            (np.array([0.0, 2.0, -1.0]), np.array([1, 1, 0])),
            (np.array([3.0, -3.0]), np.array([0, 0])),
            (np.array([-0.5]), np.array([1])),
        ),
    ),
    Exercise(
        "06.softmax_focal",
        _softmax_focal,
        cases=(
            (np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.5]]), np.array([0, 2]), 2.0),
            (np.array([[1.0, -1.0], [-3.0, 2.0], [0.0, 0.1]]), np.array([1, 1, 0]), 0.5),
            (np.array([[0.3, -0.2, 1.5, 0.0]]), np.array([3]), 0.0),
        ),
    ),
    Exercise(
        "06.negatives_share_at_prior",
        _NEG / (_NEG + _POS),
        rtol=2e-3,
        hint="with every logit at b, every negative costs -log(1 - sigma(b)) and every positive "
        "-log(sigma(b)); add each group's losses over the training set and divide by the total.",
    ),
    Exercise(
        "06.alpha_025_balances",
        0.25 / 0.75,
        rtol=2e-3,
        hint="take n positives and r * n negatives; write the total weight of each class with "
        "alpha_t (alpha for a positive, 1 - alpha for a negative) and solve for r.",
    ),
)
