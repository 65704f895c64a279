"""lossbook.information beyond the registry: properties, accuracy, edge cases, bad input."""

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
from hypothesis.extra.numpy import arrays

from lossbook.information import (
    cross_entropy_between,
    cross_entropy_between_grad,
    entropy,
    entropy_grad,
    js_divergence,
    js_divergence_grad,
    kl_div,
    kl_div_grad,
    kl_divergence,
    kl_divergence_grad,
    surprisal,
    surprisal_grad,
)
from lossbook.testing import compare
from lossbook.testing.twins import (
    torch_cross_entropy_between,
    torch_entropy,
    torch_js_divergence,
    torch_kl_div,
    torch_kl_divergence,
)
from tests._vjp import assert_vjp

EPS = float(np.finfo(np.float64).eps)
LN2 = math.log(2)


# --- strategies ---------------------------------------------------------------------------------
@st.composite
def distributions(draw, n=None, zeros=True):
    """A probability vector of 2..8 outcomes (a fixed n if given), some entries 0 if ``zeros``."""
    size = draw(st.integers(2, 8)) if n is None else n
    low = 0.0 if zeros else 1e-6
    weights = draw(arrays(np.float64, size, elements=st.floats(low, 1.0)))
    if zeros:
        # one entry is always positive; others may be exactly 0
        weights[draw(st.integers(0, size - 1))] = draw(st.floats(0.01, 1.0))
    return weights / weights.sum()


@st.composite
def pairs(draw, zeros_in_q=False):
    p = draw(distributions())
    q = draw(distributions(n=p.size, zeros=zeros_in_q))
    return p, q


def _rounding_bound(p, q):
    """A bound on the rounding error of sum p (log p - log q): a few ulps of each term's parts."""
    with np.errstate(divide="ignore"):
        logs = np.abs(np.log(np.where(p > 0, p, 1.0))) + np.abs(np.log(np.where(p > 0, q, 1.0)))
    return 8 * EPS * (float(np.sum(p * (logs + 1))) + 1)


# --- properties (hypothesis) --------------------------------------------------------------------
@given(distributions())
def test_kl_of_p_with_itself_is_exactly_zero(p):
    assert float(kl_divergence(p, p)) == 0.0
    assert float(js_divergence(p, p)) == 0.0


@given(pairs())
def test_kl_is_non_negative(pq):
    p, q = pq
    assert float(kl_divergence(p, q)) >= -_rounding_bound(p, q)


@given(pairs(zeros_in_q=True))
def test_kl_is_non_negative_or_inf_when_q_has_zeros(pq):
    p, q = pq
    d = float(kl_divergence(p, q))
    assert not math.isnan(d)
    if np.any((q == 0) & (p > 0)):
        assert d == math.inf
    else:
        assert d >= -_rounding_bound(p, q)


@given(pairs())
def test_cross_entropy_is_at_least_entropy(pq):
    p, q = pq
    assert float(cross_entropy_between(p, q)) >= float(entropy(p)) - _rounding_bound(p, q)


@given(pairs())
def test_cross_entropy_is_entropy_plus_kl(pq):
    p, q = pq
    ce = float(cross_entropy_between(p, q))
    h_plus_kl = float(entropy(p)) + float(kl_divergence(p, q))
    assert abs(ce - h_plus_kl) <= _rounding_bound(p, q)


@given(pairs(zeros_in_q=True))
def test_js_is_symmetric_finite_and_at_most_log2(pq):
    p, q = pq
    js_pq, js_qp = float(js_divergence(p, q)), float(js_divergence(q, p))
    assert js_pq == js_qp  # exactly: p + q == q + p in floating point
    assert math.isfinite(js_pq)
    m = (p + q) / 2
    bound = _rounding_bound(p, m) + _rounding_bound(q, m)
    assert -bound <= js_pq <= LN2 + bound
    assert float(js_divergence(p, q, base=2)) <= 1 + bound


