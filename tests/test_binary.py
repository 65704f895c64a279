"""lossbook.binary beyond the registry: properties, mpmath accuracy, bad input, edge cases."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from lossbook.binary import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
)
from lossbook.primitives import log_sigmoid, log_sigmoid_grad
from tests._vjp import assert_vjp

mpmath.mp.dps = 50

# --- strategies ---------------------------------------------------------------------------------

logits = st.lists(st.floats(-30, 30, allow_nan=False), min_size=1, max_size=8)
unsaturated = st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=8)
unit = st.floats(0, 1, allow_nan=False)
dyadic = st.integers(0, 64).map(lambda k: k / 64)  # 1 - y is exact for these


@st.composite
def logits_and_targets(draw, xs=logits):
    x = np.array(draw(xs))
    y = np.array(draw(st.lists(unit, min_size=len(x), max_size=len(x))))
    return x, y


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


# --- properties ---------------------------------------------------------------------------------


@given(logits_and_targets(unsaturated))
def test_with_logits_equals_bce_of_sigmoid_where_not_saturated(xy):
    x, y = xy
    ours = binary_cross_entropy_with_logits(x, y, reduction="none")
    via_p = binary_cross_entropy(_sigmoid(x), y, reduction="none")
    np.testing.assert_allclose(ours, via_p, rtol=1e-10, atol=1e-12)
    grad_x = binary_cross_entropy_with_logits_grad(x, y, reduction="none")
    s = _sigmoid(x)  # chain rule: dL/dx = dL/dp * p (1 - p)
    grad_p = binary_cross_entropy_grad(s, y, reduction="none") * s * (1 - s)
    np.testing.assert_allclose(grad_x, grad_p, rtol=1e-8, atol=1e-12)


@given(logits_and_targets(), st.data())
def test_symmetry_flipping_logit_and_label(xy, data):
    x, _ = xy
    y = np.array(data.draw(st.lists(dyadic, min_size=len(x), max_size=len(x))))
    a = binary_cross_entropy_with_logits(x, y, reduction="none")
    b = binary_cross_entropy_with_logits(-x, 1 - y, reduction="none")
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)
    ga = binary_cross_entropy_with_logits_grad(x, y, reduction="none")
    gb = binary_cross_entropy_with_logits_grad(-x, 1 - y, reduction="none")
    np.testing.assert_allclose(ga, -gb, rtol=1e-12, atol=1e-300)


@given(st.lists(st.tuples(st.integers(1, 1023), dyadic), min_size=1, max_size=8))
def test_symmetry_of_bce_on_probabilities(pairs):
    p = np.array([k / 1024 for k, _ in pairs])  # 1 - p and 1 - y exact
    y = np.array([t for _, t in pairs])
    a = binary_cross_entropy(p, y, reduction="none")
    b = binary_cross_entropy(1 - p, 1 - y, reduction="none")
    np.testing.assert_allclose(a, b, rtol=1e-12)


@given(st.floats(0.001, 0.999), st.floats(1e-4, 0.5))
def test_minimum_at_p_equals_soft_target(y, step):
    target = np.array([y])
    at = binary_cross_entropy(target, target)
    assert abs(float(binary_cross_entropy_grad(target, target, reduction="sum")[0])) < 1e-12
    for p in (y - step, y + step):
        if 0 <= p <= 1:
            assert float(binary_cross_entropy(np.array([p]), target)) > float(at)
    # the same minimum on logits, at x = logit(y)
    x = np.array([math.log(y) - math.log1p(-y)])
    assert abs(float(binary_cross_entropy_with_logits_grad(x, target)[0])) < 1e-12


@given(logits_and_targets())
def test_pos_weight_one_equals_no_pos_weight(xy):
    x, y = xy
    ones = np.ones(x.shape[-1:])
    for f in (binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad):
        np.testing.assert_array_equal(f(x, y, pos_weight=ones, reduction="none"),
                                      f(x, y, reduction="none"))


@given(logits_and_targets(), st.floats(0.0, 10.0))
def test_pos_weight_scales_only_the_positive_term(xy, c):
    x, y = xy
    weighted = binary_cross_entropy_with_logits(x, y, pos_weight=np.full(x.shape, c),
                                                reduction="none")
    positive = binary_cross_entropy_with_logits(x, y * 0 + 1, reduction="none") * y
    negative = binary_cross_entropy_with_logits(x, y * 0, reduction="none") * (1 - y)
    np.testing.assert_allclose(weighted, c * positive + negative, rtol=1e-12, atol=1e-300)


@given(logits_and_targets())
def test_sum_is_mean_times_n(xy):
    x, y = xy
    for f in (binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad):
        np.testing.assert_allclose(f(x, y, reduction="sum"), f(x, y, reduction="mean") * x.size,
                                   rtol=1e-12, atol=1e-300)


# --- accuracy against mpmath ---------------------------------------------------------------------

# +-700: exp(-700) is still a normal float64 (no subnormal rounding in the exact reference).
EXTREME_LOGITS = [-1e4, -700.0, -40.0, -1.0, 0.0, 1.0, 40.0, 700.0, 1e4]
TARGETS = [0.0, 0.3, 1.0]


def _mp_bce_logits(x: float, y: float, c: float = 1.0) -> mpmath.mpf:
    x, y = mpmath.mpf(x), mpmath.mpf(y)
    softplus = lambda z: mpmath.log1p(mpmath.exp(z))  # noqa: E731
    return c * y * softplus(-x) + (1 - y) * softplus(x)


def _mp_bce_logits_grad(x: float, y: float, c: float = 1.0) -> mpmath.mpf:
    x, y = mpmath.mpf(x), mpmath.mpf(y)
    sig = lambda z: 1 / (1 + mpmath.exp(-z))  # noqa: E731
    return (1 - y) * sig(x) - c * y * sig(-x)


def _close(got: float, exact: mpmath.mpf, rtol: float = 4e-15) -> None:
    exact = float(exact)
    assert got == exact or abs(got - exact) <= rtol * abs(exact), (got, exact)


@pytest.mark.parametrize("x", EXTREME_LOGITS)
@pytest.mark.parametrize("y", TARGETS)
@pytest.mark.parametrize("c", [1.0, 3.0])
def test_with_logits_accuracy_at_extreme_logits(x, y, c):
    got = binary_cross_entropy_with_logits(np.array([x]), np.array([y]), pos_weight=np.array([c]),
                                           reduction="sum")
    _close(float(got), _mp_bce_logits(x, y, c))
    g = binary_cross_entropy_with_logits_grad(np.array([x]), np.array([y]),
                                              pos_weight=np.array([c]), reduction="sum")
    _close(float(g[0]), _mp_bce_logits_grad(x, y, c))


def test_tiny_with_logits_loss_keeps_relative_accuracy_where_pytorch_gives_zero():
    x, y = np.array([-40.0]), np.array([0.0])
    exact = float(mpmath.log1p(mpmath.exp(-40)))
    assert float(binary_cross_entropy_with_logits(x, y)) == pytest.approx(exact, rel=1e-15)
    assert float(F.binary_cross_entropy_with_logits(torch.from_numpy(x), torch.from_numpy(y))) == 0


@pytest.mark.parametrize("x", EXTREME_LOGITS)
def test_log_sigmoid_accuracy(x):
    exact = -mpmath.log1p(mpmath.exp(-mpmath.mpf(x)))
    _close(float(log_sigmoid(np.array(x))), exact)
    _close(float(log_sigmoid_grad(np.array(x))), 1 / (1 + mpmath.exp(mpmath.mpf(x))))


EXTREME_PROBABILITIES = [1e-300, 1e-200, 1e-20, 1e-13, 1e-9, 0.5, 1 - 1e-9, 1 - 1e-13, 1 - 1e-16]


@pytest.mark.parametrize("p", EXTREME_PROBABILITIES)
@pytest.mark.parametrize("y", TARGETS)
def test_bce_accuracy_at_extreme_probabilities(p, y):
    mp_p, mp_y = mpmath.mpf(p), mpmath.mpf(y)  # the exact value of the float64 p
    exact = -(mp_y * mpmath.log(mp_p) + (1 - mp_y) * mpmath.log1p(-mp_p))
    exact_grad = (1 - mp_y) / (1 - mp_p) - mp_y / mp_p
    got = binary_cross_entropy(np.array([p]), np.array([y]), reduction="sum")
    _close(float(got), exact)
    g = binary_cross_entropy_grad(np.array([p]), np.array([y]), reduction="sum")
    _close(float(g[0]), exact_grad)


def test_bce_at_1e_200_is_460_where_pytorch_clamps_to_100():
    p, y = np.array([1e-200]), np.array([1.0])
    assert float(binary_cross_entropy(p, y)) == pytest.approx(200 * math.log(10), rel=1e-15)
    assert f"{float(binary_cross_entropy(p, y)):.3f}" == "460.517"
    assert float(F.binary_cross_entropy(torch.from_numpy(p), torch.from_numpy(y))) == 100.0


def test_pytorch_bce_backward_eps_region_and_ours():
    # PyTorch divides by max(p (1 - p), 1e-12): at p = 1e-13, y = 0 its gradient is 0.1, not ~1.
    p, y = np.array([1e-13]), np.array([0.0])
    t = torch.from_numpy(p).requires_grad_(True)
    F.binary_cross_entropy(t, torch.from_numpy(y), reduction="sum").backward()
    assert float(t.grad[0]) == pytest.approx(0.1, rel=1e-6)
    assert float(binary_cross_entropy_grad(p, y, reduction="sum")[0]) == pytest.approx(1.0,
                                                                                      rel=1e-12)


# --- edges and kinks ---------------------------------------------------------------------------


def test_bce_hard_targets_at_the_ends_are_zero_not_nan():
    p, y = np.array([0.0, 1.0]), np.array([0.0, 1.0])
    np.testing.assert_array_equal(binary_cross_entropy(p, y, reduction="none"), [0.0, 0.0])
    # the one-sided derivatives at the ends: d/dp -log(1-p) = 1 at p = 0, d/dp -log p = -1 at 1
    np.testing.assert_array_equal(binary_cross_entropy_grad(p, y, reduction="none"), [1.0, -1.0])
    t = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
    binary_cross_entropy(t, torch.tensor([0.0, 1.0], dtype=torch.float64), reduction="sum").backward()
    assert torch.isfinite(t.grad).all()


def test_bce_confident_and_wrong_is_inf():
    got = binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.3]), reduction="none")
    np.testing.assert_array_equal(got, [np.inf, np.inf])


def test_infinite_logits_with_matching_label_give_zero_not_nan():
    x, y = np.array([-np.inf, np.inf, -np.inf, np.inf]), np.array([0.0, 1.0, 1.0, 0.0])
    with np.errstate(all="raise"):
        loss = binary_cross_entropy_with_logits(x, y, reduction="none")
        grad = binary_cross_entropy_with_logits_grad(x, y, reduction="none")
    np.testing.assert_array_equal(loss, [0.0, 0.0, np.inf, np.inf])
    np.testing.assert_array_equal(grad, [0.0, 0.0, -1.0, 1.0])
    theirs = F.binary_cross_entropy_with_logits(torch.from_numpy(x), torch.from_numpy(y),
                                                reduction="none")
    assert torch.isnan(theirs[:2]).all()  # PyTorch: nan (pytorch/pytorch#49844)


def test_gradients_at_logit_zero():
    x, y = np.array([0.0, 0.0]), np.array([0.0, 1.0])
    np.testing.assert_array_equal(log_sigmoid_grad(x), [0.5, 0.5])
    np.testing.assert_array_equal(binary_cross_entropy_with_logits_grad(x, y, reduction="none"),
                                  [0.5, -0.5])
    t = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    binary_cross_entropy_with_logits(t, torch.from_numpy(y), reduction="sum").backward()
    np.testing.assert_array_equal(t.grad.numpy(), [0.5, -0.5])


def test_pos_weight_broadcasts_like_pytorch_on_images():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 4, 5))
    y = (rng.random(size=x.shape) < 0.5).astype(np.float64)
    pw = np.array([1.0, 2.0, 5.0])[:, None, None]  # (C, 1, 1): one weight per channel
    ours = binary_cross_entropy_with_logits(x, y, pos_weight=pw)
    theirs = F.binary_cross_entropy_with_logits(torch.from_numpy(x), torch.from_numpy(y),
                                                pos_weight=torch.from_numpy(pw))
    assert float(ours) == pytest.approx(float(theirs), rel=1e-12)


# --- types and dtypes ---------------------------------------------------------------------------


@pytest.mark.parametrize("f", [binary_cross_entropy, binary_cross_entropy_grad,
                               binary_cross_entropy_with_logits,
                               binary_cross_entropy_with_logits_grad])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_type_and_dtype_preserved(f, dtype):
    p = np.array([[0.2, 0.7], [0.9, 0.4]], dtype=dtype)
    y = np.array([[0, 1], [1, 0]], dtype=dtype)
    out = f(p, y, weight=np.array([1.0, 2.0], dtype=dtype))
    assert isinstance(out, np.ndarray | np.generic) and out.dtype == np.dtype(dtype)
    t = f(torch.from_numpy(p), torch.from_numpy(y),
          weight=torch.tensor([1.0, 2.0], dtype=getattr(torch, dtype)))
    assert isinstance(t, torch.Tensor) and t.dtype == getattr(torch, dtype)
    # one dtype policy: another floating dtype, integer labels or complex weights are refused
    other = "float32" if dtype == "float64" else "float64"
    with pytest.raises(TypeError, match=rf"target must have the dtype of input \({dtype}\); "
                                        rf"got {other}"):
        f(p, y.astype(other))
    with pytest.raises(TypeError, match=rf"weight must have the dtype of input \({dtype}\)"):
        f(p, y, weight=np.array([1.0, 2.0], dtype=other))
    if "logits" in f.__name__:
        with pytest.raises(TypeError, match=rf"pos_weight must have the dtype of input \({dtype}"):
            f(p, y, pos_weight=np.array([1.0, 2.0], dtype=other))
    with pytest.raises(TypeError, match=r"target must have a real floating dtype .* got int64"):
        f(p, y.astype(np.int64))
    with pytest.raises(TypeError, match=r"weight must have a real floating dtype .* got complex"):
        f(p, y, weight=np.array([1.0, 2.0], dtype=np.complex128))


def test_log_sigmoid_keeps_type_and_empty_input():
    x = torch.zeros(0, dtype=torch.float32)
    assert log_sigmoid(x).shape == (0,) and log_sigmoid(x).dtype == torch.float32
    assert log_sigmoid(np.float32([1.0])).dtype == np.float32


def _compile_step():
    def step(x, y, pw, w):
        p = torch.sigmoid(x)
        return (binary_cross_entropy_with_logits(x, y, pos_weight=pw, weight=w, validate=False)
                + binary_cross_entropy_with_logits_grad(x, y, pos_weight=pw, validate=False).sum()
                + binary_cross_entropy(p, y, weight=w, validate=False)
                + binary_cross_entropy_grad(p, y, validate=False).sum())

    compiled = torch.compile(step, backend="eager", fullgraph=True)
    x, y, pw = torch.randn(4, 3), torch.rand(4, 3), torch.tensor([1.0, 2.0, 3.0])
    torch.testing.assert_close(compiled(x, y, pw, pw), step(x, y, pw, pw))


def test_runs_under_torch_compile_without_graph_break():
    # validate=False: everything, the shared shape checks included, traces into one graph.
    torch._dynamo.reset()
    _compile_step()


# --- bad input ----------------------------------------------------------------------------------


def test_probabilities_outside_unit_interval_name_the_range():
    with pytest.raises(ValueError, match=r"input must hold probabilities within \[0, 1\]; "
                                         r"got values from -0.1 to 0.8"):
        binary_cross_entropy(np.array([-0.1, 0.8]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"input must hold .* from 0.2 to 1.5"):
        binary_cross_entropy_grad(np.array([0.2, 1.5]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"input must hold .*, and NaN"):
        binary_cross_entropy(np.array([0.2, np.nan]), np.array([0.0, 1.0]))


@pytest.mark.parametrize("f", [binary_cross_entropy, binary_cross_entropy_with_logits])
def test_targets_outside_unit_interval(f):
    with pytest.raises(ValueError, match=r"target must hold probabilities within \[0, 1\]; "
                                         r"got values from 0 to 2"):
        f(np.array([0.2, 0.8]), np.array([0.0, 2.0]))


def test_validate_false_skips_value_checks():
    out = binary_cross_entropy_with_logits(np.array([0.0]), np.array([2.0]), validate=False)
    assert np.isfinite(out)


@pytest.mark.parametrize("f", [binary_cross_entropy, binary_cross_entropy_with_logits])
def test_column_against_flat_is_refused(f):
    with pytest.raises(ValueError, match=r"input and target must have the same shape "
                                         r"\(no broadcasting\); got input \(3, 1\) and target \(3,\)"):
        f(np.full((3, 1), 0.5), np.full(3, 0.5))


def test_pos_weight_of_wrong_length():
    x, y = np.zeros((4, 3)), np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"pos_weight must broadcast to the input's shape "
                                         r"\(4, 3\) \(one weight per class along the last dim: "
                                         r"\(3,\)\); got pos_weight of shape \(2,\)"):
        binary_cross_entropy_with_logits(x, y, pos_weight=np.ones(2))
    with pytest.raises(ValueError, match=r"pos_weight must broadcast"):
        binary_cross_entropy_with_logits_grad(x, y, pos_weight=np.ones((2, 4, 3)))


def test_weight_that_would_grow_the_output():
    with pytest.raises(ValueError, match=r"weight must broadcast to the input's shape \(4,\); "
                                         r"got weight of shape \(4, 1\)"):
        binary_cross_entropy(np.full(4, 0.5), np.zeros(4), weight=np.ones((4, 1)))


@pytest.mark.parametrize("name", ["weight", "pos_weight"])
def test_negative_weights(name):
    x, y = np.zeros((2, 3)), np.zeros((2, 3))
    with pytest.raises(ValueError, match=rf"{name} must hold finite values >= 0; got -1"):
        binary_cross_entropy_with_logits(x, y, **{name: np.array([1.0, -1.0, 2.0])})
    with pytest.raises(ValueError, match=rf"{name} must hold finite values >= 0; got nan"):
        binary_cross_entropy_with_logits(x, y, **{name: np.array([1.0, np.nan, 2.0])})


@pytest.mark.parametrize("f", [log_sigmoid, binary_cross_entropy, binary_cross_entropy_with_logits,
                               binary_cross_entropy_grad, binary_cross_entropy_with_logits_grad])
def test_integer_input(f):
    args = (np.array([0, 1]),) if f is log_sigmoid else (np.array([0, 1]), np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match=r"input must have a real floating dtype .*got int64"):
        f(*args)


def test_mixed_libraries_and_python_numbers():
    with pytest.raises(TypeError, match=r"target must come from the same library as input "
                                        r"\(torch\); got numpy"):
        binary_cross_entropy_with_logits(torch.zeros(2), np.zeros(2))
    with pytest.raises(TypeError, match="pos_weight must be a NumPy array or a torch tensor, "
                                        "got float"):
        binary_cross_entropy_with_logits(np.zeros(2), np.zeros(2), pos_weight=2.0)


def test_empty_and_unknown_reduction():
    with pytest.raises(ValueError, match=r"input must not be empty; got shape \(0, 3\)"):
        binary_cross_entropy(np.zeros((0, 3)), np.zeros((0, 3)))
    with pytest.raises(ValueError, match="reduction must be one of 'none', 'mean', 'sum'; "
                                         "got 'batchmean'"):
        binary_cross_entropy_with_logits(np.zeros(2), np.zeros(2), reduction="batchmean")


# --- grad_output: the gradient is a vector-Jacobian product --------------------------------------


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_grad_output_against_autograd(reduction, weighted):
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(3, 4)) * 2, rng.uniform(size=(3, 4))
    options = {"reduction": reduction}
    if weighted:
        options["weight"] = rng.uniform(0.5, 2, size=(4,))
    assert_vjp(binary_cross_entropy, binary_cross_entropy_grad, _sigmoid(x), y, **options)
    if weighted:
        options["pos_weight"] = rng.uniform(0.5, 3, size=(4,))
    assert_vjp(binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad, x, y,
               **options)


def test_log_sigmoid_grad_output_against_autograd():
    x = np.random.default_rng(5).normal(size=(2, 3)) * 5
    assert_vjp(log_sigmoid, log_sigmoid_grad, x)


def test_bce_gradient_at_p_0_is_minus_inf_without_a_numpy_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = binary_cross_entropy_grad(np.array([0.0, 0.0]), np.array([1.0, 0.0]), reduction="sum")
    assert g.tolist() == [-math.inf, 1.0]


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("logits", [False, True])
def test_a_weight_at_the_largest_float_overflows_only_where_the_gradient_does(logits):
    # d/dx of w * loss, times the upstream gradient g: the weight multiplies last, so w = max
    # with |slope * g| < 1 is finite (slope * w first was inf), and inf only beyond max
    big = np.finfo(np.float64).max
    p, y = np.array([0.3, 0.3, 0.8]), np.array([1.0, 1.0, 0.0])
    x = np.log(p) - np.log1p(-p)  # the same probabilities as logits
    w, g = np.array([big, big, 1.0]), np.array([0.25, 8.0, 1.0])
    f = binary_cross_entropy_with_logits_grad if logits else binary_cross_entropy_grad
    got = f(x if logits else p, y, weight=w, reduction="none", grad_output=g)
    with mpmath.workdps(50):
        for i in range(3):
            pi = mpmath.mpf(1) / (1 + mpmath.exp(-mpmath.mpf(float(x[i])))) if logits else \
                mpmath.mpf(float(p[i]))
            slope = (pi - y[i]) if logits else ((1 - y[i]) / (1 - pi) - y[i] / pi)
            exact = slope * mpmath.mpf(float(w[i])) * mpmath.mpf(float(g[i]))
            if abs(exact) > big:
                assert got[i] == (math.inf if exact > 0 else -math.inf), i
            else:
                assert abs(got[i] - exact) <= 4e-16 * abs(exact), (i, got[i], float(exact))
    assert np.isfinite(got[0]) and np.isinf(got[1])
