"""Exercises of notebook 08_margin_losses."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise


def _triplet_hinge(d_pos: np.ndarray, d_neg: np.ndarray, margin: float) -> np.ndarray:
    return np.maximum(0.0, margin + d_pos - d_neg)


def _cosine_grad(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    cos = float(u @ v) / (nu * nv)
    return v / (nu * nv) - cos * u / nu**2


def _swap_loss() -> float:
    a, p, n = np.array([0.0, 0.0]), np.array([0.0, 1.0]), np.array([1.5, 1.5])
    d_ap, d_an, d_pn = (np.linalg.norm(a - p), np.linalg.norm(a - n), np.linalg.norm(p - n))
    return float(max(0.0, 1.0 + d_ap - min(d_an, d_pn)))


def _active_count() -> float:
    d_pos = np.array([0.5, 1.2, 0.3, 0.9, 2.0])
    d_neg = np.array([2.0, 1.0, 0.35, 1.7, 3.5])
    return float(np.sum(0.5 + d_pos - d_neg >= 0))


EXERCISES = (
    Exercise(
        "08.triplet_hinge",
        _triplet_hinge,
        cases=(
            (np.array([0.2, 1.0, 0.7]), np.array([1.5, 0.4, 1.2]), 0.5),
            (np.array([0.0, 2.0]), np.array([0.0, 0.5]), 1.0),
            (np.array([3.0]), np.array([1.0]), 0.1),
        ),
    ),
    Exercise(
        "08.active_count",
        _active_count(),
        hint="a triplet moves the embedding when margin + d_pos - d_neg >= 0.",
    ),
    Exercise(
        "08.swap",
        _swap_loss(),
        rtol=1e-4,
        atol=1e-6,
        hint="with swap the negative distance is min(d(a, n), d(p, n)); give 4 digits or more.",
    ),
    Exercise(
        "08.cosine_grad",
        _cosine_grad,
        cases=(
            (np.array([1.0, 2.0, -1.0]), np.array([0.5, 0.0, 2.0])),
            (np.array([3.0, 0.0]), np.array([1.0, 1.0])),
            (np.array([-0.2, 0.4, 0.1, 1.0]), np.array([1.0, 1.0, -1.0, 0.3])),
        ),
    ),
)
