"""lossbook.regression beyond the generic registry tests: kinks, properties, accuracy, bad input."""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from lossbook.regression import (
    huber_loss,
    huber_loss_grad,
    l1_loss,
    l1_loss_grad,
    mse_loss,
    mse_loss_grad,
    smooth_l1_loss,
    smooth_l1_loss_grad,
)
from tests._vjp import assert_vjp

EPS = float(np.finfo(np.float64).eps)
TINY = float(np.finfo(np.float64).tiny)  # smallest normal float64

# (our loss, our gradient, PyTorch's loss, the options), every beta/delta the registry tests.
LOSSES = [
    pytest.param(mse_loss, mse_loss_grad, F.mse_loss, {}, id="mse"),
    pytest.param(l1_loss, l1_loss_grad, F.l1_loss, {}, id="l1"),
    *(pytest.param(smooth_l1_loss, smooth_l1_loss_grad, F.smooth_l1_loss, {"beta": b},
                   id=f"smooth_l1-beta={b}") for b in (0.0, 0.5, 1.0, 5.0, 1e3)),
    *(pytest.param(huber_loss, huber_loss_grad, F.huber_loss, {"delta": d},
                   id=f"huber-delta={d}") for d in (0.5, 1.0, 5.0, 1e3)),
]
REDUCTIONS = ("none", "mean", "sum")

residuals = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)
vectors = st.lists(residuals, min_size=1, max_size=8).map(np.array)
pairs = st.integers(1, 8).flatmap(
    lambda n: st.tuples(*(st.lists(residuals, min_size=n, max_size=n).map(np.array),) * 2)
)
widths = st.floats(1e-3, 1e3)


def _torch_grad(loss, x: np.ndarray, y: np.ndarray, **options) -> np.ndarray:
    xt = torch.from_numpy(x).requires_grad_(True)
    (g,) = torch.autograd.grad(loss(xt, torch.from_numpy(y), **options).sum(), xt)
    return g.numpy()


# --- subgradients at the kinks ----------------------------------------------------------------


