"""Margin losses beyond the registry: kinks, properties, accuracy, bad input (lossbook.margin)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from lossbook.margin import (
    cosine_embedding_loss,
    cosine_embedding_loss_grad,
    hinge_embedding_loss,
    hinge_embedding_loss_grad,
    margin_ranking_loss,
    margin_ranking_loss_grad,
    triplet_margin_loss,
    triplet_margin_loss_grad,
)
from lossbook.testing import CASES
from tests._vjp import assert_vjp

mpmath.mp.dps = 50

T64 = torch.float64


def _t(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def _autograd(f, first, *rest, **options) -> np.ndarray:
    """PyTorch's autograd gradient of ``f(first, *rest).sum()`` with respect to ``first``."""
    x = _t(first).requires_grad_(True)
    f(x, *[_t(r) for r in rest], **options).sum().backward()
    return x.grad.numpy()


# --- the registry's inputs stay away from the kinks ---------------------------------------------


def _hinge_arguments(case, inputs, options) -> np.ndarray:
    """The argument of every max(0, .) the case's loss evaluates."""
    name = case.name
    if name == "triplet_margin_loss":
        a, p, n = (_t(x) for x in inputs)
        q, eps = options.get("p", 2.0), options.get("eps", 1e-6)
        dp, dn = F.pairwise_distance(a, p, q, eps), F.pairwise_distance(a, n, q, eps)
        if options.get("swap", False):
            ds = F.pairwise_distance(p, n, q, eps)
            assert torch.all((dn - ds).abs() > 0.05)  # no tie in the swap either
            dn = torch.minimum(dn, ds)
        return (options.get("margin", 1.0) + dp - dn).numpy()
    if name == "margin_ranking_loss":
        x1, x2, y = inputs
        return -y * (x1 - x2) + options.get("margin", 0.0)
    if name == "hinge_embedding_loss":
        x, _ = inputs
        return options.get("margin", 1.0) - x
    x1, x2, y = inputs
    cos = (x1 * x2).sum(-1) / np.sqrt((x1 * x1).sum(-1) * (x2 * x2).sum(-1))
    return np.asarray(cos - options.get("margin", 0.0))[np.asarray(y) == -1]


@pytest.mark.parametrize("case", [c for c in CASES if c.ours.__module__ == "lossbook.margin"],
                         ids=lambda c: c.name)
def test_registry_inputs_are_away_from_the_kinks(case):
    inputs = case.make_inputs(np.random.default_rng(0))
    for options in case.options:
        z = np.asarray(_hinge_arguments(case, inputs, options))
        assert np.abs(z).min() > 0.05, options
        if case.name == "triplet_margin_loss":  # both sides of the hinge are exercised in (N, D)
            assert z.ndim == 0 or ((z > 0).any() and (z < 0).any()), options


# --- subgradients at the kinks: exactly what PyTorch's autograd picks ---------------------------


def _triplet_at(anchor, positive, negative, **options):
    arrays = [np.asarray(x, dtype=np.float64) for x in (anchor, positive, negative)]
    ours = triplet_margin_loss_grad(*arrays, reduction="sum", **options)
    return ours, _autograd(F.triplet_margin_loss, *arrays, reduction="sum", **options)


@pytest.mark.parametrize(
    ("a", "p", "n", "options"),
    [
        # margin + d(a,p) - d(a,n) = 1 + 1 - 2 = 0 exactly: the hinge counts as active
        ([[0.0, 0.0]], [[1.0, 0.0]], [[0.0, 2.0]], dict(eps=0.0)),
        # swap tie d(a,n) = d(p,n) = sqrt(2): at::min splits the gradient in half
        ([[0.0, 0.0]], [[0.0, 2.0]], [[1.0, 1.0]], dict(eps=0.0, swap=True)),
        # zero anchor-positive distance for each p: that norm contributes 0
        *[([[1.0, 2.0]], [[1.0, 2.0]], [[0.5, 0.0]], dict(eps=0.0, margin=5.0, p=q))
          for q in (0.5, 1.0, 1.5, 2.0, 3.0, math.inf)],
        # one zero component of the difference for each p: that component gets 0
        *[([[1.0, 2.0]], [[1.0, 0.0]], [[0.5, 0.0]], dict(eps=0.0, margin=5.0, p=q))
          for q in (0.5, 1.0, 1.5, 2.0, 3.0)],
        # max norm with a tie |1| = |-1|: the gradient is shared equally
        ([[1.0, -1.0, 0.5]], [[0.0, 0.0, 0.0]], [[0.3, 0.3, 0.3]],
         dict(eps=0.0, margin=5.0, p=math.inf)),
    ],
)
def test_triplet_subgradient_at_kinks_is_pytorchs(a, p, n, options):
    ours, theirs = _triplet_at(a, p, n, **options)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_triplet_kink_is_active_and_tie_is_half():
    ours, _ = _triplet_at([[0.0, 0.0]], [[1.0, 0.0]], [[0.0, 2.0]], eps=0.0)
    np.testing.assert_array_equal(ours, [[-1.0, 1.0]])  # -(p - a)/1 + (n - a)/2, active
    ours, _ = _triplet_at([[0.0, 0.0]], [[0.0, 2.0]], [[1.0, 1.0]], eps=0.0, swap=True)
    s = 0.5 / math.sqrt(2)
    np.testing.assert_allclose(ours, [[s, -1.0 + s]], rtol=1e-15)


