"""The input contract, generated from the registry: every input gives the twin's result or a
ValueError / TypeError that names the argument.

``calls(case, function)`` starts from a registered call and changes one thing at a time:

* the dtype of one array argument (bool, int8, uint8, int64, float16, bfloat16, float32,
  float64 and complex64 on torch; the same without bfloat16 on NumPy), every floating array in
  one lower precision together, an argument given as a Python list or from the other library;
* one keyword option given as a NumPy scalar, a bool, a string, None, NaN or inf;
* one element of one floating data array set to NaN, +-inf, the smallest subnormal or the
  largest float (+-); not of ``grad_output``, where autograd's result depends on the order of
  its products (inf * 0), so the twin is no reference.

An argument that is a sequence of arrays (feature maps, one per layer) is changed array by
array: each is an argument of its own, named ``features_input[1]``.

``judge(case, call, documented)`` runs lossbook and the twin (computed in float64 on the same values, with NumPy
scalars as the Python numbers they hold) and returns what breaks the contract, or ``None``:

* the package's dtype policy is required, not only allowed: complex and bool arrays, floating
  arrays of different dtypes, Python lists and mixed libraries are refused with a TypeError
  that names the argument; integer class indices of any width are accepted; one consistent
  floating dtype is accepted, computed in that dtype, and within 8 units of its rounding of the
  float64 twin (relative to the result's largest magnitude); NumPy scalars are accepted as the
  Python value they hold; a flag must be a bool (``numpy.bool_`` included);
* otherwise the twin decides: where it refuses, lossbook must refuse (ValueError or TypeError
  naming the argument); where it returns, lossbook returns the same result (NaN where it is
  NaN, the same infinities, float64 tolerances elsewhere) or refuses naming the argument;
* where lossbook differs from a twin that returns NaN or inf (or loses accuracy), the choice
  must be listed in the family's ``DOCUMENTED`` (``Documented``) and quoted from the docstring
  of the loss or its gradient, and the listed outcome is held;
* no NumPy RuntimeWarning leaks from a lossbook call.
"""

from __future__ import annotations

import inspect
import math
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from lossbook.testing.registry import Case, Documented, each, leaves

__all__ = ["SPECIAL_VALUES", "Call", "calls", "judge", "low_precision_tolerance"]

TORCH_DTYPES = (torch.bool, torch.int8, torch.uint8, torch.int64, torch.float16, torch.bfloat16,
                torch.float32, torch.float64, torch.complex64)
NUMPY_DTYPES = (np.bool_, np.int8, np.uint8, np.int64, np.float16, np.float32, np.float64,
                np.complex64)
LOW_PRECISION = {"torch": (torch.float16, torch.bfloat16, torch.float32),
                 "numpy": (np.float16, np.float32)}
_MAX = float(np.finfo(np.float64).max)
SPECIAL_VALUES = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf,
                  "subnormal": 5e-324, "max": _MAX, "-max": -_MAX}

# float64 results are compared as compare does (torch.testing.assert_close's float64 defaults).
_RTOL64 = _ATOL64 = 1e-7


def low_precision_tolerance(dtype: Any) -> float:
    """8 units of rounding of ``dtype``: the largest difference from the float64 twin allowed,
    relative to the largest magnitude of the result (lossbook stays within about 1.5 on the
    registry's inputs; 8 leaves room for other instruction sets)."""
    eps = torch.finfo(dtype).eps if isinstance(dtype, torch.dtype) else np.finfo(dtype).eps
    return 8 * float(eps)


@dataclass
class Call:
    """One generated call: lossbook's arguments, the twin's, and what the contract requires."""

    function: Callable[..., Any]
    label: str
    argument: str  # the argument changed ("" for the registered call itself)
    args: list[Any]
    kwargs: dict[str, Any]
    # The twin's inputs (float64 / int64 torch tensors, Python options), or None where the
    # policy requires a refusal.
    twin: tuple[list[Any], dict[str, Any]] | None
    refusal: type[Exception] = TypeError  # required exception type where twin is None
    dtype: Any = None  # the floating dtype lossbook must compute in (None: float64)
    value: str = ""  # the special value set, if any
    required: bool = False  # the policy requires acceptance (no refusal allowed)