@pytest.mark.parametrize(("ours", "grad", "theirs", "options"), LOSSES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradient_at_zero_residual_is_pytorchs(ours, grad, theirs, options, reduction):
    # r = 0 exactly (L1's kink, and beta = 0's): PyTorch's autograd returns 0, and so do we.
    x = np.array([0.0, 1.5, -2.0, 0.0])
    y = np.array([0.0, 1.5, -2.0, 0.0])
    expected = _torch_grad(theirs, x, y, reduction=reduction, **options)
    assert np.array_equal(expected, np.zeros(4))
    assert np.array_equal(grad(x, y, reduction=reduction, **options), expected)
    assert np.array_equal(_torch_grad(ours, x, y, reduction=reduction, **options), expected)


@pytest.mark.parametrize(
    ("ours", "grad", "theirs", "name", "width"),
    [(smooth_l1_loss, smooth_l1_loss_grad, F.smooth_l1_loss, "beta", w) for w in (0.5, 1.0, 5.0, 1e3)]
    + [(huber_loss, huber_loss_grad, F.huber_loss, "delta", w) for w in (0.5, 1.0, 5.0, 1e3)],
)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradient_at_the_switch_point_is_pytorchs(ours, grad, theirs, name, width, reduction):
    # |r| == beta/delta exactly (target 0, so the residual is exact): the gradient is
    # continuous there, +-1 for SmoothL1 and +-delta for Huber, and PyTorch agrees.
    x = np.array([width, -width, width, -width])
    y = np.zeros(4)
    options = {name: width, "reduction": reduction}
    expected = _torch_grad(theirs, x, y, **options)
    scale = 0.25 if reduction == "mean" else 1.0
    slope = 1.0 if ours is smooth_l1_loss else width
    assert np.array_equal(expected, scale * slope * np.sign(x))
    assert np.array_equal(grad(x, y, **options), expected)
    assert np.array_equal(_torch_grad(ours, x, y, **options), expected)
    # and the value matches at the switch point, where both pieces meet
    np.testing.assert_allclose(ours(x, y, **options),
                               theirs(torch.from_numpy(x), torch.from_numpy(y), **options).numpy(),
                               rtol=2 * EPS, atol=0)


def test_l1_subgradient_is_zero_not_one_at_zero():
    # the docstring's claim, spelled out: sign(0) = 0, not the +1 of a naive "r >= 0".
    x = np.zeros(3)
    assert np.array_equal(l1_loss_grad(x, x, reduction="sum"), np.zeros(3))
    assert np.array_equal(smooth_l1_loss_grad(x, x, reduction="sum", beta=0.0), np.zeros(3))


def test_autograd_stays_finite_where_the_discarded_branch_would_overflow():
    # The branch that `where` discards must not turn the gradient into 0 * inf = NaN:
    # r / beta = 1e310 overflows, and float32 3e38 - (-3e38) is an infinite residual.
    x = torch.tensor([1e10, -1e10, 0.5], dtype=torch.float64, requires_grad=True)
    y = torch.zeros(3, dtype=torch.float64)
    (g,) = torch.autograd.grad(smooth_l1_loss(x, y, reduction="sum", beta=1e-300), x)
    assert torch.equal(g, torch.tensor([1.0, -1.0, 1.0], dtype=torch.float64))
    x32 = torch.tensor([3e38, -3e38, 0.5], requires_grad=True)
    y32 = torch.tensor([-3e38, 3e38, 0.0])
    for ours, theirs, options in [(huber_loss, F.huber_loss, {"delta": 2.0}),
                                  (smooth_l1_loss, F.smooth_l1_loss, {"beta": 2.0})]:
        (g32,) = torch.autograd.grad(ours(x32, y32, reduction="sum", **options), x32)
        (expected,) = torch.autograd.grad(theirs(x32, y32, reduction="sum", **options), x32)
        assert torch.equal(g32, expected)
        assert not torch.isnan(g32).any()


# --- properties -------------------------------------------------------------------------------


@given(vectors, widths)
def test_huber_is_delta_times_smooth_l1(r, delta):
    y = np.zeros_like(r)
    np.testing.assert_allclose(huber_loss(r, y, reduction="none", delta=delta),
                               delta * smooth_l1_loss(r, y, reduction="none", beta=delta),
                               rtol=4 * EPS, atol=TINY)
    np.testing.assert_allclose(huber_loss_grad(r, y, reduction="none", delta=delta),
                               delta * smooth_l1_loss_grad(r, y, reduction="none", beta=delta),
                               rtol=4 * EPS, atol=TINY)


@given(vectors, widths)
def test_smooth_l1_is_within_beta_over_2_of_l1(r, beta):
    # 0 <= |r| - SmoothL1_beta(r) <= beta / 2, so SmoothL1 -> L1 uniformly as beta -> 0.
    y = np.zeros_like(r)
    gap = l1_loss(r, y, reduction="none") - smooth_l1_loss(r, y, reduction="none", beta=beta)
    slack = 4 * EPS * np.abs(r)  # rounding of |r| - beta/2
    assert np.all(gap >= -slack)
    assert np.all(gap <= beta / 2 + slack)


@given(vectors)
def test_smooth_l1_tends_to_l1_as_beta_tends_to_0(r):
    y = np.zeros_like(r)
    l1 = l1_loss(r, y, reduction="none")
    for beta in (1e-3, 1e-6, 1e-9, 1e-12):
        gap = np.abs(smooth_l1_loss(r, y, reduction="none", beta=beta) - l1)
        assert np.all(gap <= beta / 2 + 4 * EPS * np.abs(r))
    assert np.array_equal(smooth_l1_loss(r, y, reduction="none", beta=0.0), l1)
    assert np.array_equal(smooth_l1_loss_grad(r, y, reduction="none", beta=0.0),
                          l1_loss_grad(r, y, reduction="none"))


@pytest.mark.parametrize(("ours", "grad", "theirs", "options"), LOSSES)
@given(xy=pairs)
def test_symmetric_in_input_and_target(ours, grad, theirs, options, xy):
    x, y = xy
    for reduction in REDUCTIONS:
        # x - y == -(y - x) exactly in floating point, so the symmetry is exact
        assert np.array_equal(ours(x, y, reduction=reduction, **options),
                              ours(y, x, reduction=reduction, **options))
        assert np.array_equal(grad(x, y, reduction=reduction, **options),
                              -grad(y, x, reduction=reduction, **options))


@pytest.mark.parametrize(("ours", "grad", "theirs", "options"), LOSSES)
@given(x=vectors)
def test_zero_and_flat_at_input_equal_target(ours, grad, theirs, options, x):
    for reduction in REDUCTIONS:
        assert np.all(ours(x, x.copy(), reduction=reduction, **options) == 0)
        assert np.all(grad(x, x.copy(), reduction=reduction, **options) == 0)


@pytest.mark.parametrize(("ours", "grad", "theirs", "options"), LOSSES)
@given(xy=pairs)
def test_sum_is_mean_times_n_and_losses_are_non_negative(ours, grad, theirs, options, xy):
    x, y = xy
    n = x.size
    total = ours(x, y, reduction="sum", **options)
    np.testing.assert_allclose(total, n * ours(x, y, reduction="mean", **options),
                               rtol=8 * EPS, atol=0)
    np.testing.assert_allclose(grad(x, y, reduction="sum", **options),
                               n * grad(x, y, reduction="mean", **options), rtol=8 * EPS, atol=0)
    assert np.all(ours(x, y, reduction="none", **options) >= 0)


@given(vectors, widths)
def test_smooth_l1_gradient_is_bounded_by_1_and_huber_by_delta(r, width):
    y = np.zeros_like(r)
    assert np.all(np.abs(smooth_l1_loss_grad(r, y, reduction="none", beta=width)) <= 1)
    assert np.all(np.abs(huber_loss_grad(r, y, reduction="none", delta=width)) <= width)


def test_huber_and_smooth_l1_coincide_at_1():
    x, y = np.array([-3.0, -0.4, 0.2, 1.0, 7.5]), np.zeros(5)
    assert np.array_equal(huber_loss(x, y), smooth_l1_loss(x, y))
    assert np.array_equal(huber_loss_grad(x, y), smooth_l1_loss_grad(x, y))


# --- accuracy against mpmath ------------------------------------------------------------------


def _exact(name: str, r: mpmath.mpf, width: float) -> mpmath.mpf:
    a = abs(r)
    w = mpmath.mpf(width)
    if name == "mse":
        return r * r
    if name == "l1":
        return a
    if name == "smooth_l1":
        return r * r / (2 * w) if a < w else a - w / 2
    return r * r / 2 if a < w else w * (a - w / 2)


_FUNCTIONS = {"mse": (mse_loss, {}), "l1": (l1_loss, {}),
              "smooth_l1": (smooth_l1_loss, "beta"), "huber": (huber_loss, "delta")}


def _assert_accurate(got: float, exact: mpmath.mpf, rtol: float) -> None:
    if abs(exact) >= TINY:
        assert abs(mpmath.mpf(got) - exact) <= rtol * abs(exact), (got, exact)
    else:
        # the result is subnormal or underflows: float64 cannot hold it to full relative
        # accuracy, so ask for the nearest subnormals (two steps of 2**-1074 at most)
        assert abs(mpmath.mpf(got) - exact) <= 2 * 2.0**-1074, (got, exact)


@pytest.mark.parametrize("name", list(_FUNCTIONS))
@pytest.mark.parametrize("width", [0.5, 1.0, 5.0, 1e3, 1e-20])
def test_accuracy_on_residuals_from_1e_300_to_1e150(name, width):
    f, option = _FUNCTIONS[name]
    options = {option: width} if option else {}
    r = np.array([s * 10.0**e for e in range(-300, 151, 5) for s in (1.0, -1.0)])
    r = np.concatenate([r, r * 3.7])  # mantissas other than 1
    got = f(r, np.zeros_like(r), reduction="none", **options)
    with mpmath.workdps(50):
        for ri, gi in zip(r, got, strict=True):
            # target 0: the residual is exact, so two roundings at most remain
            _assert_accurate(float(gi), _exact(name, mpmath.mpf(float(ri)), width), 2 * EPS)


@pytest.mark.parametrize("name", list(_FUNCTIONS))
@given(x=st.floats(-1e150, 1e150, allow_nan=False), y=st.floats(-1e150, 1e150, allow_nan=False),
       width=st.sampled_from([0.5, 1.0, 5.0, 1e3]))
def test_accuracy_with_any_target(name, x, y, width):
    f, option = _FUNCTIONS[name]
    options = {option: width} if option else {}
    got = float(f(np.array([x]), np.array([y]), reduction="sum", **options))
    with mpmath.workdps(50):
        exact = _exact(name, mpmath.mpf(x) - mpmath.mpf(y), width)
        # the subtraction's rounding, doubled by the square, plus two more roundings
        _assert_accurate(got, exact, 3 * EPS)


def test_pytorch_loses_digits_where_r_squared_is_subnormal():
    # the docstring's claim: with beta = 1e-20 and r = 3e-160, r * r = 9e-320 is subnormal
    # but the loss 4.5e-300 is not; lossbook keeps full accuracy, PyTorch does not.
    r, beta = 3e-160, 1e-20
    with mpmath.workdps(50):
        exact = mpmath.mpf(r) ** 2 / (2 * mpmath.mpf(beta))
    ours = float(smooth_l1_loss(np.array([r]), np.zeros(1), beta=beta))
    theirs = float(F.smooth_l1_loss(torch.tensor([r], dtype=torch.float64),
                                    torch.zeros(1, dtype=torch.float64), beta=beta))
    assert abs(ours - exact) <= 2 * EPS * exact
    assert abs(theirs - exact) > 1e-6 * exact


# --- types, dtypes, devices -------------------------------------------------------------------


@pytest.mark.parametrize(("ours", "grad", "theirs", "options"), LOSSES)
@pytest.mark.parametrize("make", [
    pytest.param(lambda a: a.astype(np.float32), id="numpy-float32"),
    pytest.param(lambda a: a, id="numpy-float64"),
    pytest.param(lambda a: torch.from_numpy(a).float(), id="torch-float32"),
    pytest.param(lambda a: torch.from_numpy(a), id="torch-float64"),
])
def test_result_keeps_type_dtype_and_shape(ours, grad, theirs, options, make):
    x, y = make(np.array([[0.3, -2.0], [4.0, 0.1]])), make(np.zeros((2, 2)))
    for reduction in REDUCTIONS:
        for out in (ours(x, y, reduction=reduction, **options),
                    grad(x, y, reduction=reduction, **options)):
            assert isinstance(out, np.ndarray | np.generic) == isinstance(x, np.ndarray)
            assert out.dtype == x.dtype
        shape = (2, 2) if reduction == "none" else ()
        assert tuple(ours(x, y, reduction=reduction, **options).shape) == shape
        assert tuple(grad(x, y, reduction=reduction, **options).shape) == (2, 2)


def test_autograd_reaches_the_target_too():
    x = torch.tensor([0.3, -2.0, 4.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64, requires_grad=True)
    gx, gy = torch.autograd.grad(huber_loss(x, y, delta=2.0), (x, y))
    assert torch.equal(gy, -gx)
    assert torch.equal(gx, torch.from_numpy(huber_loss_grad(x.detach().numpy(),
                                                            y.detach().numpy(), delta=2.0)))


# --- bad input --------------------------------------------------------------------------------

_X, _Y = np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 0.0])


