"""Exercises of notebook 01_entropy."""

from __future__ import annotations

import math

import numpy as np

from lossbook.course.exercises import Exercise


def _entropy_bits(p: np.ndarray) -> float:
    p = np.asarray(p, dtype=np.float64)
    nonzero = p[p > 0]
    return float(-np.sum(nonzero * np.log2(nonzero)))


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
        "01.huffman_mean_length",
        1.9,
        rtol=1e-6,
        hint="merge the two least likely symbols first; each merge adds one bit to every symbol "
        "below it, so the mean length is the sum of the merged probabilities",
    ),
)
