"""Former name of :mod:`lossbook.course.checker` and :mod:`lossbook.course.exercises`, kept
while notebooks still import it."""

from __future__ import annotations

from lossbook.course.checker import check, verdict
from lossbook.course.exercises import Exercise, all_exercises

__all__ = ["Exercise", "all_exercises", "check", "verdict"]
