"""Markdown tables for RESULTS.md (also printed), the targets, the gaps, and the figure."""

from __future__ import annotations

import math
import os
import platform
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.accuracy import IMPLEMENTATIONS, OURS_THRESHOLD, AccuracyRow, Outlier
from benchmarks.course import NotebookRow
from benchmarks.notes import Note
from benchmarks.speed import CompileRow, SpeedRow

__all__ = ["ACCURACY_COLUMNS", "COMPILE_COLUMNS", "EAGER_COLUMNS", "NOTEBOOK_COLUMNS", "NOTE_VALUES",
           "Results", "gaps", "machine", "render", "save_figure"]

ACCURACY_COLUMNS = ["loss", "twin", "elements", *(name for name, _, _ in IMPLEMENTATIONS),
                    "bad (lossbook np/t64/t32; twin t64/t32)", "target met"]
EAGER_COLUMNS = ["loss", "size", "lossbook ms", "twin", "twin ms", "lossbook / twin",
                 "MONAI ms", "lossbook / MONAI", "target met"]
COMPILE_COLUMNS = ["loss", "graphs", "graph breaks", "size", "compiled fwd ms", "PyTorch eager fwd ms",
                   "fwd GB/s", "fwd % of copy", "compiled fwd+bwd ms", "PyTorch eager fwd+bwd ms",
                   "fwd+bwd GB/s", "target met"]
NOTEBOOK_COLUMNS = ["notebook", "seconds (strict nbval)", "passed", "target met"]

EAGER_TARGET = 1.5  # lossbook / PyTorch, forward + backward
MONAI_TARGET = 1.0
BANDWIDTH_TARGET = 0.5
NOTEBOOK_TARGET, COURSE_TARGET, MAKE_TEST_TARGET = 15.0, 60.0, 180.0


@dataclass
class Results:
    quick: bool
    accuracy: list[AccuracyRow]
    outliers: list[Outlier]
    eager: list[SpeedRow]
    compiled: list[CompileRow]
    bandwidth: float
    notebooks: list[NotebookRow]
    make_test: tuple[float, bool, list[str]] | None
    all_notebooks: list[tuple[str, float, bool]] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    figure: str = ""


def _e(x: float) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "-"
    return "0" if x == 0 else f"{x:.1e}"


