"""Course runtime: wall seconds of each notebook under strict nbval, one pytest process each.

The time includes pytest's start-up and the kernel's start, which a learner running
``pytest notebooks/NN_x.ipynb`` also waits for. ``make test`` (the whole suite) is timed when
asked (``--make-test``, which ``make bench`` passes): it takes the machine's cores for minutes.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NotebookRow", "time_all_notebooks", "time_import", "time_make_test", "time_notebooks"]


@dataclass
class NotebookRow:
    notebook: str
    seconds: float | None  # None: not run
    passed: bool | None


def _run(root: Path, *command: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall seconds of ``command`` run in ``root``, and its result."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def _pytest(root: Path, *args: str) -> tuple[float, bool]:
    seconds, done = _run(root, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                         *args)
    return seconds, done.returncode == 0


def time_import(repeats: int = 5) -> tuple[float, list[str]]:
    """Median seconds of ``import lossbook`` in a fresh interpreter (``repeats`` of them), and
    the heavy libraries it loaded (none of torch, matplotlib, scipy is expected)."""
    code = ("import sys, time; t = time.perf_counter(); import lossbook; "
            "print(time.perf_counter() - t); "
            "print(' '.join(m for m in ('torch', 'matplotlib', 'scipy') if m in sys.modules))")
    times, loaded = [], []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout.splitlines()
        times.append(float(out[0]))
        loaded = out[1].split() if len(out) > 1 else []
    return sorted(times)[len(times) // 2], loaded


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


def time_make_test(root: Path, tests: str = "") -> tuple[float, bool, list[str]]:
    """Seconds of ``make test`` after set-up (.venv is installed, so make runs only pytest, with
    the Makefile's options: the test files spread over the cores), whether it passed, and the
    ``FAILED``/``ERROR`` lines of its summary if it did not. ``tests`` limits it to those paths
    (the Makefile's ``TESTS``)."""
    only = [f"TESTS={tests}"] if tests else []
    seconds, done = _run(root, "make", "--no-print-directory", "test", *only)
    failures = [ln for ln in done.stdout.splitlines() if ln.startswith(("FAILED ", "ERROR "))]
    return seconds, done.returncode == 0, failures


def time_all_notebooks(root: Path) -> list[tuple[str, float, bool]]:
    """Every notebook in one pytest run: serially in one process (what a machine with one core
    sees), and as ``make test`` runs them, spread over the cores."""
    serial = ("one process", *_pytest(root, "notebooks"))
    seconds, passed, _ = time_make_test(root, "notebooks")
    return [serial, ("make test's workers", seconds, passed)]