# --- the calls ----------------------------------------------------------------------------------
def _floating(x: Any) -> bool:
    return isinstance(x, np.ndarray) and x.dtype.kind == "f"


def _has_arrays(v: Any) -> bool:
    """An array, or a sequence that holds one (per-layer weights may mix numbers and arrays)."""
    return any(isinstance(a, np.ndarray) for a in leaves(v)) and not isinstance(v, str)


def _arguments(case: Case, f: Callable[..., Any], inputs: tuple[Any, ...],
               options: Mapping[str, Any], grad_output: np.ndarray | None) -> dict[str, Any]:
    """Every argument of the registered call that holds arrays, by name: positional, options,
    grad_output."""
    positional = [n for n, p in inspect.signature(f).parameters.items()
                  if p.kind is not p.KEYWORD_ONLY]
    arguments = dict(zip(positional, inputs, strict=True))
    arguments.update({k: v for k, v in options.items() if _has_arrays(v)})
    if grad_output is not None:
        arguments["grad_output"] = grad_output
    return arguments


def _named(arguments: Mapping[str, Any]) -> dict[str, tuple[str, np.ndarray]]:
    """Every array by name (``target``, or ``features_input[1]`` in a sequence) with the
    argument that holds it."""
    named = {}
    for argument, v in arguments.items():
        if isinstance(v, list | tuple):
            named |= {f"{argument}[{i}]": (argument, a) for i, a in enumerate(v)
                      if isinstance(a, np.ndarray)}
        else:
            named[argument] = (argument, v)
    return named


