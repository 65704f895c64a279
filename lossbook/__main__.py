"""``python -m lossbook build | list | student``.

build    copy notebooks/ to build/notebooks/, execute every notebook there in course order
         (which regenerates figures/), render the HTML site into site/, print a table of
         notebook, seconds and result; exit 1 if any notebook fails. notebooks/ is only read.
list     print the course map.
student  write build/student/: every notebook with its solution cells removed and its
         outputs cleared.
"""

from __future__ import annotations

import argparse
import html
import shutil
import sys
import time
from pathlib import Path

from lossbook.course import COURSE, Chapter, course_table
from lossbook.plotting import repo_root

__all__ = ["build", "main", "student"]


def _present(folder: Path) -> list[Chapter]:
    return [ch for ch in COURSE if ch.path(folder).is_file()]


def _execute(path: Path, timeout: int) -> tuple[float, str]:
    """Execute the notebook at ``path`` in place (in its folder); return seconds and a verdict."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
        verdict = "ok"
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        index = next(
            (i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and any(o.get("output_type") == "error"
                                                 for o in cell.get("outputs", []))),
            None,
        )
        name = getattr(error, "ename", type(error).__name__)
        value = getattr(error, "evalue", str(error).splitlines()[0] if str(error) else "")
        where = f"cell {index}" if index is not None else "a cell"
        verdict = f"FAILED at {where}: {name}: {value}"
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds, verdict


def build(root: Path, timeout: int = 600) -> int:
    """Build the course from ``root``: execute a copy of every notebook and render the site."""
    source = root / "notebooks"
    work = root / "build" / "notebooks"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    chapters = _present(source)
    for ch in chapters:
        shutil.copy2(ch.path(source), ch.path(work))
    for extra in source.iterdir():  # small data files a notebook ships beside itself
        if extra.is_file() and extra.suffix != ".ipynb":
            shutil.copy2(extra, work / extra.name)

    results = []
    for ch in chapters:
        seconds, verdict = _execute(ch.path(work), timeout)
        results.append((ch, seconds, verdict))
        print(f"  {ch.stem:<28} {seconds:6.1f} s  {verdict}", flush=True)

    _render_site(root / "site", work, chapters)
    print()
    print(f"{'notebook':<30} {'seconds':>8}  result")
    for ch, seconds, verdict in results:
        print(f"{ch.stem:<30} {seconds:8.1f}  {verdict}")
    total = sum(s for _, s, _ in results)
    failed = sum(v != "ok" for _, _, v in results)
    print(f"{'total':<30} {total:8.1f}  {len(results) - failed} of {len(results)} ok")
    print(f"site: {root / 'site' / 'index.html'}")
    return 1 if failed else 0


_NAV_CSS = """
nav.lossbook { display: flex; justify-content: space-between; padding: .5rem 1rem;
               border-bottom: 1px solid #ccc; margin-bottom: 1rem; font-family: system-ui; }
"""

_PAGE_CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1a1a1a; background: #fff; line-height: 1.5; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .3rem .6rem; }
"""


def _nav(chapters: list[Chapter], i: int) -> str:
    prev_link = (f'<a rel="prev" href="{chapters[i - 1].stem}.html">&larr; '
                 f"{html.escape(chapters[i - 1].title)}</a>" if i > 0 else "<span></span>")
    next_link = (f'<a rel="next" href="{chapters[i + 1].stem}.html">'
                 f"{html.escape(chapters[i + 1].title)} &rarr;</a>"
                 if i + 1 < len(chapters) else "<span></span>")
    return (f'<nav class="lossbook">{prev_link}<a href="index.html">Course map</a>'
            f"{next_link}</nav>")


def _render_site(site: Path, work: Path, chapters: list[Chapter]) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    exporter = HTMLExporter(template_name="lab")
    for i, ch in enumerate(chapters):
        nb = nbformat.read(ch.path(work), as_version=4)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": ch.title}})
        nav = _nav(chapters, i)
        # nbconvert's lab template wraps the cells in <main>: navigation goes above and below.
        body = body.replace("<main>", "<main>" + nav, 1).replace("</main>", nav + "</main>", 1)
        body = body.replace("</head>", f"<style>{_NAV_CSS}</style></head>", 1)
        (site / f"{ch.stem}.html").write_text(body, encoding="utf-8")

    rows = "\n".join(
        f'<tr><td>{ch.number:02d}</td><td><a href="{ch.stem}.html">{html.escape(ch.title)}</a>'
        f"</td><td>{html.escape(ch.goals)}</td></tr>"
        for ch in chapters
    )
    index = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>lossbook: a course on loss functions</title>
<style>{_PAGE_CSS}</style></head>
<body>
<h1>lossbook: a course on loss functions</h1>
<p>Each notebook derives a family of losses, shows lossbook's reference implementation and
checks it against PyTorch. Read them in order; each builds on the ones before.</p>
<table><thead><tr><th>#</th><th>notebook</th><th>what you learn</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""
    (site / "index.html").write_text(index, encoding="utf-8")


def student(root: Path) -> int:
    """Write the student edition: solution cells removed, outputs cleared."""
    import nbformat

    source = root / "notebooks"
    out = root / "build" / "student"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for ch in _present(source):
        nb = nbformat.read(ch.path(source), as_version=4)
        nb.cells = [c for c in nb.cells if "solution" not in c.get("metadata", {}).get("tags", [])]
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        nbformat.write(nb, ch.path(out))
        print(f"  {ch.stem}")
    print(f"student edition: {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lossbook", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("build", "list", "student"))
    parser.add_argument("--root", type=Path, default=None,
                        help="the course folder (default: the one lossbook is installed from)")
    args = parser.parse_args(argv)
    root = (args.root or repo_root()).resolve()
    if args.command == "list":
        print(course_table(root / "notebooks"))
        return 0
    if args.command == "student":
        return student(root)
    return build(root)


if __name__ == "__main__":
    sys.exit(main())
