"""Every registered function against its twin, its gradient, gradcheck and the generic rules."""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest
import torch

from lossbook import compare
from tests.cases import CASES, FAMILIES, Case


def _ids(case: Case) -> str:
    return case.name


def _option_params():
    for case in CASES:
        for i, options in enumerate(case.options):
            label = ",".join(f"{k}={v!r}"[:30] for k, v in options.items()) or "defaults"
            yield pytest.param(case, options, id=f"{case.name}[{i}:{label}]")


def test_every_public_function_is_registered():
    registered = {case.name for case in CASES}
    missing = []
    for module_name in FAMILIES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue  # a family not written yet
        for name in module.__all__:
            if not name.endswith("_grad") and callable(getattr(module, name)):
                if name not in registered:
                    missing.append(f"{module_name}.{name}")
    assert not missing, f"functions without an entry in tests/cases.py: {missing}"


def test_every_loss_has_a_hand_derived_gradient_beside_it():
    for case in CASES:
        if case.grad is not None:
            module = importlib.import_module(case.ours.__module__)
            assert case.grad is getattr(module, f"{case.name}_grad"), case.name


@pytest.mark.parametrize(("case", "options"), list(_option_params()))
def test_against_twin_values_and_gradients(case: Case, options):
    inputs = case.make_inputs(np.random.default_rng(0))
    compare(case.ours, case.theirs, *inputs, grad=case.grad,
            rtol=case.rtol, atol=case.atol, verbose=False, **options)


@pytest.mark.parametrize(("case", "options"),
                         [p for p in _option_params() if p.values[0].grad is not None
                          and "frozen_term" not in p.values[0].tags])
def test_gradcheck(case: Case, options):
    inputs = case.make_inputs(np.random.default_rng(1))
    tensors = [torch.from_numpy(np.array(x)) for x in inputs]
    tensors[0] = tensors[0].clone().requires_grad_(True)
    rest = tensors[1:]
    opts = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}

    def f(x):
        return case.ours(x, *rest, **opts)

    assert torch.autograd.gradcheck(f, (tensors[0],), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", [c for c in CASES if "float_input" in c.tags], ids=_ids)
def test_integer_input_is_refused(case: Case):
    inputs = list(case.make_inputs(np.random.default_rng(0)))
    inputs[0] = np.asarray(inputs[0]).round().astype(np.int64)
    first = next(iter(inspect.signature(case.ours).parameters))
    with pytest.raises(TypeError, match=f"{first} must have a real floating dtype"):
        case.ours(*inputs)


@pytest.mark.parametrize("case", [c for c in CASES if "reduction" in c.tags], ids=_ids)
def test_unknown_reduction_is_refused(case: Case):
    inputs = case.make_inputs(np.random.default_rng(0))
    with pytest.raises(ValueError, match="reduction must be one of 'none', 'mean', 'sum'"):
        case.ours(*inputs, reduction="average")


@pytest.mark.parametrize("case", [c for c in CASES if "elementwise" in c.tags], ids=_ids)
def test_no_silent_broadcasting(case: Case):
    inputs = list(case.make_inputs(np.random.default_rng(0)))
    column = np.asarray(inputs[0]).reshape(-1)[:, None]
    flat = np.asarray(inputs[1]).reshape(-1)
    with pytest.raises(ValueError, match="must have the same shape"):
        case.ours(column, flat, *inputs[2:])


@pytest.mark.parametrize("case", [c for c in CASES if "non_empty" in c.tags], ids=_ids)
def test_empty_input_is_refused(case: Case):
    inputs = [np.asarray(x) for x in case.make_inputs(np.random.default_rng(0))]
    empty = [x[:0] if x.ndim else x for x in inputs]
    with pytest.raises(ValueError, match="must not be empty"):
        case.ours(*empty)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_keyword_only_options_and_docstring(case: Case):
    sig = inspect.signature(case.ours)
    for name, param in sig.parameters.items():
        if param.default is not inspect.Parameter.empty:
            assert param.kind is inspect.Parameter.KEYWORD_ONLY, f"{case.name}: {name}"
    doc = inspect.getdoc(case.ours) or ""
    for section in (".. math::", "Parameters", "Returns", "Examples"):
        assert section in doc, f"{case.name} docstring lacks {section}"


@pytest.mark.filterwarnings("ignore::UserWarning")  # Dynamo's notes on array_api_compat's caches
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_compiles_without_graph_break(case: Case):
    """Fast enough to train with: the loss and its gradient trace whole under torch.compile."""
    inputs = [torch.from_numpy(np.array(x)) for x in case.make_inputs(np.random.default_rng(0))]
    options = dict(case.options[-1])
    options = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
               for k, v in options.items()}
    if "validate" in inspect.signature(case.ours).parameters:
        options["validate"] = False
    for f in (case.ours, case.grad):
        if f is None:
            continue
        torch._dynamo.reset()
        compiled = torch.compile(lambda *xs, f=f: f(*xs, **options), fullgraph=True,
                                 backend="eager")
        torch.testing.assert_close(compiled(*inputs), f(*inputs, **options), equal_nan=True)


def test_every_family_function_is_importable_from_lossbook():
    import lossbook

    for module_name in FAMILIES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            assert getattr(lossbook, name) is getattr(module, name), f"{module_name}.{name}"
            assert name in lossbook.__all__, name