def test_margin_ranking_subgradient_at_kink():
    x1, x2, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 2.0]), np.array([1.0, -1.0, 1.0])
    for margin in (0.0, 1.0):  # the first pair is a tie (margin 0), the third sits at margin 1
        ours = margin_ranking_loss_grad(x1, x2, y, margin=margin, reduction="sum")
        theirs = _autograd(F.margin_ranking_loss, x1, x2, y, margin=margin, reduction="sum")
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(ours, [-1.0, 1.0, -1.0])


def test_hinge_subgradient_at_kink():
    x, y = np.array([1.0, 0.5, 2.0, 1.0]), np.array([-1.0, -1.0, -1.0, 1.0])
    ours = hinge_embedding_loss_grad(x, y, reduction="sum")
    np.testing.assert_array_equal(ours, _autograd(F.hinge_embedding_loss, x, y, reduction="sum"))
    np.testing.assert_array_equal(ours, [-1.0, -1.0, 0.0, 1.0])


def test_cosine_subgradient_at_kink_and_at_zero_vector():
    # row 0: orthogonal pair, label -1, margin 0: cos = margin exactly, the hinge is active
    x1 = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    x2 = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    y = np.array([-1.0, 1.0, 1.0])
    ours = cosine_embedding_loss_grad(x1, x2, y, reduction="sum")
    theirs = _autograd(F.cosine_embedding_loss, x1, x2, y, reduction="sum")
    np.testing.assert_allclose(ours[[0, 2]], theirs[[0, 2]], rtol=1e-14, atol=1e-20)
    np.testing.assert_allclose(ours[0], [0.0, 1.0], atol=1e-20)
    # row 1, u = v = (1, 1): d(1 - cos)/du = -eps / (2 + eps)^2 (1, 1), about -eps / 4 (the
    # eps keeps cos(u, u) below 1); PyTorch's v/(ab) - cos u/a^2 cancels: 4th digit wrong
    eps = float(np.float32(1e-12))
    exact = -mpmath.mpf(eps) / (2 + mpmath.mpf(eps)) ** 2
    np.testing.assert_allclose(ours[1], [float(exact)] * 2, rtol=1e-14)
    assert abs(theirs[1, 0] / float(exact) - 1) > 1e-5
    # at u = 0 the gradient is -v / (sqrt(eps) |v|_eps) with PyTorch's float32 eps
    np.testing.assert_allclose(ours[2], -x2[2] / math.sqrt(eps * (2 + eps)), rtol=1e-15)
    assert np.all(np.isfinite(ours[2])) and np.abs(ours[2]).max() > 1e5  # eps keeps 0 finite


# --- gradients against autograd away from the kinks (random, hypothesis) -------------------------

_floats = st.floats(-3.0, 3.0, allow_nan=False)


def _arrays(n, d):
    return st.lists(_floats, min_size=n * d, max_size=n * d).map(
        lambda v: np.array(v).reshape(n, d))


@given(_arrays(4, 3), _arrays(4, 3), _arrays(4, 3),
       st.sampled_from([1.0, 2.0, 3.0, math.inf]), st.booleans(), st.floats(0.1, 2.0))
def test_triplet_grad_matches_autograd(a, p, n, q, swap, margin):
    options = dict(p=q, swap=swap, margin=margin)
    dp = F.pairwise_distance(_t(a), _t(p), q, 1e-6)
    dn = F.pairwise_distance(_t(a), _t(n), q, 1e-6)
    ds = F.pairwise_distance(_t(p), _t(n), q, 1e-6)
    z = margin + dp - (torch.minimum(dn, ds) if swap else dn)
    if (z.abs().min() < 1e-6 or (dp.min() < 1e-6) or (dn.min() < 1e-6)
            or (swap and (dn - ds).abs().min() < 1e-9)):
        return  # at or next to a kink: covered by the exact kink tests above
    if q == math.inf:  # the max norm's kink: two components of equal magnitude
        for v in (a - p, a - n):
            top = np.sort(np.abs(v + 1e-6), axis=1)
            if np.min(top[:, -1] - top[:, -2]) < 1e-9:
                return
    ours = triplet_margin_loss_grad(a, p, n, reduction="sum", **options)
    theirs = _autograd(F.triplet_margin_loss, a, p, n, reduction="sum", **options)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


# --- properties -------------------------------------------------------------------------------


@given(_arrays(5, 3), _arrays(5, 3), st.floats(0.1, 2.0), st.sampled_from([1.0, 2.0, math.inf]),
       st.floats(0.0, 1.0))
def test_triplet_zero_loss_when_margin_met(a, p, margin, q, extra):
    # put the negative along a unit direction u at distance d(a,p) + margin + extra + slack
    # from the anchor: ||k u||_q >= k ||u||_inf, so a gap of k >= d_p + margin + 1 suffices
    dp = np.asarray(F.pairwise_distance(_t(a), _t(p), q, 0.0))
    n = a.copy()
    n[:, 0] += dp + margin + extra + 1e-3
    loss = triplet_margin_loss(a, p, n, margin=margin, p=q, eps=0.0, reduction="none")
    assert np.all(loss == 0)
    assert np.all(triplet_margin_loss_grad(a, p, n, margin=margin, p=q, eps=0.0) == 0)


@given(_arrays(5, 3), _arrays(5, 3), _arrays(5, 3), st.floats(0.1, 2.0),
       st.sampled_from([1.0, 2.0, 3.0, math.inf]))
def test_swap_never_decreases_the_loss(a, p, n, margin, q):
    plain = triplet_margin_loss(a, p, n, margin=margin, p=q, reduction="none")
    swapped = triplet_margin_loss(a, p, n, margin=margin, p=q, swap=True, reduction="none")
    assert np.all(swapped >= plain)


@given(st.lists(st.tuples(_floats, _floats, st.sampled_from([-1.0, 1.0])), min_size=1,
                max_size=8), st.floats(0.0, 2.0))
