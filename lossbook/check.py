"""Hold a lossbook function against its PyTorch twin: values and gradients, on every backend.

``compare`` runs both on the same inputs in NumPy float64, torch float64 and torch float32,
prints a compact table and raises ``AssertionError`` on any mismatch, so a notebook cell that
calls it is a test: strict nbval fails if the check fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = ["BACKENDS", "Row", "compare"]

BACKENDS = ("numpy float64", "torch float64", "torch float32")

# torch.testing.assert_close's defaults for each dtype.
_TOLERANCES = {torch.float64: (1e-7, 1e-7), torch.float32: (1.3e-6, 1e-5)}


@dataclass(frozen=True)
class Row:
    """One line of the table: a backend, what was compared, the largest errors, the verdict."""

    backend: str
    quantity: str
    max_abs: float
    max_rel: float
    ok: bool
    note: str = ""

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "FAIL"
        note = f"  {self.note}" if self.note else ""
        return (
            f"{self.backend:<14} {self.quantity:<9} ~{self.max_abs:.1e} "
            f"~{self.max_rel:.1e}  {verdict}{note}"
        )


def _errors(ours: torch.Tensor, theirs: torch.Tensor) -> tuple[float, float]:
    """Largest absolute and relative error; matching infinities and NaNs count as equal."""
    a, b = ours.detach().to(torch.float64), theirs.detach().to(torch.float64)
    same = (a == b) | (torch.isnan(a) & torch.isnan(b))
    diff = torch.where(same, torch.zeros_like(a), (a - b).abs())
    diff = torch.where(torch.isnan(diff), torch.full_like(diff, torch.inf), diff)
    rel = torch.where(same, torch.zeros_like(a), diff / b.abs())
    if diff.numel() == 0:
        return 0.0, 0.0
    return float(diff.max()), float(rel.max())


def _as_torch(x: Any) -> torch.Tensor:
    return x if isinstance(x, torch.Tensor) else torch.from_numpy(np.asarray(x))


def _cast(x: Any, backend: str) -> Any:
    """Put a reference input (NumPy) on a backend; integer and boolean inputs keep their dtype."""
    arr = np.asarray(x)
    floating = np.issubdtype(arr.dtype, np.floating)
    if backend == "numpy float64":
        return arr.astype(np.float64) if floating else arr
    t = torch.from_numpy(arr.copy())
    if floating:
        t = t.to(torch.float32 if backend == "torch float32" else torch.float64)
    return t


def _close(ours: torch.Tensor, theirs: torch.Tensor, dtype: torch.dtype, rtol, atol) -> bool:
    default_rtol, default_atol = _TOLERANCES[dtype]
    try:
        torch.testing.assert_close(
            ours.detach().to(torch.float64),
            theirs.detach().to(torch.float64),
            rtol=default_rtol if rtol is None else rtol,
            atol=default_atol if atol is None else atol,
            equal_nan=True,
        )
    except AssertionError:
        return False
    return True


def compare(
    ours: Callable[..., Any],
    theirs: Callable[..., Any],
    *inputs: Any,
    grad: Callable[..., Any] | None = None,
    wrt: int = 0,
    backends: Sequence[str] = BACKENDS,
    rtol: float | None = None,
    atol: float | None = None,
    verbose: bool = True,
    **options: Any,
) -> list[Row]:
    """Compare a lossbook function with its PyTorch twin on every backend.

    For each backend the inputs are cast (floating inputs to the backend's dtype, integer
    targets kept), ``ours(*inputs, **options)`` is compared with
    ``theirs(*inputs, **options)`` computed by PyTorch in the same floating dtype (float64 for
    the NumPy reference). Where ``grad`` is given, the hand-derived gradient with respect to
    ``inputs[wrt]`` is compared with the gradient autograd takes through ``theirs`` (of the
    sum of the output, so reduction="none" is covered too), and on torch backends autograd
    through ``ours`` is compared as well.

    Parameters
    ----------
    ours, theirs : callable
        The lossbook function and its twin (a ``torch.nn.functional`` function, or a wrapper
        that gives an external reference the same signature).
    *inputs : array_like
        Reference inputs as NumPy arrays (float64 data, integer class indices).
    grad : callable, optional
        The hand-derived gradient ``f_grad(*inputs, **options)``.
    wrt : int
        Which input the gradient is taken with respect to.
    backends : sequence of str
        A subset of ``BACKENDS``.
    rtol, atol : float, optional
        Tolerances; by default ``torch.testing.assert_close``'s for the backend's dtype.
    verbose : bool
        Print the table.
    **options
        Keyword options passed to both functions (``reduction=``, ``weight=`` ...); NumPy
        array options are cast to each backend like the inputs.

    Returns
    -------
    list of Row
        One row per backend and quantity (value, grad, autograd).

    Raises
    ------
    AssertionError
        If any value or gradient differs beyond tolerance, or ``ours`` returns another array
        type or dtype than it was given.

    Examples
    --------
    >>> import numpy as np, torch
    >>> def mse(x, y, *, reduction="mean"):
    ...     return ((x - y) ** 2).mean()
    >>> x, y = np.array([0.5, -1.0, 2.0]), np.array([0.0, 0.0, 1.0])
    >>> rows = compare(mse, torch.nn.functional.mse_loss, x, y, verbose=False)
    >>> all(row.ok for row in rows)
    True
    """
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        raise ValueError(f"backends must be among {BACKENDS}; got {sorted(unknown)}")
    rows: list[Row] = []
    for backend in backends:
        dtype = torch.float32 if backend == "torch float32" else torch.float64
        xs = [_cast(x, backend) for x in inputs]
        ts = [_cast(x, "torch float32" if dtype == torch.float32 else "torch float64")
              for x in inputs]
        differentiable = grad is not None
        if differentiable:
            ts[wrt] = ts[wrt].clone().requires_grad_(True)
        # Array options (weight, pos_weight ...) are cast like the inputs.
        our_options = {k: _cast(v, backend) if isinstance(v, np.ndarray) else v
                       for k, v in options.items()}
        their_options = {k: _cast(v, "torch float32" if dtype == torch.float32 else
                                  "torch float64") if isinstance(v, np.ndarray) else v
                         for k, v in options.items()}
        expected = theirs(*ts, **their_options)
        got = ours(*xs, **our_options)

        note = _type_note(got, xs[wrt], backend)
        max_abs, max_rel = _errors(_as_torch(got), expected)
        ok = note == "" and _close(_as_torch(got), expected, dtype, rtol, atol)
        rows.append(Row(backend, "value", max_abs, max_rel, ok, note))

        if differentiable:
            (expected_grad,) = torch.autograd.grad(expected.sum(), ts[wrt])
            got_grad = grad(*xs, **our_options)
            note = _type_note(got_grad, xs[wrt], backend)
            max_abs, max_rel = _errors(_as_torch(got_grad), expected_grad)
            ok = note == "" and _close(_as_torch(got_grad), expected_grad, dtype, rtol, atol)
            rows.append(Row(backend, "grad", max_abs, max_rel, ok, note))
            if backend != "numpy float64":
                leaf = xs[wrt].clone().requires_grad_(True)
                args = [leaf if i == wrt else x for i, x in enumerate(xs)]
                (auto,) = torch.autograd.grad(ours(*args, **our_options).sum(), leaf)
                max_abs, max_rel = _errors(auto, expected_grad)
                ok = _close(auto, expected_grad, dtype, rtol, atol)
                rows.append(Row(backend, "autograd", max_abs, max_rel, ok))

    if verbose:
        name = getattr(ours, "__name__", "ours")
        twin = getattr(theirs, "__name__", "theirs")
        print(f"{name} vs {twin}")
        print(f"{'backend':<14} {'quantity':<9} {'max abs':<9} {'max rel':<9} ok")
        for row in rows:
            print(row)
    failed = [row for row in rows if not row.ok]
    if failed:
        lines = "\n".join(str(row) for row in failed)
        raise AssertionError(f"{len(failed)} of {len(rows)} comparisons failed:\n{lines}")
    return rows


def _type_note(got: Any, given: Any, backend: str) -> str:
    """Empty if ``got`` has the array type and dtype of ``given``, else what differs."""
    if backend == "numpy float64":
        if not isinstance(got, np.ndarray | np.generic):
            return f"returned {type(got).__name__}, expected a NumPy array"
    elif not isinstance(got, torch.Tensor):
        return f"returned {type(got).__name__}, expected a torch tensor"
    if got.dtype != given.dtype:
        return f"returned dtype {got.dtype}, expected {given.dtype}"
    return ""
