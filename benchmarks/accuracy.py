"""Accuracy against mpmath at 50 digits on each loss's adversarial suite.

Every implementation sees the same inputs with reduction="none". Float32 runs see the inputs
rounded to float32, and their ground truth is recomputed from those rounded inputs, so a
float32 column measures the loss computation, not the rounding of its inputs.

Relative error of an element: |computed - truth| / |truth|, or |computed| where the truth is 0.
An element enters a dtype's columns only if its truth is 0 or a finite normal number of that
dtype (a loss of 1e-600 cannot be represented; an input of 1e300 becomes inf in float32).
"bad" counts NaN, inf or 0 where the truth is finite and non-zero.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import torch

from benchmarks.losses import SEGMENTATION_ACCURACY_TWINS, Bench, Group

__all__ = ["IMPLEMENTATIONS", "AccuracyRow", "Outlier", "run_accuracy"]

# (column name, library, dtype)
IMPLEMENTATIONS = (
    ("lossbook numpy f64", "lossbook", "numpy64"),
    ("lossbook torch f64", "lossbook", "torch64"),
    ("lossbook torch f32", "lossbook", "torch32"),
    ("twin f64", "twin", "torch64"),
    ("twin f32", "twin", "torch32"),
)
_DTYPES = {"numpy64": np.float64, "torch64": np.float64, "torch32": np.float32}
TWIN_THRESHOLD = 1e-6  # PyTorch cases off by more than this are listed
OURS_THRESHOLD = 1e-14  # the target for lossbook float64; cases above it are listed too


@dataclass
class AccuracyRow:
    """One loss: max relative error and bad count per implementation."""

    loss: str
    family: str
    twin: str
    elements: int
    max_rel: dict[str, float]
    bad: dict[str, int]


@dataclass
class Outlier:
    """A suite group where the twin is off by more than TWIN_THRESHOLD."""

    loss: str
    group: str
    impl: str
    inputs: str
    truth: float
    value: float
    rel: float
    lossbook_rel: float
    reason: str


def _kwargs(fn: Any, bench: Bench, ours: bool) -> dict[str, Any]:
    kw = dict(bench.options, **bench.accuracy_options)
    params = inspect.signature(fn).parameters if ours else inspect.signature(bench.ours).parameters
    if "reduction" in params:
        kw["reduction"] = "none"
    return kw


def _call(bench: Bench, lib: str, backend: str, inputs: tuple[np.ndarray, ...]) -> np.ndarray | None:
    dtype = _DTYPES[backend]
    with np.errstate(over="ignore"):  # beyond float32: inf, whose truth is not counted
        cast = [a.astype(dtype) if a.dtype.kind == "f" else a for a in inputs]
    if lib == "lossbook":
        fn = bench.ours
    else:
        fn = SEGMENTATION_ACCURACY_TWINS.get(bench.name, bench.twin)
        if fn is None:
            return None
    kw = _kwargs(fn, bench, ours=lib == "lossbook")
    if backend == "numpy64":
        args = cast
    else:
        args = [torch.from_numpy(np.ascontiguousarray(a)) for a in cast]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = fn(*args, **kw)
    if isinstance(out, torch.Tensor):
        out = out.detach().numpy()
    return np.asarray(out, dtype=np.float64)


def _errors(value: np.ndarray, truth: np.ndarray, dtype: type) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per element: relative error, bad flag, and whether the element counts for ``dtype``."""
    info = np.finfo(dtype)
    rel = np.zeros(truth.shape)
    bad = np.zeros(truth.shape, dtype=bool)
    counts = np.zeros(truth.shape, dtype=bool)
    with mpmath.workdps(50):
        for i, t in np.ndenumerate(truth):
            if not mpmath.isfinite(t):
                continue
            a = abs(t)
            if a != 0 and not (info.tiny <= a <= info.max):
                continue
            counts[i] = True
            c = value[i]
            if not np.isfinite(c):
                rel[i] = np.inf
                bad[i] = a != 0
                continue
            if a == 0:
                rel[i] = abs(c)
            else:
                rel[i] = float(abs(mpmath.mpf(float(c)) - t) / a)
                bad[i] = c == 0
    return rel, bad, counts


