"""Tests of lossbook.classification beyond the registry: properties, accuracy, bad input."""

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

from lossbook.classification import cross_entropy, cross_entropy_grad, nll_loss, nll_loss_grad
from lossbook.primitives import (
    log_softmax,
    log_softmax_grad,
    logsumexp,
    logsumexp_grad,
    softmax,
    softmax_grad,
)
from lossbook.testing import compare
from tests._vjp import assert_vjp

mpmath.mp.dps = 50
EPS = np.finfo(np.float64).eps

# --------------------------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------------------------

finite = st.floats(-50.0, 50.0, allow_nan=False, allow_infinity=False)


@st.composite
def logits_and_targets(draw, max_n: int = 6, max_c: int = 6):
    n = draw(st.integers(1, max_n))
    c = draw(st.integers(1, max_c))
    x = draw(arrays(np.float64, (n, c), elements=finite))
    y = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
    return x, y


@st.composite
def positive_weights(draw, c: int):
    return draw(arrays(np.float64, (c,), elements=st.floats(0.1, 3.0)))


# --------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 7)), elements=finite),
       st.floats(-100.0, 100.0))
def test_softmax_sums_to_one_and_is_shift_invariant(x, shift):
    s = softmax(x)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=0, atol=8 * x.shape[-1] * EPS)
    assert np.all(s >= 0)
    # x + shift is rounded: each logit moves by at most |x + shift| * eps / 2, so softmax
    # moves by at most twice that (relative); 150 * eps bounds it for |x|, |shift| <= 100.
    np.testing.assert_allclose(softmax(x + shift), s, rtol=300 * EPS, atol=1e-300)
    np.testing.assert_allclose(softmax(x, dim=0).sum(axis=0), 1.0, atol=8 * x.shape[0] * EPS)


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 7)), elements=finite))
def test_log_softmax_is_log_of_softmax_and_logsumexp_bounds(x):
    s = softmax(x)
    representable = s > 1e-300
    np.testing.assert_allclose(np.log(s[representable]), log_softmax(x)[representable],
                               rtol=1e-13, atol=1e-14)
    lse = logsumexp(x)
    assert np.all(lse >= x.max(axis=-1))
    assert np.all(lse <= x.max(axis=-1) + np.log(x.shape[-1]) + 1e-12)
    np.testing.assert_allclose(x - logsumexp(x, keepdim=True), log_softmax(x), atol=1e-12)


