"""Exercises of notebook 10_box_regression."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise


def _decode(proposals: np.ndarray, deltas: np.ndarray) -> np.ndarray:
    """Fast R-CNN's offsets (t_x, t_y, t_w, t_h) relative to proposals, back to (x1, y1, x2, y2)."""
    pw, ph = proposals[:, 2] - proposals[:, 0], proposals[:, 3] - proposals[:, 1]
    cx = (proposals[:, 0] + proposals[:, 2]) / 2 + deltas[:, 0] * pw
    cy = (proposals[:, 1] + proposals[:, 3]) / 2 + deltas[:, 1] * ph
    w, h = pw * np.exp(deltas[:, 2]), ph * np.exp(deltas[:, 3])
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)


_PROPOSALS = np.array([[0.0, 0.0, 2.0, 1.0], [-3.0, 4.0, 1.0, 10.0], [5.0, 5.0, 5.5, 7.0]])

EXERCISES = (
    Exercise(
        "10.decode_offsets",
        _decode,
        cases=(
            (_PROPOSALS, np.zeros((3, 4))),
            (_PROPOSALS, np.array([[0.5, -0.25, 0.0, 0.0], [0.0, 0.0, np.log(2.0), 0.0],
                                   [-1.0, 2.0, -0.5, 0.3]])),
            (_PROPOSALS[:1], np.array([[0.1, 0.2, 0.3, -0.4]])),
        ),
        rtol=1e-9,
        atol=1e-12,
    ),
    Exercise(
        "10.giou_scale_step",
        0.1 * 10**2,  # the loss of 10 b is the loss of b: the gradient at 10 b is a tenth
        rtol=1e-9,
        hint="the IoU losses depend only on ratios of lengths: when every length is multiplied "
        "by the same factor, how does the gradient change (chain rule), and how must the step "
        "change so that each box moves that factor as far?",
    ),
    Exercise(
        "10.diou_far_limit",
        2.0,
        rtol=0.0,
        atol=1e-6,
        hint="write rho (the distance of the centres) and c (the diagonal of the enclosing box) "
        "for this pair as functions of d; what does the IoU equal here?",
    ),
)
