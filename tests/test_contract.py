"""The input contract over every registered loss and gradient (``lossbook.testing.contract``).

For each case of the registry and each of its functions (the loss and its ``_grad``), calls are
generated from the registered call by changing one thing: an array's dtype (bool, int8, uint8,
int64, float16, bfloat16, float32, float64, complex64), its library or type, an option (NumPy
scalars, bools, strings, None, NaN, inf), or one element (NaN, +-inf, a subnormal, the largest
floats). Each call must return the twin's result (float64, on the same values) or raise a
ValueError / TypeError that names the argument; where lossbook differs from a twin that gives
NaN or inf, its choice is documented (``DOCUMENTED`` of the family module, quoted from the
docstring) and held. The generation is exhaustive and deterministic (no random search).
"""

from __future__ import annotations

import pytest

from lossbook.testing import CASES
from lossbook.testing.cases import DOCUMENTED
from lossbook.testing.contract import calls, judge

ITEMS = [pytest.param(case, f, id=f"{f.__name__}[{i}]")
         for i, case in enumerate(CASES) for f in (case.ours, case.grad) if f is not None]


@pytest.mark.parametrize(("case", "f"), ITEMS)
def test_contract(case, f):
    generated = list(calls(case, f))
    broken = [v for v in (judge(case, call, DOCUMENTED) for call in generated) if v]
    assert not broken, f"{len(broken)} of {len(generated)} calls break the contract:\n" + \
        "\n".join(broken)


def test_documented_choices_name_registered_functions_and_special_values():
    from lossbook.testing.contract import SPECIAL_VALUES

    names = {f.__name__ for case in CASES for f in (case.ours, case.grad) if f}
    for (function, _, value), choice in DOCUMENTED.items():
        assert function in names and value in SPECIAL_VALUES, choice
        assert choice.outcome in ("finite", "nan", "inf", "no-nan"), choice


@pytest.mark.filterwarnings("ignore:Casting complex values")  # the wrong function casts them too
@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")
def test_each_array_of_a_sequence_argument_is_an_argument_of_its_own():
    """feature_loss takes one array per layer: the contract changes them one at a time, names
    them features_input[1], and catches a function that casts one layer's dtype silently."""
    import dataclasses

    from lossbook.perceptual import feature_loss
    from lossbook.testing.cases.perceptual import CASES as PERCEPTUAL

    def casting(features_input, features_target, *, weights=None, p=2, normalize=False,
                eps=1e-10, reduction="mean", validate=True):
        first = features_input[0]
        layers = [f.to(first.dtype) if hasattr(f, "to") else
                  f.astype(first.dtype) if hasattr(f, "astype") else f for f in features_input]
        return feature_loss(layers, features_target, weights=weights, p=p, normalize=normalize,
                            eps=eps, reduction=reduction, validate=validate)

    casting.__name__ = "feature_loss"
    case = dataclasses.replace(PERCEPTUAL[0], ours=casting, grad=None)
    generated = list(calls(case, casting))
    assert {"features_input[1]", "features_target[2]"} <= {c.argument for c in generated}
    broken = [v for v in (judge(case, c, DOCUMENTED) for c in generated) if v]
    assert any("features_input[1] as numpy float32: accepted; must be refused" in v
               for v in broken), broken
    assert not any("features_target" in v for v in broken), broken


@pytest.mark.parametrize(("case", "f"), ITEMS)
def test_a_refused_tensor_that_requires_grad_gives_its_error_and_no_warning(case, f):
    """A message that quotes a value of a tensor in a training graph reads it detached: torch
    warns when float() is taken of a tensor that requires grad, so a refused input would come
    with a UserWarning from inside lossbook before its ValueError."""
    import warnings

    import torch

    inputs, options = case.tensors(case.options[-1], seed=0)
    arguments = {**dict(enumerate(inputs)), **options}
    # (argument, index within a list argument or None): every floating tensor argument
    places = [(k, j) for k, x in arguments.items()
              for j, t in ([(None, x)] if not isinstance(x, list) else enumerate(x))
              if isinstance(t, torch.Tensor) and t.is_floating_point() and t.numel()]
    outcomes = set()
    always = torch.is_warn_always_enabled()
    torch.set_warn_always(True)  # torch gives that warning once per process otherwise
    try:
        for k, j in places:
            for value in (float("nan"), 10.0, -10.0):
                changed = {key: list(x) if isinstance(x, list) else x
                           for key, x in arguments.items()}
                x = (arguments[k] if j is None else arguments[k][j]).clone()
                x.view(-1)[0] = value
                x.requires_grad_(True)
                if j is None:
                    changed[k] = x
                else:
                    changed[k][j] = x
                args = [changed[i] for i in range(len(inputs))]
                kwargs = {key: changed[key] for key in options}
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        f(*args, **kwargs)
                        outcomes.add("result")
                    except (ValueError, TypeError):
                        outcomes.add("refused")
                assert not caught, f"{f.__name__}, argument {k} = {value}: {caught[0].message}"
    finally:
        torch.set_warn_always(always)
    assert outcomes, f"{f.__name__}: no floating tensor argument to change"