@given(logits_and_targets(), st.sampled_from([0.0, 0.1, 1.0]), st.booleans())
def test_one_hot_probability_targets_equal_index_targets(data, smoothing, weighted):
    x, y = data
    c = x.shape[1]
    one_hot = np.eye(c)[y]
    weight = np.linspace(0.5, 2.0, c) if weighted else None
    kw = {"weight": weight, "label_smoothing": smoothing}
    # Per element and summed, the two target forms are one loss; the weighted mean differs by
    # its denominator (sum of target weights vs N), as in PyTorch.
    for reduction in ("none", "sum") + (() if weighted else ("mean",)):
        by_index = cross_entropy(x, y, reduction=reduction, **kw)
        by_prob = cross_entropy(x, one_hot, reduction=reduction, **kw)
        np.testing.assert_allclose(by_prob, by_index, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(cross_entropy_grad(x, one_hot, reduction=reduction, **kw),
                                   cross_entropy_grad(x, y, reduction=reduction, **kw),
                                   rtol=1e-13, atol=1e-15)


@given(logits_and_targets(), st.floats(0.0, 1.0))
def test_cross_entropy_is_non_negative_and_sum_is_mean_times_n(data, smoothing):
    x, y = data
    losses = cross_entropy(x, y, reduction="none", label_smoothing=smoothing)
    assert np.all(losses >= 0)
    mean = cross_entropy(x, y, label_smoothing=smoothing)
    total = cross_entropy(x, y, reduction="sum", label_smoothing=smoothing)
    np.testing.assert_allclose(total, mean * len(y), rtol=1e-13, atol=1e-300)


@given(logits_and_targets())
def test_cross_entropy_is_nll_of_log_softmax(data):
    x, y = data
    for reduction in ("none", "mean", "sum"):
        np.testing.assert_allclose(cross_entropy(x, y, reduction=reduction),
                                   nll_loss(log_softmax(x), y, reduction=reduction),
                                   rtol=1e-15, atol=0)


@given(logits_and_targets())
def test_gradient_is_softmax_minus_one_hot(data):
    x, y = data
    expected = (softmax(x) - np.eye(x.shape[1])[y]) / len(y)
    np.testing.assert_allclose(cross_entropy_grad(x, y), expected, rtol=1e-13, atol=1e-17)
    np.testing.assert_allclose(cross_entropy_grad(x, y).sum(axis=1), 0.0, atol=1e-15)


@given(logits_and_targets(max_n=4, max_c=5))
def test_cross_entropy_is_at_least_the_target_entropy(data):
    # CE(p, q) >= H(p) for soft targets (Gibbs' inequality).
    x, _ = data
    p = softmax(np.flip(x, axis=1).copy())
    h = -(p * np.log(p)).sum(axis=1)
    assert np.all(cross_entropy(x, p, reduction="none") >= h - 1e-12)


# --------------------------------------------------------------------------------------------
# options that the registry does not reach
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("options", [
    {}, {"label_smoothing": 0.3}, {"weight": np.array([1.0, 2.0, 0.5])},
    {"weight": np.array([1.0, 2.0, 0.5]), "label_smoothing": 0.3},
])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_all_targets_ignored_gives_what_pytorch_gives(options, reduction):
    x = np.random.default_rng(3).normal(size=(4, 3))
    y = np.array([1, 1, 1, 1])
    compare(cross_entropy, F.cross_entropy, x, y, grad=cross_entropy_grad, verbose=False,
            reduction=reduction, ignore_index=1, **options)
    compare(cross_entropy, F.cross_entropy, x[0], np.array(-100), grad=cross_entropy_grad,
            verbose=False, reduction=reduction, **options)
    if "label_smoothing" not in options:
        compare(nll_loss, F.nll_loss, x, y, grad=nll_loss_grad, verbose=False,
                reduction=reduction, ignore_index=1, **options)


@pytest.mark.parametrize("weight", [None, np.array([1.0, 2.0, 0.5])])
@pytest.mark.parametrize("f", [cross_entropy, nll_loss])
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_all_ignored_mean_is_nan_as_in_pytorch_without_a_warning(f, weight):
    # 0/0: no target adds to the sum and the denominator (their total weight) is 0.
    x = np.random.default_rng(3).normal(size=(2, 3))
    y = np.array([-100, -100])
    theirs = getattr(F, f.__name__)(torch.from_numpy(x), torch.from_numpy(y),
                                    weight=None if weight is None else torch.from_numpy(weight))
    assert torch.isnan(theirs)
    assert np.isnan(f(x, y, weight=weight))
    assert torch.isnan(f(torch.from_numpy(x), torch.from_numpy(y),
                         weight=None if weight is None else torch.from_numpy(weight)))
    assert float(f(x, y, weight=weight, reduction="sum")) == 0.0
    grad = {cross_entropy: cross_entropy_grad, nll_loss: nll_loss_grad}[f]
    assert not np.any(grad(x, y, weight=weight))  # the gradient is 0, as PyTorch's


@pytest.mark.parametrize("ignore_index", [-1, 7, 2])
def test_any_ignore_index_value_is_allowed(ignore_index):
    x = np.random.default_rng(4).normal(size=(5, 3))
    y = np.array([0, ignore_index, 1, 2 if ignore_index != 2 else 0, ignore_index])
    compare(cross_entropy, F.cross_entropy, x, y, grad=cross_entropy_grad, verbose=False,
            ignore_index=ignore_index, label_smoothing=0.1, weight=np.array([1.0, 0.5, 2.0]))


def test_higher_dimensional_targets_and_three_spatial_dims():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 2, 2, 2))
    y = rng.integers(0, 3, size=(2, 2, 2, 2))
    y[0, 0, 0, 0] = -100
    for reduction in ("none", "mean", "sum"):
        compare(cross_entropy, F.cross_entropy, x, y, grad=cross_entropy_grad, verbose=False,
                reduction=reduction, weight=np.array([1.0, 0.5, 2.0]), label_smoothing=0.2)
    p = softmax(rng.normal(size=(2, 3, 2, 2, 2)), dim=1)
    compare(cross_entropy, F.cross_entropy, x, p, grad=cross_entropy_grad, verbose=False,
            weight=np.array([1.0, 0.5, 2.0]), label_smoothing=0.2)


def test_weights_may_be_zero():
    x = np.random.default_rng(6).normal(size=(4, 3))
    compare(cross_entropy, F.cross_entropy, x, np.array([0, 1, 2, 0]), grad=cross_entropy_grad,
            verbose=False, weight=np.array([0.0, 1.0, 2.0]), label_smoothing=0.1)


def test_masked_classes_with_minus_inf_logits():
    # Logits of -inf (a masked class) give finite losses and gradients for index targets.
    x = np.array([[2.0, -np.inf, 0.5], [-np.inf, 1.0, 0.0]])
    y = np.array([0, 2])
    compare(cross_entropy, F.cross_entropy, x, y, grad=cross_entropy_grad, verbose=False)
    # Probability targets: 0 * log 0 = 0 where the target is 0 (PyTorch gives NaN there).
    p = np.array([[0.5, 0.0, 0.5], [0.0, 0.25, 0.75]])
    ours = cross_entropy(x, p, reduction="none")
    expected = -(0.5 * log_softmax(x[0])[[0, 2]]).sum(), -(p[1, 1:] * log_softmax(x[1])[1:]).sum()
    np.testing.assert_allclose(ours, expected, rtol=1e-15)
    assert torch.isnan(F.cross_entropy(torch.from_numpy(x), torch.from_numpy(p))).item()