def _describe(inputs: tuple[np.ndarray, ...], index: tuple[int, ...]) -> str:
    parts = []
    for a in inputs:
        sub = a[index[: a.ndim]] if a.ndim else a
        sub = np.asarray(sub)
        if sub.size <= 6:
            parts.append(np.array2string(sub.astype(np.float64).ravel(), precision=4, separator=", ")
                         if sub.size > 1 else f"{float(sub):.6g}")
        else:
            parts.append(f"{sub.shape} array")
    return "; ".join(parts)


def run_accuracy(benches: list[Bench]) -> tuple[list[AccuracyRow], list[Outlier]]:
    """The accuracy table and the list of twin cases off by more than 1e-6."""
    rows, outliers = [], []
    for bench in benches:
        max_rel = {name: 0.0 for name, _, _ in IMPLEMENTATIONS}
        bad = {name: 0 for name, _, _ in IMPLEMENTATIONS}
        elements = 0
        has_twin = bench.twin is not None or bench.name in SEGMENTATION_ACCURACY_TWINS
        for group in bench.suite():
            outliers += _run_group(bench, group, max_rel, bad)
            elements += int(np.asarray(bench.truth(*group.inputs)).size)
        if not has_twin:
            for name, lib, _ in IMPLEMENTATIONS:
                if lib == "twin":
                    max_rel[name] = float("nan")
                    bad[name] = -1
        twin = SEGMENTATION_ACCURACY_TWINS.get(bench.name)
        rows.append(AccuracyRow(bench.name, bench.family,
                                "MONAI (registry wrapper)" if twin else bench.twin_name,
                                elements, max_rel, bad))
    return rows, outliers


def _run_group(bench: Bench, group: Group, max_rel: dict[str, float], bad: dict[str, int]) -> list[Outlier]:
    truth = {"f64": bench.truth(*group.inputs)}
    with np.errstate(all="ignore"):  # beyond float32: inf, whose truth is NaN (not counted)
        rounded = tuple(a.astype(np.float32).astype(np.float64) if a.dtype.kind == "f" else a
                        for a in group.inputs)
        truth["f32"] = bench.truth(*rounded)
    found = []
    ours_rel = {}
    for name, lib, backend in IMPLEMENTATIONS:
        value = _call(bench, lib, backend, group.inputs)
        if value is None:
            continue
        key = "f32" if backend == "torch32" else "f64"
        t = truth[key]
        value = value.reshape(t.shape)
        rel, is_bad, counts = _errors(value, t, _DTYPES[backend])
        rel = np.where(counts, rel, 0.0)
        if rel.size:
            max_rel[name] = max(max_rel[name], float(rel.max()))
        bad[name] += int(is_bad.sum())
        if lib == "lossbook" and backend != "numpy64":
            ours_rel[key] = rel
        if lib == "twin":
            limit = TWIN_THRESHOLD
        elif key == "f64":
            limit = OURS_THRESHOLD
        else:
            continue  # lossbook float32 has no target beyond being reported
        if rel.size and rel.max() > limit:
            i = np.unravel_index(int(np.argmax(rel)), rel.shape)
            ours = float(ours_rel[key][i]) if key in ours_rel else float(rel[i])
            inputs = rounded if key == "f32" else group.inputs
            found.append(Outlier(
                bench.name, group.label, name, _describe(inputs, i), float(t[i]), float(value[i]),
                float(rel[i]), ours,
                _reason(group, key, float(rel[i]), ours, value[i]) if lib == "twin" else ""))
    return found


def _reason(group: Group, key: str, rel: float, ours: float, value: float) -> str:
    """Why the twin is off: the group's known cause, or float32 rounding when lossbook's float32
    result on the same element is about as far off (within a factor of 10)."""
    if key == "f32" and ours >= rel / 10:
        return f"float32 rounding: lossbook float32 is as far off on this element ({ours:.1e})"
    if group.why:
        return group.why
    if not np.isfinite(value):
        return "overflow in an intermediate (non-finite result)"
    return "unexplained: see the inputs"