@given(pairs(), st.sampled_from([2, 10.0, 3.5]))
def test_base_b_is_base_e_divided_by_ln_b(pq, base):
    p, q = pq
    ln_b = math.log(base)
    for f, args in [(entropy, (p,)), (cross_entropy_between, (p, q)), (kl_divergence, (p, q)),
                    (js_divergence, (p, q)), (surprisal, (p,))]:
        nats = np.asarray(f(*args), dtype=np.float64)
        other = np.asarray(f(*args, base=base), dtype=np.float64)
        np.testing.assert_allclose(other, nats / ln_b, rtol=4 * EPS, atol=0)
    assert float(entropy(p, base=2)) == pytest.approx(float(entropy(p)) / LN2, rel=4 * EPS)


@given(distributions())
def test_entropy_is_between_zero_and_log_n_maximal_at_uniform(p):
    n = p.size
    h = float(entropy(p))
    assert -EPS <= h <= math.log(n) * (1 + 8 * EPS)
    uniform = np.full(n, 1.0 / n)
    assert float(entropy(uniform)) == pytest.approx(math.log(n), rel=8 * EPS)
    assert float(entropy(uniform, base=2)) == pytest.approx(math.log2(n), rel=8 * EPS)


@given(pairs())
def test_kl_divergence_matches_kl_div_batchmean(pq):
    p, q = pq
    rows = np.stack([p, q]), np.stack([q, p])
    expected = (float(kl_divergence(p, q)) + float(kl_divergence(q, p))) / 2
    with np.errstate(divide="ignore"):
        log_model = np.log(rows[1])
    got = float(kl_div(log_model, rows[0], reduction="batchmean"))
    assert got == pytest.approx(expected, rel=1e-12, abs=_rounding_bound(p, q))


# --- against torch.distributions ------------------------------------------------------------------
def test_entropy_and_kl_match_torch_distributions():
    rng = np.random.default_rng(3)
    p = torch.softmax(torch.from_numpy(rng.normal(size=(4, 6))), -1)
    q = torch.softmax(torch.from_numpy(rng.normal(size=(4, 6))), -1)
    cat_p, cat_q = torch.distributions.Categorical(probs=p), torch.distributions.Categorical(probs=q)
    torch.testing.assert_close(entropy(p), cat_p.entropy())
    torch.testing.assert_close(kl_divergence(p, q), torch.distributions.kl_divergence(cat_p, cat_q))
    torch.testing.assert_close(
        cross_entropy_between(p, q), F.cross_entropy(torch.log(q), p, reduction="none"))


# --- gradients with respect to q (the registry only differentiates the first argument) ------------
_Q_GRADS = [
    (cross_entropy_between, cross_entropy_between_grad, torch_cross_entropy_between),
    (kl_divergence, kl_divergence_grad, torch_kl_divergence),
    (js_divergence, js_divergence_grad, torch_js_divergence),
]


def _pair_3d(rng):
    """Distributions along dim 1 of a (2, 5, 3) array: batch dims before and after the dim."""
    p = torch.softmax(torch.from_numpy(rng.normal(size=(2, 5, 3))), 1).numpy()
    q = torch.softmax(torch.from_numpy(rng.normal(size=(2, 5, 3))), 1).numpy()
    return p, q


@pytest.mark.parametrize(("ours", "grad", "theirs"), _Q_GRADS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("base", [None, 2])
def test_gradient_with_respect_to_q_matches_autograd(ours, grad, theirs, base):
    p, q = _pair_3d(np.random.default_rng(5))
    compare(ours, theirs, p, q, grad=grad, wrt=1, verbose=False, dim=1, base=base)


@pytest.mark.parametrize(("ours", "grad", "theirs"), _Q_GRADS, ids=lambda f: f.__name__)
def test_gradient_with_respect_to_q_gradcheck(ours, grad, theirs):
    p, q = (torch.from_numpy(x) for x in _pair_3d(np.random.default_rng(6)))
    q = q.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda q_: ours(p, q_, dim=1, validate=False), (q,),
                                    eps=1e-6, atol=1e-6)


def test_distribution_values_with_validation_on_match_twins():
    p, _ = _pair_3d(np.random.default_rng(7))
    for base in (None, 2):
        compare(entropy, torch_entropy, p, grad=entropy_grad, verbose=False, dim=1, base=base)


# --- conventions at zero: 0 log 0 = 0, inf not NaN ---------------------------------------------------
def test_zero_log_zero_is_zero():
    assert float(entropy(np.array([1.0, 0.0, 0.0]))) == 0.0
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.5, 0.5, 0.0])
    assert float(cross_entropy_between(p, q)) == pytest.approx(LN2, rel=EPS)
    assert float(kl_divergence(p, q)) == 0.0


