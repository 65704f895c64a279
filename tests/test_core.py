"""The core every loss stands on: array namespace, reduction, validation, stable primitives."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lossbook import _math
from lossbook._array import float_input, namespace
from lossbook._reduction import check_reduction, reduce, reduce_grad
from lossbook._validation import (
    check_class_indices,
    check_distribution,
    check_in_set,
    check_non_empty,
    check_non_negative,
    check_probabilities,
    check_same_shape,
)

finite = st.floats(-50, 50, allow_nan=False)


# --- _array -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_and_boolean_input_refused_numpy(dtype):
    with pytest.raises(TypeError, match=r"logits must have a real floating dtype .* got (int|bool)"):
        float_input(np.zeros(3, dtype=dtype), "logits")


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool])
def test_integer_and_boolean_input_refused_torch(dtype):
    with pytest.raises(TypeError, match=r"input must have a real floating dtype .* got (int64|bool)"):
        float_input(torch.zeros(3, dtype=dtype), "input")


def test_lists_and_mixed_libraries_refused():
    with pytest.raises(TypeError, match="expected a NumPy array or a torch tensor, got list"):
        namespace([1.0, 2.0])
    with pytest.raises(TypeError, match="one library"):
        namespace(np.zeros(2), torch.zeros(2))


def test_namespace_follows_the_input():
    assert namespace(np.zeros(2)).__name__ == "array_api_compat.numpy"
    assert namespace(torch.zeros(2), None).__name__ == "array_api_compat.torch"


# --- _reduction ---------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["avg", "Mean", "batchmean", None, 1])
def test_unknown_reduction_lists_the_choices(bad):
    with pytest.raises(ValueError, match=r"reduction must be one of 'none', 'mean', 'sum'; got"):
        check_reduction(bad)


def test_reduction_choices_can_be_extended():
    assert check_reduction("batchmean", ("none", "mean", "sum", "batchmean")) == "batchmean"


@pytest.mark.parametrize("make", [np.asarray, lambda a: torch.tensor(a, dtype=torch.float32)])
def test_reduce_values_and_types(make):
    v = make([[1.0, 2.0], [3.0, 6.0]])
    assert reduce(v, "none") is v
    assert float(reduce(v, "sum")) == 12.0
    assert float(reduce(v, "mean", xp=namespace(v))) == 3.0
    assert float(reduce(v, "batchmean")) == 6.0
    assert float(reduce(v, "mean", denominator=make(4.0))) == 3.0
    assert type(reduce(v, "mean")).__module__.split(".")[0] == type(v).__module__.split(".")[0]
    if isinstance(v, torch.Tensor):
        assert reduce(v, "mean").dtype == torch.float32


@given(arrays(np.float64, st.integers(1, 30), elements=finite))
def test_sum_is_mean_times_n_and_grad_scale(values):
    n = values.size
    assert float(reduce(values, "sum")) == pytest.approx(float(reduce(values, "mean")) * n,
                                                         rel=1e-12, abs=1e-12)
    assert reduce_grad(values.shape, "mean", None, like=values) == 1 / n
    assert reduce_grad(values.shape, "sum", None, like=values) == 1.0
    assert reduce_grad(values.shape, "none", None, like=values) == 1.0


@pytest.mark.parametrize("reduction", ["none", "mean", "sum", "batchmean"])
def test_reduce_grad_is_the_vector_jacobian_product_of_reduce(reduction):
    rng = np.random.default_rng(0)
    v = torch.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    weight_total = torch.tensor(2.5, dtype=torch.float64)
    for denominator in (None, weight_total):
        if denominator is not None and reduction == "batchmean":
            continue
        out = reduce(v, reduction, denominator=denominator)
        g_out = torch.tensor(rng.normal(size=tuple(out.shape)))
        (auto,) = torch.autograd.grad(out, v, g_out)
        ours = reduce_grad(v.shape, reduction, g_out, like=v, denominator=denominator)
        torch.testing.assert_close(ours * torch.ones_like(v), auto)


def test_reduce_grad_of_a_zero_denominator_is_finite():
    v = np.zeros(3)
    g = reduce_grad(v.shape, "mean", None, like=v, denominator=np.array(0.0))
    assert float(g) == 1.0  # every element's own derivative is 0 then: the gradient is 0


def test_grad_output_is_checked_like_any_floating_array():
    v = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(2, 3\)"):
        reduce_grad(v.shape, "none", np.ones(3), like=v)
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(\)"):
        reduce_grad(v.shape, "mean", np.ones(1), like=v)
    with pytest.raises(TypeError, match=r"grad_output must have the dtype of anchor \(float64\)"):
        reduce_grad(v.shape, "sum", np.ones((), np.float32), like=v, like_name="anchor")
    with pytest.raises(TypeError, match="grad_output must have a real floating dtype"):
        reduce_grad(v.shape, "sum", np.ones((), np.int64), like=v)


def test_reduce_keeps_autograd():
    t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    reduce(t**2, "mean").backward()
    torch.testing.assert_close(t.grad, 2 * t.detach() / 3)


# --- _validation --------------------------------------------------------------------------------
def test_no_broadcasting_names_both_shapes():
    with pytest.raises(ValueError, match=r"input \(4, 1\) and target \(4,\)"):
        check_same_shape(torch.zeros(4, 1), torch.zeros(4))
    check_same_shape(np.zeros((2, 3)), np.zeros((2, 3)))


def test_empty_refused():
    with pytest.raises(ValueError, match=r"anchor must not be empty; got shape \(0,\)"):
        check_non_empty(np.zeros(0), "anchor")
    check_non_empty(np.zeros(()), "input")  # a 0-d array has one element


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf")])
def test_negative_or_non_finite_parameter_refused(value):
    with pytest.raises(ValueError, match=r"margin must be a finite number >= 0; got"):
        check_non_negative(value, "margin")


def test_non_number_parameter_refused():
    with pytest.raises(TypeError, match="gamma must be a real number; got str"):
        check_non_negative("2", "gamma")
    with pytest.raises(TypeError, match="gamma must be a real number; got bool"):
        check_non_negative(True, "gamma")
    check_non_negative(0, "gamma")


@pytest.mark.parametrize("bad", [[0.5, -0.1], [1.0 + 1e-12, 0.0], [float("nan"), 0.5]])
def test_probabilities_outside_unit_interval(bad):
    with pytest.raises(ValueError, match=r"input must hold probabilities within \[0, 1\]"):
        check_probabilities(np.array(bad))
    with pytest.raises(ValueError, match=r"input must hold probabilities within \[0, 1\]"):
        check_probabilities(torch.tensor(bad, dtype=torch.float64))


def test_nan_is_named():
    with pytest.raises(ValueError, match="and NaN"):
        check_probabilities(np.array([0.5, np.nan]))


def test_distribution_sums():
    check_distribution(np.full((3, 7), 1 / 7), axis=1, name="p")
    check_distribution(torch.full((7,), 1 / 7, dtype=torch.float32), axis=-1)
    with pytest.raises(ValueError, match=r"q must sum to 1 along axis 1; got sums from 0.9"):
        check_distribution(np.array([[0.5, 0.4], [0.5, 0.5]]), axis=1, name="q")


def test_class_indices():
    check_class_indices(np.array([0, 2, -100]), 3, ignore_index=-100)
    with pytest.raises(ValueError, match=r"within \[0, 3\) or ignore_index=-100; got 3"):
        check_class_indices(torch.tensor([0, 3]), 3, ignore_index=-100)
    with pytest.raises(ValueError, match=r"within \[0, 3\); got -1"):
        check_class_indices(np.array([-1, 0]), 3)
    with pytest.raises(TypeError, match="target must hold integer class indices; got dtype float32"):
        check_class_indices(torch.tensor([0.0, 1.0]), 3)
    check_class_indices(np.array(2), 3)  # a 0-d target (unbatched input)


def test_in_set():
    check_in_set(torch.tensor([1.0, -1.0]), (-1, 1))
    with pytest.raises(ValueError, match=r"target must hold only the values \{-1, 1\}; got 0.5"):
        check_in_set(np.array([1.0, 0.5]), (-1, 1))


# --- _math: stable primitives against mpmath ----------------------------------------------------
mpmath.mp.dps = 50


def _mp_logsumexp(row):
    return float(mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in row)))


@pytest.mark.parametrize("row", [[1e4, 0.0, -1e4], [-1e4, -1e4 + 1e-9], [40.0, 0.0], [0.0] * 5,
                                 [-745.0, -745.0], [709.0, 709.0]])
def test_logsumexp_accurate_at_extremes(row):
    got = float(_math.logsumexp(np.array(row)))
    assert got == pytest.approx(_mp_logsumexp(row), rel=1e-15)


def test_tiny_log_softmax_keeps_its_relative_accuracy():
    # -log_softmax([40, 0])[0] = log1p(exp(-40)) = 4.248354255291589e-18; log(1 + T) gives 0.
    exact = float(mpmath.log1p(mpmath.exp(-40)))
    assert -float(_math.log_softmax(np.array([40.0, 0.0]))[0]) == pytest.approx(exact, rel=1e-15)
    assert float(_math.logsumexp(np.array([0.0, -40.0]))) == pytest.approx(exact, rel=1e-15)


def test_logsumexp_gradient_is_softmax_also_at_a_tied_maximum():
    x = torch.tensor([2.0, 2.0, -1.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(_math.logsumexp(x), x)
    torch.testing.assert_close(g, torch.softmax(x.detach(), 0))


def test_logsumexp_of_all_minus_inf_is_minus_inf():
    with np.errstate(divide="ignore"):
        assert float(_math.logsumexp(np.array([-np.inf, -np.inf]))) == -np.inf


@given(arrays(np.float64, st.integers(1, 8), elements=finite), st.floats(-1e3, 1e3))
def test_softmax_sums_to_one_and_is_shift_invariant(x, c):
    s = _math.softmax(x)
    assert float(np.sum(s)) == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(_math.softmax(x + c), s, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("x", [-1e4, -745.0, -40.0, -1.0, 0.0, 1e-10, 1.0, 40.0, 700.0, 1e4])
def test_log_sigmoid_and_softplus_against_mpmath(x):
    exact_softplus = float(mpmath.log1p(mpmath.exp(mpmath.mpf(x))))
    assert float(_math.softplus(np.array(x))) == pytest.approx(exact_softplus, rel=1e-15)
    exact_ls = float(-mpmath.log1p(mpmath.exp(-mpmath.mpf(x))))
    assert float(_math.log_sigmoid(np.array(x))) == pytest.approx(exact_ls, rel=1e-15, abs=0)


def test_xlogy_zero_times_log_zero_and_its_gradient():
    x = torch.tensor([0.0, 0.5], dtype=torch.float64)
    y = torch.tensor([0.0, 0.25], dtype=torch.float64, requires_grad=True)
    out = _math.xlogy(x, y)
    assert out[0].item() == 0.0
    out.sum().backward()
    assert torch.isfinite(y.grad).all()
    assert y.grad[0].item() == 0.0 and y.grad[1].item() == pytest.approx(2.0)


def test_primitives_keep_dtype_and_type():
    x32 = torch.tensor([1.0, 2.0], dtype=torch.float32)
    for f in (_math.softmax, _math.log_softmax, _math.softplus, _math.log_sigmoid):
        assert f(x32).dtype == torch.float32
        assert isinstance(f(np.array([1.0, 2.0])), np.ndarray)


# --- every gradient beside its function ---------------------------------------------------------
def _grad_pairs():
    import lossbook

    for name in lossbook.__all__:
        if name.endswith("_grad") and name.removesuffix("_grad") in lossbook.__all__:
            yield getattr(lossbook, name.removesuffix("_grad")), getattr(lossbook, name)


@pytest.mark.parametrize(("f", "f_grad"), list(_grad_pairs()), ids=lambda f: f.__name__)
def test_grad_takes_the_arguments_of_its_function_plus_grad_output(f, f_grad):
    import inspect

    params = dict(inspect.signature(f_grad).parameters)
    grad_output = params.pop("grad_output")
    assert grad_output.kind is inspect.Parameter.KEYWORD_ONLY and grad_output.default is None
    assert list(params.values()) == list(inspect.signature(f).parameters.values())
