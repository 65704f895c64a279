"""The student edition: every notebook with its solutions removed and its outputs cleared.

``student(root)`` writes ``build/student/``: the cells tagged ``solution`` are removed, and so is
a section left with nothing but its heading and text once they are gone (the "Solutions"
heading at the end of each notebook); every output is cleared. A self-learner works in it
(``make lab STUDENT=1``), so it is never overwritten once a notebook in it has changed: the
command refuses, naming the file, unless ``force``.

``student(root, run=True)`` also executes every notebook of the edition, top to bottom, in a
scratch copy (build/student/ stays clean, figures go to a temporary folder), and returns 1 if any
cell raises. The exercise stubs raise NotImplementedError inside the learner's function, and
``check`` catches it and prints "not yet: ... raised NotImplementedError"; so a stub cell does not
raise, and an unsolved edition runs through. Only a cell tagged "raises-exception" may raise. The
run also fails if a check in the student edition prints "correct": a stub must not solve its
exercise.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from lossbook.course.build import (
    Result,
    execute_notebook,
    fresh_folder,
    print_header,
    print_row,
    print_total,
)
from lossbook.course.checkout import (
    CourseError,
    InvalidNotebook,
    kernel_env,
    kernel_package,
    read_notebook,
    require_course,
    require_writable,
)

__all__ = ["drop_solutions", "exercise_counts", "student"]

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$", re.M)
_CHECK_CALL = re.compile(r"\bcheck\(")
_STAMP = ".edition.json"  # what the command wrote, to tell a learner's changes from its own


def _tags(cell: Any) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def exercise_counts(nb: Any) -> tuple[int, int]:
    """The number of ``check(`` calls in the notebook's exercise section (the cells from the
    first heading that names exercises to the next heading of the same or a higher level,
    solution cells excluded) and the number of cells tagged "solution"."""
    checks, level = 0, None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for hashes, text in _HEADING.findall(cell.source):
                if level is None and re.search(r"exercise", text, re.I):
                    level = len(hashes)
                elif level is not None and len(hashes) <= level and level > 0:
                    level = 0  # the section has ended
        elif level and "solution" not in _tags(cell):
            checks += len(_CHECK_CALL.findall(cell.source))
    solutions = sum("solution" in _tags(cell) for cell in nb.cells)
    return checks, solutions


def _segments(text: str) -> list[tuple[int | None, str]]:
    """Markdown split before each ATX heading outside code fences: (heading level or None for
    the text before the first heading, the segment's text)."""
    segments: list[tuple[int | None, list[str]]] = [(None, [])]
    fence = None
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        marker = stripped[:3]
        if fence is None and marker in ("```", "~~~"):
            fence = marker
        elif fence is not None and marker == fence:
            fence = None
        elif fence is None and (m := re.match(r"(#{1,6})\s+\S", line)):
            segments.append((len(m.group(1)), []))
        segments[-1][1].append(line)
    return [(level, "".join(lines)) for level, lines in segments if lines]


def drop_solutions(nb: Any) -> Any:
    """``nb`` without its solution cells and without the sections they leave empty.

    A section (a heading and everything up to the next heading of the same or a higher level)
    that held solution cells and keeps no code cell once they are removed is removed with its
    heading and text, even where it shares a Markdown cell with the section above.
    """
    # One flat list of items: a segment of a Markdown cell, or a code cell.
    items: list[dict[str, Any]] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for level, text in _segments(cell.source):
                items.append({"cell": index, "level": level, "text": text, "keep": True})
        else:
            items.append({"cell": index, "level": None, "text": None, "keep": True,
                          "code": cell.cell_type == "code",
                          "solution": "solution" in _tags(cell)})
    for i, item in enumerate(items):
        if item["level"] is None or item["text"] is None:
            continue
        section = []
        for later in items[i + 1:]:
            if later["level"] is not None and later["level"] <= item["level"]:
                break
            section.append(later)
        solutions = any(s.get("solution") for s in section)
        code_left = any(s.get("code") and not s.get("solution") for s in section)
        if solutions and not code_left:
            item["keep"] = False
            for s in section:
                if s["text"] is not None:
                    s["keep"] = False

    cells = []
    for index, cell in enumerate(nb.cells):
        if "solution" in _tags(cell):
            continue
        if cell.cell_type == "markdown":
            kept = [it["text"] for it in items if it["cell"] == index and it["keep"]]
            text = "".join(kept).rstrip()
            if not text:
                continue
            if text != cell.source:
                cell = type(cell)(cell)
                cell["source"] = text
        cells.append(cell)
    nb.cells = cells
    return nb


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _learner_changes(out: Path) -> list[str]:
    """Files in an existing edition that the command did not write as they are now."""
    if not out.exists():
        return []
    stamp = out / _STAMP
    try:
        written = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        written = {}
    changed = []
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if not path.is_file() or path == stamp or ".ipynb_checkpoints" in rel.parts:
            continue
        if written.get(rel.as_posix()) != _digest(path):
            changed.append(rel.as_posix())
    return changed


def student(root: Path, run: bool = False, timeout: int = 600, force: bool = False) -> int:
    """Write the student edition of the course at ``root`` into ``build/student``.

    With ``run``, also execute every notebook of it in a scratch copy; returns 1 if any fails
    or solves its own exercise. Raises :class:`~lossbook.course.checkout.CourseError` (deleting
    nothing) where ``root`` is not a course, cannot be written, or, unless ``force``, the
    existing edition holds a learner's changes.
    """
    import nbformat

    chapters = require_course(root)
    source, out = root / "notebooks", root / "build" / "student"
    require_writable(root / "build")
    changed = _learner_changes(out)
    if changed and not force:
        raise CourseError(
            f"{out / changed[0]} has changed since the student edition was written (your "
            f"answers?): move {out} away first, or replace it with --force (make student FORCE=1)"
        )
    fresh_folder(out)
    written, failed = {}, []
    for ch in chapters:
        try:
            nb = read_notebook(ch.path(source))
        except InvalidNotebook as error:
            failed.append(ch.stem)
            print(f"  {ch.stem:<28} FAILED: {error}")
            continue
        checks, solutions = exercise_counts(nb)
        nb = drop_solutions(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        nbformat.write(nb, ch.path(out))
        print(f"  {ch.stem:<28} {checks} checks in the exercises, {solutions} solutions removed")
    for extra in source.iterdir():  # the small data files a notebook ships beside itself
        if extra.is_file() and extra.suffix != ".ipynb":
            shutil.copy2(extra, out / extra.name)
    for path in sorted(out.iterdir()):
        written[path.name] = _digest(path)
    (out / _STAMP).write_text(json.dumps(written, indent=1, sort_keys=True), encoding="utf-8")
    print(f"student edition: {out}")
    if not run:
        return 1 if failed else 0

    print("\nrunning the student edition:")
    results: list[Result] = []
    print_header()
    with tempfile.TemporaryDirectory(prefix="lossbook-student-") as scratch:
        work, figures = Path(scratch) / "notebooks", Path(scratch) / "figures"
        shutil.copytree(out, work)
        figures.mkdir()
        env = kernel_env(root, figures)  # figures/ stays untouched
        for ch in chapters:
            if ch.stem in failed:
                continue
            result = execute_notebook(ch, work, timeout=timeout, env=env,
                                      package=kernel_package(root), write=False)
            not_yet, correct = _check_lines(result.notebook) if result.notebook else (0, 0)
            if result.ok and correct:
                result = Result(ch, result.seconds, f"FAILED: {correct} exercise check(s) print "
                                "'correct' without solutions", result.notebook)
            results.append(result)
            print_row(result, f"  ({not_yet} checks print 'not yet')")
    print_total(results)
    return 1 if failed or any(not r.ok for r in results) else 0


def _check_lines(nb: Any) -> tuple[int, int]:
    """How many ``not yet`` and ``correct`` lines check printed in an executed notebook."""
    not_yet = correct = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or not _CHECK_CALL.search(cell.source):
            continue
        for out in cell.get("outputs", []):
            for line in out.get("text", "").splitlines():
                not_yet += line.startswith("not yet:")
                correct += line.startswith("correct:")
    return not_yet, correct