@pytest.mark.parametrize("f", [smooth_l1_loss, smooth_l1_loss_grad])
@pytest.mark.parametrize("beta", [-1.0, -1e-300, math.inf, math.nan])
def test_bad_beta_is_a_value_error(f, beta):
    with pytest.raises(ValueError, match=r"beta must be a finite number >= 0; got"):
        f(_X, _Y, beta=beta)


@pytest.mark.parametrize("f", [huber_loss, huber_loss_grad])
@pytest.mark.parametrize("delta", [-1.0, -1e-300, math.inf, math.nan])
def test_bad_delta_is_a_value_error(f, delta):
    with pytest.raises(ValueError, match=r"delta must be a finite number >= 0; got"):
        f(_X, _Y, delta=delta)


@pytest.mark.parametrize("f", [huber_loss, huber_loss_grad])
def test_delta_zero_is_refused_like_pytorch(f):
    with pytest.raises(ValueError, match=r"delta must be a finite number > 0 .*; got 0\.0"):
        f(_X, _Y, delta=0.0)
    with pytest.raises(RuntimeError, match="non-positive values for delta"):
        F.huber_loss(torch.from_numpy(_X), torch.from_numpy(_Y), delta=0.0)


@pytest.mark.parametrize(("f", "name"), [(smooth_l1_loss, "beta"), (huber_loss, "delta")])
@pytest.mark.parametrize("value", ["1.0", None, True, np.array([1.0])])
def test_non_numeric_beta_or_delta_is_a_type_error(f, name, value):
    with pytest.raises(TypeError, match=f"{name} must be a real number; got"):
        f(_X, _Y, **{name: value})