def test_tied_maxima_have_the_right_gradient_through_autograd():
    x = torch.tensor([[1.0, 1.0, 0.0], [3.0, 3.0, 3.0]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1, 2])
    for f, twin in ((cross_entropy, F.cross_entropy),):
        (ours,) = torch.autograd.grad(f(x, y), x)
        (theirs,) = torch.autograd.grad(twin(x, y), x)
        torch.testing.assert_close(ours, theirs, rtol=1e-14, atol=4 * EPS)  # O(1) values
    for f, twin in ((logsumexp, torch.logsumexp), (log_softmax, torch.log_softmax)):
        g = torch.arange(6, dtype=torch.float64).reshape(2, 3)
        g = g[:, 0] if f is logsumexp else g
        (ours,) = torch.autograd.grad(f(x, dim=1), x, g)
        (theirs,) = torch.autograd.grad(twin(x, dim=1), x, g)
        torch.testing.assert_close(ours, theirs, rtol=1e-14, atol=4 * EPS)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_vector_jacobian_products_against_autograd(dim):
    rng = np.random.default_rng(7)
    x = torch.from_numpy(rng.normal(size=(3, 4))).requires_grad_(True)
    cases = ((softmax, softmax_grad, torch.softmax), (log_softmax, log_softmax_grad,
             torch.log_softmax), (logsumexp, logsumexp_grad, torch.logsumexp))
    for _, f_grad, twin in cases:
        out = twin(x, dim=dim)
        g = torch.from_numpy(rng.normal(size=tuple(out.shape)))
        (expected,) = torch.autograd.grad(out, x, g)
        got = f_grad(x.detach().numpy(), dim=dim, grad_output=g.numpy())
        np.testing.assert_allclose(got, expected.numpy(), rtol=1e-12, atol=1e-14)
    g = rng.normal(size=(3, 1) if dim == 1 or dim == -1 else (1, 4))
    out = torch.logsumexp(x, dim=dim, keepdim=True)
    (expected,) = torch.autograd.grad(out, x, torch.from_numpy(g))
    got = logsumexp_grad(x.detach().numpy(), dim=dim, keepdim=True, grad_output=g)
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_type_and_dtype_are_preserved(dtype):
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0)).to(dtype)
    y = torch.tensor([0, 2, 1, 1])
    for out in (cross_entropy(x, y), cross_entropy_grad(x, y), nll_loss(x, y),
                nll_loss_grad(x, y), softmax(x), log_softmax(x), logsumexp(x),
                cross_entropy(x, softmax(x), weight=torch.ones(3, dtype=dtype))):
        assert isinstance(out, torch.Tensor) and out.dtype == dtype
    xn = x.double().numpy()
    for out in (cross_entropy(xn, y.numpy()), softmax(xn), cross_entropy_grad(xn, y.numpy())):
        assert isinstance(out, np.ndarray | np.generic) and out.dtype == np.float64


def test_a_float64_weight_with_a_float32_input_is_refused():
    # one dtype policy: floating arrays of one computation share one dtype, nothing is cast
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 2, 1, 1])
    for f in (cross_entropy, cross_entropy_grad, nll_loss, nll_loss_grad):
        with pytest.raises(TypeError, match=r"weight must have the dtype of input \(float32\); "
                                            r"got float64"):
            f(x, y, weight=torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    with pytest.raises(TypeError, match=r"target must have the dtype of input \(float32\)"):
        cross_entropy(x, torch.softmax(x.double(), 1))
    with pytest.raises(TypeError, match=r"grad_output must have the dtype of input \(float32\)"):
        cross_entropy_grad(x, y, grad_output=torch.tensor(1.0, dtype=torch.float64))


def test_trains_with_autograd_and_without_validation():
    torch.manual_seed(0)
    x = torch.randn(8, 2)
    y = (x[:, 0] > 0).long()
    w = torch.zeros(2, 2, requires_grad=True)
    opt = torch.optim.SGD([w], lr=1.0)
    first = None
    for _ in range(20):
        opt.zero_grad()
        loss = cross_entropy(x @ w, y, validate=False, label_smoothing=0.05)
        loss.backward()
        opt.step()
        first = float(loss.detach()) if first is None else first
    assert float(loss.detach()) < 0.5 * first


@pytest.mark.filterwarnings("ignore:Dynamo detected:UserWarning")
@pytest.mark.parametrize("which", ["index", "probabilities", "nll", "log_softmax", "logsumexp"])
def test_runs_under_torch_compile_without_graph_break(which):
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 3, -100, 2])
    w = torch.tensor([1.0, 2.0, 0.5, 1.0])
    p = torch.softmax(2 * x.flip(0), dim=1)
    ours, theirs = {
        "index": (lambda x: cross_entropy(x, y, weight=w, label_smoothing=0.1, validate=False),
                  lambda x: F.cross_entropy(x, y, weight=w, label_smoothing=0.1)),
        "probabilities": (lambda x: cross_entropy(x, p, weight=w, validate=False),
                          lambda x: F.cross_entropy(x, p, weight=w)),
        "nll": (lambda x: nll_loss(x, y, weight=w, validate=False),
                lambda x: F.nll_loss(x, y, weight=w)),
        "log_softmax": (lambda x: log_softmax(x, dim=1), lambda x: torch.log_softmax(x, dim=1)),
        "logsumexp": (lambda x: logsumexp(x, dim=0), lambda x: torch.logsumexp(x, dim=0)),
    }[which]
    compiled = torch.compile(ours, fullgraph=True, backend="eager")
    torch.testing.assert_close(compiled(x), theirs(x))


@pytest.mark.filterwarnings("ignore:Dynamo detected:UserWarning")
@pytest.mark.parametrize("f", [softmax, cross_entropy_grad])
def test_functions_using_the_core_softmax_compile(f):
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    args = (torch.tensor([0, 1, 3, 1, 2]),) if f is cross_entropy_grad else ()
    kw = {"validate": False} if f is cross_entropy_grad else {}
    torch.compile(lambda x: f(x, *args, **kw), fullgraph=True, backend="eager")(x)


