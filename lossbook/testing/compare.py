"""Hold a lossbook function against its twin: values and gradients, on three backends.

``compare`` runs both on the same inputs on three backends in two precisions (NumPy float64,
torch float64 and torch float32), prints one line (what was compared, the backends, the
largest error per precision, ok) and raises ``AssertionError`` on any mismatch, so a notebook
cell that calls it is a test: strict nbval fails if the check fails.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from lossbook.testing.registry import each, leaves

__all__ = ["BACKENDS", "Row", "compare"]

BACKENDS = ("numpy float64", "torch float64", "torch float32")

# torch.testing.assert_close's defaults for each dtype.
_TOLERANCES = {torch.float64: (1e-7, 1e-7), torch.float32: (1.3e-6, 1e-5)}

# The smallest bound the one-line summary prints, a few units of rounding of each precision
# (float64 eps = 2.2e-16, float32 eps = 1.2e-7): below it, differences are the last bits of a
# result, which vary with the CPU's instruction set, and the summary would not be stable.
_FLOORS = {"float64": -15, "float32": -6}  # powers of ten

_QUANTITIES = {"value": "value", "grad": "hand gradient", "autograd": "autograd"}


@dataclass(frozen=True)
class Row:
    """One line of the table: a backend, what was compared, the largest errors, the verdict.

    ``max_abs`` is the largest ``|ours - theirs|``; ``max_rel`` the largest elementwise
    ``|ours - theirs| / |theirs|``; ``norm_rel`` the largest difference relative to the largest
    magnitude of the twin's result (``max |ours - theirs| / max |theirs|``, or the largest
    absolute difference where the twin's result is all zero), the error the one-line summary
    reports. Matching infinities and NaNs count as equal.
    """

    backend: str
    quantity: str
    max_abs: float
    max_rel: float
    ok: bool
    note: str = ""
    norm_rel: float = 0.0

    @property
    def precision(self) -> str:
        """``"float64"`` or ``"float32"``."""
        return self.backend.split()[-1]

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "FAIL"
        note = f"  {self.note}" if self.note else ""
        return (
            f"{self.backend:<14} {self.quantity:<9} {self.max_abs:.1e}  "
            f"{self.max_rel:.1e}  {verdict}{note}"
        )


def _errors(ours: torch.Tensor, theirs: torch.Tensor) -> tuple[float, float, float]:
    """Largest absolute, elementwise relative and normwise relative error (see ``Row``)."""
    a, b = ours.detach().to(torch.float64), theirs.detach().to(torch.float64)
    if a.shape != b.shape or a.numel() == 0:
        return (0.0, 0.0, 0.0) if a.shape == b.shape else (math.inf, math.inf, math.inf)
    same = (a == b) | (torch.isnan(a) & torch.isnan(b))
    diff = torch.where(same, torch.zeros_like(a), (a - b).abs())
    diff = torch.where(torch.isnan(diff), torch.full_like(diff, torch.inf), diff)
    rel = torch.where(same, torch.zeros_like(a), diff / b.abs())
    finite = torch.isfinite(b)
    scale = float(b.abs()[finite].max()) if bool(finite.any()) else 0.0
    max_abs = float(diff.max())
    return max_abs, float(rel.max()), max_abs / scale if scale > 0 else max_abs


def _as_torch(x: Any) -> torch.Tensor:
    """``x`` as a tensor; a sequence (one array per layer) as its arrays flattened end to end."""
    if isinstance(x, list | tuple):
        return torch.cat([_as_torch(a).reshape(-1) for a in x])
    return x if isinstance(x, torch.Tensor) else torch.from_numpy(np.asarray(x))


def _like(x: Any, grads: tuple[torch.Tensor, ...]) -> Any:
    """The gradients autograd gives for ``leaves(x)`` in ``x``'s structure."""
    return list(grads) if isinstance(x, list | tuple) else grads[0]


def _cast_arrays(x: Any, backend: str) -> Any:
    """An option with ``_cast`` applied to its NumPy arrays (itself, or those of a sequence)."""
    return each(lambda a: _cast(a, backend) if isinstance(a, np.ndarray) else a, x)