@pytest.mark.parametrize(("ours", "grad", "theirs", "options"), LOSSES)
def test_column_against_flat_target_is_refused_where_pytorch_broadcasts(ours, grad, theirs,
                                                                        options):
    x, y = _X[:, None], _Y
    message = r"same shape \(no broadcasting\); got input \(3, 1\) and target \(3,\)"
    for f in (ours, grad):
        with pytest.raises(ValueError, match=message):
            f(x, y, **options)
    with pytest.warns(UserWarning, match="different to the input size"):
        broadcast = theirs(torch.from_numpy(x), torch.from_numpy(y), reduction="none", **options)
    assert tuple(broadcast.shape) == (3, 3)  # the bug lossbook refuses: a (3, 3) loss


@pytest.mark.parametrize(("ours", "grad", "theirs", "options"), LOSSES)
def test_bad_arrays_are_refused(ours, grad, theirs, options):
    for f in (ours, grad):
        with pytest.raises(TypeError, match="input must have a real floating dtype"):
            f(np.array([1, 2, 3]), _Y, **options)
        with pytest.raises(TypeError, match="target must have a real floating dtype"):
            f(_X, np.array([1, 2, 0]), **options)
        with pytest.raises(TypeError, match=r"target must have the dtype of input \(float64\); "
                                            r"got float32"):
            f(_X, _Y.astype(np.float32), **options)
        with pytest.raises(TypeError, match=r"target must come from the same library as input "
                                            r"\(numpy\); got torch"):
            f(_X, torch.from_numpy(_Y), **options)
        with pytest.raises(TypeError, match="target must be a NumPy array or a torch tensor, "
                                            "got list"):
            f(_X, [1.5, 2.0, 0.0], **options)
        with pytest.raises(TypeError, match=r"target must have a real floating dtype .* got "
                                            r"complex128"):
            f(_X, _Y.astype(np.complex128), **options)
        with pytest.raises(ValueError, match=r"input must not be empty; got shape \(0,\)"):
            f(_X[:0], _Y[:0], **options)
        with pytest.raises(ValueError, match="reduction must be one of 'none', 'mean', 'sum'"):
            f(_X, _Y, reduction="batchmean", **options)


