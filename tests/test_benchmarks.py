"""The benchmarks' quick mode runs end to end and writes the tables it promises.

The tests that need the quick run (``python -m benchmarks --quick``: an inductor compile, half a
minute on a fresh machine) are marked ``integration``: ``make integration`` runs them, ``make
test`` the rest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import report
from benchmarks.losses import FAMILIES, all_benches
from lossbook.testing import FAMILIES as REGISTERED

ROOT = Path(__file__).resolve().parent.parent


def _header_after(text: str, heading: str) -> list[str]:
    """The column names of the first table after ``heading``."""
    part = text.split(heading, 1)[1]
    line = next(ln for ln in part.splitlines() if ln.startswith("| "))
    return [c.strip() for c in line.strip("|").split("|")]


def _rows_after(text: str, heading: str) -> list[str]:
    lines = text.split(heading, 1)[1].splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("| "))
    table = []
    for ln in lines[start:]:
        if not ln.startswith("|"):
            break
        table.append(ln)
    return [ln.split("|")[1].strip() for ln in table[2:]]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=150, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return out, done.stdout


@pytest.mark.integration
def test_quick_mode_writes_results_and_figure_into_out(quick):
    out, stdout = quick
    assert sorted(p.name for p in out.iterdir()) == ["RESULTS.md", "bench_speed.png"]
    text = (out / "RESULTS.md").read_text()
    assert "quick mode" in text
    assert "## 1. Accuracy against mpmath" in stdout  # the same tables are printed


@pytest.mark.integration
@pytest.mark.parametrize(("heading", "columns"), [
    ("## 1. Accuracy", report.ACCURACY_COLUMNS),
    ("## 2. Speed, eager", report.EAGER_COLUMNS),
    ("## 3. torch.compile", report.COMPILE_COLUMNS),
    ("## 4. Course runtime", report.NOTEBOOK_COLUMNS),
])
def test_tables_have_the_expected_columns(quick, heading, columns):
    text = (quick[0] / "RESULTS.md").read_text()
    assert _header_after(text, heading) == columns


@pytest.mark.integration
@pytest.mark.parametrize("heading", ["## 1. Accuracy", "## 2. Speed, eager", "## 3. torch.compile"])
def test_every_benchmarked_loss_has_a_row(quick, heading):
    text = (quick[0] / "RESULTS.md").read_text()
    assert _rows_after(text, heading) == [b.name for b in all_benches()]


@pytest.mark.integration
def test_every_notebook_has_a_row_and_machine_is_stated(quick):
    text = (quick[0] / "RESULTS.md").read_text()
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert _rows_after(text, "## 4. Course runtime") == notebooks
    for key in ("| CPU |", "| cores |", "| torch |", "Reproduce with `make bench`"):
        assert key in text


def test_every_lossbook_family_is_in_the_table():
    # the primitives are benchmarked within the families that use them (log_sigmoid: binary)
    loss_families = [name for name in REGISTERED if name != "lossbook.primitives"]
    assert sorted(FAMILIES) == sorted(name.split(".")[-1] for name in loss_families)


def test_notes_hold_no_measured_number_and_only_known_placeholders():
    import re
    import string

    from benchmarks.notes import NOTES

    for (section, name), note in NOTES.items():
        fields = {f for text in (note.cause, note.close)
                  for _, f, _, _ in string.Formatter().parse(text) if f}
        assert fields <= set(report.NOTE_VALUES[section]), (section, name, fields)
        # timings come from the run, through placeholders, never written into the prose
        text = note.cause + note.close
        assert not re.search(r"\d\s*(ms|s|ns|GB/s|%)\b", text), (section, name)


@pytest.mark.integration
def test_gaps_fill_their_notes_from_the_run(quick):
    import re

    text = (quick[0] / "RESULTS.md").read_text()
    gaps = text.split("## Targets not met", 1)[1].split("## How to read", 1)[0]
    assert "Cause: ill-conditioned inputs" in gaps  # kl_div's accuracy gap has its note
    assert not re.search(r"\{[a-z_]+\}", gaps)  # every placeholder filled
