"""Every registered function against its twin, its gradient, gradcheck and the generic rules.

The registry is ``lossbook.testing.CASES`` (one module per family in
``lossbook.testing.cases``). Each case's hand gradient is held against autograd through the
twin (``compare``) and, wrapped in a ``torch.autograd.Function`` whose backward is the hand
gradient, against finite differences (``gradcheck``) of the loss, or of ``Case.frozen`` where
the gradient holds a term constant (``Tag.FROZEN_TERM``); each tag's rule runs on every case
that carries it, and on every case that does not, where it must fail (else the tag is missing).
A sequence input (a list of feature maps, one per layer) is walked array by array.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from lossbook.testing import CASES, FAMILIES, Case, Tag, compare
from lossbook.testing.registry import each, leaves


def _ids(case: Case) -> str:
    return case.name


def _option_params():
    for case in CASES:
        for i, options in enumerate(case.options):
            label = ",".join(f"{k}={v!r}"[:30] for k, v in options.items()) or "defaults"
            yield pytest.param(case, options, id=f"{case.name}[{i}:{label}]")


def _public_functions():
    for module_name in FAMILIES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            if callable(getattr(module, name)):
                yield module_name, name, getattr(module, name)


# --- the registry is complete and its entries are bound to their gradients ----------------------
def test_every_public_function_and_gradient_is_registered():
    registered = {case.ours for case in CASES} | {case.grad for case in CASES if case.grad}
    missing = [f"{m}.{name}" for m, name, f in _public_functions() if f not in registered]
    assert not missing, f"functions without an entry in lossbook.testing.cases: {missing}"


def test_every_loss_has_a_registered_hand_derived_gradient_beside_it():
    for case in CASES:
        module = importlib.import_module(case.ours.__module__)
        assert case.grad is getattr(module, f"{case.name}_grad", None), case.name


# Building blocks of two arguments without a hand gradient (they are not losses).
NO_GRADIENT = {"lossbook.primitives.xlogy", "lossbook.primitives.xlog1py"}


def _loss_grad_pairs():
    for module_name, name, f in _public_functions():
        if not name.endswith("_grad") and f"{module_name}.{name}" not in NO_GRADIENT:
            module = importlib.import_module(module_name)
            yield pytest.param(f, getattr(module, f"{name}_grad", None), id=name)


@pytest.mark.parametrize(("f", "f_grad"), list(_loss_grad_pairs()))
def test_gradient_takes_the_losses_arguments_plus_grad_output(f, f_grad):
    assert f_grad is not None, f"{f.__name__} has no {f.__name__}_grad beside it"
    ours = inspect.signature(f).parameters
    theirs = dict(inspect.signature(f_grad).parameters)
    grad_output = theirs.pop("grad_output", None)
    assert grad_output is not None, f"{f_grad.__name__} takes no grad_output"
    assert grad_output.kind is inspect.Parameter.KEYWORD_ONLY and grad_output.default is None
    positional = [(p.name, p.kind) for p in ours.values() if p.kind is not p.KEYWORD_ONLY]
    assert positional == [(p.name, p.kind) for p in theirs.values()
                          if p.kind is not p.KEYWORD_ONLY]
    assert {n: p.default for n, p in ours.items()} == {n: p.default for n, p in theirs.items()}


def test_tags_are_validated_at_registration():
    from lossbook import regression
    from lossbook.testing.cases.regression import _inputs

    with pytest.raises(TypeError, match="tags must be Tag members"):
        Case(regression.mse_loss, torch.nn.functional.mse_loss, _inputs,
             tags={Tag.REDUCTION, "float_inpt"})
    with pytest.raises(ValueError, match=r"Tag\.REDUCTION must be given exactly when"):
        Case(regression.mse_loss, torch.nn.functional.mse_loss, _inputs, tags={Tag.FLOAT_INPUT})
    with pytest.raises(TypeError, match="grad must be mse_loss_grad"):
        Case(regression.mse_loss, torch.nn.functional.mse_loss, _inputs,
             grad=regression.l1_loss_grad, tags={Tag.REDUCTION})
    with pytest.raises(ValueError, match=r"Tag\.FROZEN_TERM must be given exactly when frozen="):
        Case(regression.mse_loss, torch.nn.functional.mse_loss, _inputs,
             grad=regression.mse_loss_grad, tags={Tag.REDUCTION, Tag.FROZEN_TERM})
    with pytest.raises(ValueError, match=r"Tag\.FROZEN_TERM must be given exactly when frozen="):
        Case(regression.mse_loss, torch.nn.functional.mse_loss, _inputs,
             grad=regression.mse_loss_grad, tags={Tag.REDUCTION}, frozen=regression.mse_loss)


# --- values and gradients against the twin, and against finite differences ---------------------
@pytest.mark.parametrize(("case", "options"), list(_option_params()))
def test_against_twin_values_and_gradients(case: Case, options):
    inputs = case.make_inputs(np.random.default_rng(0))
    compare(case.ours, case.theirs, *inputs, grad=case.grad, wrt=case.wrt,
            rtol=case.rtol, atol=case.atol, verbose=False, **options)


def _pack(template: Any, xs: tuple[torch.Tensor, ...]) -> Any:
    """The arrays ``xs`` in ``template``'s structure: one array, or a list of them."""
    return list(xs) if isinstance(template, list | tuple) else xs[0]