# --------------------------------------------------------------------------------------------
# accuracy against mpmath
# --------------------------------------------------------------------------------------------


def _mp_neg_log_softmax(row, c):
    # log(1 + sum_{j != c} exp(x_j - x_c)) with mpmath's log1p: even 50 digits would cancel
    # in log(sum exp(x)) - x_c when the loss is below 1e-50.
    xs = [mpmath.mpf(float(v)) for v in row]
    return mpmath.log1p(mpmath.fsum(mpmath.exp(v - xs[c]) for j, v in enumerate(xs) if j != c))


def _mp_logsumexp(row):
    return mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in row))


def test_tiny_loss_keeps_its_relative_accuracy():
    loss = cross_entropy(np.array([40.0, 0.0]), np.array(0))
    assert float(loss) == 4.248354255291589e-18
    assert float(F.cross_entropy(torch.tensor([40.0, 0.0], dtype=torch.float64),
                                 torch.tensor(0))) == 0.0  # what lossbook does better
    loss32 = cross_entropy(torch.tensor([[20.0, 0.0]]), torch.tensor([0]))
    expected = float(_mp_neg_log_softmax([20.0, 0.0], 0))
    assert abs(float(loss32) - expected) <= 2 * float(np.finfo(np.float32).eps) * expected


def _extreme_rows():
    rng = np.random.default_rng(11)
    rows = [
        [40.0, 0.0], [1e4, -1e4], [-1e4, 1e4], [1e4, 1e4 - 1e-9, 1e4 - 30.0],
        [1.0, 1.0 + 1e-12, 1.0 - 1e-12, 1.0], [700.0, 0.0, -700.0], [0.0, 0.0, 0.0],
        [745.0, 0.0, 0.0, 0.0], [-1e4, -1e4 + 36.0, -1e4 + 20.0], [30.0, -5.0, 0.0, 2.0, 29.9],
    ]
    rows += [list(rng.uniform(-1e4, 1e4, size=5)) for _ in range(5)]
    rows += [list(rng.normal(size=4) + np.array([35.0, 0.0, 0.0, 0.0])) for _ in range(5)]  # dominant
    rows += [list(1.0 + rng.normal(size=6) * 1e-10) for _ in range(3)]  # near-equal
    return rows


@pytest.mark.parametrize("row", _extreme_rows())
def test_cross_entropy_and_log_softmax_against_mpmath(row):
    x = np.array(row)
    c = len(row)
    losses = cross_entropy(np.tile(x, (c, 1)), np.arange(c), reduction="none")
    lse = float(_mp_logsumexp(row))
    assert abs(float(logsumexp(x)) - lse) <= 4 * EPS * abs(lse) + 1e-300
    for k in range(c):
        expected = float(_mp_neg_log_softmax(row, k))
        # (x_k - m) and log1p(T) have one sign, so nothing cancels: the error is (c + 2) ulps
        # plus the rounding of each difference x_j - m (half an ulp of |x_j - m|), which moves
        # exp(x_j - m) by |x_j - m| ulps relative. That is the problem's own conditioning: a
        # relative perturbation of the logits by eps changes the loss that much. Below 2.2e-308
        # (subnormal) relative accuracy is impossible: allow c subnormal ulps.
        spread = float(np.max(np.abs(x - x.max())))
        tol = (c + 2 + spread) * EPS * expected + c * 2.0**-1074
        assert abs(float(losses[k]) - expected) <= tol, (k, float(losses[k]), expected)
        assert abs(float(-log_softmax(x)[k]) - expected) <= tol
    s = softmax(x)
    spread = float(np.max(np.abs(x - x.max())))
    for k in range(c):
        expected = float(mpmath.exp(-_mp_neg_log_softmax(row, k)))
        assert abs(float(s[k]) - expected) <= (c + 4 + spread) * EPS * expected + c * 2.0**-1074


@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_cross_entropy_grad_with_a_weight_at_the_largest_float_against_mpmath(soft):
    # PyTorch's backward forms weight * grad_output first (inf) and meets inf - inf (NaN);
    # lossbook multiplies the upstream gradient last: the exact value, inf only beyond the
    # largest float. Error bound of s_i sum_c w_c q_c - w_i q_i: a few ulps of its two terms.
    big = np.finfo(np.float64).max
    rng = np.random.default_rng(5)
    x = rng.normal(scale=2.0, size=(6, 4))
    w = np.array([big, 1.0, 2.0, 0.25])
    target = (rng.dirichlet(np.ones(4), size=6) if soft else np.array([0, 0, 1, 2, 0, 3]))
    q = target if soft else np.eye(4)[target]
    g = np.array([8.0, -6.0, 5.0, -0.5, 0.25, 3.0])
    ours = cross_entropy_grad(x, target, weight=w, reduction="none", grad_output=g)
    theirs = torch.autograd.grad(
        F.cross_entropy(t := torch.from_numpy(x).requires_grad_(), torch.from_numpy(target),
                        weight=torch.from_numpy(w), reduction="none"), t, torch.from_numpy(g))[0]
    assert not np.isfinite(theirs.numpy()).all()  # PyTorch overflows here
    overflowed = 0
    for n in range(6):
        xs = [mpmath.mpf(float(v)) for v in x[n]]
        total = mpmath.fsum(mpmath.exp(v) for v in xs)
        wq = [mpmath.mpf(float(w[c])) * mpmath.mpf(float(q[n, c])) for c in range(4)]
        for i in range(4):
            s_i = mpmath.exp(xs[i]) / total
            exact = (s_i * mpmath.fsum(wq) - wq[i]) * mpmath.mpf(float(g[n]))
            if abs(exact) > big:
                overflowed += 1
                assert ours[n, i] == (math.inf if exact > 0 else -math.inf), (n, i)
                continue
            size = (abs(s_i * mpmath.fsum(wq)) + abs(wq[i])) * abs(mpmath.mpf(float(g[n])))
            assert abs(ours[n, i] - exact) <= 8 * EPS * size, (n, i, ours[n, i], float(exact))
    assert overflowed > 0 and np.isfinite(ours).sum() > 6  # both kinds of entries are met