@pytest.mark.parametrize("f", [cross_entropy_between, kl_divergence])
def test_q_zero_where_p_positive_gives_inf_not_nan(f):
    p, q = np.array([0.5, 0.5]), np.array([1.0, 0.0])
    assert float(f(p, q)) == math.inf
    pt, qt = torch.tensor(p), torch.tensor(q, requires_grad=True)
    f(pt, qt).backward()
    assert not torch.isnan(qt.grad).any()


def test_surprisal_of_an_impossible_event_is_inf():
    assert float(surprisal(np.array(0.0))) == math.inf
    assert float(surprisal(np.array(1.0))) == 0.0
    assert float(surprisal_grad(np.array(0.0))) == -math.inf


def test_js_of_disjoint_supports_is_log2():
    p, q = np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.0, 0.25, 0.75])
    assert float(js_divergence(p, q)) == pytest.approx(LN2, rel=4 * EPS)
    assert float(js_divergence(p, q, base=2)) == pytest.approx(1.0, rel=4 * EPS)


def test_gradients_at_zero_probabilities():
    # entropy: the one-sided derivative of -p ln p at 0 is +inf, as in torch.special.entr
    p = np.array([1.0, 0.0])
    assert entropy_grad(p)[1] == math.inf
    pt = torch.tensor(p, requires_grad=True)
    torch.special.entr(pt).sum().backward()
    assert pt.grad[1] == math.inf
    # cross-entropy and KL w.r.t. q: 0 where p = 0 (even at q = 0), -inf where q = 0 < p
    p, q = np.array([0.5, 0.5, 0.0]), np.array([1.0, 0.0, 0.0])
    for g in (cross_entropy_between_grad, kl_divergence_grad):
        np.testing.assert_array_equal(g(p, q), [-0.5, -math.inf, 0.0])
    # JS w.r.t. q where p = q = 0: ln(2)/2, the limit of ln(q/m)/2 with m = q/2
    g = js_divergence_grad(np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    assert g[0] == 0.0 and g[1] == pytest.approx(LN2 / 2, rel=EPS)
    h = 1e-7
    p, q = np.array([1.0, 0.0]), np.array([1.0, 0.0])
    one_sided = (float(js_divergence(p, q + np.array([0.0, h]), validate=False)) - 0.0) / h
    assert one_sided == pytest.approx(LN2 / 2, rel=1e-6)


# --- kl_div: PyTorch's conventions ------------------------------------------------------------------
def test_kl_div_batchmean_is_the_kl_divergence_and_mean_divides_by_classes():
    rng = np.random.default_rng(8)
    p = torch.softmax(torch.from_numpy(rng.normal(size=(4, 6))), -1).numpy()
    q = torch.softmax(torch.from_numpy(rng.normal(size=(4, 6))), -1).numpy()
    batchmean = float(kl_div(np.log(q), p, reduction="batchmean"))
    assert batchmean == pytest.approx(float(np.mean(kl_divergence(p, q))), rel=1e-14)
    mean = float(kl_div(np.log(q), p, reduction="mean"))
    assert mean == pytest.approx(batchmean / 6, rel=1e-14)
    with_log_target = float(kl_div(np.log(q), np.log(p), reduction="batchmean", log_target=True))
    assert with_log_target == pytest.approx(batchmean, rel=1e-12)


def test_kl_div_target_zero_as_pytorch_and_no_nan_where_pytorch_has_one():
    x = np.array([-1.0, -0.5, -math.inf, -math.inf, -0.2])
    t = np.array([0.0, 0.3, 0.0, 0.5, 0.2])
    ours = kl_div(x, t, reduction="none")
    with np.errstate(divide="ignore", invalid="ignore"):
        theirs = F.kl_div(torch.tensor(x), torch.tensor(t), reduction="none").numpy()
    # target = 0 with finite input: 0, as in PyTorch; target > 0 at input = -inf: inf, as in PyTorch
    np.testing.assert_array_equal(ours[[0, 3]], theirs[[0, 3]])
    np.testing.assert_allclose(ours[[1, 4]], theirs[[1, 4]], rtol=1e-15)
    # target = 0 at input = -inf: PyTorch computes 0 * -inf = NaN; the limit is 0
    assert math.isnan(theirs[2]) and ours[2] == 0.0
    # log_target=True with target = -inf (probability 0): PyTorch gives NaN, lossbook 0
    lt = np.array([-math.inf, -1.0])
    xin = np.array([-2.0, -0.5])
    assert torch.isnan(F.kl_div(torch.tensor(xin), torch.tensor(lt), reduction="none",
                                log_target=True)[0])
    np.testing.assert_array_equal(kl_div(xin, lt, reduction="none", log_target=True)[0], 0.0)
    # the gradient there is -target = 0, with no NaN through autograd either
    xt = torch.tensor(x, requires_grad=True)
    kl_div(xt, torch.tensor(t), reduction="sum").backward()
    assert not torch.isnan(xt.grad).any()
    np.testing.assert_array_equal(kl_div_grad(x, t, reduction="sum"), -t)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum", "batchmean"])
def test_kl_div_three_dims_and_zero_dim(reduction):
    rng = np.random.default_rng(9)
    x = torch.log_softmax(torch.from_numpy(rng.normal(size=(2, 3, 4))), 1).numpy()
    t = torch.softmax(torch.from_numpy(rng.normal(size=(2, 3, 4))), 1).numpy()
    compare(kl_div, torch_kl_div, x, t, grad=kl_div_grad, verbose=False, reduction=reduction)
    # 0-d input: PyTorch's batchmean does not divide
    compare(kl_div, torch_kl_div, np.array(-0.7), np.array(0.4), grad=kl_div_grad,
            verbose=False, reduction=reduction)


# --- dtype and type preservation ---------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda a: a.astype(np.float32), lambda a: torch.tensor(a, dtype=torch.float32),
                                  lambda a: torch.tensor(a, dtype=torch.float64)])