def test_margin_ranking_zero_when_margin_met(rows, margin):
    x2 = np.array([r[1] for r in rows])
    y = np.array([r[2] for r in rows])
    x1 = x2 + y * (margin + np.abs([r[0] for r in rows]) + 1e-3)  # y (x1 - x2) > margin
    assert float(margin_ranking_loss(x1, x2, y, margin=margin, reduction="sum")) == 0
    assert np.all(margin_ranking_loss_grad(x1, x2, y, margin=margin)[y * (x1 - x2) > margin] == 0)


@given(st.lists(st.floats(0.0, 5.0), min_size=1, max_size=8), st.floats(0.0, 2.0))
def test_hinge_zero_for_far_dissimilar_pairs(extra, margin):
    x = margin + np.array(extra) + 1e-9
    y = -np.ones_like(x)
    assert float(hinge_embedding_loss(x, y, margin=margin, reduction="sum")) == 0
    assert np.all(hinge_embedding_loss_grad(x, y, margin=margin) == 0)


@given(_arrays(4, 3), _arrays(4, 3), st.floats(-1.0, 1.0))
def test_cosine_zero_for_dissimilar_pairs_below_margin(x1, x2, margin):
    cos = np.asarray(F.cosine_similarity(_t(x1), _t(x2), dim=1, eps=1e-300))
    y = -np.ones(4)
    loss = np.asarray(cosine_embedding_loss(x1, x2, y, margin=margin, reduction="none"))
    assert np.all(loss[cos < margin - 1e-9] == 0)
    assert np.all(loss >= 0)


@given(_arrays(4, 3), _arrays(4, 3), _arrays(4, 3))
def test_sum_is_mean_times_n(a, p, n):
    total = float(triplet_margin_loss(a, p, n, reduction="sum"))
    mean = float(triplet_margin_loss(a, p, n, reduction="mean"))
    assert total == pytest.approx(4 * mean, rel=1e-12, abs=1e-12)


def test_hinge_family_is_one_idea():
    # hinge embedding on d = distance equals margin ranking of (margin, d) for dissimilar pairs
    d = np.array([0.2, 0.9, 1.7])
    hinge = hinge_embedding_loss(d, -np.ones(3), margin=1.0, reduction="none")
    ranking = margin_ranking_loss(np.ones(3), d, -np.ones(3), margin=0.0, reduction="none")
    np.testing.assert_array_equal(hinge, np.maximum(0, 1 - d))
    np.testing.assert_allclose(ranking, np.maximum(0, 1 - d))


# --- accuracy where PyTorch overflows or underflows --------------------------------------------


def _mp_norm(v, p):
    return mpmath.fsum(mpmath.fabs(mpmath.mpf(x)) ** p for x in v) ** (mpmath.mpf(1) / p)


@pytest.mark.parametrize(("p", "scale"), [(1.5, 1e26), (2.0, 1e19), (3.0, 1e13)])
def test_triplet_distance_does_not_overflow_in_float32(p, scale):
    a = torch.tensor([[3.0, 3.0]], dtype=torch.float32) * scale
    pos = torch.zeros(1, 2, dtype=torch.float32)
    neg = torch.tensor([[2.0, 3.0]], dtype=torch.float32) * scale
    # PyTorch sums |v|^p, which overflows although both distances fit in float32
    assert not torch.isfinite(F.triplet_margin_loss(a, pos, neg, p=p, eps=0.0))
    exact = (1 + _mp_norm((a - pos)[0].double().tolist(), p)
             - _mp_norm((a - neg)[0].double().tolist(), p))
    ours = triplet_margin_loss(a, pos, neg, p=p, eps=0.0)
    assert ours.dtype == torch.float32
    assert float(ours) == pytest.approx(float(exact), rel=1e-6)
    assert torch.all(torch.isfinite(triplet_margin_loss_grad(a, pos, neg, p=p, eps=0.0)))


def test_triplet_distance_does_not_underflow_in_float64():
    a, pos, neg = np.array([[3e-200, 4e-200]]), np.zeros((1, 2)), np.array([[-1e-199, 0.0]])
    # d(a,p) = 5e-200 and d(a,n) = sqrt(1.3^2 + 0.4^2) e-199; PyTorch squares to 0
    torch_dp = F.pairwise_distance(_t(a), _t(pos), 2.0, 0.0)
    assert float(torch_dp) == 0.0
    ours = triplet_margin_loss(a, pos, neg, eps=0.0, margin=1e-199, reduction="none")
    exact = mpmath.mpf("1e-199") + _mp_norm([3e-200, 4e-200], 2) - _mp_norm([1.3e-199, 4e-200], 2)
    assert float(ours[0]) == pytest.approx(float(exact), rel=1e-14)


def test_cosine_does_not_overflow_in_float32():
    x = torch.tensor([[1e10, 0.0]], dtype=torch.float32)
    y = torch.tensor([1.0])
    assert float(F.cosine_embedding_loss(x, x, y)) == 1.0  # PyTorch: the product overflows
    # the true 1 - cos(x, x) = eps / (|x|^2 + eps) = 1e-32 (PyTorch's eps, in float32 too)
    assert float(cosine_embedding_loss(x, x, y)) == pytest.approx(1e-32, rel=1e-6)