def test_extreme_logits_match_pytorch_where_pytorch_is_right():
    rng = np.random.default_rng(12)
    x = rng.uniform(-1e4, 1e4, size=(6, 5))
    y = np.array([0, 1, 2, 3, 4, 0])
    compare(cross_entropy, F.cross_entropy, x, y, grad=cross_entropy_grad, verbose=False,
            backends=("numpy float64", "torch float64"), label_smoothing=0.1)


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------

X = np.random.default_rng(0).normal(size=(5, 4))
Y = np.array([0, 1, 3, 1, 2])


@pytest.mark.parametrize("f", [cross_entropy, nll_loss, cross_entropy_grad, nll_loss_grad])
def test_class_index_out_of_range_names_the_value(f):
    with pytest.raises(ValueError, match=r"target must hold class indices within \[0, 4\) "
                                         r"or ignore_index=-100; got 4"):
        f(X, np.array([0, 1, 4, 1, 2]))
    with pytest.raises(ValueError, match=r"got -1$"):
        f(X, np.array([0, -1, 3, 1, 2]))
    with pytest.raises(ValueError, match=r"got 9$"):
        f(X[0], np.array(9))
    f(X, np.array([0, 1, 4, 1, 2]), validate=False)  # skipped for training loops


@pytest.mark.parametrize("f", [cross_entropy, nll_loss, softmax, log_softmax, logsumexp])
def test_integer_logits_are_refused(f):
    args = (X.round().astype(np.int64), Y) if f in (cross_entropy, nll_loss) else (X.astype(int),)
    with pytest.raises(TypeError, match=r"input must have a real floating dtype .* got int64"):
        f(*args)


@pytest.mark.parametrize("f", [cross_entropy, nll_loss])
def test_target_shape_mismatch(f):
    with pytest.raises(ValueError, match=r"target of class indices must have shape \(5,\) for "
                                         r"input of shape \(5, 4\).*got \(4,\)"):
        f(X, Y[:4])
    with pytest.raises(ValueError, match=r"must have shape \(2, 3\) .*got \(2, 4\)"):
        f(np.zeros((2, 4, 3)), np.zeros((2, 4), dtype=np.int64))
    with pytest.raises(ValueError, match=r"must have shape \(\) .*got \(1,\)"):
        f(X[0], np.array([1]))


def test_float_target_of_wrong_shape_names_both_forms():
    with pytest.raises(ValueError, match=r"target must have shape \(5,\) \(class indices.*or "
                                         r"\(5, 4\) \(class probabilities.*got a floating "
                                         r"target of shape \(5,\)"):
        cross_entropy(X, Y.astype(np.float64))
    with pytest.raises(TypeError, match="target must hold integer class indices; got dtype "
                                        "float64"):
        nll_loss(X, Y.astype(np.float64))
    with pytest.raises(TypeError, match="target must hold integer class indices or floating "
                                        "class probabilities; got dtype bool"):
        cross_entropy(X, Y == 1)