def _functions(case: Case, inputs: list[Any], options: dict[str, Any]):
    """``(args, value)``: the arguments with the arrays ``xs`` at ``case.wrt``, and the function
    of ``xs`` whose finite differences the gradient must match: the loss, or ``case.frozen``
    with its held term at the point checked (``inputs[case.wrt]``)."""
    point = each(lambda t: t.detach().clone(), inputs[case.wrt])

    def args(xs):
        return [_pack(point, xs) if i == case.wrt else a for i, a in enumerate(inputs)]

    def value(*xs):
        if case.frozen is None:
            return case.ours(*args(xs), **options)
        return case.frozen(point, *args(xs), **options)

    return args, value


def _bind(case: Case, inputs: list[Any], options: dict[str, Any]) -> Callable:
    """``value`` of ``_functions`` as an autograd.Function whose backward is the hand gradient."""
    args, value = _functions(case, inputs, options)

    class HandGradient(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *xs):
            ctx.save_for_backward(*xs)
            return value(*xs)

        @staticmethod
        def backward(ctx, grad_output):
            return tuple(leaves(case.grad(*args(ctx.saved_tensors), grad_output=grad_output,
                                          **options)))

    return HandGradient.apply


def _variables(case: Case, inputs: list[Any]) -> tuple[torch.Tensor, ...]:
    return tuple(t.clone().requires_grad_(True) for t in leaves(inputs[case.wrt]))


@pytest.mark.parametrize(("case", "options"),
                         [p for p in _option_params() if p.values[0].grad is not None])
def test_gradcheck_of_the_hand_gradient(case: Case, options):
    """Finite differences against the hand gradient itself, as a vector-Jacobian product."""
    inputs, opts = case.tensors(options, seed=1)
    assert torch.autograd.gradcheck(_bind(case, inputs, opts), _variables(case, inputs),
                                    eps=1e-6, atol=1e-6)


@pytest.mark.parametrize(("case", "options"),
                         [p for p in _option_params() if p.values[0].grad is not None])
def test_gradcheck_of_autograd_through_the_loss(case: Case, options):
    inputs, opts = case.tensors(options, seed=1)
    args, value = _functions(case, inputs, opts)

    def f(*xs):
        if case.frozen is None:
            return value(*xs)
        # the values of case.frozen, the gradient autograd takes through the loss
        loss = case.ours(*args(xs), **opts)
        return value(*xs).detach() + (loss - loss.detach())

    assert torch.autograd.gradcheck(f, _variables(case, inputs), eps=1e-6, atol=1e-6)


# --- the generic rules, selected by the tags -----------------------------------------------------
def _outcome(expected: type[Exception], pattern: str, f: Callable, *args: Any) -> str | None:
    """None if ``f(*args)`` raises ``expected`` with a message matching ``pattern``, else what
    happened instead."""
    try:
        f(*args)
    except expected as error:
        if re.search(pattern, str(error)):
            return None
        return f"raised {type(error).__name__}: {error}"
    except Exception as error:  # any other failure is an outcome to report, not a crash
        return f"raised {type(error).__name__}: {error}"
    return "returned without an error"


def _reduction_rule(case: Case) -> str | None:
    inputs = case.make_inputs(np.random.default_rng(0))
    return _outcome(ValueError, "reduction must be one of 'none', 'mean', 'sum'",
                    lambda *xs: case.ours(*xs, reduction="average"), *inputs)


def _float_input_rule(case: Case) -> str | None:
    inputs = list(case.make_inputs(np.random.default_rng(0)))
    inputs[0] = each(lambda a: np.asarray(a).round().astype(np.int64), inputs[0])
    first = next(iter(inspect.signature(case.ours).parameters))
    # a sequence input names its array: features_input[0]
    return _outcome(TypeError, rf"{first}(\[\d+\])? must have a real floating dtype", case.ours,
                    *inputs)


def _non_empty_rule(case: Case) -> str | None:
    inputs = [each(np.asarray, x) for x in case.make_inputs(np.random.default_rng(0))]
    return _outcome(ValueError, "must not be empty", case.ours,
                    *(each(lambda a: a[:0] if a.ndim else a, x) for x in inputs))


