"""``python -m lossbook build | site | list | student [--run]``.

build    copy notebooks/ to build/notebooks/, execute every notebook there in course order
         (which regenerates figures/), render the HTML site into site/, print a table of
         notebook, seconds and result; exit 1 if any notebook fails. notebooks/ is only read.
site     render site/ from notebooks/ as stored (with their committed outputs), executing
         nothing: a quick preview of the site.
list     print the course map.
student  write build/student/: every notebook with its solution cells (tagged "solution")
         removed and its outputs cleared: the edition a teacher hands out.
         --run also executes every notebook of the student edition, top to bottom, in a
         scratch copy (build/student/ stays clean, figures go to a temporary folder), and
         exits 1 if any cell raises. The exercise stubs raise NotImplementedError inside the
         learner's function, and lossbook.check catches it and prints "not yet: ... raised
         NotImplementedError"; so a stub cell does not raise, and an unsolved edition runs
         through. Only a cell tagged "raises-exception" may raise. The run also fails if a
         check in the student edition prints "correct": a stub must not solve its exercise.

The site works offline: MathJax 2.7 is copied from the jupyter-server-mathjax package into
site/static/mathjax/, nbconvert's require.js and mermaid loaders are left out, and figures are
embedded in the pages; no page loads anything from another host.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from lossbook.course import COURSE, Chapter, course_table, study_minutes
from lossbook.plotting import repo_root

__all__ = ["build", "exercise_counts", "main", "render_site", "student"]


def _present(folder: Path) -> list[Chapter]:
    return [ch for ch in COURSE if ch.path(folder).is_file()]


def _copy_extras(source: Path, target: Path) -> None:
    """Copy the small data files a notebook ships beside itself."""
    for extra in source.iterdir():
        if extra.is_file() and extra.suffix != ".ipynb":
            shutil.copy2(extra, target / extra.name)


def _execute(path: Path, timeout: int, *, write: bool = True,
             env: dict[str, str] | None = None) -> tuple[float, str, object]:
    """Execute the notebook at ``path`` (in its folder); return seconds, a verdict and the
    executed notebook, which is written back to ``path`` when ``write``."""
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
        # nbclient lets a cell tagged "raises-exception" raise and stops at any other error.
        client.execute(**({"env": env} if env is not None else {}))
        verdict = "ok"
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        index = next(
            (i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code"
             and "raises-exception" not in cell.get("metadata", {}).get("tags", [])
             and any(o.get("output_type") == "error" for o in cell.get("outputs", []))),
            None,
        )
        name = getattr(error, "ename", type(error).__name__)
        value = getattr(error, "evalue", str(error).splitlines()[0] if str(error) else "")
        where = f"cell {index}" if index is not None else "a cell"
        verdict = f"FAILED at {where}: {name}: {value}"
    seconds = time.perf_counter() - start
    if write:
        nbformat.write(nb, path)
    return seconds, verdict, nb


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
    _copy_extras(source, work)

    results = []
    for ch in chapters:
        seconds, verdict, _ = _execute(ch.path(work), timeout)
        results.append((ch, seconds, verdict))
        print(f"  {ch.stem:<28} {seconds:6.1f} s  {verdict}", flush=True)

    render_site(work, root / "site")
    print()
    _print_table(results)
    print(f"site: {root / 'site' / 'index.html'}")
    return 1 if any(v != "ok" for _, _, v in results) else 0


def _print_table(results: list[tuple[Chapter, float, str]]) -> None:
    print(f"{'notebook':<30} {'seconds':>8}  result")
    for ch, seconds, verdict in results:
        print(f"{ch.stem:<30} {seconds:8.1f}  {verdict}")
    total = sum(s for _, s, _ in results)
    failed = sum(v != "ok" for _, _, v in results)
    print(f"{'total':<30} {total:8.1f}  {len(results) - failed} of {len(results)} ok")


# --- the site -----------------------------------------------------------------------------------
_NAV_CSS = """
nav.lossbook { display: flex; justify-content: space-between; padding: .5rem 1rem;
               border-bottom: 1px solid #ccc; margin-bottom: 1rem; font-family: system-ui; }
"""

_PAGE_CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1a1a1a; background: #fff; line-height: 1.5; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .3rem .6rem; }
td.time { white-space: nowrap; text-align: right; }
"""

# No favicon request: the browser would ask the server for /favicon.ico and log a 404.
_FAVICON = '<link rel="icon" href="data:,">'

MATHJAX_URL = "static/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"

# nbconvert's lab template, less its CDN scripts: require.js (nothing in the course needs it)
# and mermaid (no diagrams). MathJax comes from the site itself. jupyter-server-mathjax ships the
# HTML-CSS output with the STIX-Web fonts only, so MathJax is told to use those; and MathJax's
# font-loading probe "MathJax_Blank" (src about:blank, which Chromium refuses with a console
# error) is pointed at a local() font, which makes no request. MathJax also inserts hidden MathML
# for screen readers, which its MathML output's stylesheet would give the TeX web fonts (not
# shipped, so a 404 per page with mathbb or mathcal): hidden text keeps the page's font.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
""" + _FAVICON + """
<style>.MJX_Assistive_MathML * { font-family: inherit !important; }</style>
<script type="text/x-mathjax-config">
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web",
  imageFont: null,
  styles: {"@font-face": {"font-family": "MathJax_Blank", src: "local('MathJax_Blank')"}}}});