def test_type_and_dtype_are_preserved(make):
    p, q = make(np.array([[0.2, 0.8], [0.5, 0.5]])), make(np.array([[0.4, 0.6], [0.9, 0.1]]))
    outs = [surprisal(p), surprisal_grad(p), entropy(p), entropy_grad(p, base=2),
            cross_entropy_between(p, q), cross_entropy_between_grad(p, q), kl_divergence(p, q),
            kl_divergence_grad(p, q), js_divergence(p, q), js_divergence_grad(p, q, base=2),
            kl_div(q - 1, p), kl_div_grad(q - 1, p, reduction="batchmean")]
    for out in outs:
        assert type(out) is type(p) or (isinstance(p, np.ndarray) and isinstance(out, np.generic))
        assert out.dtype == p.dtype


def test_validate_false_skips_value_checks_only():
    p = np.array([0.3, 0.3])  # sums to 0.6
    assert math.isfinite(float(entropy(p, validate=False)))
    with pytest.raises(ValueError, match="p must sum to 1"):
        entropy(p)
    with pytest.raises(ValueError, match="must have the same shape"):
        kl_divergence(p, np.array([0.5, 0.25, 0.25]), validate=False)


# --- accuracy against mpmath (probabilities down to 1e-300) -----------------------------------------
mpmath.mp.dps = 50


def _mp(x):
    return [mpmath.mpf(float(v)) for v in np.asarray(x).ravel()]


def _mp_entropy(p):
    return -sum(v * mpmath.log(v) for v in _mp(p) if v != 0)


def _mp_cross_entropy(p, q):
    return -sum(a * mpmath.log(b) for a, b in zip(_mp(p), _mp(q), strict=True) if a != 0)


def _mp_kl(p, q):
    return sum(a * (mpmath.log(a) - mpmath.log(b)) for a, b in zip(_mp(p), _mp(q), strict=True)
               if a != 0)


def _mp_js(p, q):
    m = [(a + b) / 2 for a, b in zip(_mp(p), _mp(q), strict=True)]

    def kl(x):
        return sum(a * mpmath.log(a / c) for a, c in zip(x, m, strict=True) if a != 0)

    return (kl(_mp(p)) + kl(_mp(q))) / 2


