"""Exercises of notebook 03_kl_divergence."""

from __future__ import annotations

import numpy as np

from lossbook.course.exercises import Exercise

# Exercise 1: a target smoothed with epsilon = 0.2 over 5 classes; its entropy is the floor.
SMOOTHED_TARGET = np.array([0.84, 0.04, 0.04, 0.04, 0.04])


def _entropy(p: np.ndarray) -> float:
    return float(-np.sum(p * np.log(p)))


def _close_modes_sigma() -> float:
    """Exercise 3: the width of the Gaussian closest by reverse KL, KL(q || p), to the mixture of
    two Gaussians of width 0.6 at -1.5 and 1.5, on the 401-point grid of section 4. Section 4's
    (mu, sigma) grid finds the global minimum at mu = 0 (the modes are local minima only); sigma
    is then refined at mu = 0 on a grid of step 0.001."""
    x = np.linspace(-6.0, 6.0, 401)

    def log_softmax_rows(a: np.ndarray) -> np.ndarray:
        a = a - a.max(axis=-1, keepdims=True)
        return a - np.log(np.exp(a).sum(axis=-1, keepdims=True))

    def log_gauss(mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        return -0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma)

    log_p = log_softmax_rows(np.logaddexp(log_gauss(np.array(-1.5), np.array(0.6)),
                                          log_gauss(np.array(1.5), np.array(0.6))))

    def reverse_kl(mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        log_q = log_softmax_rows(log_gauss(mu[..., None], sigma[..., None]))
        return np.sum(np.exp(log_q) * (log_q - log_p), axis=-1)

    mus = np.linspace(-4.0, 4.0, 81)
    sigmas = np.exp(np.linspace(np.log(0.2), np.log(4.0), 61))
    coarse = reverse_kl(*np.meshgrid(mus, sigmas, indexing="ij"))
    mu_best = mus[np.unravel_index(np.argmin(coarse), coarse.shape)[0]]
    fine = np.arange(200, 4001) / 1000
    return float(fine[np.argmin(reverse_kl(np.full_like(fine, mu_best), fine))])


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
    Exercise(
        "03.close_modes",
        _close_modes_sigma(),
        rtol=0.05,  # the grid of section 4 is 5 % coarse in sigma
        hint="rebuild the target with the modes at -1.5 and 1.5 and take the smallest reverse KL "
        "over the whole (mu, sigma) grid, as section 4 did; gradient descent may stop in a local "
        "minimum",
    ),
)