</script>
{{ super() }}
{%- endblock html_head_js_mathjax -%}
"""


def _mathjax_files() -> Path:
    try:
        import jupyter_server_mathjax
    except ImportError as error:  # pragma: no cover - the lock installs it
        raise SystemExit("the site needs MathJax from the jupyter-server-mathjax package: "
                         "run `make course`, which installs requirements.lock") from error
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def _nav(chapters: list[Chapter], i: int) -> str:
    prev_link = (f'<a rel="prev" href="{chapters[i - 1].stem}.html">&larr; '
                 f"{html.escape(chapters[i - 1].title)}</a>" if i > 0 else "<span></span>")
    next_link = (f'<a rel="next" href="{chapters[i + 1].stem}.html">'
                 f"{html.escape(chapters[i + 1].title)} &rarr;</a>"
                 if i + 1 < len(chapters) else "<span></span>")
    return (f'<nav class="lossbook">{prev_link}<a href="index.html">Course map</a>'
            f"{next_link}</nav>")


def render_site(notebooks: Path, site: Path) -> list[Chapter]:
    """Render every course notebook in ``notebooks`` (as it is, outputs included) into the
    static site ``site``: one page per notebook with navigation, an index with the course map,
    and MathJax served from ``site/static/mathjax``. Returns the chapters rendered."""
    import nbformat
    from nbconvert import HTMLExporter

    chapters = _present(notebooks)
    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    shutil.copytree(_mathjax_files(), site / "static" / "mathjax")
    exporter = HTMLExporter(template_name="lab", raw_template=_TEMPLATE, mathjax_url=MATHJAX_URL)
    for i, ch in enumerate(chapters):
        nb = nbformat.read(ch.path(notebooks), as_version=4)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": ch.title}})
        nav = _nav(chapters, i)
        # nbconvert's lab template wraps the cells in <main>: navigation goes above and below.
        body = body.replace("<main>", "<main>" + nav, 1).replace("</main>", nav + "</main>", 1)
        body = body.replace("</head>", f"<style>{_NAV_CSS}</style></head>", 1)
        (site / f"{ch.stem}.html").write_text(body, encoding="utf-8")
    (site / "index.html").write_text(_index(chapters, notebooks), encoding="utf-8")
    return chapters


def _index(chapters: list[Chapter], notebooks: Path) -> str:
    present = {ch.stem for ch in chapters}
    rows, total = [], 0
    for ch in COURSE:
        title = html.escape(ch.title)
        if ch.stem in present:
            minutes = study_minutes(ch.path(notebooks))
            total += minutes
            name, time_ = f'<a href="{ch.stem}.html">{title}</a>', f"{minutes} min"
        else:
            name, time_ = title, "in preparation"
        rows.append(f"<tr><td>{ch.number:02d}</td><td>{name}</td>"
                    f'<td>{html.escape(ch.goals)}</td><td class="time">{time_}</td></tr>')
    rows.append(f'<tr><td></td><td>total</td><td></td><td class="time">{total / 60:.1f} h</td>'
                "</tr>")
    first = (f'<a href="{chapters[0].stem}.html">{html.escape(chapters[0].title)}</a>'
             if chapters else "the first notebook")
    body = "\n".join(rows)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>lossbook: a course on loss functions</title>
{_FAVICON}
<style>{_PAGE_CSS}</style></head>
<body>
<main>
<h1>lossbook: a course on loss functions</h1>
<p>Each notebook derives a family of losses, shows lossbook's reference implementation, checks
it against PyTorch, runs small experiments and ends with exercises. Read them in order; each
builds on the ones before. Start with {first}.</p>
<p>These pages are the notebooks as executed by <code>make course</code>. To run them yourself,
clone the repository and run <code>make lab</code>; a teacher hands out the student edition
(<code>make student</code>: solutions removed, outputs cleared).</p>
<h2>Course map</h2>
<table><thead><tr><th>#</th><th>notebook</th><th>what you learn</th><th>time</th></tr></thead>
<tbody>
{body}
</tbody></table>
</main>
</body></html>
"""