def _cast(x: Any, backend: str) -> Any:
    """Put a reference input (NumPy) on a backend; integer and boolean inputs keep their dtype.
    A sequence input (one array per layer) is cast array by array."""
    if isinstance(x, list | tuple):
        return each(lambda a: _cast(a, backend), x)
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
    table: bool = False,
    **options: Any,
) -> list[Row]:
    """Compare a lossbook function with its twin on three backends in two precisions.

    The backends are NumPy float64, torch float64 and torch float32: three backends, two
    precisions. For each backend the inputs are cast (floating inputs to the backend's dtype,
    integer targets kept), and ``ours(*inputs, **options)`` is compared with
    ``theirs(*inputs, **options)`` computed by PyTorch in the same floating dtype (float64 for
    the NumPy reference). Where ``grad`` is given, the hand-derived gradient with respect to
    ``inputs[wrt]`` is compared with the gradient autograd takes through ``theirs`` (of the
    sum of the output, so reduction="none" is covered too), and on the torch backends autograd
    through ``ours`` is compared as well.

    By default one line is printed: what was compared, the backends and precisions, the
    largest error per precision and the verdict. The error is the largest difference relative
    to the largest magnitude of the twin's result, printed as a bound: the next power of ten
    above it, and never below 1e-15 in float64 or 1e-6 in float32 (a few units of rounding),
    so the line does not change with the last bits a CPU's instruction set gives. The full
    table (every backend and quantity, largest absolute and elementwise relative error) is
    printed on request (``table=True``) and on failure.

    Parameters
    ----------
    ours, theirs : callable
        The lossbook function and its twin (a ``torch.nn.functional`` function, or a wrapper
        that gives an external reference the same signature: ``lossbook.testing.twins``).
    *inputs : array_like
        Reference inputs as NumPy arrays (float64 data, integer class indices), or sequences
        of them (a list of feature maps, one per layer: the gradient is then one array per
        layer, compared end to end).
    grad : callable, optional
        The hand-derived gradient ``f_grad(*inputs, **options)``.
    wrt : int
        Which input the gradient is taken with respect to.
    backends : sequence of str
        A subset of ``BACKENDS``.
    rtol, atol : float, optional
        Tolerances; by default ``torch.testing.assert_close``'s for the backend's dtype.
    verbose : bool
        Print the one-line summary (``False``: print nothing unless a comparison fails).
    table : bool
        Print the full table as well.
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
        type or dtype than it was given. The message holds the table.

    Examples
    --------
    >>> import numpy as np, torch
    >>> def mse(x, y, *, reduction="mean"):
    ...     return ((x - y) ** 2).mean()
    >>> x, y = np.array([0.5, -1.0, 2.0]), np.array([0.0, 0.0, 1.0])
    >>> rows = compare(mse, torch.nn.functional.mse_loss, x, y)  # doctest: +NORMALIZE_WHITESPACE
    mse vs F.mse_loss: value; NumPy float64, torch float64, torch float32 (3 backends,
    2 precisions): max rel err < 1e-15 (float64), < 1e-6 (float32): ok
    >>> len(rows), all(row.ok for row in rows)
    (3, True)
    """
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        raise ValueError(f"backends must be among {BACKENDS}; got {sorted(unknown)}")
    rows: list[Row] = []
    for backend in backends:
        dtype = torch.float32 if backend == "torch float32" else torch.float64
        twin_backend = "torch float32" if dtype == torch.float32 else "torch float64"
        xs = [_cast(x, backend) for x in inputs]
        ts = [_cast(x, twin_backend) for x in inputs]
        if grad is not None:
            ts[wrt] = each(lambda t: t.clone().requires_grad_(True), ts[wrt])
        # Array options (weight, pos_weight ...) are cast like the inputs.
        our_options = {k: _cast_arrays(v, backend) for k, v in options.items()}
        their_options = {k: _cast_arrays(v, twin_backend) for k, v in options.items()}
        expected = theirs(*ts, **their_options)
        got = ours(*xs, **our_options)

        def row(quantity: str, got: Any, expected: Any, note: str = "",
                backend: str = backend, dtype: torch.dtype = dtype) -> Row:
            errors = _errors(_as_torch(got), _as_torch(expected))
            ok = note == "" and _close(_as_torch(got), _as_torch(expected), dtype, rtol, atol)
            return Row(backend, quantity, errors[0], errors[1], ok, note, errors[2])

        rows.append(row("value", got, expected, _type_note(got, leaves(xs[wrt])[0], backend)))
        if grad is not None:
            expected_grad = _like(ts[wrt], torch.autograd.grad(expected.sum(), leaves(ts[wrt])))
            got_grad = grad(*xs, **our_options)
            rows.append(row("grad", got_grad, expected_grad,
                            _type_note(got_grad, xs[wrt], backend)))
            if backend != "numpy float64":
                leaf = each(lambda x: x.clone().requires_grad_(True), xs[wrt])
                args = [leaf if i == wrt else x for i, x in enumerate(xs)]
                auto = _like(leaf, torch.autograd.grad(ours(*args, **our_options).sum(),
                                                       leaves(leaf)))
                rows.append(row("autograd", auto, expected_grad))

    failed = [r for r in rows if not r.ok]
    line = summary(rows, ours, theirs, options)
    if verbose or table or failed:
        text = _table(rows) if table or failed else ""
        if verbose or table:
            print("\n".join(filter(None, [line, text])))
    if failed:
        raise AssertionError(
            f"{len(failed)} of {len(rows)} comparisons failed:\n{line}\n{_table(rows)}")
    return rows