@pytest.mark.parametrize("f", [cross_entropy, nll_loss])
def test_weight_of_wrong_length_or_dtype(f):
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\), one value per class "
                                         r"of input \(5, 4\); got \(3,\)"):
        f(X, Y, weight=np.ones(3))
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\).*got \(1, 4\)"):
        f(X, Y, weight=np.ones((1, 4)))
    with pytest.raises(TypeError, match=r"weight must have a real floating dtype .* got int64"):
        f(X, Y, weight=np.ones(4, dtype=np.int64))
    with pytest.raises(TypeError, match=r"weight must come from the same library as input "
                                        r"\(numpy\); got torch"):
        f(X, Y, weight=torch.ones(4, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"weight must have a real floating dtype .* got complex128"):
        f(X, Y, weight=np.ones(4, dtype=np.complex128))


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan"), float("inf")])
def test_label_smoothing_outside_unit_interval(value):
    with pytest.raises(ValueError, match=r"label_smoothing must be within \[0, 1\]; got"):
        cross_entropy(X, Y, label_smoothing=value)
    with pytest.raises(ValueError, match=r"label_smoothing must be within \[0, 1\]"):
        cross_entropy(X, softmax(X), label_smoothing=value)


def test_option_types():
    with pytest.raises(TypeError, match="label_smoothing must be a real number; got str"):
        cross_entropy(X, Y, label_smoothing="0.1")
    with pytest.raises(TypeError, match="ignore_index must be an int; got float"):
        cross_entropy(X, Y, ignore_index=1.0)
    with pytest.raises(ValueError, match="reduction must be one of"):
        nll_loss(X, Y, reduction="batchmean")


def test_probability_rows_must_sum_to_one_when_validating():
    bad = softmax(X) * 1.1
    with pytest.raises(ValueError, match=r"target must sum to 1 along dim 1; got sums from 1\.1"):
        cross_entropy(X, bad)
    with pytest.raises(ValueError, match="target must hold probabilities within"):
        cross_entropy(X, softmax(X) - 0.3)
    cross_entropy(X, bad, validate=False)  # computed as given: soft targets in training
    np.testing.assert_allclose(cross_entropy_grad(X, bad, validate=False).sum(axis=1), 0,
                               atol=1e-15)  # the gradient is the exact one even then


def test_ignore_index_is_refused_with_probability_targets():
    with pytest.raises(ValueError, match=r"ignore_index is not supported for probability "
                                         r"targets .*got ignore_index=0"):
        cross_entropy(X, softmax(X), ignore_index=0)
    cross_entropy(X, softmax(X), ignore_index=-1)  # negative: never a class, allowed


@pytest.mark.parametrize("f", [cross_entropy, nll_loss, softmax, log_softmax, logsumexp])
def test_empty_input(f):
    args = (np.zeros((0, 4)), np.zeros(0, dtype=np.int64)) if f in (cross_entropy, nll_loss) \
        else (np.zeros((3, 0)),)
    with pytest.raises(ValueError, match=r"input must not be empty; got shape"):
        f(*args)
    with pytest.raises(ValueError, match=r"input must not be empty; got shape \(0, 4\)"):
        cross_entropy(np.zeros((0, 4)), np.zeros((0, 4)))


def test_zero_dimensional_input_and_bad_dim():
    with pytest.raises(ValueError, match=r"input must have shape \(C,\), \(N, C\)"):
        cross_entropy(np.array(1.0), np.array(0))
    with pytest.raises(ValueError, match="input must have at least one dimension"):
        softmax(np.array(1.0))
    with pytest.raises(ValueError, match=r"dim must be within \[-2, 2\) for input of shape "
                                         r"\(5, 4\); got 2"):
        log_softmax(X, dim=2)
    with pytest.raises(TypeError, match="dim must be an int; got NoneType"):
        softmax(X, dim=None)
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(5, 4\); "
                                         r"got \(4,\)"):
        softmax_grad(X, grad_output=np.ones(4))


def test_mixed_libraries_are_refused():
    with pytest.raises(TypeError, match=r"target must come from the same library as input "
                                        r"\(torch\); got numpy"):
        cross_entropy(torch.from_numpy(X), Y)
    with pytest.raises(TypeError, match="input must be a NumPy array or a torch tensor, got list"):
        cross_entropy([[1.0, 2.0]], np.array([0]))
    with pytest.raises(TypeError, match="target must be a NumPy array or a torch tensor, got list"):
        cross_entropy(X, [0, 1, 2, 3, 0])


# --------------------------------------------------------------------------------------------
# grad_output: the gradient is a vector-Jacobian product
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize(
    "options",
    [{}, {"label_smoothing": 0.2}, {"weight": np.array([0.5, 2.0, 1.0, 3.0])},
     {"weight": np.array([0.5, 2.0, 1.0, 3.0]), "label_smoothing": 0.1, "ignore_index": 1}],
    ids=["plain", "smoothing", "weight", "weight-smoothing-ignore"],
)
def test_grad_output_against_autograd(reduction, options):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(5, 4, 2)) * 2
    y = rng.integers(0, 4, size=(5, 2))
    assert_vjp(cross_entropy, cross_entropy_grad, x, y, reduction=reduction, **options)
    assert_vjp(nll_loss, nll_loss_grad, x, y, reduction=reduction,
               **{k: v for k, v in options.items() if k != "label_smoothing"})
    if "ignore_index" not in options:  # probability targets, and an unbatched input
        probs = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
        assert_vjp(cross_entropy, cross_entropy_grad, x[:, ::-1].copy(), probs,
                   reduction=reduction, **options)
        assert_vjp(cross_entropy, cross_entropy_grad, x[0, :, 0].copy(), np.asarray(y[0, 0]),
                   reduction=reduction, **options)


def test_grad_output_of_the_primitives_against_autograd():
    x = np.random.default_rng(7).normal(size=(3, 4)) * 3
    for dim in (0, -1):
        assert_vjp(softmax, softmax_grad, x, dim=dim)
        assert_vjp(log_softmax, log_softmax_grad, x, dim=dim)
        for keepdim in (False, True):
            assert_vjp(logsumexp, logsumexp_grad, x, dim=dim, keepdim=keepdim)


# --------------------------------------------------------------------------------------------
# the input contract: narrow integer targets, weights, options
# --------------------------------------------------------------------------------------------


def test_uint8_targets_with_more_than_256_classes_are_not_wrapped():
    # arange(300, dtype=uint8) wraps; the indices 5 and 7 must pick classes 5 and 7
    x = np.random.default_rng(0).normal(size=(2, 300))
    theirs = F.cross_entropy(torch.from_numpy(x), torch.tensor([5, 7]))
    for target in (np.array([5, 7], dtype=np.uint8), torch.tensor([5, 7], dtype=torch.uint8)):
        xs = x if isinstance(target, np.ndarray) else torch.from_numpy(x)
        assert float(cross_entropy(xs, target)) == pytest.approx(float(theirs), rel=1e-13)
        assert float(nll_loss(xs, target)) == pytest.approx(float(nll_loss(x, np.array([5, 7]))))
    np.testing.assert_allclose(cross_entropy_grad(x, np.array([5, 7], dtype=np.uint8)),
                               cross_entropy_grad(x, np.array([5, 7])), rtol=1e-15)


