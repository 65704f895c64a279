"""The course as it is handed out: the student edition, and the site in a real browser.

Student edition (``python -m lossbook student [--run]``): solution cells (tagged "solution")
are removed and outputs cleared. An exercise stub raises NotImplementedError inside the
learner's function, and ``lossbook.check`` catches it and prints "not yet: ... raised
NotImplementedError"; so a stub cell does not raise and the unsolved edition runs top to bottom.
Only a cell tagged "raises-exception" may raise. ``--run`` (CI runs it on the real notebooks)
fails when a notebook breaks, or when a stub already solves its exercise.

Site (``python -m lossbook build`` or ``site``): served on 127.0.0.1 and opened in headless
Chromium (Debian's, driven by Playwright; never a downloaded browser). Every page must load with
no console error, no failed request and no request to another host; math must be typeset by the
MathJax the site serves itself, every image must load and the navigation must resolve. A
screenshot of the index goes to build/site_index.png. Without /usr/bin/chromium the browser test
is skipped, saying why.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import re
import sys
import threading
import urllib.request
import warnings
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import nbformat
import pytest

from lossbook.course import COURSE
from lossbook.course.checkout import CourseError
from lossbook.course.site import MATHJAX_URL, render_site
from lossbook.course.student import drop_solutions, exercise_counts, student

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # no name but the local server's resolves: a request to another host fails in the browser
    # (the test notes every request as it starts, so it is reported, not just refused)
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
CHAPTERS = [ch for ch in COURSE if ch.path(ROOT / "notebooks").is_file()]


def _notebook(path: Path, *cells: tuple[str, list[str]]) -> None:
    """A notebook with a title and code cells given as (source, tags)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A title with $x^2$")]
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, path)


# --- the student edition ------------------------------------------------------------------------
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda ch: ch.stem)
def test_every_notebook_has_three_checked_exercises_and_three_solutions(chapter):
    nb = nbformat.read(chapter.path(ROOT / "notebooks"), as_version=4)
    checks, solutions = exercise_counts(nb)
    assert checks >= 3, f"{chapter.stem}: {checks} check( calls in the exercise section, need 3"
    assert solutions >= 3, f"{chapter.stem}: {solutions} cells tagged 'solution', need 3"


def test_exercise_counts_reads_only_the_exercise_section():
    nb = nbformat.v4.new_notebook()
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    solution = code("check('00.a', f)\ncheck('00.b', g)")
    solution.metadata["tags"] = ["solution"]
    nb.cells = [
        md("# Title\n## Pitfalls"), code("check('00.x', 1)  # before: not counted"),
        md("## Exercises\n### Exercise 1"), code("check('00.a', ...)\ngradcheck(f)"),
        md("### Exercise 2"), code("check('00.b', ...)"),
        md("## Summary"), code("check('00.c', ...)  # after: not counted"),
        md("## Solutions"), solution,
    ]
    assert exercise_counts(nb) == (2, 1)


@pytest.fixture(scope="module")
def student_run(tmp_path_factory):
    """A student edition of three small notebooks, built and run like CI's ``student --run``."""
    root = tmp_path_factory.mktemp("student")
    (root / "notebooks").mkdir()
    stub = ("from lossbook.course import check\n\n"
            "def my_square_loss(prediction, target):\n"
            "    raise NotImplementedError('your code here')\n\n"
            "check('00.square_loss', my_square_loss)")
    _notebook(root / "notebooks" / "00_welcome.ipynb",
              (stub, []),
              ("raise ValueError('shown on purpose')", ["raises-exception"]),
              ("check('00.square_loss', lambda p, t: (p - t) ** 2)", ["solution"]),
              ("print('after the solutions')", []))
    _notebook(root / "notebooks" / "01_entropy.ipynb",
              ("x = 1", []), ("1 / 0", []), ("print('never')", []))
    _notebook(root / "notebooks" / "02_cross_entropy.ipynb",  # a stub that gives it away
              ("from lossbook.course import check\ncheck('00.square_loss', lambda p, t: (p - t) ** 2)",
               []))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = student(root, run=True, timeout=120)
    return root, code, out.getvalue()


def test_student_run_passes_unsolved_stubs_and_tagged_errors(student_run):
    _, _, out = student_run
    table = out[out.index("notebook "):]
    assert re.search(r"^00_welcome\s+\d+\.\d\s+ok  \(1 checks print 'not yet'\)$", table, re.M), out


def test_student_run_fails_on_a_broken_notebook(student_run):
    _, code, out = student_run
    table = out[out.index("notebook "):]
    assert code == 1
    assert re.search(r"^01_entropy\s+\d+\.\d\s+FAILED at cell 2: ZeroDivisionError", table, re.M)
    assert re.search(r"^02_cross_entropy\s+\d+\.\d\s+FAILED: 1 exercise check\(s\) print "
                     r"'correct' without solutions", table, re.M)
    assert re.search(r"^total\s+\d+\.\d\s+1 of 3 ok$", table, re.M)


