"""The project around the package: pinned environments agree, the build and the course map."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import nbformat
import pytest

from lossbook.__main__ import main
from lossbook.course import COURSE, course_table
from lossbook.course.build import execute_notebook
from lossbook.course.checkout import CourseError, kernel_env
from lossbook.course.student import student

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


def _make_dry_run(*args: str) -> list[str]:
    """The commands ``make`` would run, without running them."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    out = subprocess.run(["make", "--no-print-directory", "-n", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    return out.splitlines()


@pytest.mark.parametrize("index", [None, "https://download.pytorch.org/whl/cpu"])
def test_makefile_installs_torch_first_from_the_lock(index):
    args = ["-W", "requirements.lock", ".venv/.installed"]  # as if the lock had changed
    lines = _make_dry_run(*args, *([f"TORCH_INDEX_URL={index}"] if index else []))
    installs = [line for line in lines if " -m pip install " in line]
    assert installs[0].endswith('"torch==2.13.0"'), installs[0]
    assert installs[1].endswith("-r requirements.lock")
    assert ("--index-url" in installs[0]) == bool(index)
    if index:
        assert f"--index-url {index} " in installs[0]
    assert all("--index-url" not in line for line in installs[1:])
    assert "$(STAMP): requirements.lock pyproject.toml" in (ROOT / "Makefile").read_text()


def test_make_lab_student_opens_the_student_edition():
    assert _make_dry_run("lab", "STUDENT=1")[-2:] == [
        "test -d build/student || .venv/bin/python -m lossbook student",
        ".venv/bin/jupyter lab build/student/"]
    assert _make_dry_run("lab")[-1] == ".venv/bin/jupyter lab notebooks/"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)


def test_readme_leads_a_learner_to_the_student_edition_and_sets_up_windows_without_make():
    readme = (ROOT / "README.md").read_text()
    start = readme[readme.index("## Start here"):readme.index("## The course")]
    assert "make lab STUDENT=1" in start
    assert readme.index("## The course") < readme.index("## Running the tests")
    windows = readme[readme.index("**Windows without make**"):]
    block = windows[windows.index("```") + 3:].split("```", 1)[0].strip().splitlines()
    pin = next(f"torch=={v}" for k, v in _lock().items() if k == "torch")
    assert block == [
        "py -3.11 -m venv .venv",
        f"{WIN_PY} -m pip install {pin}",
        f"{WIN_PY} -m pip install -r requirements.lock",
        f"{WIN_PY} -m pip install --no-deps --no-build-isolation -e .",
        f"{WIN_PY} -m lossbook student",
        r".venv\Scripts\jupyter lab build\student",
    ]
    assert "TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in readme


WIN_PY = r".venv\Scripts\python"


def test_readme_course_map_is_the_course():
    readme = (ROOT / "README.md").read_text()
    assert course_table(ROOT / "notebooks") in readme, (
        "README's course map is stale: paste the output of `python -m lossbook list`"
    )


