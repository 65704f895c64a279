"""The course as a static HTML site that works offline.

One page per notebook (as it is, outputs included) with navigation, an index with the course
map, and MathJax 2.7 copied from the jupyter-server-mathjax package into
``site/static/mathjax/``; nbconvert's require.js and mermaid loaders are left out and figures are
embedded in the pages, so no page loads anything from another host.

The site is rendered into ``build/site.new`` beside it and then put in place, so a site is never
left half-written. A notebook whose execution failed still gets its page, with a banner saying
so at the top, and the index marks it; a notebook file that cannot be read gets no page, and the
index says why.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Mapping
from pathlib import Path

from lossbook.course.chapters import COURSE, Chapter, study_minutes
from lossbook.course.checkout import InvalidNotebook, chapters_in, read_notebook

__all__ = ["MATHJAX_URL", "render_site"]

_NAV_CSS = """
nav.lossbook { display: flex; justify-content: space-between; padding: .5rem 1rem;
               border-bottom: 1px solid #ccc; margin-bottom: 1rem; font-family: system-ui; }
div.lossbook-failed { border: 3px solid #D55E00; padding: .5rem 1rem; margin: 1rem;
                      font-family: system-ui; background: #fff; color: #1a1a1a; }
"""

_PAGE_CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1a1a1a; background: #fff; line-height: 1.5; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .3rem .6rem; }
td.time { white-space: nowrap; text-align: right; }
td.failed { color: #a33b00; font-weight: bold; }
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


def _banner(verdict: str) -> str:
    return ('<div class="lossbook-failed" role="alert"><strong>This notebook failed when the '
            f"course was built</strong> ({html.escape(verdict)}). Its outputs stop at the "
            "failing cell and may not match the text.</div>")


def render_site(notebooks: Path, site: Path,
                verdicts: Mapping[str, str] | None = None) -> dict[str, str]:
    """Render every course notebook in ``notebooks`` (as it is, outputs included) into the
    static site ``site``.

    Parameters
    ----------
    notebooks : Path
        The folder of notebooks to render.
    site : Path
        The site's folder; replaced as a whole once the new site is complete (rendered first
        into ``build/site.new`` beside it).
    verdicts : mapping, optional
        The build's result for each notebook stem, ``"ok"`` or the failure; a failed
        notebook's page gets a banner and the index marks it.

    Returns
    -------
    dict
        Each course notebook found in ``notebooks`` by stem: ``"ok"``, the build's failure, or
        why it has no page (a file that is not a valid notebook).
    """
    import nbformat  # noqa: F401 (nbconvert needs it; imported here to fail early)
    from nbconvert import HTMLExporter

    verdicts = dict(verdicts or {})
    readable: list[tuple[Chapter, object]] = []
    status: dict[str, str] = {}
    for ch in chapters_in(notebooks):
        try:
            readable.append((ch, read_notebook(ch.path(notebooks))))
            status[ch.stem] = verdicts.get(ch.stem, "ok")
        except InvalidNotebook as error:
            status[ch.stem] = f"no page: {error}"

    staging = site.parent / "build" / f"{site.name}.new"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    shutil.copytree(_mathjax_files(), staging / "static" / "mathjax")
    exporter = HTMLExporter(template_name="lab", raw_template=_TEMPLATE, mathjax_url=MATHJAX_URL)
    chapters = [ch for ch, _ in readable]
    for i, (ch, nb) in enumerate(readable):
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": ch.title}})
        nav = _nav(chapters, i)
        if status[ch.stem] != "ok":
            nav += _banner(status[ch.stem])
        # nbconvert's lab template wraps the cells in <main>: navigation goes above and below.
        body = body.replace("<main>", "<main>" + nav, 1).replace("</main>", nav + "</main>", 1)
        body = body.replace("</head>", f"<style>{_NAV_CSS}</style></head>", 1)
        (staging / f"{ch.stem}.html").write_text(body, encoding="utf-8")
    (staging / "index.html").write_text(_index(notebooks, status), encoding="utf-8")
    _replace(site, staging)
    return status


def _replace(site: Path, staging: Path) -> None:
    """Put the finished site in ``staging`` in the place of ``site``."""
    old = staging.with_name(f"{site.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if site.exists():
        site.rename(old)
    staging.rename(site)
    if old.exists():
        shutil.rmtree(old)


def _index(notebooks: Path, status: Mapping[str, str]) -> str:
    rows, total = [], 0
    for ch in COURSE:
        title = html.escape(ch.title)
        state = status.get(ch.stem)
        cls = "time"
        if state is None:
            name, time_ = title, "in preparation"
        elif state.startswith("no page"):
            name, time_, cls = title, html.escape(state), "failed"
        else:
            minutes = study_minutes(ch.path(notebooks))
            total += minutes
            name, time_ = f'<a href="{ch.stem}.html">{title}</a>', f"{minutes} min"
            if state != "ok":
                name += " <strong>(failed in this build)</strong>"
                cls = "time failed"
        rows.append(f"<tr><td>{ch.number:02d}</td><td>{name}</td>"
                    f'<td>{html.escape(ch.goals)}</td><td class="{cls}">{time_}</td></tr>')
    rows.append(f'<tr><td></td><td>total</td><td></td><td class="time">{total / 60:.1f} h</td>'
                "</tr>")
    pages = [ch for ch in COURSE
             if ch.stem in status and not status[ch.stem].startswith("no page")]
    first = (f'<a href="{pages[0].stem}.html">{html.escape(pages[0].title)}</a>'
             if pages else "the first notebook")
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
<p>These pages are the notebooks as executed by <code>make course</code>. To work through them
yourself, clone the repository and run <code>make lab STUDENT=1</code>: the student edition,
with the solutions removed and the outputs cleared, opens in JupyterLab.</p>
<h2>Course map</h2>
<table><thead><tr><th>#</th><th>notebook</th><th>what you learn</th><th>time</th></tr></thead>
<tbody>
{body}
</tbody></table>
</main>
</body></html>
"""
