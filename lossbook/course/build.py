"""Build the course: execute a copy of every notebook, regenerating figures/, then the site.

``build(root)`` copies ``notebooks/`` to ``build/notebooks/`` and executes every notebook there
in course order (notebooks/ is only read: a learner's edits are never lost), prints one line per
notebook as it finishes, renders the site from the executed copies and returns 1 if any notebook
failed.

The notebooks run with the course's own ``lossbook``: the kernel starts with the checkout's
root first on ``PYTHONPATH`` and with ``LOSSBOOK_FIGURES`` set to the course's ``figures/``, and
the build stops if the kernel imports ``lossbook`` from anywhere else. Before it deletes or
writes anything, the build checks that ``root`` is a course with notebooks and that it can
write there; each refusal is one line (:class:`~lossbook.course.checkout.CourseError`). A
notebook file that is not a valid notebook is reported by name and the others still run.
"""

from __future__ import annotations

import ast
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lossbook.course.chapters import Chapter
from lossbook.course.checkout import (
    CourseError,
    InvalidNotebook,
    kernel_env,
    kernel_package,
    read_notebook,
    require_course,
    require_writable,
)

__all__ = ["Result", "build", "execute_notebook", "fresh_folder", "print_header", "print_row",
           "print_total"]


@dataclass(frozen=True)
class Result:
    """How one notebook ran: seconds, ``"ok"`` or what failed, and the executed notebook
    (``None`` when the file could not be read)."""

    chapter: Chapter
    seconds: float
    verdict: str
    notebook: Any = None

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


def build(root: Path, timeout: int = 600) -> int:
    """Build the course at ``root``: execute a copy of every notebook and render the site.

    Returns 0 if every notebook ran, 1 otherwise; raises
    :class:`~lossbook.course.checkout.CourseError` (deleting nothing) where ``root`` is not a
    course, has no notebooks, or cannot be written.
    """
    chapters = require_course(root)
    source, work, site = root / "notebooks", root / "build" / "notebooks", root / "site"
    for folder in (root / "build", root / "figures", site):
        require_writable(folder if folder.is_dir() else folder.parent)
    fresh_folder(work)
    for extra in source.iterdir():  # the notebooks and the small data files beside them
        if extra.is_file():
            shutil.copy2(extra, work / extra.name)

    env = kernel_env(root, root / "figures")
    print_header()
    results = []
    for ch in chapters:
        result = execute_notebook(ch, work, timeout=timeout, env=env, package=kernel_package(root))
        results.append(result)
        print_row(result)
    print_total(results)
    status = _render(work, site, {r.chapter.stem: r.verdict for r in results})
    print(f"site: {site / 'index.html'}" + ("" if all(v == "ok" for v in status.values()) else
                                               " (failed notebooks are marked)"))
    return 0 if all(r.ok for r in results) else 1


def _render(work: Path, site: Path, verdicts: Mapping[str, str]) -> dict[str, str]:
    from lossbook.course.site import render_site

    try:
        return render_site(work, site, verdicts)
    except OSError as error:
        raise CourseError(f"cannot write the site {site}: {error.strerror or error}") from None


def fresh_folder(folder: Path) -> None:
    """Empty ``folder`` (made if missing); a :class:`CourseError` if it cannot be written."""
    try:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    except OSError as error:
        raise CourseError(f"cannot write into {folder}: {error.strerror or error}") from None


