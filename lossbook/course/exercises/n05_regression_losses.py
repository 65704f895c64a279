"""Exercises of notebook 05_regression_losses."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise


def _log_cosh_grad(residual: np.ndarray) -> np.ndarray:
    return np.tanh(residual)  # d/dr log cosh r = sinh r / cosh r


def _huber_intercept_at_30_percent(delta: float = 5.0) -> float:
    """The intercept of the Huber(delta) line through the data of the notebook's outlier
    experiment at 30 % outliers, built as the notebook builds it (seed 1), found by iteratively
    reweighted least squares: a method independent of the notebook's gradient descent, which
    converges to the same unique minimiser (the Huber loss of a line is convex)."""
    rng = np.random.default_rng(1)
    n_points = 40
    x = np.linspace(-2.0, 2.0, n_points)
    y = 2.0 * x + 1.0 + rng.normal(0.0, 0.3, n_points)
    order = rng.permutation(n_points)
    stuck = 15.0 + rng.normal(0.0, 0.5, n_points)
    k = round(0.3 * n_points)
    y[order[:k]] = stuck[order[:k]]
    design = np.stack([x, np.ones_like(x)], axis=1)
    theta = np.linalg.lstsq(design, y, rcond=None)[0]
    for _ in range(200):
        residual = np.abs(design @ theta - y)
        # Huber's weight: 1 inside delta, delta / |r| outside (a residual of exactly 0 is inside)
        weight = np.where(residual > delta, delta / np.where(residual > delta, residual, 1.0), 1.0)
        theta = np.linalg.solve(design.T @ (weight[:, None] * design), design.T @ (weight * y))
    return float(theta[1])


EXERCISES = (
    Exercise(
        "05.sum_to_mean_lr",
        0.001 * 50,  # the mean's gradient is the sum's divided by N = 50
        rtol=1e-6,
        hint="write the gradient of the summed loss and of the mean with respect to one "
        "prediction; the learning rate must make the two steps equal",
    ),
    Exercise(
        "05.log_cosh_grad",
        _log_cosh_grad,
        cases=(
            (np.array([0.0, 0.5, -0.5, 3.0]),),
            (np.array([-20.0, 0.01, 1.0]),),
            (np.array([[2.0, -2.0], [0.1, 40.0]]),),
        ),
        rtol=1e-9,
        atol=1e-12,
    ),
    Exercise(
        "05.huber_outliers",
        _huber_intercept_at_30_percent(),
        rtol=0.0,
        atol=0.02,
        hint="fit_lines fits every outlier fraction at once and returns (slopes, intercepts); "
        "take the intercept of the row of 30 %",
    ),
)
