"""The course toolkit: everything around the notebooks, one job per module.

==========================  =====================================================================
``chapters``                the course map (:data:`COURSE`) and the study-time estimate
``checkout``                which course a command works on, and the checks made before it acts
``build``                   execute copies of the notebooks (regenerating figures/), then the site
``site``                    the offline HTML site
``student``                 the student edition: solutions removed, outputs cleared
``exercises``               the :class:`Exercise` type, the registry, one module of exercises per
                            notebook
``checker``                 :func:`check`: feedback on an answer that never gives the solution
``plotting``                the figure style, the palette and :func:`savefig`
``notebook``                :func:`setup_notebook`, the first cell of every notebook
``source``                  :func:`show_source`: a function's source as a learner should read it
==========================  =====================================================================

``python -m lossbook build|list|site|student`` runs them. Importing this package does not import
torch or matplotlib; the names that need them (``savefig``, ``use_style``, the palette,
``setup_notebook``) are loaded on first use.
"""

from __future__ import annotations

from lossbook._lazy import lazy_names
from lossbook.course.chapters import COURSE, Chapter, course_table, study_minutes
from lossbook.course.checker import check, verdict
from lossbook.course.exercises import Exercise, all_exercises
from lossbook.course.source import show_source, source_text

__all__ = [
    "COURSE",
    "LINESTYLES",
    "PALETTE",
    "Chapter",
    "Exercise",
    "all_exercises",
    "check",
    "course_table",
    "savefig",
    "setup_notebook",
    "show_source",
    "source_text",
    "study_minutes",
    "use_style",
    "verdict",
]

_LAZY = {
    "LINESTYLES": "lossbook.course.plotting",
    "PALETTE": "lossbook.course.plotting",
    "savefig": "lossbook.course.plotting",
    "use_style": "lossbook.course.plotting",
    "setup_notebook": "lossbook.course.notebook",
}


__getattr__, __dir__ = lazy_names(globals(), _LAZY)