def test_cosine_eps_is_pytorchs():
    x1 = np.array([[3e-7, 0.0], [1.0, 2.0]])
    x2 = np.array([[2e-7, 1e-7], [0.0, 0.0]])
    y = np.array([1.0, 1.0])
    ours = cosine_embedding_loss(x1, x2, y, reduction="none")
    eps = mpmath.mpf(float(np.float32(1e-12)))  # what PyTorch adds, in float64 too
    for row in range(2):
        u, v = [mpmath.mpf(t) for t in x1[row]], [mpmath.mpf(t) for t in x2[row]]
        dot = mpmath.fsum(a * b for a, b in zip(u, v, strict=True))
        cos = dot / mpmath.sqrt((mpmath.fsum(a * a for a in u) + eps)
                                * (mpmath.fsum(b * b for b in v) + eps))
        assert float(ours[row]) == pytest.approx(float(1 - cos), rel=1e-14)
    np.testing.assert_allclose(ours, F.cosine_embedding_loss(_t(x1), _t(x2), _t(y),
                                                             reduction="none"), rtol=1e-14)


# --- types, dtypes, torch.compile ----------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda x: x.astype(np.float32),
    lambda x: torch.from_numpy(x).to(torch.float32),
    lambda x: torch.from_numpy(x),
])
def test_type_and_dtype_are_preserved(make):
    rng = np.random.default_rng(3)
    a, p, n = (make(rng.normal(size=(3, 4))) for _ in range(3))
    y = make(np.array([1.0, -1.0, 1.0]))
    for out in (triplet_margin_loss(a, p, n), triplet_margin_loss_grad(a, p, n, swap=True),
                cosine_embedding_loss(a, p, y), cosine_embedding_loss_grad(a, p, y),
                margin_ranking_loss(a[:, 0], p[:, 0], y),
                margin_ranking_loss_grad(a[:, 0], p[:, 0], y),
                hinge_embedding_loss(a[:, 0], y), hinge_embedding_loss_grad(a[:, 0], y)):
        assert type(out) in (type(a), np.float32, np.float64) or isinstance(out, type(a))
        assert out.dtype == a.dtype


def test_integer_labels_are_accepted_like_float_labels():
    x1, x2 = np.array([0.3, -0.2]), np.array([0.1, 0.4])
    for y in (np.array([-1, 1]), np.array([-1.0, 1.0])):
        assert float(margin_ranking_loss(x1, x2, y)) == pytest.approx(0.4)
    assert float(hinge_embedding_loss(x1, np.array([1, -1]))) == pytest.approx(0.75)


@pytest.mark.filterwarnings("ignore:Dynamo detected a call to a `functools.lru_cache`")
def test_torch_keeps_autograd_and_runs_under_compile():
    rng = np.random.default_rng(4)
    a = torch.from_numpy(rng.normal(size=(5, 3))).requires_grad_(True)
    p, n = (torch.from_numpy(rng.normal(size=(5, 3))) for _ in range(2))
    compiled = torch.compile(lambda a, p, n: triplet_margin_loss(a, p, n, swap=True),
                             fullgraph=True, backend="eager")
    loss = compiled(a, p, n)
    loss.backward()
    expected = triplet_margin_loss_grad(a.detach(), p, n, swap=True)
    torch.testing.assert_close(a.grad, expected)
    y = torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0], dtype=T64)
    cosine = torch.compile(lambda a, b, y: cosine_embedding_loss(a, b, y, validate=False),
                           fullgraph=True, backend="eager")
    torch.testing.assert_close(cosine(a, p, y), F.cosine_embedding_loss(a, p, y))


# --- bad input ----------------------------------------------------------------------------------

A = np.zeros((3, 4))


