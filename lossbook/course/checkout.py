"""Where the course lives: the checkout a command works on, and the checks made before it acts.

A *course* is a folder with a ``notebooks/`` folder of course notebooks (``00_welcome.ipynb``
...). A *checkout* is a course that also holds the ``lossbook`` package it is taught with
(``lossbook/`` and ``pyproject.toml``, as a clone of the repository does). ``build``, ``site``
and ``student`` work on one course and write only into it; when it is a checkout, its notebooks
run with its own ``lossbook``, whatever else is installed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from lossbook.course.chapters import COURSE, Chapter

__all__ = ["CourseError", "InvalidNotebook", "chapters_in", "kernel_env", "kernel_package", "package_dir",
           "read_notebook", "repo_root", "require_course", "require_writable"]


class CourseError(Exception):
    """A command cannot work on the course as it is; the message is one line saying why."""


def package_dir() -> Path:
    """The folder of the ``lossbook`` package this Python imports."""
    return Path(__file__).resolve().parent.parent


def repo_root() -> Path:
    """The checkout the imported ``lossbook`` comes from: the folder holding ``pyproject.toml``
    beside the package.

    Raises
    ------
    CourseError
        If ``lossbook`` is not imported from a checkout (installed from a wheel, say): there is
        no course folder to fall back on.
    """
    here = package_dir().parent
    if (here / "pyproject.toml").is_file():
        return here
    raise CourseError(
        f"lossbook is imported from {package_dir()}, which is not in a checkout of the course "
        "(no pyproject.toml beside it): clone the course and run this in the clone, or name "
        "the course folder with --root"
    )


def chapters_in(folder: Path) -> list[Chapter]:
    """The chapters of the course map whose notebook is in ``folder``, in course order."""
    return [ch for ch in COURSE if ch.path(folder).is_file()]


def require_course(root: Path) -> list[Chapter]:
    """The chapters of the course at ``root``; a :class:`CourseError` if it is not a course
    (no ``notebooks/``), has no course notebook, or is a checkout whose ``lossbook`` is not the
    one this Python imports (its notebooks would run another copy's code)."""
    notebooks = root / "notebooks"
    if not notebooks.is_dir():
        raise CourseError(f"no course at {root}: it has no notebooks/ folder")
    chapters = chapters_in(notebooks)
    if not chapters:
        raise CourseError(
            f"no course notebooks in {notebooks} (expected names such as "
            f"{COURSE[0].stem}.ipynb, as `python -m lossbook list` shows)"
        )
    own = root / "lossbook" / "__init__.py"
    if own.is_file() and own.resolve().parent != package_dir():
        raise CourseError(
            f"the course at {root} has its own lossbook package, but this Python imports "
            f"lossbook from {package_dir()}: run the command in {root} with that checkout's "
            "Python (its .venv)"
        )
    return chapters


def kernel_package(root: Path) -> Path:
    """The ``lossbook`` package the course's notebooks must import: the checkout's own, else the
    one running this command."""
    own = root / "lossbook" / "__init__.py"
    return own.resolve().parent if own.is_file() else package_dir()


def kernel_env(root: Path, figures: Path) -> dict[str, str]:
    """The environment of a notebook kernel for the course at ``root``: its ``lossbook`` first
    on the path, figures written to ``figures``."""
    first = str(kernel_package(root).parent)
    rest = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": first + (os.pathsep + rest if rest else ""),
            "LOSSBOOK_FIGURES": str(figures)}


def require_writable(folder: Path) -> None:
    """A :class:`CourseError` unless files can be created in ``folder`` (made if missing)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise CourseError(f"cannot write into {folder}: {reason}") from None


class InvalidNotebook(CourseError):
    """A notebook file that cannot be read as a notebook; the message names the file."""


def read_notebook(path: Path) -> Any:
    """The notebook at ``path`` (nbformat 4), or :class:`InvalidNotebook` naming the file and
    what is wrong with it (not JSON, not the notebook format, unreadable)."""
    import nbformat
    from nbformat import reader

    try:
        nb = nbformat.convert(reader.reads(path.read_text(encoding="utf-8")), 4)
        nbformat.validate(nb)
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InvalidNotebook(f"{path.name} is not a valid notebook: {reason[:200]}") from None
    return nb
