"""Exercises of notebook 11_perceptual_loss."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise

# The feature map of the prediction exercise, also used in the notebook: a batch of 2, 8 channels,
# 4 x 4 positions, no position where every channel is 0.
FEATURES = np.random.default_rng(11).normal(size=(2, 8, 4, 4))


def _flipped_distance(phi: np.ndarray = FEATURES) -> float:
    """feature_loss([-phi], [phi], normalize=True): at each position the two unit vectors point
    in opposite directions, their difference 2e has squared length 4, spread over C channels, so
    every position contributes 4 / C to the mean over channels and positions."""
    return 4.0 / phi.shape[1]


def _gram(phi: np.ndarray) -> np.ndarray:
    """The Gram matrix of Johnson et al.'s style loss: G_cd = sum_hw phi_c phi_d / (C H W)."""
    n, c = phi.shape[:2]
    flat = phi.reshape(n, c, -1)
    return flat @ flat.transpose(0, 2, 1) / flat[0].size


def _difference_pixel_grad(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient with respect to y_hat of mean_i (phi(y_hat)_i - phi(y)_i)^2, with
    phi(y_hat)_i = y_hat_{i+1} - y_hat_i.

    u_i = 2 (phi(y_hat)_i - phi(y)_i) / (n - 1) is the gradient with respect to phi(y_hat)_i;
    y_hat_{i+1} enters phi_i with +1 and y_hat_i with -1, so pixel j collects u_{j-1} - u_j (the
    end points only one of them)."""
    u = 2 * (np.diff(y_hat) - np.diff(y)) / (y_hat.size - 1)
    grad = np.zeros_like(y_hat)
    grad[1:] += u
    grad[:-1] -= u
    return grad


EXERCISES = (
    Exercise(
        "11.flipped_features",
        _flipped_distance(),
        rtol=1e-6,
        hint="what are the two normalised vectors at one position?",
    ),
    Exercise(
        "11.gram_matrix",
        _gram,
        cases=(
            (np.arange(12.0).reshape(1, 2, 2, 3) / 10,),
            (np.random.default_rng(1).normal(size=(2, 3, 4, 4)),),
            (np.random.default_rng(2).normal(size=(3, 1, 5, 2)),),
        ),
        rtol=1e-9,
        atol=1e-12,
    ),
    Exercise(
        "11.difference_pixel_grad",
        _difference_pixel_grad,
        cases=(
            (np.array([0.0, 1.0, 0.0, 1.0]), np.zeros(4)),
            (np.array([0.3, -1.2, 2.0, 0.5, 0.5]), np.array([1.0, 0.0, -1.0, 0.5, 2.0])),
            (np.array([1.0, 2.0]), np.array([2.0, 1.0])),
        ),
        rtol=1e-9,
        atol=1e-12,
    ),
)
