"""Exercises of notebook 03_kl_divergence."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise


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
        "03.kl_bits",
        0.25,
        rtol=1e-6,
        hint="KL(p || q) = sum of p_i * log2(p_i / q_i); terms where p_i = q_i vanish",
    ),
    Exercise(
        "03.mean_factor",
        10.0,
        rtol=1e-9,
        hint='"mean" divides the sum by every element, "batchmean" only by the batch size',
    ),
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
)
