"""The course's exercises: the :class:`Exercise` type and the registry of every exercise.

Each notebook's exercises live in one module of this package, named after the notebook
(``n02_cross_entropy.py`` for ``02_cross_entropy.ipynb``), as a tuple ``EXERCISES``. A notebook
may import the constants its exercise text uses from its module
(``from lossbook.course.exercises.n07_dice_loss import TVERSKY_ALPHA``). Answers are judged by
:func:`lossbook.course.checker.check`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TIME_LIMIT", "Exercise", "all_exercises"]

TIME_LIMIT = 10.0
"""Seconds a learner's function may run on one case before the checker stops it."""


@dataclass(frozen=True)
class Exercise:
    """One exercise.

    Parameters
    ----------
    name : str
        ``"NN.short_name"``, unique across the course.
    reference : float or callable
        The expected number, or a correct function.
    cases : sequence of tuple
        For a function: the argument tuples it is tried on. Each call gets its own copy.
    rtol, atol : float
        How close counts as right.
    hint : str
        Shown after a wrong number.
    time_limit : float
        Seconds a learner's function may take on one case.
    """

    name: str
    reference: float | Callable[..., Any]
    cases: Sequence[tuple[Any, ...]] = field(default_factory=tuple)
    rtol: float = 1e-6
    atol: float = 1e-9
    hint: str = ""
    time_limit: float = TIME_LIMIT


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of the course by name, gathered from this package's modules.

    Examples
    --------
    >>> all_exercises()["00.square_loss"].cases[0]
    (2.0, 0.5)
    """
    found: dict[str, Exercise] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for ex in module.EXERCISES:
            if ex.name in found:
                raise RuntimeError(f"exercise {ex.name!r} is defined twice")
            found[ex.name] = ex
    return found
