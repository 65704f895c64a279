"""Exercises of notebook 01_entropy."""

from __future__ import annotations

import math

import numpy as np

from lossbook.course.exercises import Exercise


def _entropy_bits(p: np.ndarray) -> float:
    p = np.asarray(p, dtype=np.float64)
    nonzero = p[p > 0]
    return float(-np.sum(nonzero * np.log2(nonzero)))


def _dice_sum_distribution() -> np.ndarray:
    faces = np.arange(1, 7)
    sums = (faces[:, None] + faces[None, :]).ravel()
    return np.array([np.mean(sums == s) for s in range(2, 13)])


EXERCISES = (
    Exercise(
        "01.surprisal_two_sixes",
        math.log2(36),
        rtol=1e-4,
        hint="independent events: their probabilities multiply, so their surprisals add",
    ),
    Exercise(
        "01.entropy_bits",
        _entropy_bits,
        cases=(
            (np.array([0.5, 0.5]),),
            (np.array([0.7, 0.2, 0.1]),),
            (np.array([0.0, 1.0, 0.0]),),
            (np.array([0.25, 0.0, 0.25, 0.5]),),
            (np.full(8, 0.125),),
        ),
    ),
    Exercise(
        "01.entropy_of_dice_sum",
        _entropy_bits(_dice_sum_distribution()),
        rtol=1e-4,
        hint="the sum s of two dice has probability (the number of the 36 pairs that add up to s) "
        "/ 36; list those eleven probabilities and take their entropy in bits",
    ),
    Exercise(
        "01.huffman_mean_length",
        1.9,
        rtol=1e-6,
        hint="merge the two least likely symbols first; each merge adds one bit to every symbol "
        "below it, so the mean length is the sum of the merged probabilities",
    ),
)