@pytest.mark.parametrize(("call", "error", "message"), [
    # labels outside {-1, 1}
    (lambda: margin_ranking_loss(np.ones(3), np.zeros(3), np.array([1.0, 0.0, -1.0])),
     ValueError, r"target must hold only the values \{-1, 1\}; got 0.0"),
    (lambda: hinge_embedding_loss(np.ones(2), np.array([1.0, 2.0])),
     ValueError, r"target must hold only the values \{-1, 1\}; got 2.0"),
    (lambda: cosine_embedding_loss(A + 1, A + 1, np.array([1, -1, 0])),
     ValueError, r"target must hold only the values \{-1, 1\}; got 0$"),
    # a uint8 255 is not -1 (torch compares it with -1 as with 255)
    (lambda: margin_ranking_loss(torch.ones(2, dtype=T64), torch.zeros(2, dtype=T64),
                                 torch.tensor([1, 255], dtype=torch.uint8)),
     ValueError, r"target must hold only the values \{-1, 1\}; got 255"),
    (lambda: hinge_embedding_loss(np.ones(2), np.array([1.0, -1.0], dtype=np.float32)),
     TypeError, r"target must have the dtype of input \(float64\); got float32"),
    (lambda: margin_ranking_loss(np.ones(2), np.zeros(2), np.array([1.0, -1.0], dtype=np.float32)),
     TypeError, r"target must have the dtype of input1 \(float64\); got float32"),
    (lambda: hinge_embedding_loss(np.ones(2), np.array([1, -1], dtype=np.complex64)),
     TypeError, r"target must hold the labels -1 and 1 as integers or floats of the input's "
                r"dtype; got dtype complex64"),
    (lambda: cosine_embedding_loss(A + 1, A + 1, np.array([1.0, np.nan, 1.0])),
     ValueError, r"target must hold only the values \{-1, 1\}; got nan"),
    (lambda: hinge_embedding_loss(np.ones(2), np.array([True, False])),
     TypeError, "target must hold the labels -1 and 1 as integers or floats of the input's "
                "dtype; got dtype bool"),
    # mismatched embedding sizes
    (lambda: triplet_margin_loss(A, np.zeros((3, 5)), A),
     ValueError, r"anchor and positive must have the same shape .*got anchor \(3, 4\) and positive \(3, 5\)"),
    (lambda: triplet_margin_loss(A, A, np.zeros((2, 4))),
     ValueError, r"anchor and negative must have the same shape"),
    (lambda: triplet_margin_loss(A, A, np.zeros(4)),
     ValueError, r"anchor and negative must have the same shape"),
    (lambda: cosine_embedding_loss(A, np.zeros((3, 2)), np.ones(3)),
     ValueError, r"input1 and input2 must have the same shape .*got input1 \(3, 4\) and input2 \(3, 2\)"),
    (lambda: cosine_embedding_loss(A, A, np.ones(2)),
     ValueError, r"target must hold one label per pair, shape \(3,\) for input1 \(3, 4\); got target \(2,\)"),
    (lambda: cosine_embedding_loss(np.ones(4), np.ones(4), np.ones(1)),
     ValueError, r"target must hold one label per pair, shape \(\) for input1 \(4,\); got target \(1,\)"),
    (lambda: triplet_margin_loss(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), np.zeros((2, 3, 4))),
     ValueError, r"anchor must be a batch of embeddings \(N, D\) or one embedding \(D,\); got shape \(2, 3, 4\)"),
    (lambda: margin_ranking_loss(np.ones(3), np.ones(3), np.ones((3, 1))),
     ValueError, r"input1 and target must have the same shape"),
    # p, eps, margin, swap
    (lambda: triplet_margin_loss(A, A, A, p=0.0),
     ValueError, r"p must be a number > 0 .*got 0.0"),
    (lambda: triplet_margin_loss(A, A, A, p=-1),
     ValueError, r"p must be a number > 0 .*got -1"),
    (lambda: triplet_margin_loss(A, A, A, p=float("nan")), ValueError, r"p must be a number > 0"),
    (lambda: triplet_margin_loss(A, A, A, p="2"), TypeError, r"p must be a real number; got str"),
    (lambda: triplet_margin_loss(A, A, A, eps=-1e-6),
     ValueError, r"eps must be a finite number >= 0; got -1e-06"),
    (lambda: triplet_margin_loss(A, A, A, margin=0.0),
     ValueError, r"margin must be a finite number > 0 .*got 0.0"),
    (lambda: triplet_margin_loss(A, A, A, margin=-1.0), ValueError, r"margin must be a finite number > 0"),
    (lambda: triplet_margin_loss(A, A, A, swap=1), TypeError, r"swap must be True or False; got int 1"),
    (lambda: hinge_embedding_loss(np.ones(3), np.ones(3), validate="yes"), TypeError,
     r"validate must be True or False; got str 'yes'"),
    (lambda: margin_ranking_loss(np.ones(3), np.ones(3), np.ones(3), margin=-0.1),
     ValueError, r"margin must be a finite number >= 0; got -0.1"),
    (lambda: hinge_embedding_loss(np.ones(3), np.ones(3), margin=-1.0),
     ValueError, r"margin must be a finite number >= 0; got -1.0"),
    (lambda: cosine_embedding_loss(A, A, np.ones(3), margin=1.5),
     ValueError, r"margin must be within \[-1, 1\] \(a cosine similarity\); got 1.5"),
    (lambda: cosine_embedding_loss(A, A, np.ones(3), margin=-1.01),
     ValueError, r"margin must be within \[-1, 1\]"),
    # types
    (lambda: triplet_margin_loss(A.astype(np.int64), A, A),
     TypeError, r"anchor must have a real floating dtype .*got int64"),
    (lambda: triplet_margin_loss(A, A.astype(np.float32), A),
     TypeError, r"positive must have the dtype of anchor \(float64\); got float32"),
    (lambda: cosine_embedding_loss(A, A.astype(np.int32), np.ones(3)),
     TypeError, r"input2 must have a real floating dtype"),
    (lambda: margin_ranking_loss(np.ones(2, dtype=np.int64), np.ones(2), np.ones(2)),
     TypeError, r"input1 must have a real floating dtype"),
    (lambda: margin_ranking_loss([1.0], np.ones(1), np.ones(1)),
     TypeError, r"input1 must be a NumPy array or a torch tensor, got list"),
    (lambda: triplet_margin_loss(torch.zeros(3, 4, dtype=T64), A, A),
     TypeError, r"positive must come from the same library as anchor \(torch\); got numpy"),
    (lambda: cosine_embedding_loss(A, A, torch.ones(3)),
     TypeError, r"target must come from the same library as input1 \(numpy\); got torch"),
    # empty
    (lambda: triplet_margin_loss(np.zeros((3, 0)), np.zeros((3, 0)), np.zeros((3, 0))),
     ValueError, r"anchor must not be empty; got shape \(3, 0\)"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_validate_false_skips_the_label_check_and_matches_pytorch():
    x, y = np.array([0.5, 2.0]), np.array([0.0, 0.0])  # PyTorch adds both terms for label 0
    ours = hinge_embedding_loss(x, y, validate=False, reduction="none")
    np.testing.assert_allclose(ours, F.hinge_embedding_loss(_t(x), _t(y), reduction="none"))


def test_triplet_distance_with_large_p_does_not_overflow():
    # pytorch/pytorch#184036: |v|^p overflows float32 for p ~ 100 even at unit scale
    a = torch.tensor([[2.0, -1.5, 1.0]])
    pos, neg = torch.tensor([[-2.0, 1.5, -1.0]]), torch.tensor([[2.5, -1.5, 1.0]])
    assert not torch.isfinite(F.triplet_margin_loss(a, pos, neg, p=100.0, eps=0.0))
    exact = (1 + _mp_norm((a - pos)[0].double().tolist(), 100)
             - _mp_norm((a - neg)[0].double().tolist(), 100))
    ours = triplet_margin_loss(a, pos, neg, p=100.0, eps=0.0)
    assert float(ours) == pytest.approx(float(exact), rel=1e-6)


# --- cosine: 1 - cos without cancellation, against mpmath --------------------------------------

_COS_EPS = mpmath.mpf(float(np.float32(1e-12)))  # PyTorch's eps, in float64 too


def _mp_cosine(x1, x2, label, margin=0.0):
    """Loss and its gradient with respect to x1, at 100 digits (nothing cancels there)."""
    with mpmath.workdps(100):
        u, v = [mpmath.mpf(float(a)) for a in x1], [mpmath.mpf(float(b)) for b in x2]
        aa = mpmath.fsum(a * a for a in u) + _COS_EPS
        bb = mpmath.fsum(b * b for b in v) + _COS_EPS
        ab = mpmath.sqrt(aa * bb)
        cos = mpmath.fsum(a * b for a, b in zip(u, v, strict=True)) / ab
        dcos = [b / ab - cos * a / aa for a, b in zip(u, v, strict=True)]
        if label == 1:
            return +(1 - cos), [-g for g in dcos]
        if cos - margin >= 0:
            return +(cos - margin), dcos
        return mpmath.mpf(0), [mpmath.mpf(0)] * len(u)


def _cosine_pairs():
    rng = np.random.default_rng(11)
    u, v = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    x1 = np.concatenate([u, u, u, u[:2], 1e-3 * u[:1], 1e3 * u[:1], u[:1], np.zeros((1, 5))])
    x2 = np.concatenate([u + 1e-9 * v, u + 1e-6 * v, u + 1e-4 * v, u[:2], 1e-3 * (u[:1] + 1e-7 * v[:1]),
                         1e3 * (u[:1] + 1e-8 * v[:1]), 0.5 * u[:1] + 1e-2 * v[:1], v[:1]])
    return x1, x2


def test_cosine_nearly_parallel_pairs_keep_relative_accuracy_against_mpmath():
    # 1 - cos from 1e-22 to 1e-9 (plus the eps terms): 1 - fl(cos) kept ~1e-16 / loss
    mpmath.mp.dps = 50
    x1, x2 = _cosine_pairs()
    y = np.ones(len(x1))
    for lib in (np, torch):
        a, b = (x1, x2) if lib is np else (_t(x1), _t(x2))
        got = np.asarray(cosine_embedding_loss(a, b, _t(y) if lib is torch else y,
                                               reduction="none"))
        grad = np.asarray(cosine_embedding_loss_grad(a, b, _t(y) if lib is torch else y,
                                                     reduction="none"))
        for i in range(len(x1)):
            want, dwant = _mp_cosine(x1[i], x2[i], 1)
            assert abs(got[i] - want) <= 1e-14 * want, (i, got[i], float(want))
            err = mpmath.sqrt(mpmath.fsum((g - d) ** 2 for g, d in zip(grad[i], dwant, strict=True)))
            size = mpmath.sqrt(mpmath.fsum(d**2 for d in dwant))
            assert err <= 1e-14 * size, (i, float(err / size))


def test_cosine_identity_one_minus_cos_as_squared_distance_of_unit_vectors():
    # 1 - cos = |u/a - v/b|^2 / 2 + (eps/a^2 + eps/b^2) / 2 exactly, a^2 = |u|^2 + eps
    mpmath.mp.dps = 50
    rng = np.random.default_rng(12)
    for x1, x2 in zip(rng.normal(size=(5, 3)) * [[1], [1e-6], [1], [1e3], [0]],
                      rng.normal(size=(5, 3)), strict=True):
        u, v = [mpmath.mpf(a) for a in x1], [mpmath.mpf(b) for b in x2]
        aa = mpmath.fsum(a * a for a in u) + _COS_EPS
        bb = mpmath.fsum(b * b for b in v) + _COS_EPS
        dist = mpmath.fsum((a / mpmath.sqrt(aa) - b / mpmath.sqrt(bb)) ** 2
                           for a, b in zip(u, v, strict=True))
        rhs = dist / 2 + (_COS_EPS / aa + _COS_EPS / bb) / 2
        want, _ = _mp_cosine(x1, x2, 1)
        assert abs(rhs - want) <= mpmath.mpf(10) ** -45 * abs(want)


@pytest.mark.parametrize("margin", [0.0, 0.5, -0.5])
def test_cosine_dissimilar_branch_against_mpmath(margin):
    mpmath.mp.dps = 50
    x1, x2 = _cosine_pairs()
    x1 = np.concatenate([x1, [[1.0, 0.0, 0.0, 0.0, 0.0]]])
    x2 = np.concatenate([x2, [[0.0, 1.0, 0.0, 0.0, 0.0]]])  # orthogonal: cos = 0 exactly
    y = -np.ones(len(x1))
    got = cosine_embedding_loss(x1, x2, y, margin=margin, reduction="none")
    grad = cosine_embedding_loss_grad(x1, x2, y, margin=margin, reduction="none")
    for i in range(len(x1)):
        want, dwant = _mp_cosine(x1[i], x2[i], -1, margin)
        assert abs(got[i] - want) <= 1e-15 + 1e-14 * abs(want), (i, got[i], float(want))
        for g, d in zip(grad[i], dwant, strict=True):
            assert abs(g - d) <= 1e-15 + 1e-14 * abs(d), (i, g, float(d))


def test_margin_ranking_infinite_score_met_by_infinity_is_zero_not_nan():
    # z = -y (x1 - x2) + margin = -inf: the margin is met without limit, the loss is 0 (as in
    # PyTorch); a form like z/2 + |z|/2 would give -inf + inf = NaN here.
    x1 = torch.tensor([math.inf, 0.5], dtype=torch.float64)
    x2 = torch.tensor([0.0, 0.2], dtype=torch.float64)
    y = torch.tensor([1.0, 1.0], dtype=torch.float64)
    ours = margin_ranking_loss(x1, x2, y, reduction="none")
    theirs = torch.nn.functional.margin_ranking_loss(x1, x2, y, reduction="none")
    assert ours.tolist() == theirs.tolist() == [0.0, 0.0]


# --- grad_output: the gradient is a vector-Jacobian product --------------------------------------


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_grad_output_against_autograd(reduction):
    rng = np.random.default_rng(12)
    a, pos, neg = (rng.normal(size=(5, 3)) for _ in range(3))
    y = rng.choice([-1.0, 1.0], size=5)
    for options in ({}, {"swap": True, "p": 1.5}, {"p": math.inf}):
        assert_vjp(triplet_margin_loss, triplet_margin_loss_grad, a, pos, neg,
                   reduction=reduction, margin=0.5, **options)
    assert_vjp(triplet_margin_loss, triplet_margin_loss_grad, a[0], pos[0], neg[0],
               reduction=reduction)
    assert_vjp(margin_ranking_loss, margin_ranking_loss_grad, a[:, 0], pos[:, 0], y,
               reduction=reduction, margin=0.1)
    assert_vjp(hinge_embedding_loss, hinge_embedding_loss_grad, np.abs(a), np.sign(pos),
               reduction=reduction)
    assert_vjp(cosine_embedding_loss, cosine_embedding_loss_grad, a, pos, y,
               reduction=reduction, margin=-0.2)


# --- the input contract: NaN, infinities, the largest floats, narrow labels ----------------------
NAN, INF = math.nan, math.inf


def _torch_grad(f, first, *rest, **options):
    x = first.clone().requires_grad_(True)
    f(x, *rest, **options).sum().backward()
    return x.grad


_A = [[0.5, 0.0, 1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]
_P = [[1.0, 0.0, 0.5], [1.0, 0.0, 0.0], [1.0, 2.0, 2.5]]
_N = [[0.0, 2.0, 0.0], [0.5, 0.5, 0.0], [1.0, 2.0, 3.5]]


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0, math.inf])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("which", [0, 1, 2], ids=["anchor", "positive", "negative"])
def test_triplet_at_nan_and_inf_input(p, swap, which):
    """A NaN anywhere: the hand gradient is PyTorch's autograd gradient. An infinite component:
    the loss is PyTorch's (0 for an infinitely far negative), the gradient its limit (PyTorch's
    norm backward gives NaN there, from inf / inf)."""
    for row, comp in [(0, 0), (1, 1), (2, 2)]:
        for value in (NAN, INF, -INF):
            arrays = [torch.tensor(a, dtype=T64) for a in (_A, _P, _N)]
            arrays[which][row, comp] = value
            theirs = F.triplet_margin_loss(*arrays, p=p, swap=swap, reduction="none")
            ours = triplet_margin_loss(*arrays, p=p, swap=swap, reduction="none")
            torch.testing.assert_close(ours, theirs, equal_nan=True)
            hand = triplet_margin_loss_grad(*arrays, p=p, swap=swap, reduction="sum")
            assert torch.equal(torch.isnan(hand[[r for r in range(3) if r != row]]),
                               torch.zeros(2, 3, dtype=torch.bool))  # other rows untouched
            if math.isnan(value):
                twin = _torch_grad(F.triplet_margin_loss, *arrays, p=p, swap=swap,
                                   reduction="none")
                torch.testing.assert_close(hand, twin, equal_nan=True)
            else:
                assert bool(torch.isfinite(hand).all())
                if which == 2 and float(ours[row]) == 0.0:  # an infinitely far negative
                    assert torch.equal(hand[row], torch.zeros(3, dtype=T64))


def test_triplet_with_an_infinite_negative_is_finite_as_in_pytorch():
    a, pos = torch.zeros(1, 2, dtype=T64), torch.tensor([[1.0, 0.0]], dtype=T64)
    neg = torch.tensor([[INF, 0.0]], dtype=T64)
    assert float(F.triplet_margin_loss(a, pos, neg)) == 0.0
    assert float(triplet_margin_loss(a, pos, neg)) == 0.0
    assert float(triplet_margin_loss(a.numpy(), pos.numpy(), neg.numpy())) == 0.0


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_hinge_and_ranking_gradients_at_nan_equal_autograd(reduction):
    x = torch.tensor([NAN, NAN, 0.5, 2.0, INF, -INF], dtype=T64)
    y = torch.tensor([1.0, -1.0, -1.0, -1.0, -1.0, 1.0], dtype=T64)
    hand = hinge_embedding_loss_grad(x, y, reduction=reduction)
    torch.testing.assert_close(hand, _torch_grad(F.hinge_embedding_loss, x, y,
                                                 reduction=reduction))
    torch.testing.assert_close(hand, _torch_grad(hinge_embedding_loss, x, y, reduction=reduction))
    x1 = torch.tensor([NAN, 1.0, 0.0, 0.0, INF], dtype=T64)
    x2 = torch.tensor([0.0, 0.0, NAN, NAN, 1.0], dtype=T64)
    y = torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0], dtype=T64)
    hand = margin_ranking_loss_grad(x1, x2, y, reduction=reduction)
    torch.testing.assert_close(hand, _torch_grad(F.margin_ranking_loss, x1, x2, y,
                                                 reduction=reduction))
    torch.testing.assert_close(hand, _torch_grad(margin_ranking_loss, x1, x2, y,
                                                 reduction=reduction))
    np.testing.assert_array_equal(
        margin_ranking_loss_grad(x1.numpy(), x2.numpy(), y.numpy(), reduction=reduction),
        hand.numpy())


