"""Course runtime: wall seconds of each notebook under strict nbval, one pytest process each.

The time includes pytest's start-up and the kernel's start, which a learner running
``pytest notebooks/NN_x.ipynb`` also waits for. ``make test`` (the whole suite) is timed when
asked (``--make-test``, which ``make bench`` passes): it takes the machine's cores for minutes.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NotebookRow", "make_test_args", "time_all_notebooks", "time_make_test", "time_notebooks"]


@dataclass
class NotebookRow:
    notebook: str
    seconds: float | None  # None: not run
    passed: bool | None


def _pytest(root: Path, *args: str) -> tuple[float, bool]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=root, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done.returncode == 0


def time_notebooks(root: Path, run: bool) -> list[NotebookRow]:
    """One row per notebook in notebooks/; timed only if ``run``."""
    rows = []
    for nb in sorted((root / "notebooks").glob("*.ipynb")):
        if run:
            seconds, passed = _pytest(root, str(nb.relative_to(root)))
            rows.append(NotebookRow(nb.name, seconds, passed))
        else:
            rows.append(NotebookRow(nb.name, None, None))
    return rows


def time_make_test(root: Path) -> tuple[float, bool, list[str]]:
    """Seconds of ``make test`` after set-up (.venv is installed, so make runs only pytest, with
    the Makefile's options: the test files spread over the cores), whether it passed, and the
    ``FAILED``/``ERROR`` lines of its summary if it did not."""
    start = time.perf_counter()
    done = subprocess.run(["make", "--no-print-directory", "test"], cwd=root,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    failures = [ln for ln in done.stdout.splitlines() if ln.startswith(("FAILED ", "ERROR "))]
    return seconds, done.returncode == 0, failures


def make_test_args(root: Path) -> list[str]:
    """The pytest options ``make test`` passes (the Makefile's ``PYTEST_ARGS``)."""
    found = re.search(r"^PYTEST_ARGS \?= (.*)$", (root / "Makefile").read_text(), re.MULTILINE)
    return found.group(1).split() if found else []


def time_all_notebooks(root: Path) -> list[tuple[str, float, bool]]:
    """Every notebook in one pytest run: serially in one process (what a machine with one core
    sees), and spread over the cores with ``make test``'s options."""
    return [
        ("one process", *_pytest(root, "notebooks")),
        ("make test's workers", *_pytest(root, *make_test_args(root), "notebooks")),
    ]