def summary(rows: Sequence[Row], ours: Callable[..., Any], theirs: Callable[..., Any],
            options: dict[str, Any] | None = None) -> str:
    """The one line ``compare`` prints: what was compared, on which backends, the largest
    error per precision (as a bound, see ``compare``), and ``ok`` or ``FAIL``.

    Examples
    --------
    >>> rows = [Row("numpy float64", "value", 0.0, 0.0, True),
    ...         Row("torch float32", "value", 1e-8, 2e-8, True, norm_rel=3e-8)]
    >>> print(summary(rows, abs, abs))
    abs vs abs: value; NumPy float64, torch float32 (2 backends, 2 precisions): max rel err < 1e-15 (float64), < 1e-6 (float32): ok
    """
    backends = list(dict.fromkeys(r.backend for r in rows))
    precisions = list(dict.fromkeys(r.precision for r in rows))
    quantities = ", ".join(_QUANTITIES[q] for q in dict.fromkeys(r.quantity for r in rows))
    where = ", ".join(b.replace("numpy", "NumPy") for b in backends)
    counts = (f"{len(backends)} backend{'s' * (len(backends) != 1)}, "
              f"{len(precisions)} precision{'s' * (len(precisions) != 1)}")
    errors = ", ".join(
        f"{_bound(max(r.norm_rel for r in rows if r.precision == p), p)} ({p})"
        for p in precisions)
    verdict = "ok" if all(r.ok for r in rows) else "FAIL"
    return (f"{_call(ours, options or {})} vs {_name(theirs)}: {quantities}; {where} ({counts}): "
            f"max rel err {errors}: {verdict}")


def _bound(error: float, precision: str) -> str:
    """``< 10^k`` for the smallest k with ``10^k > error``, at least the precision's floor."""
    if not math.isfinite(error):
        return str(error)
    k = _FLOORS[precision]
    if error >= 10.0**k:
        k = math.floor(math.log10(error)) + 1
    return f"< 1e{k}"


def _name(f: Callable[..., Any]) -> str:
    """How a reader imports ``f``: ``F.logsigmoid``, ``torch.softmax``, else its name."""
    import torch.nn.functional as F

    name = getattr(f, "__name__", type(f).__name__)
    for prefix, module in (("F", F), ("torch", torch)):
        if getattr(module, name, None) is f:
            return f"{prefix}.{name}"
        found = [n for n, g in vars(module).items() if g is f and not n.startswith("_")]
        if found:
            return f"{prefix}.{found[0]}"
    return name


def _call(f: Callable[..., Any], options: dict[str, Any]) -> str:
    """The function's name with its options: ``cross_entropy(weight=(4,) array, reduction='sum')``."""
    if not options:
        return _name(f)
    shown = ", ".join(f"{k}={_show(v)}" for k, v in options.items())
    return f"{_name(f)}({shown})"


def _show(v: Any) -> str:
    """An option as the summary shows it: an array by its shape, ``(4,) array``."""
    if isinstance(v, np.ndarray):
        return "(" + ", ".join(map(str, v.shape)) + ("," if v.ndim == 1 else "") + ") array"
    if isinstance(v, list | tuple) and any(isinstance(a, np.ndarray) for a in v):
        return "[" + ", ".join(map(_show, v)) + "]"
    return repr(v)


def _table(rows: Sequence[Row]) -> str:
    header = f"{'backend':<14} {'quantity':<9} {'max abs':<8} {'max rel':<8} ok"
    return "\n".join([header, *(str(r) for r in rows)])


def _type_note(got: Any, given: Any, backend: str) -> str:
    """Empty if ``got`` has the array type and dtype of ``given``, else what differs (for a
    sequence, of each of its arrays)."""
    if isinstance(given, list | tuple):
        if not isinstance(got, list | tuple) or len(got) != len(given):
            return f"returned {type(got).__name__}, expected one array per element of the input"
        return next(filter(None, (_type_note(g, x, backend) for g, x in zip(got, given,
                                                                             strict=True))), "")
    if backend == "numpy float64":
        if not isinstance(got, np.ndarray | np.generic):
            return f"returned {type(got).__name__}, expected a NumPy array"
    elif not isinstance(got, torch.Tensor):
        return f"returned {type(got).__name__}, expected a torch tensor"
    if got.dtype != given.dtype:
        return f"returned dtype {got.dtype}, expected {given.dtype}"
    return ""