def _assemble(arguments: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments with their arrays replaced by ``values`` (by ``_named``'s names)."""
    return {argument: type(v)(values.get(f"{argument}[{i}]", a) for i, a in enumerate(v))
            if isinstance(v, list | tuple) else values[argument]
            for argument, v in arguments.items()}


def _cast(x: np.ndarray, dtype: Any) -> Any:
    """``x`` in ``dtype`` (torch or NumPy), or None where its values do not fit the integer
    type: floats are rounded to integers, complex values get an imaginary part, bool is x != 0.
    """
    is_torch = isinstance(dtype, torch.dtype)
    if (torch.is_complex(torch.empty(0, dtype=dtype)) if is_torch
            else np.issubdtype(dtype, np.complexfloating)):
        values = x + 0.5j
    elif dtype in (torch.bool, np.bool_):
        values = x != 0
    elif (not dtype.is_floating_point) if is_torch else np.issubdtype(dtype, np.integer):
        info = torch.iinfo(dtype) if is_torch else np.iinfo(dtype)
        if x.size and (np.round(x).min() < info.min or np.round(x).max() > info.max):
            return None
        values = np.round(x).astype(np.int64)
    else:
        values = x
    if is_torch:
        return torch.from_numpy(np.asarray(values)).to(dtype)
    return np.asarray(values).astype(dtype)


def _canonical(x: Any, ref: np.ndarray | None = None) -> torch.Tensor:
    """The twin's view of an array: its values as float64, or as int64 where they are integers
    given for an integer argument (class indices)."""
    t = x if isinstance(x, torch.Tensor) else torch.from_numpy(np.asarray(x))
    if t.is_complex() or t.dtype == torch.bool:
        raise AssertionError("no canonical form for complex or bool arrays")
    integer = not t.is_floating_point() and (ref is None or ref.dtype.kind != "f")
    return t.to(torch.int64) if integer else t.to(torch.float64)


def _on(x: Any, backend: str) -> Any:
    if not isinstance(x, np.ndarray):
        return x
    return torch.from_numpy(x.copy()) if backend == "torch" else x.copy()


def _python(v: Any) -> Any:
    """A NumPy scalar as the Python value it holds."""
    return v.item() if isinstance(v, np.generic) else v


def calls(case: Case, f: Callable[..., Any]) -> Iterator[Call]:
    """Every generated call of ``f`` (``case.ours`` or ``case.grad``): from ``case``'s first
    registered option set, and from its first option set with array options (``weight``,
    ``pos_weight``, ``alpha``), whose arrays are changed like the inputs (``validate`` is left
    at its default)."""
    yield from _calls(case, f, case.options[0], only=None)
    with_arrays = [o for o in case.options if any(map(_has_arrays, o.values()))]
    if with_arrays:
        only = {k for k, v in with_arrays[0].items() if _has_arrays(v)}
        yield from _calls(case, f, with_arrays[0], only=only)


def _calls(case: Case, f: Callable[..., Any], registered: Mapping[str, Any],
           only: set[str] | None) -> Iterator[Call]:
    """The calls from one registered option set; with ``only``, the changes of those arrays."""
    rng = np.random.default_rng(0)
    inputs = tuple(each(np.asarray, x) for x in case.make_inputs(rng))
    options = {k: v for k, v in registered.items() if k != "validate"}
    shown = ", ".join(f"{k}={tuple(v.shape)} array" for k, v in options.items()
                      if isinstance(v, np.ndarray))
    suffix = f" [with {shown}]" if shown else ""
    is_grad = f is case.grad
    grad_output = None
    if is_grad and "grad_output" in inspect.signature(f).parameters:
        def canonical(v: Any) -> Any:
            return each(lambda a: _canonical(a) if isinstance(a, np.ndarray) else a, v)

        twin_options = {k: canonical(v) for k, v in options.items()}
        shape = tuple(_twin_value(case, [canonical(x) for x in inputs], twin_options).shape)
        grad_output = rng.normal(size=shape)
    arguments = _arguments(case, f, inputs, options, grad_output)
    positional = list(arguments)[: len(inputs)]
    named = {name: ref for name, (_, ref) in _named(arguments).items()}
    owner = {name: argument for name, (argument, _) in _named(arguments).items()}

    def build(label: str, argument: str, backend: str, ours: Mapping[str, Any],
              twin: Mapping[str, Any] | None, opts: Mapping[str, Any] | None = None,
              twin_opts: Mapping[str, Any] | None = None, **extra: Any) -> Call:
        values = _assemble(arguments, {k: _on(v, backend) for k, v in named.items()} | dict(ours))
        kwargs = {k: _on(v, backend) for k, v in options.items()} | dict(opts or {})
        kwargs.update({k: v for k, v in values.items() if k not in positional})
        args = [values[k] for k in positional]
        label += suffix
        if twin is None:
            return Call(f, label, argument, args, kwargs, None, **extra)
        tvalues = _assemble(arguments, {k: _canonical(v) for k, v in named.items()} | dict(twin))
        # the twins ignore validate (or, PyTorch's, do not take it)
        tkwargs = {k: _python(v) for k, v in (options | dict(twin_opts or opts or {})).items()
                   if k != "validate"}
        tkwargs.update({k: v for k, v in tvalues.items() if k not in positional})
        return Call(f, label, argument, args=args, kwargs=kwargs,
                    twin=([tvalues[k] for k in positional], tkwargs), **extra)

    for backend in ("numpy", "torch"):
        yield build(f"registered call on {backend}", "", backend, {}, {})

    floating = [k for k, v in named.items() if _floating(v)]
    for name, ref in named.items():
        if only is not None and owner[name] not in only:
            continue
        # one argument in another dtype
        for backend, dtypes in (("torch", TORCH_DTYPES), ("numpy", NUMPY_DTYPES)):
            for dtype in dtypes:
                if _dtype_name(dtype) == ref.dtype.name:
                    continue  # the registered call
                value = _cast(ref, dtype)
                if value is None:
                    continue
                label = f"{name} as {backend} {_dtype_name(dtype)}"
                if dtype in (torch.bool, np.bool_) or _is_complex(value):
                    yield build(label, name, backend, {name: value}, None)
                elif _is_float(value) and ref.dtype.kind == "f":
                    if len(floating) > 1:  # mixed floating dtypes
                        yield build(label, name, backend, {name: value}, None)
                    else:
                        yield build(label, name, backend, {name: value},
                                    {name: _canonical(value)}, dtype=dtype)
                elif not _is_float(value) and ref.dtype.kind == "i":
                    # class indices of any width: accepted, compared without wrapping
                    yield build(label, name, backend, {name: value}, {name: _canonical(value)},
                                required=True)
                else:  # integers for floats, floats for indices: the twin decides
                    yield build(label, name, backend, {name: value},
                                {name: _canonical(value, ref)})
        if owner[name] in positional or name == "grad_output":  # data: a list is refused
            yield build(f"{name} as a Python list", name, "torch", {name: ref.tolist()}, None)
        else:  # an array option (alpha may be a sequence, as in MONAI): the twin decides
            yield build(f"{name} as a Python list", name, "torch", {name: ref.tolist()},
                        {name: _canonical(ref)})
        if len(named) > 1:
            yield build(f"{name} as a NumPy array, the rest torch tensors", name, "torch",
                        {name: ref.copy()}, None)
        # one element special (of the data: a NaN or inf upstream gradient makes autograd's
        # result depend on the order of its products, inf * 0, so there is no twin to hold)
        if _floating(ref) and name != "grad_output":
            for value_name, value in SPECIAL_VALUES.items():
                special = ref.copy()
                special.flat[0] = value
                yield build(f"{name}.flat[0] = {value_name}", name, "numpy", {name: special},
                            {name: torch.from_numpy(special.copy())}, value=value_name)
    # every floating array in one lower precision
    for backend, dtypes in LOW_PRECISION.items():
        for dtype in dtypes:
            ours = {k: _cast(named[k], dtype) for k in floating}
            yield build(f"every floating array as {backend} {_dtype_name(dtype)}", "", backend,
                        ours, {k: _canonical(v) for k, v in ours.items()}, dtype=dtype)
    if only is not None:
        return
    # keyword options
    for name, param in inspect.signature(f).parameters.items():
        if param.kind is not param.KEYWORD_ONLY or name == "grad_output" or name in arguments:
            continue
        value = options.get(name, param.default)
        for label, given, twin_given, required in _option_values(value, param.default):
            opts = {name: given}
            yield build(f"{name}={label}", name, "numpy", {}, None if twin_given is _REFUSE
                        else {}, opts=opts, twin_opts={name: twin_given},
                        required=required)


_REFUSE = object()


def _option_values(value: Any, default: Any) -> list[tuple[str, Any, Any, bool]]:
    """(label, value given, value the twin gets or _REFUSE, acceptance required)."""
    out: list[tuple[str, Any, Any, bool]] = []
    if isinstance(default, bool):  # a flag must be a bool; numpy.bool_ is one
        out.append((f"numpy.bool_({value})", np.bool_(value), bool(value), True))
        out += [(repr(v), v, _REFUSE, False) for v in (int(value), "yes", None)]
        return out
    if isinstance(value, bool):
        return out
    if isinstance(value, int):
        out.append((f"numpy.int64({value})", np.int64(value), value, True))
        out += [("True", True, True, False), ("1.5", 1.5, 1.5, False)]
    elif isinstance(value, float):
        out.append((f"numpy.float64({value})", np.float64(value), value, True))
        out += [("True", True, True, False), ("nan", math.nan, math.nan, False),
                ("inf", math.inf, math.inf, False)]
    out += [("'x'", "x", "x", False), ("None", None, None, False)]
    return [o for o in out if not (o[1] is None and value is None)]


def _dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.") if isinstance(dtype, torch.dtype) \
        else np.dtype(dtype).name


def _is_complex(x: Any) -> bool:
    return x.is_complex() if isinstance(x, torch.Tensor) else np.iscomplexobj(x)


def _is_float(x: Any) -> bool:
    return x.is_floating_point() if isinstance(x, torch.Tensor) else x.dtype.kind == "f"


# --- running and judging ------------------------------------------------------------------------
def _twin_value(case: Case, args: list[Any], kwargs: dict[str, Any]) -> torch.Tensor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return case.theirs(*args, **kwargs)


def _twin_grad(case: Case, args: list[Any], kwargs: dict[str, Any]) -> torch.Tensor:
    kwargs = dict(kwargs)
    grad_output = kwargs.pop("grad_output", None)
    args = list(args)
    args[case.wrt] = each(lambda t: t.clone().requires_grad_(True), args[case.wrt])
    out = _twin_value(case, args, kwargs)
    g = torch.ones_like(out) if grad_output is None else grad_output
    grads = torch.autograd.grad(out, leaves(args[case.wrt]), grad_outputs=g, allow_unused=False)
    return list(grads) if isinstance(args[case.wrt], list | tuple) else grads[0]


def judge(case: Case, call: Call, documented: Mapping[tuple[str, str, str], Documented]) -> str | None:
    """What ``call`` does against the contract, or None if it keeps it (see the module doc)."""
    name = call.function.__name__
    where = f"{name}: {call.label}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            got = call.function(*call.args, **call.kwargs)
    except RuntimeWarning as warning:
        return f"{where}: leaks a RuntimeWarning: {warning}"
    except (ValueError, TypeError) as error:
        if not call.argument:
            return f"{where}: refused: {type(error).__name__}: {error}"
        if call.required:
            return f"{where}: must be accepted; refused: {type(error).__name__}: {error}"
        if call.twin is None and not isinstance(error, call.refusal):
            return f"{where}: must raise {call.refusal.__name__}; raised {type(error).__name__}: {error}"
        if not re.search(rf"(?<!\w){re.escape(call.argument)}(?!\w)", str(error)):
            return f"{where}: the refusal does not name {call.argument}: {type(error).__name__}: {error}"
        return None
    except Exception as error:  # the contract allows only ValueError and TypeError
        return f"{where}: raised {type(error).__name__} (not ValueError/TypeError): {error}"
    if call.twin is None:
        return f"{where}: accepted; must be refused with a {call.refusal.__name__} naming {call.argument}"
    args, kwargs = call.twin
    try:
        expected = (_twin_grad if call.function is case.grad else _twin_value)(case, args, kwargs)
    except Exception as error:  # the twin refuses: so must lossbook
        return f"{where}: accepted where the twin refuses ({type(error).__name__}: {error})"
    return _compare(case, call, got, each(lambda t: t.detach(), expected), documented)


def _compare(case: Case, call: Call, got: Any, expected: Any,
             documented: Mapping[tuple[str, str, str], Documented]) -> str | None:
    """Type, dtype and shape of each returned array (one per layer for a sequence), then the
    values, all arrays end to end."""
    name = call.function.__name__
    where = f"{name}: {call.label}"
    if isinstance(expected, list) and (not isinstance(got, list | tuple)
                                       or len(got) != len(expected)):
        return f"{where}: returned {type(got).__name__}, expected {len(expected)} arrays"
    want_type = torch.Tensor if isinstance(leaves(call.args[0])[0], torch.Tensor) else np.ndarray
    if call.function is case.grad:
        like = leaves(call.args[case.wrt])
    else:
        like = [a for arg in call.args for a in leaves(arg) if _is_float(a)][:1]
    got_arrays, flat = [], []
    for i, (g, e) in enumerate(zip(leaves(got), leaves(expected), strict=True)):
        if not isinstance(g, want_type) and not (want_type is np.ndarray
                                                 and isinstance(g, np.generic)):
            return f"{where}: returned {type(g).__name__}, expected {want_type.__name__}"
        ref = like[min(i, len(like) - 1)] if like else None
        want_dtype = ref.dtype if ref is not None and _is_float(ref) else \
            (torch.float64 if want_type is torch.Tensor else np.float64)
        if g.dtype != want_dtype:
            return f"{where}: returned dtype {g.dtype}, expected {want_dtype}"
        t = (g if isinstance(g, torch.Tensor) else torch.from_numpy(np.asarray(g))).detach()
        if t.shape != e.shape:
            return f"{where}: shape {tuple(t.shape)}, twin {tuple(e.shape)}"
        got_arrays.append(t.to(torch.float64))
        flat.append(e)
    a, expected = (got_arrays[0], flat[0]) if len(flat) == 1 else (
        torch.cat([t.reshape(-1) for t in got_arrays]), torch.cat([t.reshape(-1) for t in flat]))
    mismatch = _mismatch(a, expected, call.dtype)
    if mismatch is None:
        return None
    choice = documented.get((name, call.argument, call.value)) if call.value else None
    if choice is None:
        twin_nonfinite = not bool(torch.isfinite(expected).all())
        return (f"{where}: {mismatch}" + (" (the twin is not finite here: lossbook's choice must be"
                                          " documented and listed in DOCUMENTED)"
                                          if twin_nonfinite else ""))
    # a loss and its gradient document themselves together: either docstring may state it
    docs = " ".join(" ".join((inspect.getdoc(g) or "").split()) for g in (case.ours, case.grad)
                    if g is not None)
    if " ".join(choice.phrase.split()) not in docs:
        return (f"{where}: the documented choice ({choice.phrase!r}) is not in the docstring of "
                f"{case.name} or its gradient")
    outcome = ("nan" if bool(torch.isnan(a).any()) else "inf" if bool(torch.isinf(a).any())
               else "finite")
    if outcome != choice.outcome and not (choice.outcome == "no-nan" and outcome != "nan"):
        return f"{where}: documented as {choice.outcome}, lossbook gives {outcome} ({mismatch})"
    return None


def _mismatch(a: torch.Tensor, b: torch.Tensor, dtype: Any) -> str | None:
    """None if ``a`` equals ``b`` (same NaNs and infinities; float64 tolerances, or
    ``low_precision_tolerance(dtype)`` relative to the largest magnitude), else how it differs."""
    nan_a, nan_b = torch.isnan(a), torch.isnan(b)
    inf_a, inf_b = torch.isinf(a), torch.isinf(b)
    if not torch.equal(nan_a, nan_b) or not torch.equal(inf_a, inf_b) or \
            not torch.equal(a[inf_a], b[inf_b]):
        return f"non-finite values differ: lossbook {_show(a)}, twin {_show(b)}"
    finite = torch.isfinite(b)
    fa, fb = a[finite], b[finite]
    if fb.numel() == 0:
        return None
    if dtype in (None, torch.float64, np.float64):
        if bool(((fa - fb).abs() <= _ATOL64 + _RTOL64 * fb.abs()).all()):
            return None
        return f"values differ: lossbook {_show(a)}, twin {_show(b)}"
    scale = float(fb.abs().max())
    error = float((fa - fb).abs().max())
    if error <= low_precision_tolerance(dtype) * max(scale, 1e-30):
        return None
    return f"differs by {error / max(scale, 1e-30):.1e} of its largest value (tolerance " \
           f"{low_precision_tolerance(dtype):.1e}): lossbook {_show(a)}, twin {_show(b)}"


def _show(t: torch.Tensor) -> str:
    flat = t.reshape(-1)
    text = ", ".join(f"{float(v):.6g}" for v in flat[:4])
    return f"[{text}{', ...' if flat.numel() > 4 else ''}]" if t.ndim else text