# --- torch.compile ----------------------------------------------------------------------------


def test_runs_under_torch_compile_without_graph_break():
    def everything(x, y):
        return (mse_loss(x, y) + l1_loss(x, y) + smooth_l1_loss(x, y, beta=0.5)
                + smooth_l1_loss(x, y, beta=0.0) + huber_loss(x, y, delta=2.0)
                + (smooth_l1_loss_grad(x, y, beta=0.5) + huber_loss_grad(x, y, delta=2.0)).sum())

    compiled = torch.compile(everything, fullgraph=True, backend="eager")
    x, y = torch.linspace(-3, 3, 7, dtype=torch.float64), torch.zeros(7, dtype=torch.float64)
    with warnings.catch_warnings():  # Dynamo's notes on array_api_compat's lru_cache
        warnings.simplefilter("ignore", UserWarning)
        got = compiled(x, y)
    assert torch.equal(got, everything(x, y))


# --- grad_output: the gradient is a vector-Jacobian product --------------------------------------


@pytest.mark.parametrize(("ours", "ours_grad", "_twin", "options"), LOSSES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_grad_output_against_autograd(ours, ours_grad, _twin, options, reduction):
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(3, 4)) * 3, rng.normal(size=(3, 4))
    assert_vjp(ours, ours_grad, x, y, reduction=reduction, **options)


def test_overflow_gives_inf_without_a_numpy_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(mse_loss(np.array([1e200]), np.array([0.0]))) == math.inf
        assert float(mse_loss_grad(np.array([1e308]), np.array([-1e308]))[0]) == math.inf


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_mse_grad_of_a_residual_at_the_largest_float_is_finite_where_the_exact_value_is():
    # 2 * grad_output first, then the residual: 2 * (0.25 * max) = max / 2 exactly, where
    # PyTorch's 2 * (x - y) overflows to inf before the upstream gradient scales it down
    big = np.finfo(np.float64).max
    x, y, g = np.array([big, -big, 1.0]), np.array([0.0, 0.0, big]), np.array([0.25, 0.25, 0.5])
    got = mse_loss_grad(x, y, reduction="none", grad_output=g)
    assert got.tolist() == [big / 2, -big / 2, -big]
    t = torch.from_numpy(x).requires_grad_()
    torch.nn.functional.mse_loss(t, torch.from_numpy(y), reduction="none").backward(
        torch.from_numpy(g))
    assert torch.isinf(t.grad[:2]).all()  # PyTorch overflows here


def test_l1_grad_of_a_nan_residual_is_nan_on_both_backends():
    x, y = np.array([math.nan, 2.0]), np.array([0.0, 0.0])
    for a, b in ((x, y), (torch.from_numpy(x), torch.from_numpy(y))):
        got = np.asarray(l1_loss_grad(a, b, reduction="sum"))
        assert math.isnan(got[0]) and got[1] == 1.0
