"""lossbook.primitives: the stable primitives every family shares, against mpmath and PyTorch."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lossbook import primitives
from tests._vjp import assert_vjp

mpmath.mp.dps = 50
finite = st.floats(-50, 50, allow_nan=False)



def _mp_logsumexp(row):
    return float(mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in row)))


@pytest.mark.parametrize("row", [[1e4, 0.0, -1e4], [-1e4, -1e4 + 1e-9], [40.0, 0.0], [0.0] * 5,
                                 [-745.0, -745.0], [709.0, 709.0]])
def test_logsumexp_accurate_at_extremes(row):
    got = float(primitives.logsumexp(np.array(row)))
    assert got == pytest.approx(_mp_logsumexp(row), rel=1e-15)


def test_tiny_log_softmax_keeps_its_relative_accuracy():
    # -log_softmax([40, 0])[0] = log1p(exp(-40)) = 4.248354255291589e-18; log(1 + T) gives 0.
    exact = float(mpmath.log1p(mpmath.exp(-40)))
    assert -float(primitives.log_softmax(np.array([40.0, 0.0]))[0]) == pytest.approx(exact, rel=1e-15)
    assert float(primitives.logsumexp(np.array([0.0, -40.0]))) == pytest.approx(exact, rel=1e-15)


def test_logsumexp_gradient_is_softmax_also_at_a_tied_maximum():
    x = torch.tensor([2.0, 2.0, -1.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(primitives.logsumexp(x), x)
    torch.testing.assert_close(g, torch.softmax(x.detach(), 0))


def test_logsumexp_of_all_minus_inf_is_minus_inf():
    with np.errstate(divide="ignore"):
        assert float(primitives.logsumexp(np.array([-np.inf, -np.inf]))) == -np.inf


@given(arrays(np.float64, st.integers(1, 8), elements=finite), st.floats(-1e3, 1e3))
def test_softmax_sums_to_one_and_is_shift_invariant(x, c):
    s = primitives.softmax(x)
    assert float(np.sum(s)) == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(primitives.softmax(x + c), s, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("x", [-1e4, -745.0, -40.0, -1.0, 0.0, 1e-10, 1.0, 40.0, 700.0, 1e4])
def test_log_sigmoid_and_softplus_against_mpmath(x):
    exact_softplus = float(mpmath.log1p(mpmath.exp(mpmath.mpf(x))))
    assert float(primitives.softplus(np.array(x))) == pytest.approx(exact_softplus, rel=1e-15)
    exact_ls = float(-mpmath.log1p(mpmath.exp(-mpmath.mpf(x))))
    assert float(primitives.log_sigmoid(np.array(x))) == pytest.approx(exact_ls, rel=1e-15, abs=0)


def test_xlogy_zero_times_log_zero_and_its_gradient():
    x = torch.tensor([0.0, 0.5], dtype=torch.float64)
    y = torch.tensor([0.0, 0.25], dtype=torch.float64, requires_grad=True)
    out = primitives.xlogy(x, y)
    assert out[0].item() == 0.0
    out.sum().backward()
    assert torch.isfinite(y.grad).all()
    assert y.grad[0].item() == 0.0 and y.grad[1].item() == pytest.approx(2.0)


def test_primitives_keep_dtype_and_type():
    x32 = torch.tensor([1.0, 2.0], dtype=torch.float32)
    for f in (primitives.softmax, primitives.log_softmax, primitives.softplus, primitives.log_sigmoid):
        assert f(x32).dtype == torch.float32
        assert isinstance(f(np.array([1.0, 2.0])), np.ndarray)


# --- sigmoid, softplus, log1mexp, xlog1py: accuracy and autograd ---------------------------------
_LOGITS = [-1e4, -745.0, -700.0, -40.0, -1.0, -1e-10, 0.0, 1e-10, 1.0, 40.0, 700.0, 1e4]


@pytest.mark.parametrize("x", _LOGITS)
def test_sigmoid_and_its_gradient_against_mpmath(x):
    s = mpmath.mpf(1) / (1 + mpmath.exp(-mpmath.mpf(x)))
    assert float(primitives.sigmoid(np.array(x))) == pytest.approx(float(s), rel=4e-16, abs=0)
    e = mpmath.exp(-mpmath.mpf(x))
    ds = float(e / (1 + e) ** 2)  # s (1 - s), without forming 1 - s
    assert float(primitives.sigmoid_grad(np.array(x))) == pytest.approx(ds, rel=1e-15, abs=0)
    assert float(primitives.softplus_grad(np.array(x))) == pytest.approx(float(s), rel=4e-16,
                                                                          abs=0)


def test_one_sigmoid_everywhere_and_its_autograd_at_0():
    # one formula for the binary, focal and segmentation losses; autograd's slope at 0 is 1/4
    # (exp(-|x|) has slope 0 at 0 in autograd, so |x| is written as where(x >= 0, x, -x))
    x = torch.tensor([0.0, -3.0, 5.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(primitives.sigmoid(x).sum(), x)
    torch.testing.assert_close(g, torch.sigmoid(x.detach()) * torch.sigmoid(-x.detach()))
    torch.testing.assert_close(primitives.sigmoid(x.detach()), torch.sigmoid(x.detach()))


@pytest.mark.parametrize("x", [-1e-300, -1e-20, -1e-10, -0.5, -math.log(2.0), -0.7, -5.0, -40.0,
                               -700.0])
def test_log1mexp_and_its_gradient_against_mpmath(x):
    exact = mpmath.log(-mpmath.expm1(mpmath.mpf(x)))
    assert float(primitives.log1mexp(np.array(x))) == pytest.approx(float(exact), rel=1e-15)
    slope = -1 / mpmath.expm1(-mpmath.mpf(x))
    assert float(primitives.log1mexp_grad(np.array(x))) == pytest.approx(float(slope), rel=1e-15)


def test_log1mexp_refuses_positive_input_unless_told_not_to_check():
    with pytest.raises(ValueError, match=r"input must hold log-probabilities \(values <= 0"):
        primitives.log1mexp(np.array([-1.0, 0.5]))
    assert float(primitives.log1mexp(np.array(0.0))) == -math.inf


def test_xlog1py_keeps_tiny_arguments():
    assert float(primitives.xlog1py(np.array(1.0), np.array(-1e-20))) == -1e-20
    assert float(primitives.xlog1py(np.array(0.0), np.array(-1.0))) == 0.0  # 0 log 0
    torch.testing.assert_close(
        primitives.xlog1py(torch.tensor([0.5, 2.0]), torch.tensor([0.25, 3.0])),
        torch.special.xlog1py(torch.tensor([0.5, 2.0]), torch.tensor([0.25, 3.0])))


@pytest.mark.parametrize("f", [primitives.sigmoid, primitives.log_sigmoid, primitives.softplus])
def test_elementwise_primitives_match_pytorch(f):
    x = torch.linspace(-30, 20, 51, dtype=torch.float64)  # PyTorch's softplus returns x above 20
    twin = {"sigmoid": torch.sigmoid, "log_sigmoid": F.logsigmoid, "softplus": F.softplus}
    torch.testing.assert_close(f(x), twin[f.__name__](x), rtol=1e-12, atol=0)


def test_grad_output_of_the_elementwise_primitives():
    x = np.random.default_rng(0).normal(size=(2, 3)) * 5
    for f in (primitives.sigmoid, primitives.log_sigmoid, primitives.softplus):
        assert_vjp(f, getattr(primitives, f"{f.__name__}_grad"), x)
    assert_vjp(primitives.log1mexp, primitives.log1mexp_grad, -np.abs(x) - 0.01)