@pytest.mark.parametrize("scale", [1e31, 1e154, 1e200, 1e300, np.finfo(np.float64).max / 4])
def test_cosine_is_finite_for_components_up_to_the_largest_float(scale):
    # PyTorch squares the components and is NaN above ~1.3e154; the cosine of a scaled pair is
    # the cosine of the pair (its eps, absolute, is negligible at these norms)
    x1, x2 = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[3.0, 1.0], [1.0, 1.0]])
    y = np.array([1.0, -1.0])
    base = cosine_embedding_loss(x1, x2, y, reduction="none")
    big = cosine_embedding_loss(x1 * scale, x2 * scale, y, reduction="none")
    np.testing.assert_allclose(big, base, rtol=1e-12)
    g = cosine_embedding_loss_grad(x1 * scale, x2 * scale, y, reduction="none")
    assert np.isfinite(g).all()
    np.testing.assert_allclose(g * scale, cosine_embedding_loss_grad(x1, x2, y, reduction="none"),
                               rtol=1e-11)
    largest = np.finfo(np.float64).max
    exact = 1 - (1 - 0.5) / math.sqrt(2 * 1.25)  # 1 - cos((1, 1), (1, -1/2))
    got = cosine_embedding_loss(np.array([[largest, largest]]),
                                np.array([[largest, -largest / 2]]), np.array([1.0]))
    assert float(got) == pytest.approx(exact, rel=1e-15)


