"""The project around the package: pinned environments agree, the build and the course map."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

from lossbook.__main__ import build, main, student
from lossbook.course import COURSE, course_table

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_names() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        specs += extra
    return {_norm(re.split(r"[<>=!~ \[;]", s, maxsplit=1)[0]) for s in specs}


def _conda_names() -> set[str]:
    names = set()
    in_deps = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
        elif in_deps and line.strip().startswith("- "):
            name = re.split(r"[<>=!~ ]", line.strip()[2:], maxsplit=1)[0]
            names.add(_norm(CONDA_NAMES.get(name, name)))
    return names - {"python", "pip"}


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: {line!r} is not an exact pin"
            pins[_norm(name)] = version
    return pins


def test_environment_yml_and_pyproject_name_the_same_packages():
    assert _conda_names() == _pyproject_names()


def test_environment_yml_uses_conda_forge_only():
    text = (ROOT / "environment.yml").read_text()
    channels = re.search(r"channels:\n((?:\s+- .*\n)+)", text).group(1).split()
    assert [c for c in channels if c != "-"] == ["conda-forge", "nodefaults"]


def test_lock_pins_every_package_exactly_and_torch_to_the_cpu_build():
    pins = _lock()
    missing = _pyproject_names() - set(pins)
    assert not missing, f"requirements.lock lacks {sorted(missing)}"
    assert pins["torch"] == "2.13.0"


def test_makefile_installs_torch_first_from_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    torch_step = makefile.index('pip install --quiet --disable-pip-version-check "$(TORCH_PIN)"')
    lock_step = makefile.index("-r requirements.lock")
    assert torch_step < lock_step
    assert "$(STAMP): requirements.lock pyproject.toml" in makefile


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)


def test_readme_course_map_is_the_course():
    readme = (ROOT / "README.md").read_text()
    assert course_table(ROOT / "notebooks") in readme, (
        "README's course map is stale: paste the output of `python -m lossbook list`"
    )


def test_notebooks_follow_the_course_map():
    stems = {ch.stem for ch in COURSE}
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        assert path.stem in stems, f"{path.name} is not in lossbook/course.py"


def test_list_prints_the_course_map():
    out = subprocess.run([sys.executable, "-m", "lossbook", "list"], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == course_table(ROOT / "notebooks")
    assert len(out.strip().splitlines()) == len(COURSE) + 3  # header, rule, total


# --- the build ----------------------------------------------------------------------------------
def _notebook(path: Path, *sources: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A title with $x^2$")]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(p.relative_to(folder).as_posix().encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    (root / "notebooks").mkdir()
    _notebook(root / "notebooks" / "00_welcome.ipynb", "print(6 * 7)")
    _notebook(root / "notebooks" / "01_entropy.ipynb", "x = 1", "1 / 0", "print('never')")
    _notebook(root / "notebooks" / "02_cross_entropy.ipynb", "print('third')")
    (root / "notebooks" / "00_welcome.ipynb").write_text(
        (root / "notebooks" / "00_welcome.ipynb").read_text() + "\n")  # a learner's edit
    before = _digest(root / "notebooks")
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = build(root, timeout=120)
    return root, code, out.getvalue(), before


def test_build_never_writes_into_notebooks(built):
    root, _, _, before = built
    assert _digest(root / "notebooks") == before


def test_build_reports_the_failing_cell_and_exits_nonzero(built):
    root, code, out, _ = built
    assert code == 1
    table = out[out.index("notebook "):]
    assert re.search(r"00_welcome\s+\d+\.\d\s+ok", table)
    assert re.search(r"01_entropy\s+\d+\.\d\s+FAILED at cell 2: ZeroDivisionError: division by zero",
                     table)
    assert re.search(r"02_cross_entropy\s+\d+\.\d\s+ok", table)
    assert "2 of 3 ok" in table
    executed = nbformat.read(root / "build" / "notebooks" / "00_welcome.ipynb", as_version=4)
    assert executed.cells[1].outputs[0]["text"] == "42\n"


def test_build_renders_the_site_with_navigation(built):
    root, _, _, _ = built
    site = root / "site"
    index = (site / "index.html").read_text()
    for stem in ("00_welcome", "01_entropy", "02_cross_entropy"):
        assert f'href="{stem}.html"' in index
    middle = (site / "01_entropy.html").read_text()
    assert 'rel="prev" href="00_welcome.html"' in middle
    assert 'rel="next" href="02_cross_entropy.html"' in middle
    first = (site / "00_welcome.html").read_text()
    assert 'rel="prev"' not in first and "42" in first


def test_student_edition_drops_solutions_and_outputs(tmp_path):
    (tmp_path / "notebooks").mkdir()
    path = tmp_path / "notebooks" / "00_welcome.ipynb"
    _notebook(path, "answer = ...", "answer = 42")
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].metadata["tags"] = ["solution"]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="x\n")]
    nb.cells[1].execution_count = 1
    nbformat.write(nb, path)
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        assert student(tmp_path) == 0
    out = nbformat.read(tmp_path / "build" / "student" / "00_welcome.ipynb", as_version=4)
    assert [c.source for c in out.cells if c.cell_type == "code"] == ["answer = ..."]
    assert out.cells[1].outputs == [] and out.cells[1].execution_count is None


def test_unknown_command_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["publish"])
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_are_stored_executed_and_follow_the_conventions(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert all(c.execution_count is not None for c in code), "stored without outputs"
    assert all("execution" not in c.metadata for c in nb.cells), (
        "timing metadata stored: refresh with --ExecutePreprocessor.record_timing=False"
    )
    assert "setup_notebook()" in code[0].source, "the first code cell must call setup_notebook()"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    errors = [c for c in code for o in c.outputs if o.get("output_type") == "error"
              and "raises-exception" not in c.metadata.get("tags", [])]
    assert not errors, "a stored error output in a cell not tagged raises-exception"
    stderr = [o["text"] for c in code for o in c.outputs if o.get("name") == "stderr"]
    assert not stderr, f"stored stderr output (warnings differ between machines): {stderr[:1]}"


def test_readme_quotes_the_benchmark_results_as_they_stand():
    readme = (ROOT / "README.md").read_text()
    quoted = readme[readme.index("## Benchmarks"):readme.index("## Contributing")]
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    headline = results[results.index("## Headline"):results.index("## 1.")]
    numbers = re.findall(r"\d+\.\d+x|\d+ of \d+|\d+ %", quoted)
    assert len(numbers) >= 5, numbers
    for number in numbers:
        assert number in headline, f"README quotes {number}, RESULTS.md's headline does not"