def test_readme_maps_every_function_to_its_notebook_source_and_tests():
    from lossbook.course.reference import loss_table

    table = loss_table()
    assert table in (ROOT / "README.md").read_text(), (
        "README's table of functions is stale: paste the output of `python -m lossbook losses`"
    )
    out = subprocess.run([sys.executable, "-m", "lossbook", "losses"], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == table
    for row in table.splitlines()[2:]:
        notebooks, *files = (cell.strip() for cell in row.split("|")[2:5])
        assert notebooks != "-", f"no notebook in the See Also of {row}"
        for n in notebooks.split(", "):
            assert any(ch.number == int(n) for ch in COURSE), f"{row}: no chapter {n}"
        for link in files:
            assert (ROOT / link[link.index("(") + 1:-1]).is_file(), link


def test_notebooks_follow_the_course_map():
    stems = {ch.stem for ch in COURSE}
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        assert path.stem in stems, f"{path.name} is not in the course map, lossbook/course/chapters.py"


def test_list_prints_the_course_map():
    out = subprocess.run([sys.executable, "-m", "lossbook", "list"], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == course_table(ROOT / "notebooks")
    assert len(out.strip().splitlines()) == len(COURSE) + 3  # header, rule, total


# --- the build ----------------------------------------------------------------------------------
def _notebook(path: Path, *sources: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
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


def _lossbook(*args: str, cwd: Path = ROOT, prefix: list[str] = ()) -> subprocess.CompletedProcess:
    """``python -m lossbook ...`` as a learner runs it, with its output captured."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LOSSBOOK_FIGURES")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a copy of the package stays as it was copied
    return subprocess.run([*prefix, sys.executable, "-m", "lossbook", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


_SAVEFIG = ("import matplotlib.pyplot as plt\nfrom lossbook.course import savefig\n"
            "print(savefig(plt.figure(), 'zz_build_test').parent.parent.name)")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A small course built with ``python -m lossbook build``: a notebook that works (and saves
    a figure), one that fails, one that works after it, and a file that is not a notebook; the
    site of an earlier, good build is in place."""
    root = tmp_path_factory.mktemp("course")
    (root / "notebooks").mkdir()
    _notebook(root / "notebooks" / "00_welcome.ipynb", "print(6 * 7)", _SAVEFIG)
    _notebook(root / "notebooks" / "01_entropy.ipynb", "x = 1", "1 / 0", "print('never')")
    _notebook(root / "notebooks" / "02_cross_entropy.ipynb", "print('third')")
    (root / "notebooks" / "03_kl_divergence.ipynb").write_text('{"cells": [')  # cut short
    (root / "notebooks" / "00_welcome.ipynb").write_text(
        (root / "notebooks" / "00_welcome.ipynb").read_text() + "\n")  # a learner's edit
    (root / "site").mkdir()
    (root / "site" / "index.html").write_text("the site of an earlier build")
    before = _digest(root / "notebooks")
    result = _lossbook("build", "--root", str(root))
    return root, result, before


def test_build_never_writes_into_notebooks(built):
    root, _, before = built
    assert _digest(root / "notebooks") == before


def test_build_reports_the_failing_cell_and_the_invalid_file_and_exits_nonzero(built):
    root, result, _ = built
    assert result.returncode == 1
    table = result.stdout
    assert re.search(r"^00_welcome\s+\d+\.\d\s+ok$", table, re.M)
    assert re.search(r"^01_entropy\s+\d+\.\d\s+FAILED at cell 2: ZeroDivisionError: division "
                     r"by zero$", table, re.M)
    assert re.search(r"^02_cross_entropy\s+\d+\.\d\s+ok$", table, re.M)
    assert re.search(r"^03_kl_divergence\s+0\.0\s+FAILED: 03_kl_divergence.ipynb is not a valid "
                     r"notebook: ", table, re.M)
    assert re.search(r"^total\s+\d+\.\d\s+2 of 4 ok$", table, re.M)
    executed = nbformat.read(root / "build" / "notebooks" / "00_welcome.ipynb", as_version=4)
    assert executed.cells[1].outputs[0]["text"] == "42\n"


def test_build_prints_one_line_per_notebook_and_nothing_else(built):
    _, result, _ = built
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [
        "notebook", "00_welcome", "01_entropy", "02_cross_entropy", "03_kl_divergence", "total",
        "site:"]
    assert result.stderr == "", result.stderr  # no kernel warnings (transport, traceback ...)


def test_build_writes_figures_into_its_own_course(built):
    root, _, _ = built
    executed = nbformat.read(root / "build" / "notebooks" / "00_welcome.ipynb", as_version=4)
    assert executed.cells[2].outputs[0]["text"] == f"{root.name}\n"
    assert (root / "figures" / "zz_build_test.png").is_file()
    assert not (ROOT / "figures" / "zz_build_test.png").exists()


def test_build_renders_the_site_with_navigation(built):
    root, _, _ = built
    site = root / "site"
    index = (site / "index.html").read_text()
    for stem in ("00_welcome", "01_entropy", "02_cross_entropy"):
        assert f'href="{stem}.html"' in index
    middle = (site / "01_entropy.html").read_text()
    assert 'rel="prev" href="00_welcome.html"' in middle
    assert 'rel="next" href="02_cross_entropy.html"' in middle
    first = (site / "00_welcome.html").read_text()
    assert 'rel="prev"' not in first and "42" in first
    assert sorted(p.name for p in (root / "build").iterdir()) == ["notebooks"]


def test_a_failed_build_marks_its_failed_pages(built):
    root, _, _ = built
    site = root / "site"
    index = (site / "index.html").read_text()
    assert "the site of an earlier build" not in index
    assert re.search(r'href="01_entropy.html">Entropy</a> <strong>\(failed in this build\)', index)
    assert "03_kl_divergence.ipynb is not a valid notebook" in index
    assert not (site / "03_kl_divergence.html").exists()
    banner = "This notebook failed when the course was built"
    assert banner in (site / "01_entropy.html").read_text()
    assert "ZeroDivisionError" in (site / "01_entropy.html").read_text()
    for ok in ("00_welcome", "02_cross_entropy"):
        assert banner not in (site / f"{ok}.html").read_text()
        assert "failed in this build" not in index.split(f'href="{ok}.html"')[1].split("</tr>")[0]


def test_a_site_that_fails_to_render_leaves_the_old_site(tmp_path, monkeypatch):
    import lossbook.course.site as site_module

    (tmp_path / "notebooks").mkdir()
    _notebook(tmp_path / "notebooks" / "00_welcome.ipynb", "print(1)")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("the good site")

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(site_module, "_index", broken)
    with pytest.raises(RuntimeError, match="the disk is full"):
        site_module.render_site(tmp_path / "notebooks", tmp_path / "site")
    assert [p.name for p in (tmp_path / "site").iterdir()] == ["index.html"]
    assert (tmp_path / "site" / "index.html").read_text() == "the good site"


def test_a_second_checkout_runs_its_own_lossbook(tmp_path):
    """A second clone built with the first clone's Python runs its own lossbook and writes only
    into itself."""
    clone = tmp_path / "second clone"
    shutil.copytree(ROOT / "lossbook", clone / "lossbook",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", clone / "pyproject.toml")
    (clone / "notebooks").mkdir()
    _notebook(clone / "notebooks" / "00_welcome.ipynb",
              "import lossbook\nprint(lossbook.__file__)", _SAVEFIG)
    result = _lossbook("build", cwd=clone)
    assert result.returncode == 0, result.stdout + result.stderr
    executed = nbformat.read(clone / "build" / "notebooks" / "00_welcome.ipynb", as_version=4)
    assert executed.cells[1].outputs[0]["text"] == f"{clone / 'lossbook' / '__init__.py'}\n"
    assert executed.cells[2].outputs[0]["text"] == f"{clone.name}\n"
    assert (clone / "figures" / "zz_build_test.png").is_file()
    assert not (ROOT / "figures" / "zz_build_test.png").exists()


def test_a_checkout_with_another_lossbook_is_refused(tmp_path):
    clone = tmp_path / "clone"
    (clone / "lossbook").mkdir(parents=True)
    (clone / "lossbook" / "__init__.py").write_text("")
    (clone / "notebooks").mkdir()
    _notebook(clone / "notebooks" / "00_welcome.ipynb", "print(1)")
    for command in ("build", "site", "student"):
        result = _lossbook(command, "--root", str(clone))
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1, result.stderr
        assert "has its own lossbook package, but this Python imports lossbook from" in result.stderr
    assert sorted(p.name for p in clone.iterdir()) == ["lossbook", "notebooks"]


def test_the_kernel_must_import_the_courses_lossbook(tmp_path):
    (tmp_path / "notebooks").mkdir()
    _notebook(tmp_path / "notebooks" / "00_welcome.ipynb", "print(1)")
    elsewhere = tmp_path / "elsewhere" / "lossbook"
    with pytest.raises(CourseError, match=r"the notebooks' kernel imports lossbook from .*, not "
                                          r"this course's .*elsewhere"):
        execute_notebook(COURSE[0], tmp_path / "notebooks", timeout=60,
                         env=kernel_env(tmp_path, tmp_path / "figures"), package=elsewhere)


def _folder_with_leftovers(root: Path) -> str:
    """Earlier output in build/ and site/ that a refused command must leave alone."""
    for folder in ("build/notebooks", "build/student", "site"):
        (root / folder).mkdir(parents=True)
        (root / folder / "keep.txt").write_text("earlier output")
    return _digest(root)


@pytest.mark.parametrize("command", ["build", "site", "student"])
@pytest.mark.parametrize("case", ["no notebooks folder", "no notebooks", "an installed package"])
def test_no_course_is_refused_in_one_line_and_nothing_is_deleted(tmp_path, command, case, capsys):
    root = tmp_path / "somewhere"
    root.mkdir()
    if case == "no notebooks":
        (root / "notebooks").mkdir()
        (root / "notebooks" / "notes.txt").write_text("not a notebook")
        expected = "no course notebooks in"
    elif case == "an installed package":  # lossbook imported from a folder that is no checkout
        shutil.copytree(ROOT / "lossbook", root / "lossbook",
                        ignore=shutil.ignore_patterns("__pycache__"))
        expected = "not in a checkout of the course"
    else:
        expected = "it has no notebooks/ folder"
    before = _folder_with_leftovers(root)
    if case == "an installed package":
        result = _lossbook(command, cwd=root)
        code, out, err = result.returncode, result.stdout, result.stderr
    else:
        code = main([command, "--root", str(root)])
        out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.startswith(f"python -m lossbook {command}: ")
    assert err.count("\n") == 1 and expected in err, err
    assert _digest(root) == before


@pytest.mark.parametrize("command", ["build", "site", "student"])
def test_a_read_only_build_folder_is_refused_in_one_line(command):
    """root may write anywhere, so as root the command runs as the user nobody (util-linux's
    setpriv, which keeps root's access to the Python it starts)."""
    base = Path(tempfile.mkdtemp(prefix="lossbook-read-only-"))
    try:
        base.chmod(0o755)
        (base / "notebooks").mkdir(mode=0o755)
        _notebook(base / "notebooks" / "00_welcome.ipynb", "print(1)")
        (base / "notebooks" / "00_welcome.ipynb").chmod(0o644)
        before = _folder_with_leftovers(base)
        for folder in (base / "build" / "notebooks", base / "build" / "student", base / "build"):
            folder.chmod(0o555)
        as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        result = _lossbook(command, "--root", str(base),
                           prefix=as_nobody if os.geteuid() == 0 else [])
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stderr == (f"python -m lossbook {command}: cannot write into "
                                 f"{base / 'build'}: Permission denied\n")
        assert _digest(base) == before
    finally:
        for folder in base.rglob("*"):
            if folder.is_dir():
                folder.chmod(0o755)
        shutil.rmtree(base)


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


_IMPORT = re.compile(r"from\s+lossbook[\w.]*\s+import\s+(?:\([^)]*\)|[^\n]*)|import\s+lossbook[\w.]*")


def _printed_lines(cell: nbformat.NotebookNode) -> int:
    """The lines of text a code cell's stored outputs show (streams and plain-text results;
    an output that also carries an image shows the image)."""
    lines = 0
    for out in cell.outputs:
        if out.output_type == "stream":
            lines += len(out.text.rstrip("\n").splitlines())
        elif "text/plain" in out.get("data", {}) and not any(k.startswith("image/")
                                                             for k in out["data"]):
            lines += len(out["data"]["text/plain"].splitlines())
    return lines


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_print_little_import_public_names_and_fit_an_hour(path):
    from lossbook.course import study_minutes

    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    long = [(nb.cells.index(c), _printed_lines(c)) for c in code if _printed_lines(c) > 25]
    assert not long, f"cells that print more than 25 lines (cell index, lines): {long}"
    private = [m.group(0) for c in code for m in _IMPORT.finditer(c.source)
               if re.search(r"\b_\w", m.group(0))]
    assert not private, f"imports of private lossbook names: {private}"
    assert study_minutes(path) <= 60, f"{study_minutes(path)} minutes of study (at most 60)"


def _jupyterlab_metadata() -> dict:
    """The notebook metadata JupyterLab 4 sets when it opens a notebook on the python3 kernel:
    the kernelspec from ipykernel's kernel.json and the language_info the kernel reports. Where
    the stored metadata equals it, JupyterLab changes nothing, so the notebook is not marked
    modified and autosave leaves the file alone."""
    from ipykernel.ipkernel import IPythonKernel
    from ipykernel.kernelspec import KERNEL_NAME, get_kernel_dict

    spec = get_kernel_dict()
    return {"kernelspec": {"display_name": spec["display_name"], "language": spec["language"],
                           "name": KERNEL_NAME},
            "language_info": dict(IPythonKernel.language_info)}


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_store_the_metadata_jupyterlab_writes(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    expected = _jupyterlab_metadata()
    assert (nb["nbformat"], nb["nbformat_minor"]) == (4, 5)
    assert nb["metadata"]["kernelspec"] == expected["kernelspec"]
    # language_info.version is the Python that executed the notebook; JupyterLab rewrites it
    # only on another Python version (so the notebooks are stored from one, see below).
    stored = dict(nb["metadata"]["language_info"])
    assert re.fullmatch(r"3\.\d+\.\d+", stored.pop("version"))
    assert stored == {k: v for k, v in expected["language_info"].items() if k != "version"}
    assert set(nb["metadata"]) == {"kernelspec", "language_info"}


def test_notebooks_are_stored_from_one_python_version():
    versions = {json.loads(p.read_text(encoding="utf-8"))["metadata"]["language_info"]["version"]
                for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert len(versions) == 1, versions


def test_readme_quotes_the_benchmark_results_as_they_stand():
    readme = (ROOT / "README.md").read_text()
    quoted = readme[readme.index("## Benchmarks"):readme.index("## Contributing")]
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    headline = results[results.index("## Headline"):results.index("## 1.")]
    numbers = re.findall(r"\d+\.\d+x|\d+ of \d+|\d+ %", quoted)
    assert len(numbers) >= 5, numbers
    for number in numbers:
        assert number in headline, f"README quotes {number}, RESULTS.md's headline does not"