@pytest.mark.parametrize("f", [cross_entropy, cross_entropy_grad, nll_loss, nll_loss_grad])
def test_uint8_class_156_is_a_class_not_ignore_index_minus_100(f):
    x = np.random.default_rng(1).normal(size=(2, 200))
    wide = np.array([156, 3])
    for target in (wide.astype(np.uint8), torch.tensor(wide, dtype=torch.uint8)):
        xs = x if isinstance(target, np.ndarray) else torch.from_numpy(x)
        np.testing.assert_allclose(np.asarray(f(xs, target, reduction="none")),
                                   f(x, wide, reduction="none"), rtol=1e-15)


@pytest.mark.parametrize("make", [lambda v: np.array(v, dtype=np.int8),
                                  lambda v: torch.tensor(v, dtype=torch.int8)])
def test_int8_targets_with_200_classes_are_accepted(make):
    x = np.random.default_rng(2).normal(size=(2, 200))
    target = make([5, 120])
    xs = x if isinstance(target, np.ndarray) else torch.from_numpy(x)
    assert float(cross_entropy(xs, target)) == pytest.approx(
        float(cross_entropy(x, np.array([5, 120]))), rel=1e-15)
    with pytest.raises(ValueError, match=r"target must hold class indices within \[0, 100\) or "
                                         r"ignore_index=-100; got 120"):
        cross_entropy(xs[:, :100], target)


@pytest.mark.parametrize("f", [cross_entropy, nll_loss, cross_entropy_grad, nll_loss_grad])
@pytest.mark.parametrize("bad", [np.nan, -1.0, np.inf])
def test_nan_negative_or_infinite_class_weights_are_refused(f, bad):
    with pytest.raises(ValueError, match=r"weight must hold finite values >= 0; got"):
        f(X, Y, weight=np.array([1.0, bad, 1.0, 1.0]))


def test_numpy_integer_and_bool_options_are_accepted():
    expected = cross_entropy(X, Y, ignore_index=-100)
    assert float(cross_entropy(X, Y, ignore_index=np.int64(-100))) == float(expected)
    assert float(cross_entropy(X, Y, validate=np.bool_(True))) == float(expected)
    assert float(cross_entropy(X, Y, label_smoothing=np.float32(0.0))) == float(expected)
    with pytest.raises(TypeError, match=r"ignore_index must be an int; got float -100\.0"):
        cross_entropy(X, Y, ignore_index=-100.0)
    with pytest.raises(TypeError, match="validate must be True or False; got NoneType None"):
        cross_entropy(X, Y, validate=None)
    with pytest.raises(TypeError, match="keepdim must be True or False; got str 'yes'"):
        logsumexp(X, keepdim="yes")


def _mp_weighted_mean(x, target, w, *, eps=0.0, ignore_index=-100, logits=True):
    """Exact "mean" of cross-entropy (logits) or NLL and its gradient, from mpmath."""
    n, c = x.shape
    ws = [mpmath.mpf(float(v)) for v in w]
    losses, total_weight, rows = [], mpmath.mpf(0), []
    for k in range(n):
        y = int(target[k])
        if y == ignore_index:
            rows.append(None)
            continue
        xs = [mpmath.mpf(float(v)) for v in x[k]]
        if logits:
            lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in xs))
            logp = [v - lse for v in xs]
        else:
            logp = xs
        q = [(1 - eps) * (j == y) + mpmath.mpf(eps) / c for j in range(c)]
        losses.append(-mpmath.fsum(ws[j] * q[j] * logp[j] for j in range(c)))
        total_weight += ws[y]
        s = [mpmath.exp(v) for v in logp] if logits else [0] * c
        wq = [ws[j] * q[j] for j in range(c)]
        rows.append((s, wq))
    mean = mpmath.fsum(losses) / total_weight
    grad, size = np.zeros(x.shape), np.zeros(x.shape)
    for k, row in enumerate(rows):
        if row is not None:
            s, wq = row
            for i in range(c):
                grad[k, i] = float((s[i] * mpmath.fsum(wq) - wq[i]) / total_weight)
                size[k, i] = float((abs(s[i] * mpmath.fsum(wq)) + abs(wq[i])) / total_weight)
    return mean, grad, size