# --- the student edition ------------------------------------------------------------------------
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$", re.M)
_CHECK_CALL = re.compile(r"\bcheck\(")


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def exercise_counts(nb) -> tuple[int, int]:
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


def _check_lines(nb) -> tuple[int, int]:
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


def student(root: Path, run: bool = False, timeout: int = 600) -> int:
    """Write the student edition: solution cells removed, outputs cleared. With ``run``, also
    execute every notebook of it in a scratch copy; 1 if any fails or solves its own exercise."""
    import nbformat

    source = root / "notebooks"
    out = root / "build" / "student"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    chapters = _present(source)
    for ch in chapters:
        nb = nbformat.read(ch.path(source), as_version=4)
        checks, solutions = exercise_counts(nb)
        nb.cells = [c for c in nb.cells if "solution" not in _tags(c)]
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        nbformat.write(nb, ch.path(out))
        print(f"  {ch.stem:<28} {checks} checks in the exercises, {solutions} solutions removed")
    _copy_extras(source, out)
    print(f"student edition: {out}")
    if not run:
        return 0

    print("\nrunning the student edition:")
    results = []
    with tempfile.TemporaryDirectory(prefix="lossbook-student-") as scratch:
        work, figures = Path(scratch) / "notebooks", Path(scratch) / "figures"
        shutil.copytree(out, work)
        figures.mkdir()
        env = {**os.environ, "LOSSBOOK_FIGURES": str(figures)}  # figures/ stays untouched
        for ch in chapters:
            seconds, verdict, nb = _execute(ch.path(work), timeout, write=False, env=env)
            not_yet, correct = _check_lines(nb)
            if verdict == "ok" and correct:
                verdict = f"FAILED: {correct} exercise check(s) print 'correct' without solutions"
            results.append((ch, seconds, verdict))
            print(f"  {ch.stem:<28} {seconds:6.1f} s  {verdict}  ({not_yet} checks print "
                  "'not yet')", flush=True)
    print()
    _print_table(results)
    return 1 if any(v != "ok" for _, _, v in results) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lossbook", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("build", "site", "list", "student"))
    parser.add_argument("--root", type=Path, default=None,
                        help="the course folder (default: the one lossbook is installed from)")
    parser.add_argument("--run", action="store_true",
                        help="student: also execute the student edition; exit 1 if a notebook "
                             "fails (exercise stubs print 'not yet', they do not raise)")
    args = parser.parse_args(argv)
    root = (args.root or repo_root()).resolve()
    if args.run and args.command != "student":
        parser.error("--run goes with the student command")
    if args.command == "list":
        print(course_table(root / "notebooks"))
        return 0
    if args.command == "student":
        return student(root, run=args.run)
    if args.command == "site":
        chapters = render_site(root / "notebooks", root / "site")
        print(f"site: {root / 'site' / 'index.html'} ({len(chapters)} notebooks, as stored)")
        return 0
    return build(root)


if __name__ == "__main__":
    sys.exit(main())