@pytest.mark.parametrize("label", [1.0, -1.0])
@pytest.mark.parametrize("big", [np.finfo(np.float64).max, -np.finfo(np.float64).max, 1e200, 2.0**101])
def test_cosine_of_a_huge_vector_and_an_ordinary_one_against_mpmath(big, label):
    # each vector is scaled by its own power of two: the short one is not scaled into
    # underflow by the long one (PyTorch's squared norm overflows: cosine 0, gradient NaN)
    mpmath.mp.dps = 50
    x1 = np.array([[big, -0.13, 0.64, 0.1], [0.8, 0.2, -1.26, -1.0]])
    x2 = np.array([[0.8, 0.2, -1.26, -1.0], [big, -0.13, 0.64, 0.1]])
    y = np.array([label, label])
    for lib in (np, torch):
        a, b, t = (x1, x2, y) if lib is np else (_t(x1), _t(x2), _t(y))
        got = np.asarray(cosine_embedding_loss(a, b, t, margin=-1.0, reduction="none"))
        grad = np.asarray(cosine_embedding_loss_grad(a, b, t, margin=-1.0, reduction="none"))
        for i in range(2):
            want, dwant = _mp_cosine(x1[i], x2[i], label, margin=-1.0)
            assert abs(got[i] - want) <= 1e-14 * abs(want), (i, got[i], float(want))
            err = mpmath.sqrt(mpmath.fsum((g - d) ** 2 for g, d in zip(grad[i], dwant, strict=True)))
            size = mpmath.sqrt(mpmath.fsum(d**2 for d in dwant))
            assert err <= 1e-14 * size, (i, float(err / size))