def test_student_run_prints_one_line_per_notebook(student_run):
    _, _, out = student_run
    table = out[out.index("notebook "):].splitlines()
    assert [line.split()[0] for line in table] == [
        "notebook", "00_welcome", "01_entropy", "02_cross_entropy", "total"]


def test_student_run_leaves_the_edition_clean(student_run):
    root, _, _ = student_run
    nb = nbformat.read(root / "build" / "student" / "00_welcome.ipynb", as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.source for c in code_cells][-1] == "print('after the solutions')"
    assert not any("solution" in c.metadata.get("tags", []) for c in code_cells)
    assert all(c.outputs == [] and c.execution_count is None for c in code_cells)
    assert sorted(p.name for p in (root / "build").iterdir()) == ["student"]


def test_drop_solutions_removes_the_sections_it_empties():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    solution = code("check('00.a', 42)")
    solution.metadata["tags"] = ["solution"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        md("# Title\n## Exercises\n```python\n# not a heading\n```"), code("check('00.a', ...)"),
        md("## Summary\n\n* a point\n\nNext: 01.\n\n## Solutions\n\nTry first."), solution,
        md("## Worked example\nKept: it has a code cell."), code("print(1)"),
    ]
    out = drop_solutions(nb)
    assert [c.source for c in out.cells] == [
        "# Title\n## Exercises\n```python\n# not a heading\n```", "check('00.a', ...)",
        "## Summary\n\n* a point\n\nNext: 01.",
        "## Worked example\nKept: it has a code cell.", "print(1)"]


def test_drop_solutions_removes_a_solutions_cell_and_keeps_other_sections():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    solution = code("answer = 1")
    solution.metadata["tags"] = ["solution"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [md("## Pitfalls\nRead this."), md("## Solutions"), solution, solution]
    assert [c.source for c in drop_solutions(nb).cells] == ["## Pitfalls\nRead this."]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda ch: ch.stem)
def test_no_student_notebook_keeps_a_solutions_heading(chapter):
    nb = drop_solutions(nbformat.read(chapter.path(ROOT / "notebooks"), as_version=4))
    headings = [h for c in nb.cells if c.cell_type == "markdown"
                for h in re.findall(r"^#+ .*$", c.source, re.M)]
    assert not [h for h in headings if re.search(r"solution", h, re.I)], headings[-3:]
    assert nb.cells[-1].cell_type == "markdown" and re.search(r"\w", nb.cells[-1].source)
    assert not any("solution" in c.metadata.get("tags", []) for c in nb.cells)


def test_student_keeps_a_learners_changes(tmp_path):
    (tmp_path / "notebooks").mkdir()
    _notebook(tmp_path / "notebooks" / "00_welcome.ipynb", ("answer = ...", []))
    quiet = contextlib.redirect_stdout(io.StringIO())
    with quiet:
        assert student(tmp_path) == 0
        assert student(tmp_path) == 0  # unchanged: written again
    edited = tmp_path / "build" / "student" / "00_welcome.ipynb"
    edited.write_text(edited.read_text().replace("answer = ...", "answer = 42"))
    with quiet, pytest.raises(CourseError, match=r"00_welcome.ipynb has changed since the "
                                                 r"student edition was written"):
        student(tmp_path)
    assert "answer = 42" in edited.read_text()
    with quiet:
        assert student(tmp_path, force=True) == 0
    assert "answer = ..." in edited.read_text()