def _f(x: float, digits: int = 2) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _table(columns: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def accuracy_met(row: AccuracyRow) -> bool:
    f64 = [name for name, lib, backend in IMPLEMENTATIONS if lib == "lossbook" and backend != "torch32"]
    ours = [name for name, lib, _ in IMPLEMENTATIONS if lib == "lossbook"]
    return all(row.max_rel[n] <= OURS_THRESHOLD for n in f64) and all(row.bad[n] == 0 for n in ours)


def eager_met(row: SpeedRow) -> bool:
    ok = True
    if "twin" in row.ms:
        ok &= row.ratio("twin") <= EAGER_TARGET
    if "monai" in row.ms:
        ok &= row.ratio("monai") <= MONAI_TARGET
    return ok


def compile_met(row: CompileRow, bandwidth: float) -> bool:
    ok = row.graph_breaks == 0 and not row.error
    if row.ms and row.elementwise:
        ok &= row.gbps("fwd") >= BANDWIDTH_TARGET * bandwidth
        ok &= row.ms["fwd"] < row.ms["fwd_eager"] and row.ms["fb"] < row.ms["fb_eager"]
    return ok


def accuracy_table(rows: list[AccuracyRow]) -> str:
    out = []
    for r in rows:
        bad = "/".join(str(r.bad[n]) if r.bad[n] >= 0 else "-" for n, _, _ in IMPLEMENTATIONS)
        out.append([r.loss, r.twin, r.elements, *(_e(r.max_rel[n]) for n, _, _ in IMPLEMENTATIONS),
                    bad, _yes(accuracy_met(r))])
    return _table(ACCURACY_COLUMNS, out)


def outlier_table(rows: list[Outlier], lossbook: bool) -> str:
    cols = ["loss", "group", "implementation", "worst inputs", "truth", "value", "rel. error"]
    if not lossbook:
        cols += ["lossbook rel. error", "reason"]
    out = []
    for o in rows:
        if o.impl.startswith("lossbook") != lossbook:
            continue
        row = [o.loss, o.group, o.impl, o.inputs, f"{o.truth:.6e}", f"{o.value:.6e}", _e(o.rel)]
        if not lossbook:
            row += [_e(o.lossbook_rel), o.reason]
        out.append(row)
    return _table(cols, out) if out else "(none)"


def eager_table(rows: list[SpeedRow]) -> str:
    out = []
    for r in rows:
        twin = r.twin_name + ("" if r.twin_is_fused else " (composition)")
        out.append([r.loss, r.size, _f(r.ms["lossbook"]), twin if "twin" in r.ms else "-",
                    _f(r.ms.get("twin", math.nan)), _f(r.ratio("twin")),
                    _f(r.ms.get("monai", math.nan)), _f(r.ratio("monai")), _yes(eager_met(r))])
    return _table(EAGER_COLUMNS, out)


def compile_table(rows: list[CompileRow], bandwidth: float) -> str:
    out = []
    for r in rows:
        breaks = str(r.graph_breaks) if not r.error else f"error: {r.error}"
        if r.break_reasons:
            breaks += " (" + "; ".join(r.break_reasons) + ")"
        if r.ms:
            timing = [r.size, _f(r.ms["fwd"]), _f(r.ms["fwd_eager"]), _f(r.gbps("fwd"), 1),
                      f"{100 * r.gbps('fwd') / bandwidth:.0f} %", _f(r.ms["fb"]), _f(r.ms["fb_eager"]),
                      _f(r.gbps("fb"), 1)]
        else:
            timing = ["(not timed)"] + ["-"] * 7
        out.append([r.loss, r.graphs, breaks, *timing, _yes(compile_met(r, bandwidth))])
    return _table(COMPILE_COLUMNS, out)


def notebook_table(rows: list[NotebookRow], together: list[tuple[str, float, bool]]) -> str:
    out = []
    for r in rows:
        if r.seconds is None:
            out.append([r.notebook, "not run (quick mode)", "-", "-"])
        else:
            out.append([r.notebook, _f(r.seconds, 1), _yes(bool(r.passed)),
                        _yes(r.seconds < NOTEBOOK_TARGET and bool(r.passed))])
    for how, seconds, passed in together:
        out.append([f"**all notebooks, {how}**", _f(seconds, 1), _yes(passed),
                    _yes(seconds < COURSE_TARGET and passed)])
    return _table(NOTEBOOK_COLUMNS, out)


def _geomean(values: list[float]) -> float:
    values = [v for v in values if v > 0 and math.isfinite(v)]
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else math.nan


def headline(res: Results) -> dict[str, str]:
    """The few numbers the README quotes."""
    fused = [r.ratio("twin") for r in res.eager if "twin" in r.ms and r.twin_is_fused]
    monai = [r.ratio("monai") for r in res.eager if "monai" in r.ms]
    fractions = [r.gbps("fwd") / res.bandwidth for r in res.compiled if r.ms and r.elementwise]
    clean = sum(r.graph_breaks == 0 and not r.error for r in res.compiled)
    acc = sum(accuracy_met(r) for r in res.accuracy)
    return {
        "eager": f"{_geomean(fused):.2f}x" if fused else "-",
        "eager_range": f"{min(fused):.2f}x to {max(fused):.2f}x" if fused else "-",
        "eager_n": str(len(fused)),
        "monai": f"{_geomean(monai):.2f}x" if monai else "-",
        "monai_n": str(len(monai)),
        "bandwidth": f"{res.bandwidth:.1f} GB/s",
        "fraction": f"{100 * max(fractions):.0f} %" if fractions else "-",
        "compile_clean": f"{clean} of {len(res.compiled)}",
        "accuracy": f"{acc} of {len(res.accuracy)}",
    }


def machine() -> dict[str, str]:
    import mpmath
    import numpy
    import torch

    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import monai

        monai_version = monai.__version__
    except ImportError:
        monai_version = "not installed"
    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    return {
        "CPU": model,
        "cores": str(os.cpu_count()),
        "torch threads": str(torch.get_num_threads()),
        "load average at start (1, 5, 15 min)": ", ".join(f"{x:.2f}" for x in load),
        "Python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "mpmath": mpmath.__version__,
        "MONAI": monai_version,
        "OS": platform.platform(),
    }


# The placeholders a note (benchmarks/notes.py) may use, by section; report.gaps fills them
# from the row of this run.
NOTE_VALUES = {
    "accuracy": ("twin_rel", "ours_rel"),
    "eager": (),
    "compiled": ("fwd", "fb", "ns_fwd"),
    "course": ("cores", "load"),
}


def _note(notes: dict[tuple[str, str], Note], section: str, name: str,
          values: dict[str, str]) -> str:
    note = notes.get((section, name), notes.get((section, "*")))
    return note.render(values) if note else "Cause not diagnosed in this run."


def gaps(res: Results, notes: dict[tuple[str, str], Note]) -> list[str]:
    """Every unmet target with its measurement, and the note on its cause (from ``notes``),
    filled with this run's numbers."""
    out = []
    info = machine()
    course = {"cores": info["cores"], "load": info["load average at start (1, 5, 15 min)"]}
    for r in res.accuracy:
        if not accuracy_met(r):
            worst = max(r.max_rel[n] for n, lib, b in IMPLEMENTATIONS if lib == "lossbook" and b != "torch32")
            values = {"twin_rel": _e(r.max_rel["twin f64"]), "ours_rel": _e(worst)}
            out.append(f"**accuracy, {r.loss}**: lossbook float64 max relative error {_e(worst)}, "
                       f"bad results {r.bad}. {_note(notes, 'accuracy', r.loss, values)}")
    compiled = {r.loss: r for r in res.compiled if r.ms}
    shared = []  # eager gaps explained by the shared note, listed in one item
    for r in res.eager:
        if not eager_met(r):
            ratios = ", ".join(f"{k} {r.ratio(k):.2f}x" for k in ("twin", "monai") if k in r.ms)
            c = compiled.get(r.loss)
            if c is not None:
                ratios += (f"; compiled {c.ms['fb']:.2f} ms against PyTorch eager's "
                           f"{c.ms['fb_eager']:.2f} ms")
            if ("eager", r.loss) in notes:
                out.append(f"**eager speed, {r.loss}** ({ratios}): "
                           + _note(notes, "eager", r.loss, {}))
            else:
                shared.append(f"{r.loss} ({ratios})")
    if shared:
        out.append("**eager speed**, lossbook / twin forward + backward: " + "; ".join(shared)
                   + ". " + _note(notes, "eager", "*", {}))
    for r in res.compiled:
        if not compile_met(r, res.bandwidth):
            what = f"{r.graph_breaks} graph breaks" if r.graph_breaks or r.error else (
                f"compiled fwd {r.gbps('fwd'):.1f} GB/s = {100 * r.gbps('fwd') / res.bandwidth:.0f} % "
                f"of the copy; fwd {r.ms['fwd']:.2f} ms vs eager {r.ms['fwd_eager']:.2f} ms, "
                f"fwd+bwd {r.ms['fb']:.2f} ms vs eager {r.ms['fb_eager']:.2f} ms")
            values = {"fwd": f"{r.ms['fwd']:.2f}", "fb": f"{r.ms['fb']:.2f}",
                      "ns_fwd": f"{1e6 * r.ms['fwd'] / r.elements:.2f}"} if r.ms else {}
            out.append(f"**compiled, {r.loss}** ({what}): "
                       + _note(notes, "compiled", r.loss, values))
    slow = [r for r in res.notebooks if r.seconds is not None and (r.seconds >= NOTEBOOK_TARGET or not r.passed)]
    for r in slow:
        out.append(f"**course, {r.notebook}**: {r.seconds:.1f} s, passed={r.passed}. "
                   + _note(notes, "course", r.notebook, course))
    if res.make_test is not None:
        seconds, passed, failures = res.make_test
        if not passed:
            out.append(f"**course, make test**: failed in this run ({seconds:.0f} s): "
                       + ("; ".join(f"`{f}`" for f in failures) or "see `make test`")
                       + ". This is a fault to fix, not a gap: rerun `make bench` once it passes.")
        elif seconds >= MAKE_TEST_TARGET:
            out.append(f"**course, make test**: {seconds:.0f} s against {MAKE_TEST_TARGET:.0f} s. "
                       + _note(notes, "course", "make test", course))
    for how, seconds, passed in res.all_notebooks:
        if seconds >= COURSE_TARGET or not passed:
            out.append(
                f"**course, all notebooks, {how}**: {seconds:.1f} s (passed={passed}) against "
                f"{COURSE_TARGET:.0f} s. " + _note(notes, "course", f"all notebooks, {how}", course))
    return out


def render(res: Results, notes: dict[tuple[str, str], Note], how_to_read: str) -> str:
    """RESULTS.md."""
    h = headline(res)
    info = machine()
    lines = [
        "# lossbook benchmarks",
        "",
        f"Produced by `{res.settings.get('command', 'make bench')}` on {res.settings.get('date', '')}"
        + (" (**quick mode**: small sizes, few repetitions; not the reference numbers)" if res.quick else "")
        + ". Reproduce with `make bench` (about 16 minutes on 2 cores) or `make bench QUICK=1` "
          "(under two minutes); `python -m benchmarks --help` lists the options.",
        "",
        "## Machine and versions",
        "",
        _table(["", ""], [[k, v] for k, v in info.items()]),
        "",
        "Settings: " + "; ".join(f"{k} {v}" for k, v in res.settings.items() if k not in ("command", "date")) + ".",
        "",
        "## Headline",
        "",
        f"- Eager forward + backward, lossbook / PyTorch's fused kernel: geometric mean "
        f"**{h['eager']}** over {h['eager_n']} losses ({h['eager_range']}); target <= {EAGER_TARGET}x.",
        f"- Against MONAI (Dice, Jaccard, Tversky, focal): geometric mean **{h['monai']}** over "
        f"{h['monai_n']} losses; target <= {MONAI_TARGET}x.",
        f"- torch.compile: {h['compile_clean']} losses trace with no graph break (validate=False). "
        f"Best compiled elementwise forward: {h['fraction']} of the measured copy bandwidth "
        f"({h['bandwidth']}); target >= {100 * BANDWIDTH_TARGET:.0f} %.",
        f"- Accuracy: {h['accuracy']} losses meet the float64 target (<= {OURS_THRESHOLD:g} relative "
        "and no NaN/inf/0 where the truth is finite and non-zero).",
        "",
        "## 1. Accuracy against mpmath (50 digits)",
        "",
        "Maximum relative error per element over each loss's adversarial suite (reduction=\"none\"; "
        "|computed - truth| / |truth|, or |computed| where the truth is 0). Float32 columns get "
        "float32-rounded inputs and the truth recomputed from them; an element counts for a dtype "
        "only if its truth is 0 or a normal number of that dtype. \"bad\" counts NaN, inf or 0 "
        "where the truth is finite and non-zero. Target: lossbook float64 <= 1e-14 and no bad "
        "result in any lossbook column. The twin of the segmentation losses is MONAI.",
        "",
        accuracy_table(res.accuracy),
        "",
        "### Every case where the twin (PyTorch, torchvision's formula or MONAI) is off by more than 1e-6",
        "",
        "The worst element of each suite group, per implementation. The reason is the group's known "
        "cause; \"float32 rounding\" means lossbook's float32 result on the same element is within "
        "a factor of 10 of the twin's error (the loss is ill-conditioned at that precision).",
        "",
        outlier_table(res.outliers, lossbook=False),
        "",
        "### Every case where lossbook float64 is off by more than 1e-14",
        "",
        outlier_table(res.outliers, lossbook=True),
        "",
        "## 2. Speed, eager (forward + backward, float32)",
        "",
        f"Median of interleaved runs; lossbook with validate=False. Target: lossbook / PyTorch <= "
        f"{EAGER_TARGET} (a \"composition\" twin is torch ops, not one fused kernel), lossbook / "
        f"MONAI <= {MONAI_TARGET}.",
        "",
        eager_table(res.eager),
        "",
        "## 3. torch.compile and the memory-bandwidth limit",
        "",
        f"Graph breaks from `torch._dynamo.explain` (validate=False; validate=True adds the value "
        f"checks' host syncs, which break the graph by design). Measured copy bandwidth: "
        f"**{res.bandwidth:.1f} GB/s** (a large float32 `copy_`, bytes read + written). GB/s counts "
        "the minimum traffic: forward reads every input once; forward + backward reads them twice "
        "and writes the gradient. Target for elementwise losses: compiled forward >= 50 % of the "
        "copy bandwidth and compiled forward and forward + backward faster than PyTorch eager.",
        "",
        compile_table(res.compiled, res.bandwidth),
        "",
        "## 4. Course runtime",
        "",
        f"Wall seconds of `python -m pytest notebooks/NN_x.ipynb` (strict nbval, including pytest "
        f"and kernel start-up), one process per notebook; then of `python -m pytest notebooks` "
        f"(every notebook in one run, serially in one process) and of the same with `make test`'s "
        f"options (the notebooks spread over the cores). Targets: each < {NOTEBOOK_TARGET:.0f} s, "
        f"all < {COURSE_TARGET:.0f} s, `make test` < {MAKE_TEST_TARGET / 60:.0f} min.",
        "",
        notebook_table(res.notebooks, res.all_notebooks),
        "",
    ]
    if res.make_test is None:
        lines += ["`make test` was not timed in this run (quick mode); "
                  "`python -m benchmarks --make-test` times it.", ""]
    else:
        seconds, passed, _ = res.make_test
        lines += [f"`make test` (after set-up): {seconds:.0f} s, passed={passed}; target met: "
                  f"{_yes(seconds < MAKE_TEST_TARGET and passed)}.", ""]
    if res.figure:
        lines += ["## Figure", "", f"![eager and compiled ratios]({res.figure})", ""]
    lines += ["## Targets not met: gap, cause, and what would close it", ""]
    found = gaps(res, notes)
    lines += [f"- {g}" for g in found] if found else ["All targets met."]
    lines += ["", how_to_read.strip(), ""]
    return "\n".join(lines)


def save_figure(res: Results, name: str) -> Path:
    """Bars of lossbook / twin (eager) and compiled / PyTorch eager, log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lossbook.course.plotting import PALETTE, savefig, use_style

    use_style()
    names = [r.loss for r in res.eager]
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(names) + 1.6))
    y = list(range(len(names)))
    twin = [r.ratio("twin") for r in res.eager]
    monai = [r.ratio("monai") for r in res.eager]
    compiled = {r.loss: r.ms["fb"] / r.ms["fb_eager"] for r in res.compiled if r.ms}
    ax.barh([i - 0.27 for i in y], [0 if math.isnan(v) else v for v in twin], height=0.27,
            color=PALETTE[0], label="eager lossbook / PyTorch twin")
    ax.barh(y, [0 if math.isnan(v) else v for v in monai], height=0.27, color=PALETTE[1],
            label="eager lossbook / MONAI", hatch="//")
    ax.barh([i + 0.27 for i in y], [compiled.get(n, 0) for n in names], height=0.27,
            color=PALETTE[2], label="compiled lossbook / PyTorch eager (fwd+bwd)", hatch="..")
    ax.axvline(EAGER_TARGET, color="black", linestyle="--", linewidth=1, label="1.5x target")
    ax.axvline(1.0, color="black", linestyle=":", linewidth=1, label="parity")
    ax.set_xscale("log")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlabel("time ratio (lower is faster; log scale)")
    ax.set_title("lossbook speed, forward + backward, float32" + (" (quick)" if res.quick else ""))
    ax.legend(loc="lower right", fontsize=8, frameon=True)
    fig.tight_layout()
    path = savefig(fig, name)
    plt.close(fig)
    return path
