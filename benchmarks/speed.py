"""Speed: eager forward + backward against PyTorch and MONAI, torch.compile, memory bandwidth.

Every timing is the median of interleaved repetitions: one repetition runs each contender
once, in turn, so a slow moment of this shared machine hits all of them alike. Inputs are
float32 at the sizes each ``Bench`` builds; lossbook runs with ``validate=False`` (its training
mode: value checks that force a host sync are off, shape checks stay on).
"""

from __future__ import annotations

import functools
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from benchmarks.losses import Bench

__all__ = ["CompileRow", "SpeedRow", "measure_bandwidth", "run_compiled", "run_eager"]

DTYPE = torch.float32


def _median_interleaved(fns: list[Callable[[], Any]], reps: int, warmup: int = 2) -> list[float]:
    """Median seconds of each of ``fns``, run in turn ``reps`` times after ``warmup`` rounds."""
    times: list[list[float]] = [[] for _ in fns]
    for r in range(warmup + reps):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            if r >= warmup:
                times[i].append(elapsed)
    return [statistics.median(t) for t in times]


def measure_bandwidth(megabytes: int, reps: int) -> float:
    """Memory bandwidth in GB/s from a large float32 copy (bytes read + bytes written)."""
    n = megabytes * 2**20 // 4
    src = torch.ones(n, dtype=torch.float32)
    dst = torch.empty_like(src)
    (seconds,) = _median_interleaved([lambda: dst.copy_(src)], reps)
    return 2 * src.nbytes / seconds / 1e9


def _step(fn: Callable[..., Any], inputs: tuple[torch.Tensor, ...]) -> Callable[[], None]:
    """One forward + backward with respect to the first input."""
    x = inputs[0]

    def run() -> None:
        x.grad = None
        out = fn(*inputs)
        (out if out.ndim == 0 else out.sum()).backward()
    return run


def _forward(fn: Callable[..., Any], inputs: tuple[torch.Tensor, ...]) -> Callable[[], None]:
    detached = tuple(a.detach() for a in inputs)

    def run() -> None:
        with torch.no_grad():
            fn(*detached)
    return run


def _contenders(bench: Bench) -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {
        "lossbook": functools.partial(bench.ours, **bench.ours_kwargs())}
    if bench.twin is not None:
        found["twin"] = functools.partial(bench.twin, **bench.options)
    if bench.monai is not None:
        found["monai"] = bench.monai()
    return found


@dataclass
class SpeedRow:
    """Eager forward + backward: median milliseconds and ratios."""

    loss: str
    family: str
    size: str
    twin_name: str
    monai_name: str
    ms: dict[str, float]
    twin_is_fused: bool

    def ratio(self, other: str) -> float:
        return self.ms["lossbook"] / self.ms[other] if other in self.ms else float("nan")


def run_eager(benches: list[Bench], n: int, reps: int, seed: int = 0) -> list[SpeedRow]:
    """Forward + backward of each loss and its twins on the same float32 inputs."""
    rows = []
    for bench in benches:
        gen = torch.Generator().manual_seed(seed)
        inputs = bench.speed_inputs(n, DTYPE, gen)
        contenders = _contenders(bench)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seconds = _median_interleaved([_step(f, inputs) for f in contenders.values()], reps)
        rows.append(SpeedRow(bench.name, bench.family, bench.size_label(n), bench.twin_name,
                             bench.monai_name,
                             {k: 1e3 * s for k, s in zip(contenders, seconds, strict=True)},
                             bench.twin_is_fused))
        del inputs
    return rows


@dataclass
class CompileRow:
    """torch.compile: graph breaks, and for the timed losses compiled vs PyTorch eager."""

    loss: str
    family: str
    graphs: int
    graph_breaks: int
    break_reasons: list[str]
    error: str = ""
    size: str = ""
    ms: dict[str, float] = field(default_factory=dict)  # fwd/fwd_eager/fb/fb_eager (+lossbook eager)
    bytes_fwd: int = 0
    bytes_fb: int = 0
    elements: int = 0  # of the first input
    elementwise: bool = False

    def gbps(self, key: str) -> float:
        nbytes = self.bytes_fwd if key == "fwd" else self.bytes_fb
        return nbytes / (self.ms[key] * 1e-3) / 1e9 if key in self.ms else float("nan")


def _explain(bench: Bench) -> tuple[int, int, list[str], str]:
    gen = torch.Generator().manual_seed(0)
    inputs = bench.speed_inputs(4096, DTYPE, gen)
    fn = functools.partial(bench.ours, **bench.ours_kwargs())
    torch._dynamo.reset()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e = torch._dynamo.explain(fn)(*inputs)
    except Exception as error:  # a failure to trace is a result to report, not a crash
        return 0, 0, [], f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
    reasons = [str(getattr(b, "reason", b)).splitlines()[0][:200] for b in e.break_reasons]
    return e.graph_count, e.graph_break_count, reasons, ""


def run_compiled(benches: list[Bench], timed: set[str], n: int, reps: int) -> list[CompileRow]:
    """Graph breaks of every loss; compiled timings for the losses named in ``timed``."""
    rows = []
    for bench in benches:
        graphs, breaks, reasons, error = _explain(bench)
        row = CompileRow(bench.name, bench.family, graphs, breaks, reasons, error,
                         elementwise=bench.elementwise)
        if bench.name in timed and not error and bench.twin is not None:
            _time_compiled(bench, row, n, reps)
        rows.append(row)
    torch._dynamo.reset()
    return rows


def _time_compiled(bench: Bench, row: CompileRow, n: int, reps: int) -> None:
    gen = torch.Generator().manual_seed(0)
    inputs = bench.speed_inputs(n, DTYPE, gen)
    ours = functools.partial(bench.ours, **bench.ours_kwargs())
    twin = functools.partial(bench.twin, **bench.options)
    torch._dynamo.reset()
    compiled = torch.compile(ours, fullgraph=row.graph_breaks == 0)
    row.size = bench.size_label(n)
    row.bytes_fwd = sum(a.nbytes for a in inputs)
    row.elements = inputs[0].numel()
    row.bytes_fb = 2 * row.bytes_fwd + inputs[0].nbytes  # read inputs twice, write the gradient
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fwd, fwd_eager = _median_interleaved([_forward(compiled, inputs), _forward(twin, inputs)],
                                             reps)
        fb, fb_eager, fb_ours_eager = _median_interleaved(
            [_step(compiled, inputs), _step(twin, inputs), _step(ours, inputs)], reps)
    row.ms = {"fwd": 1e3 * fwd, "fwd_eager": 1e3 * fwd_eager, "fb": 1e3 * fb,
              "fb_eager": 1e3 * fb_eager, "fb_lossbook_eager": 1e3 * fb_ours_eager}