# --- the site -----------------------------------------------------------------------------------
def _site_is_fresh(site: Path) -> bool:
    """site/ from ``make course`` is reused when it is newer than every notebook and the code."""
    index = site / "index.html"
    if not index.is_file() or not all((site / f"{ch.stem}.html").is_file() for ch in CHAPTERS):
        return False
    sources = [*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "lossbook" / "course").glob("*.py")]
    return index.stat().st_mtime >= max(p.stat().st_mtime for p in sources)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site if it is fresh; else the site rendered from the notebooks as stored."""
    if _site_is_fresh(ROOT / "site"):
        return ROOT / "site"
    target = tmp_path_factory.mktemp("course") / "site"
    render_site(ROOT / "notebooks", target)
    return target


def test_the_site_has_every_notebook_and_mathjax(site):
    assert sorted(p.name for p in site.glob("*.html")) == sorted(
        ["index.html", *(f"{ch.stem}.html" for ch in CHAPTERS)])
    assert (site / MATHJAX_URL.split("?")[0]).is_file()
    assert (site / "static" / "mathjax" / "config" / "TeX-AMS-MML_HTMLorMML-full.js").is_file()


def test_no_page_refers_to_another_host(site):
    """Checked without a browser too: no script, style, image or frame comes from a URL."""
    external = re.compile(
        r"<(?:script|link|img|iframe|source|audio|video|embed)\b[^>]*?\s(?:src|href)=[\"']?"
        r"(?:https?:)?//|@import\s+(?:url\()?[\"']?(?:https?:)?//|\bimport\(\s*[\"'](?:https?:)?//",
        re.I)
    for page in site.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        found = external.findall(text)
        assert not found, f"{page.name} loads from another host: {found[:3]}"
        assert "require.min.js" not in text and "cdnjs" not in text, page.name


@pytest.fixture(scope="module")
def server(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            if not isinstance(sys.exc_info()[1], ConnectionError):  # the browser moved on
                super().handle_error(request, client_address)

    httpd = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def _browser_or_skip():
    reason = None
    if not CHROMIUM.exists():
        reason = (f"the site's browser test needs Debian's Chromium at {CHROMIUM} "
                  "(`apt-get install chromium`; .ci/run installs it)")
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the site's browser test needs playwright (`make test` installs it)"
    if reason:
        print(f"SKIPPED: {reason}")
        warnings.warn(reason, stacklevel=2)
        pytest.skip(reason)


def _stored(ch) -> tuple[bool, int]:
    """Whether the notebook's Markdown has TeX, and how many PNG figures it shows."""
    nb = nbformat.read(ch.path(ROOT / "notebooks"), as_version=4)
    has_math = any(c.cell_type == "markdown" and "$" in c.source for c in nb.cells)
    pngs = sum("image/png" in o.get("data", {})
               for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    return has_math, pngs


@pytest.mark.integration  # half a minute of a core: `make integration` runs it, CI too
def test_the_site_in_headless_chromium(site, server):
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    current = {"page": "index.html"}

    def note(text: str) -> None:
        problems.append(f"{current['page']}: {text}")

    def request(r):
        parts = urlsplit(r.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1":
            note(f"request to another host: {r.url}")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.on("request", request)
            page.on("console", lambda m: m.type == "error" and note(f"console error: {m.text}"))
            page.on("pageerror", lambda e: note(f"page error: {e}"))
            page.on("requestfailed", lambda r: note(f"failed request {r.url}: {r.failure}"))
            page.on("response", lambda r: r.status >= 400 and note(f"HTTP {r.status} {r.url}"))

            # The index: the course map with every chapter's goals, a link to each notebook.
            page.goto(server + "index.html", wait_until="load")
            text = page.inner_text("body")
            for ch in COURSE:
                assert ch.goals in text, f"index lacks the goals of {ch.stem}"
            links = page.eval_on_selector_all("table a", "as => as.map(a => a.href)")
            assert links == [urljoin(server, f"{ch.stem}.html") for ch in CHAPTERS]
            (ROOT / "build").mkdir(exist_ok=True)
            page.screenshot(path=str(ROOT / "build" / "site_index.png"), full_page=True)

            for i, ch in enumerate(CHAPTERS):
                current["page"] = f"{ch.stem}.html"
                page.goto(links[i], wait_until="load")
                page.evaluate("() => { window.__typeset = false;"
                              " MathJax.Hub.Queue(() => { window.__typeset = true; }); }")
                page.wait_for_function("() => window.__typeset === true")
                math = page.evaluate("""() => ({
                    tex: document.querySelectorAll('script[type^="math/tex"]').length,
                    typeset: document.querySelectorAll('span.MathJax').length,
                    errors: document.querySelectorAll('.MathJax_Error, merror').length})""")
                has_math, pngs = _stored(ch)
                if has_math:
                    assert math["tex"] > 0, f"{ch.stem}: no math found by MathJax"
                assert math["typeset"] == math["tex"], f"{ch.stem}: math left untypeset {math}"
                assert math["errors"] == 0, f"{ch.stem}: MathJax errors {math}"

                images = page.eval_on_selector_all(
                    "img", "is => is.map(i => [i.complete, i.naturalWidth])")
                assert len(images) >= pngs, f"{ch.stem}: {len(images)} images, {pngs} figures"
                assert all(done and width > 0 for done, width in images), (
                    f"{ch.stem}: an image did not load {images}")

                navs = page.eval_on_selector_all(
                    "nav.lossbook", "ns => ns.map(n => [...n.querySelectorAll('a')]"
                    ".map(a => [a.rel, a.href]))")
                assert len(navs) == 2, f"{ch.stem}: navigation above and below the notebook"
                expected = ([["prev", urljoin(server, f"{CHAPTERS[i - 1].stem}.html")]]
                            if i > 0 else [])
                expected.append(["", urljoin(server, "index.html")])
                if i + 1 < len(CHAPTERS):
                    expected.append(["next", urljoin(server, f"{CHAPTERS[i + 1].stem}.html")])
                assert navs[0] == navs[1] == expected, f"{ch.stem}: navigation {navs[0]}"
                for _, href in expected:
                    with urllib.request.urlopen(href) as response:
                        assert response.status == 200
        finally:
            browser.close()
    assert not problems, "\n".join(problems)
