"""Exercises of notebook 08_margin_losses."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise

# A small 2-D embedding of three classes of four points, for the rescaling exercise.
RESCALE_EMB = np.array([
    [0.92, -1.15], [0.19, -0.26], [-0.2, -0.1], [-0.91, -0.1],
    [0.61, 1.7], [1.1, 0.04], [0.87, -0.1], [0.53, 0.02],
    [0.52, 0.89], [0.73, 0.91], [0.31, 1.7], [0.55, 0.77],
])
RESCALE_LABELS = np.repeat(np.arange(3), 4)


def _easy_share_limit() -> float:
    """The share of easy triplets of s * RESCALE_EMB as s grows without bound (margin fixed):
    the share of triplets with d(a, n) > d(a, p), i.e. of easy triplets at margin 0."""
    d = np.linalg.norm(RESCALE_EMB[:, None] - RESCALE_EMB[None], axis=-1)
    same = RESCALE_LABELS[:, None] == RESCALE_LABELS[None]
    valid = (same & ~np.eye(len(d), dtype=bool))[:, :, None] & ~same[:, None, :]
    return float(np.mean((d[:, :, None] - d[:, None, :])[valid] < 0))


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
        "08.easy_share_limit",
        _easy_share_limit(),
        rtol=1e-6,
        hint="a triplet is easy when s * d_pos + margin < s * d_neg; divide by s and let s grow: "
        "which triplets end up easy? share_easy can count them for you.",
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
