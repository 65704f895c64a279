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

__all__ = ["Exercise", "all_exercises", "check", "verdict"]


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


def check(name: str, answer: Any) -> None:
    """Check an exercise answer and print whether it is right, or what is wrong.

    It prints ``correct: ...`` or ``not yet: ...`` and returns nothing, so a notebook cell that
    ends with ``check(...)`` shows only the message. :func:`verdict` returns the result instead.

    Parameters
    ----------
    name : str
        The exercise's name as the notebook gives it.
    answer : number or callable
        Your number, or your function.

    Examples
    --------
    >>> check("00.square_loss", lambda prediction, target: (prediction - target) ** 2)
    correct: 00.square_loss passes 3 small cases
    >>> check("00.square_loss", lambda prediction, target: prediction - target)
    not yet: on square_loss(2.0, 0.5) expected 2.25, got 1.5
    """
    print(verdict(name, answer)[1])


def verdict(name: str, answer: Any) -> tuple[bool, str]:
    """Whether ``answer`` solves exercise ``name``, and the message :func:`check` prints.

    Examples
    --------
    >>> verdict("00.one_example_cross_entropy", 0.5)[0]
    False
    """
    exercises = all_exercises()
    if name not in exercises:
        raise ValueError(f"name must be one of the course's exercises {sorted(exercises)}; got {name!r}")
    ex = exercises[name]
    if answer is None or answer is Ellipsis:
        return False, f"not yet: {name} has no answer; replace the ... with yours"
    if callable(ex.reference):
        if not callable(answer):
            return False, f"not yet: {name} expects a function, got {type(answer).__name__}"
        short = name.split(".", 1)[-1]
        for args in ex.cases:
            expected = ex.reference(*args)
            shown = ", ".join(_show(a) for a in args)
            try:
                got = answer(*args)
            except Exception as error:  # the learner's code: report, do not crash the notebook
                return False, f"not yet: {short}({shown}) raised {type(error).__name__}: {error}"
            if not _close(got, expected, ex):
                return False, f"not yet: on {short}({shown}) expected {_show(expected)}, got {_show(got)}"
        return True, f"correct: {name} passes {len(ex.cases)} small cases"
    if isinstance(answer, bool) or not isinstance(answer, int | float | np.floating | np.integer):
        return False, f"not yet: {name} expects a number, got {type(answer).__name__}"
    if math.isclose(float(answer), float(ex.reference), rel_tol=ex.rtol, abs_tol=ex.atol):
        return True, f"correct: {name}"
    hint = f" Hint: {ex.hint}" if ex.hint else ""
    return False, f"not yet: {_show(float(answer))} is not the answer to {name}.{hint}"
