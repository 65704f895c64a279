"""``check(name, answer)``: feedback on a notebook exercise that never gives the solution away.

An exercise is either a number to compute or a function to write. A number is compared within
a tolerance; a wrong number gets a hint, not the answer. A function is run on small cases that
differ from the one in the notebook, and the first case where it goes wrong is shown with what
was expected and what came back, so the learner can debug without being handed the solution.

Exercises live in ``lossbook/_exercises/``, one module per notebook, each with a tuple
``EXERCISES`` of :class:`Exercise`.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Exercise", "all_exercises", "check"]


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
        For a function: the argument tuples it is tried on.
    rtol, atol : float
        How close counts as right.
    hint : str
        Shown after a wrong number.
    """

    name: str
    reference: float | Callable[..., Any]
    cases: Sequence[tuple[Any, ...]] = field(default_factory=tuple)
    rtol: float = 1e-6
    atol: float = 1e-9
    hint: str = ""


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of the course by name, gathered from ``lossbook/_exercises``."""
    from lossbook import _exercises

    found: dict[str, Exercise] = {}
    for info in sorted(pkgutil.iter_modules(_exercises.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"lossbook._exercises.{info.name}")
        for ex in module.EXERCISES:
            if ex.name in found:
                raise RuntimeError(f"exercise {ex.name!r} is defined twice")
            found[ex.name] = ex
    return found


def _close(got: Any, expected: Any, ex: Exercise) -> bool:
    try:
        g = np.asarray(_to_numpy(got), dtype=np.float64)
        e = np.asarray(_to_numpy(expected), dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return g.shape == e.shape and bool(np.allclose(g, e, rtol=ex.rtol, atol=ex.atol, equal_nan=True))


def _to_numpy(x: Any) -> Any:
    detach = getattr(x, "detach", None)
    return detach().cpu().numpy() if callable(detach) else x


def _show(x: Any) -> str:
    x = _to_numpy(x)
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=6)
    if isinstance(x, float):
        return repr(float(f"{x:.6g}"))
    return repr(x)


def check(name: str, answer: Any) -> bool:
    """Check an exercise answer and print what is right or wrong; return True if right.

    Parameters
    ----------
    name : str
        The exercise's name as the notebook gives it.
    answer : number or callable
        Your number, or your function.

    Returns
    -------
    bool

    Examples
    --------
    >>> check("00.square_loss", lambda prediction, target: (prediction - target) ** 2)
    correct: 00.square_loss passes 3 small cases
    True
    >>> check("00.square_loss", lambda prediction, target: prediction - target)
    not yet: on square_loss(2.0, 0.5) expected 2.25, got 1.5
    False
    """
    exercises = all_exercises()
    if name not in exercises:
        raise ValueError(f"name must be one of the course's exercises {sorted(exercises)}; got {name!r}")
    ex = exercises[name]
    if answer is None or answer is Ellipsis:
        print(f"not yet: {name} has no answer; replace the ... with yours")
        return False
    if callable(ex.reference):
        if not callable(answer):
            print(f"not yet: {name} expects a function, got {type(answer).__name__}")
            return False
        short = name.split(".", 1)[-1]
        for args in ex.cases:
            expected = ex.reference(*args)
            shown = ", ".join(_show(a) for a in args)
            try:
                got = answer(*args)
            except Exception as error:  # the learner's code: report, do not crash the notebook
                print(f"not yet: {short}({shown}) raised {type(error).__name__}: {error}")
                return False
            if not _close(got, expected, ex):
                print(f"not yet: on {short}({shown}) expected {_show(expected)}, got {_show(got)}")
                return False
        print(f"correct: {name} passes {len(ex.cases)} small cases")
        return True
    if isinstance(answer, bool) or not isinstance(answer, int | float | np.floating | np.integer):
        print(f"not yet: {name} expects a number, got {type(answer).__name__}")
        return False
    if math.isclose(float(answer), float(ex.reference), rel_tol=ex.rtol, abs_tol=ex.atol):
        print(f"correct: {name}")
        return True
    hint = f" Hint: {ex.hint}" if ex.hint else ""
    print(f"not yet: {_show(float(answer))} is not the answer to {name}.{hint}")
    return False