def _same_shape_rule(case: Case) -> str | None:
    """(N, 1) against (N,), and the first item (1, K) of the first input against the second
    (boxes and embeddings hold items of K numbers along their last axis): neither may be
    accepted, and one must be refused for its shapes (the other may be refused for its axes)."""
    inputs = [each(np.asarray, x) for x in case.make_inputs(np.random.default_rng(0))]
    if len(inputs) < 2:
        return "takes one array"
    first, second, *rest = inputs
    mismatches = [(each(lambda a: a.reshape(-1)[:, None], first),
                   each(lambda a: a.reshape(-1), second))]
    item = each(lambda a: a.reshape(-1, a.shape[-1])[:1] if a.ndim else a, first)
    if all(a.shape != b.shape for a, b in zip(leaves(item), leaves(second), strict=True)):
        mismatches.append((item, second))
    outcomes = [_outcome(ValueError, "must have the same shape", case.ours, a, b, *rest)
                for a, b in mismatches]
    accepted = [o for o in outcomes if o == "returned without an error"]
    if accepted or None not in outcomes:
        return (accepted or outcomes)[0]
    return None


def _frozen_term_rule(case: Case) -> str | None:
    """Central differences of the loss along a random direction disagree with the hand
    gradient, and those of ``case.frozen`` agree."""
    if case.grad is None:
        return "has no hand gradient"
    inputs, options = case.tensors(case.options[0], seed=0)
    point = inputs[case.wrt]
    rng = np.random.default_rng(2)
    direction = [torch.from_numpy(rng.normal(size=tuple(t.shape))) for t in leaves(point)]
    grads = leaves(case.grad(*inputs, **options))
    slope = sum(float((g * d).sum()) for g, d in zip(grads, direction, strict=True))
    h = 1e-6

    def central(f: Callable) -> float:
        def at(step: float) -> float:
            moved = _pack(point, tuple(t + step * d for t, d in zip(leaves(point), direction,
                                                                    strict=True)))
            args = [moved if i == case.wrt else a for i, a in enumerate(inputs)]
            return float(f(*args, **options).sum())
        return (at(h) - at(-h)) / (2 * h)

    tolerance = 1e-6 * (1 + abs(slope))
    if abs(central(case.ours) - slope) <= tolerance:
        return "has the loss's own derivative as its gradient (central differences agree)"
    if case.frozen is None:
        return "has no Case.frozen"
    held = central(lambda *args, **opts: case.frozen(point, *args, **opts))
    if abs(held - slope) > tolerance:
        return f"has a gradient that is not the derivative of Case.frozen ({slope} vs {held})"
    return None


RULES: dict[Tag, Callable[[Case], str | None]] = {
    Tag.REDUCTION: _reduction_rule,
    Tag.FLOAT_INPUT: _float_input_rule,
    Tag.NON_EMPTY: _non_empty_rule,
    Tag.SAME_SHAPE: _same_shape_rule,
    Tag.FROZEN_TERM: _frozen_term_rule,
}


def test_every_tag_has_a_rule():
    assert set(RULES) == set(Tag)


@pytest.mark.parametrize(("case", "tag"), [pytest.param(c, t, id=f"{c.name}-{t.name}")
                                           for c in CASES for t in sorted(c.tags, key=str)])
def test_rule(case: Case, tag: Tag):
    failure = RULES[tag](case)
    assert failure is None, f"{case.name} breaks {tag}: {tag.value}; it {failure}"


@pytest.mark.parametrize(("case", "tag"), [pytest.param(c, t, id=f"{c.name}-{t.name}")
                                           for c in CASES for t in Tag if t not in c.tags])
def test_no_tag_is_missing(case: Case, tag: Tag):
    """A case without a tag must not obey its rule: otherwise the tag is missing."""
    assert RULES[tag](case) is not None, f"{case.name} obeys {tag} ({tag.value}): tag it"


# --- conventions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_keyword_only_options_and_docstring(case: Case):
    for f in filter(None, (case.ours, case.grad)):
        for name, param in inspect.signature(f).parameters.items():
            if param.default is not inspect.Parameter.empty:
                assert param.kind is inspect.Parameter.KEYWORD_ONLY, f"{f.__name__}: {name}"
        doc = inspect.getdoc(f) or ""
        for section in (".. math::", "Parameters", "Returns", "Examples"):
            assert section in doc, f"{f.__name__} docstring lacks {section}"


def test_every_family_function_is_importable_from_lossbook():
    import lossbook

    for module_name, name, f in _public_functions():
        assert getattr(lossbook, name) is f, f"{module_name}.{name}"
        assert name in lossbook.__all__, name