TINY = [
    (np.array([1e-300, 1.0]), np.array([1e-310, 1.0])),  # q subnormal
    (np.array([1e-300, 1e-200, 1e-100, 1.0]), np.array([1e-100, 1e-300, 1e-200, 1.0])),
    (np.array([0.5, 0.5 - 1e-17, 1e-300]), np.array([1e-300, 0.5, 0.5])),
    (np.array([3e-300, 0.25, 0.75]), np.array([1e-250, 0.75, 0.25])),
    (np.array([1e-10, 1.0]), np.array([1e-320, 1.0])),  # p / q overflows: difference of logs
    (np.array([1e-290, 0.5, 0.5]), np.array([1e-290 * (1 + 2**-40), 0.5, 0.5])),  # p ~ q, tiny
]
# The last case is ill-conditioned for two formulas, whose absolute error is then checked instead:
# kl_div's input is ln q, already rounded to an absolute 1e-14 near -668 while ln p - ln q is
# 9e-13 (kl_divergence keeps the ratio p / q instead), and JS is second order in p - q, so the
# rounding of m = (p + q) / 2, an absolute eps * p, is larger than JS itself (1e-315).
KL_DIV_ACCURATE = [True] * (len(TINY) - 1) + [False]


def _mp_kl_div(x, t):
    """sum t (ln t - x) on the float values given (x is already a rounded log)."""
    return sum(b * (mpmath.log(b) - a) for a, b in zip(_mp(x), _mp(t), strict=True) if b != 0)


@pytest.mark.parametrize(("p", "q", "log_space_ok"),
                         [(p, q, ok) for (p, q), ok in zip(TINY, KL_DIV_ACCURATE, strict=True)])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_accuracy_against_mpmath_for_tiny_probabilities(p, q, log_space_ok, backend):
    wrap = (lambda a: a) if backend == "numpy" else torch.from_numpy
    P, Q = wrap(p), wrap(q)
    checks = [
        (entropy(P, validate=False), _mp_entropy(p)),
        (cross_entropy_between(P, Q, validate=False), _mp_cross_entropy(p, q)),
        (kl_divergence(P, Q, validate=False), _mp_kl(p, q)),
    ]
    js = float(js_divergence(P, Q, validate=False))
    log_kl = float(kl_div(wrap(np.log(q)), P, reduction="sum", validate=False))
    if log_space_ok:
        checks += [(js, _mp_js(p, q)), (log_kl, _mp_kl_div(np.log(q), p))]
    else:
        assert abs(js - float(_mp_js(p, q))) <= 8 * EPS * float(np.sum(p))
        assert abs(log_kl - float(_mp_kl_div(np.log(q), p))) <= 8 * EPS * float(
            np.sum(p * np.abs(np.log(p))))
    for got, exact in checks:
        got, exact = float(got), float(exact)
        assert got == pytest.approx(exact, rel=64 * EPS, abs=0), (got, exact)
    for v in p:
        assert float(surprisal(wrap(np.array(v)))) == pytest.approx(
            float(-mpmath.log(mpmath.mpf(float(v)))), rel=4 * EPS)


def test_tiny_entropy_keeps_relative_accuracy():
    # H([1e-300, 1]) = 1e-300 * ln(1e300): a value of 6.9e-298, not 0
    h = float(entropy(np.array([1e-300, 1.0])))
    assert h == pytest.approx(float(mpmath.mpf(1e-300) * mpmath.log(mpmath.mpf(1e300))), rel=4 * EPS)


# --- bad input ----------------------------------------------------------------------------------------
TWO = [cross_entropy_between, kl_divergence, js_divergence, cross_entropy_between_grad,
       kl_divergence_grad, js_divergence_grad]
ONE = [entropy, entropy_grad]
GOOD = np.array([[0.25, 0.75], [0.5, 0.5]])


def _call(f, p, q=GOOD, **kw):
    return f(p, **kw) if f in ONE or f in (surprisal, surprisal_grad) else f(p, q, **kw)


@pytest.mark.parametrize("f", ONE + TWO, ids=lambda f: f.__name__)
def test_not_summing_to_one_is_refused(f):
    with pytest.raises(ValueError, match=r"p must sum to 1 along dim -1; got sums from 0.9 to 1"):
        _call(f, np.array([[0.25, 0.65], [0.5, 0.5]]))
    if f in TWO:
        with pytest.raises(ValueError, match=r"q must sum to 1 along dim 0"):
            f(GOOD.T, GOOD, dim=0)