def test_a_uint8_label_255_is_not_minus_1():
    x1, x2 = torch.ones(2, dtype=T64), torch.zeros(2, dtype=T64)
    y = torch.tensor([1, 255], dtype=torch.uint8)
    for call in (lambda: margin_ranking_loss(x1, x2, y), lambda: hinge_embedding_loss(x1, y),
                 lambda: margin_ranking_loss_grad(x1, x2, y),
                 lambda: cosine_embedding_loss(x1[None].expand(2, 2), x1[None].expand(2, 2), y)):
        with pytest.raises(ValueError, match=r"target must hold only the values \{-1, 1\}; "
                                             r"got 255"):
            call()
    labels = torch.tensor([1, -1], dtype=torch.int8)  # narrow labels are the numbers they hold
    torch.testing.assert_close(margin_ranking_loss(x1, x2, labels),
                               margin_ranking_loss(x1, x2, labels.to(T64)))


def test_swap_accepts_a_numpy_bool():
    a, p, n = (np.random.default_rng(i).normal(size=(3, 4)) for i in range(3))
    assert float(triplet_margin_loss(a, p, n, swap=np.bool_(True))) == float(
        triplet_margin_loss(a, p, n, swap=True))


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, math.inf])
def test_triplet_grad_at_an_infinite_component_is_the_limit(p):
    # positive[0, 0] = -inf: d(a, p) is infinite, the hinge active, and d||u||/du its limit,
    # the gradient at a huge finite component (PyTorch's norm backward: inf / inf = NaN)
    rng = np.random.default_rng(8)
    a, pos, neg = (rng.normal(size=(2, 3)) for _ in range(3))
    far = pos.copy()
    far[0, 0] = -1e300
    pos[0, 0] = -math.inf
    np.testing.assert_allclose(triplet_margin_loss_grad(a, pos, neg, p=p, reduction="none"),
                               triplet_margin_loss_grad(a, far, neg, p=p, reduction="none"),
                               rtol=1e-12, atol=1e-300)
    # an anchor at inf: both distances infinite, z = inf - inf = NaN, the loss NaN, slope 0
    a[1, 2] = math.inf
    g = triplet_margin_loss_grad(a, pos, neg, p=p, reduction="none")
    assert np.isfinite(g).all() and (g[1] == 0).all()