@pytest.mark.parametrize("f, logits, eps", [(cross_entropy, True, 0.0),
                                             (cross_entropy, True, 0.2), (nll_loss, False, 0.0)])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_weighted_mean_with_weights_at_the_largest_float_against_mpmath(f, logits, eps, ignore):
    # The totals sum_n w_yn l_n and sum_n w_yn both exceed the largest float: PyTorch gives
    # inf / inf = NaN (and a zero gradient); the mean itself is finite, and lossbook gives it.
    big = np.finfo(np.float64).max
    rng = np.random.default_rng(21)
    x = rng.normal(scale=2.0, size=(7, 4))
    if not logits:
        x = log_softmax(x)
    w = np.array([big, 0.75 * big, 3.0, 0.5])
    target = np.array([0, 1, 0, 2, 1, 3, 0])
    kw = {"label_smoothing": eps} if eps else {}
    if ignore:
        target[[2, 5]] = -100
    exact, exact_grad, size = _mp_weighted_mean(x, target, w, eps=eps, logits=logits)
    assert mpmath.fsum(mpmath.mpf(float(w[t])) for t in target if t >= 0) > big
    grad_f = {cross_entropy: cross_entropy_grad, nll_loss: nll_loss_grad}[f]
    twin = getattr(F, f.__name__)
    theirs = twin(t := torch.from_numpy(x).requires_grad_(), torch.from_numpy(target),
                  weight=torch.from_numpy(w), **kw)
    assert torch.isnan(theirs)  # PyTorch: inf / inf
    assert not torch.autograd.grad(theirs, t)[0].any()  # and a zero gradient
    for backend in (np.asarray, torch.from_numpy):
        ours = f(backend(x), backend(target), weight=backend(w), **kw)
        # every term is >= 0 (no cancellation): a few ulps per term, plus log-softmax's own
        # conditioning (the logits' spread, below 10 here); measured: below 1 ulp, 4 for the grad
        assert abs(float(ours) - exact) <= 16 * EPS * exact, (float(ours), float(exact))
        g = np.asarray(grad_f(backend(x), backend(target), weight=backend(w), **kw))
        assert np.all(np.abs(g - exact_grad) <= 16 * EPS * size), np.max(np.abs(g - exact_grad))
    # scaling by a power of two changes no bit for ordinary weights
    w_small = np.array([2.0, 1.5, 3.0, 0.5])
    scaled = f(x, target, weight=w_small * 2.0**1000, **kw)
    assert float(scaled) == float(f(x, target, weight=w_small, **kw))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_weighted_mean_with_weights_at_the_largest_float_of_narrow_dtypes(dtype):
    # The same scaling in every floating dtype: the mean of the narrow dtype matches the float64
    # mean of the same numbers (where nothing overflows) to the narrow dtype's precision.
    big = torch.finfo(dtype).max
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(2)).to(dtype)
    y = torch.tensor([0, 1, 0, 1, 2, -100])
    w = torch.tensor([big, big / 2, 1.0], dtype=dtype)
    assert torch.isnan(F.cross_entropy(x, y, weight=w))
    for f, g in ((cross_entropy, cross_entropy_grad), (nll_loss, nll_loss_grad)):
        ours, ours_grad = f(x, y, weight=w), g(x, y, weight=w)
        exact, exact_grad = f(x.double(), y, weight=w.double()), g(x.double(), y, weight=w.double())
        tol = 4 * torch.finfo(dtype).eps
        assert abs(float(ours) - float(exact)) <= tol * abs(float(exact)), (f, float(ours))
        assert torch.all((ours_grad.double() - exact_grad).abs() <= tol), f


@pytest.mark.parametrize("eps", [0.0, 0.2])
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_probability_target_mean_with_weights_near_the_largest_float_against_mpmath(eps):
    # Probability targets: "mean" divides by N, so there is no weight total to overflow. With
    # weights near the largest float the values and gradients are exact while the total of the
    # losses is finite; beyond it the mean is inf, as PyTorch's (the documented choice).
    big = np.finfo(np.float64).max
    rng = np.random.default_rng(22)
    x = rng.normal(size=(5, 3))
    p = rng.dirichlet(np.ones(3), size=5)
    w = np.array([0.5, 0.25, 0.375]) * big / 4
    n, c = x.shape
    losses, exact_grad, size = [], np.zeros(x.shape), np.zeros(x.shape)
    for k in range(n):
        xs = [mpmath.mpf(float(v)) for v in x[k]]
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in xs))
        wq = [mpmath.mpf(float(w[j])) * ((1 - eps) * mpmath.mpf(float(p[k, j])) + eps / c)
              for j in range(c)]
        losses.append(-mpmath.fsum(wq[j] * (xs[j] - lse) for j in range(c)))
        for i in range(c):
            s_i = mpmath.exp(xs[i] - lse)
            exact_grad[k, i] = float((s_i * mpmath.fsum(wq) - wq[i]) / n)
            size[k, i] = float((s_i * mpmath.fsum(wq) + wq[i]) / n)
    exact = mpmath.fsum(losses) / n
    assert big / 4 < mpmath.fsum(losses) < big
    kw = {"label_smoothing": eps} if eps else {}
    for backend in (np.asarray, torch.from_numpy):
        ours = cross_entropy(backend(x), backend(p), weight=backend(w), **kw)
        assert abs(float(ours) - exact) <= 16 * EPS * exact, (float(ours), float(exact))
        g = np.asarray(cross_entropy_grad(backend(x), backend(p), weight=backend(w), **kw))
        assert np.all(np.abs(g - exact_grad) <= 16 * EPS * size), np.max(np.abs(g - exact_grad))
    # 4 times the weights: the total exceeds the largest float; the mean (finite) is lost in
    # the sum: inf, as in PyTorch
    assert 4 * exact < big
    ours = cross_entropy(x, p, weight=4 * w, **kw)
    theirs = F.cross_entropy(torch.from_numpy(x), torch.from_numpy(p),
                             weight=torch.from_numpy(4 * w), **kw)
    assert np.isposinf(ours) and torch.isposinf(theirs)