@pytest.mark.parametrize("f", [*ONE, *TWO, surprisal, surprisal_grad], ids=lambda f: f.__name__)
def test_negative_probabilities_are_refused(f):
    bad = np.array([[1.25, -0.25], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"p must hold probabilities within \[0, 1\]; got values "
                                         r"from -0.25 to 1.25"):
        _call(f, bad)
    if f in TWO:
        with pytest.raises(ValueError, match=r"q must hold probabilities within \[0, 1\]"):
            f(GOOD, bad)


@pytest.mark.parametrize("f", TWO, ids=lambda f: f.__name__)
def test_shape_mismatch_is_refused(f):
    with pytest.raises(ValueError, match=r"p and q must have the same shape \(no broadcasting\); "
                                         r"got p \(2, 2\) and q \(2,\)"):
        f(GOOD, np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match=r"got p \(2, 1\) and q \(2,\)"):
        f(np.array([[1.0], [1.0]]), np.array([1.0, 0.0]), dim=0)


@pytest.mark.parametrize("f", [*ONE, *TWO, surprisal, surprisal_grad], ids=lambda f: f.__name__)
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_integer_input_is_refused(f, backend):
    ints = np.array([[0, 1], [1, 0]])
    ints = torch.from_numpy(ints) if backend == "torch" else ints
    good = torch.from_numpy(GOOD) if backend == "torch" else GOOD
    with pytest.raises(TypeError, match=r"p must have a real floating dtype .* got int64"):
        _call(f, ints, good)
    if f in TWO:
        with pytest.raises(TypeError, match=r"q must have a real floating dtype .* got int64"):
            f(good, ints)


@pytest.mark.parametrize("f", [*ONE, *TWO, surprisal, surprisal_grad], ids=lambda f: f.__name__)
def test_empty_input_is_refused(f):
    with pytest.raises(ValueError, match=r"p must not be empty; got shape \(0, 2\)"):
        _call(f, np.zeros((0, 2)), np.zeros((0, 2)))
    if f in TWO or f in ONE:
        with pytest.raises(ValueError, match=r"p must not be empty; got shape \(3, 0\)"):
            _call(f, np.zeros((3, 0)), np.zeros((3, 0)))


@pytest.mark.parametrize("f", [*ONE, *TWO, surprisal, surprisal_grad], ids=lambda f: f.__name__)
@pytest.mark.parametrize("base", [0, 1, 0.5, -2.0, math.inf, math.nan])
def test_bad_base_is_refused(f, base):
    with pytest.raises(ValueError, match=r"base must be None \(nats\), 2 \(bits\) or another "
                                         r"finite number > 1; got"):
        _call(f, GOOD, base=base)


@pytest.mark.parametrize("base", ["2", True, np.array(2.0)])
def test_base_of_wrong_type_is_refused(base):
    with pytest.raises(TypeError, match="base must be a real number; got"):
        entropy(GOOD, base=base)


@pytest.mark.parametrize("f", ONE + TWO, ids=lambda f: f.__name__)
def test_bad_dim_is_refused(f):
    with pytest.raises(ValueError, match=r"dim must be within \[-2, 2\) for p of shape \(2, 2\); got 2"):
        _call(f, GOOD, dim=2)
    with pytest.raises(TypeError, match=r"dim must be an int; got float 1\.0"):
        _call(f, GOOD, dim=1.0)
    with pytest.raises(TypeError, match="dim must be an int; got bool True"):
        _call(f, GOOD, dim=True)
    _call(f, GOOD, dim=np.int64(-1))  # a NumPy integer is an integer
    with pytest.raises(ValueError, match=r"p must have at least one dimension .* got shape \(\)"):
        _call(f, np.array(1.0), np.array(1.0))


def test_mixed_libraries_are_refused():
    with pytest.raises(TypeError, match=r"q must come from the same library as p \(numpy\); got torch"):
        kl_divergence(GOOD, torch.from_numpy(GOOD))
    with pytest.raises(TypeError, match="p must be a NumPy array or a torch tensor, got list"):
        entropy([0.5, 0.5])


LOGQ = np.log(GOOD)


@pytest.mark.parametrize("f", [kl_div, kl_div_grad], ids=lambda f: f.__name__)
def test_kl_div_bad_input(f):
    with pytest.raises(ValueError, match="reduction must be one of 'none', 'mean', 'sum', "
                                         "'batchmean'; got 'average'"):
        f(LOGQ, GOOD, reduction="average")
    with pytest.raises(ValueError, match=r"input and target must have the same shape .* "
                                         r"got input \(2, 2\) and target \(4,\)"):
        f(LOGQ, GOOD.ravel())
    with pytest.raises(TypeError, match="input must have a real floating dtype"):
        f(np.array([[0, -1], [-1, 0]]), GOOD)
    with pytest.raises(TypeError, match="target must have a real floating dtype"):
        f(LOGQ, np.array([[0, 1], [1, 0]]))
    with pytest.raises(ValueError, match=r"input must not be empty; got shape \(0, 2\)"):
        f(LOGQ[:0], GOOD[:0])
    # probabilities passed where log-probabilities belong: the classic KLDivLoss mistake
    with pytest.raises(ValueError, match=r"input must hold log-probabilities \(values <= 0, "
                                         r"e.g. from log_softmax\); got values up to 0.75"):
        f(GOOD, GOOD)
    with pytest.raises(ValueError, match=r"target must hold probabilities within \[0, 1\]"):
        f(LOGQ, GOOD + 0.5)
    with pytest.raises(ValueError, match=r"target \(log_target=True\) must hold log-probabilities"):
        f(LOGQ, GOOD, log_target=True)
    with pytest.raises(TypeError, match="log_target must be True or False; got str"):
        f(LOGQ, GOOD, log_target="yes")
    with pytest.raises(ValueError, match="and NaN"):
        f(np.array([[-1.0, math.nan]]), np.array([[0.5, 0.5]]))
    f(GOOD, GOOD, validate=False)  # value checks off: runs


# --- runs under torch.compile without a graph break --------------------------------------------------
def test_runs_under_torch_compile_fullgraph():
    def step(x, t, p, q):
        return (kl_div(x, t, reduction="batchmean", validate=False)
                + kl_div(x, torch.log(t), reduction="sum", log_target=True, validate=False)
                + kl_divergence(p, q, validate=False).sum()
                + js_divergence(p, q, validate=False).sum()
                + cross_entropy_between(p, q, validate=False).sum()
                + entropy(p, base=2, validate=False).sum()
                + surprisal(p, validate=False).sum())

    compiled = torch.compile(step, fullgraph=True, backend="eager")
    x = torch.log_softmax(torch.randn(3, 4), -1)
    t, p, q = (torch.softmax(torch.randn(3, 4), -1) for _ in range(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.testing.assert_close(compiled(x, t, p, q), step(x, t, p, q))


# --- grad_output: the gradient is a vector-Jacobian product --------------------------------------


@pytest.mark.parametrize("dim", [-1, 0])
@pytest.mark.parametrize("base", [None, 2.0])
def test_grad_output_against_autograd(dim, base):
    rng = np.random.default_rng(8)
    p = rng.dirichlet(np.ones(4), size=3)
    q = rng.dirichlet(np.ones(4), size=3)
    if dim == 0:
        p, q = p.T.copy(), q.T.copy()
    assert_vjp(surprisal, surprisal_grad, q, base=base)
    assert_vjp(entropy, entropy_grad, p, dim=dim, base=base)
    for f, f_grad in [(cross_entropy_between, cross_entropy_between_grad),
                      (kl_divergence, kl_divergence_grad), (js_divergence, js_divergence_grad)]:
        # the gradient is taken with respect to q, the second argument
        assert_vjp(lambda q_, p_, f=f, **o: f(p_, q_, **o),
                   lambda q_, p_, f_grad=f_grad, **o: f_grad(p_, q_, **o),
                   q, p, dim=dim, base=base)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_grad_output_against_autograd(reduction, log_target):
    rng = np.random.default_rng(9)
    log_q = np.log(rng.dirichlet(np.ones(4), size=3))
    p = rng.dirichlet(np.ones(4), size=3)
    target = np.log(p) if log_target else p
    assert_vjp(kl_div, kl_div_grad, log_q, target, reduction=reduction, log_target=log_target)