# --- executing one notebook ---------------------------------------------------------------------
def execute_notebook(chapter: Chapter, folder: Path, *, timeout: int, env: Mapping[str, str],
                     package: Path, write: bool = True) -> Result:
    """Execute ``chapter``'s notebook in ``folder`` (its working directory) with ``env``.

    The executed notebook is written back when ``write``. Raises
    :class:`~lossbook.course.checkout.CourseError` if the kernel imports ``lossbook`` from
    anywhere but ``package``.
    """
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    path = chapter.path(folder)
    try:
        nb = read_notebook(path)
    except InvalidNotebook as error:
        return Result(chapter, 0.0, f"FAILED: {error}")
    client = _client_class()(
        nb, timeout=timeout, kernel_name="python3", config=_kernel_config(),
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.expected_package = package
    start = time.perf_counter()
    try:
        # nbclient lets a cell tagged "raises-exception" raise and stops at any other error.
        client.execute(env=dict(env))
        verdict = "ok"
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        verdict = _failure(nb, error)
    except CourseError:
        raise
    except Exception as error:  # the kernel did not start, or died: say so, run the others
        verdict = f"FAILED: {type(error).__name__}: {_first_line(error)}"
    seconds = time.perf_counter() - start
    if write:
        import nbformat

        nbformat.write(nb, path)
    return Result(chapter, seconds, verdict, nb)


def _failure(nb: Any, error: Exception) -> str:
    index = next(
        (i for i, cell in enumerate(nb.cells)
         if cell.cell_type == "code"
         and "raises-exception" not in cell.get("metadata", {}).get("tags", [])
         and any(o.get("output_type") == "error" for o in cell.get("outputs", []))),
        None,
    )
    name = getattr(error, "ename", type(error).__name__)
    value = getattr(error, "evalue", _first_line(error))
    where = f"cell {index}" if index is not None else "a cell"
    return f"FAILED at {where}: {name}: {value}"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


def _kernel_config() -> Any:
    """Kernels talk to the build over encrypted sockets where pyzmq has CurveZMQ (the wheels
    do): the kernel then has no reason to warn that its traffic could be read."""
    import zmq
    from traitlets.config import Config

    config = Config()
    if zmq.has("curve"):
        config.KernelManager.transport_encryption = "auto"
    return config


def _client_class() -> type:
    """nbclient's NotebookClient that first asks the new kernel where ``lossbook`` comes from."""
    from nbclient import NotebookClient
    from nbclient.util import ensure_async

    class Client(NotebookClient):
        expected_package: Path
        wrong_package: str | None = None

        async def async_start_new_kernel_client(self) -> Any:
            kc = await super().async_start_new_kernel_client()
            probe = "__import__('lossbook').__file__"
            msg_id = await ensure_async(kc.execute("", silent=True, store_history=False,
                                                   user_expressions={"lossbook": probe}))
            reply = await self.async_wait_for_reply(msg_id)
            found = (reply or {}).get("content", {}).get("user_expressions", {}).get("lossbook", {})
            if found.get("status") != "ok":
                self.wrong_package = (f"the notebooks' kernel cannot import lossbook: "
                                      f"{found.get('ename', '?')}: {found.get('evalue', '')}")
            else:
                where = Path(ast.literal_eval(found["data"]["text/plain"])).resolve().parent
                if where != self.expected_package:
                    self.wrong_package = (f"the notebooks' kernel imports lossbook from {where}, "
                                          f"not this course's {self.expected_package}")
            return kc

        async def async_execute_cell(self, *args: Any, **kwargs: Any) -> Any:
            # Raised here, inside nbclient's kernel context, so that the kernel is shut down.
            if self.wrong_package:
                raise CourseError(self.wrong_package)
            return await super().async_execute_cell(*args, **kwargs)

    return Client


# --- the table printed as notebooks finish ------------------------------------------------------
def print_header() -> None:
    print(f"{'notebook':<30} {'seconds':>8}  result", flush=True)


def print_row(result: Result, note: str = "") -> None:
    print(f"{result.chapter.stem:<30} {result.seconds:8.1f}  {result.verdict}{note}", flush=True)


def print_total(results: list[Result]) -> None:
    total = sum(r.seconds for r in results)
    ok = sum(r.ok for r in results)
    print(f"{'total':<30} {total:8.1f}  {ok} of {len(results)} ok", flush=True)
