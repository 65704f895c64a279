"""Focal losses: properties, accuracy against mpmath, bad input, and MONAI's FocalLoss.

The registry (lossbook.testing.cases) already holds both functions against their twins (torchvision's
sigmoid_focal_loss formula, MONAI's per-element softmax focal term) for every option set, with
gradcheck and the generic bad-input rules. This file adds what is specific to focal losses.

Where lossbook and MONAI's ``monai.losses.FocalLoss`` differ by design
-----------------------------------------------------------------------
Each difference is tested as the exact relation it is, not skipped (see ``TestMonai``):

1. dtype: MONAI casts input and target to float32 (``input.float()``), whatever came in;
   lossbook keeps the input's dtype. So MONAI is compared in float32, with float32 tolerances.
2. Softmax "mean": MONAI averages its (N, C, ...) loss tensor, in which only the target class
   is nonzero, over N * C * d elements; lossbook averages over the N * d elements:
   ``monai_mean = lossbook_mean / C``.
3. Softmax "mean" with ``ignore_index``: MONAI then divides by the number of non-ignored
   *pixels* (its mask has one channel), so there ``monai_mean = lossbook_mean`` exactly: the
   factor 1/C of item 2 disappears as soon as an ignore_index is given.
4. Softmax scalar ``alpha``: MONAI reads it as per-class weights (1 - alpha, alpha, ..., alpha),
   background first; lossbook reads a scalar as the same weight for every class. The relation:
   ``FocalLoss(alpha=a)`` equals lossbook ``alpha=[1 - a, a, ..., a]`` (then item 2).
5. MONAI's ``weight`` (class weights) multiplies class c's channel, which for softmax is the
   same as lossbook's per-class ``alpha`` (then item 2).
6. "sum": MONAI first averages over the spatial dimensions, then sums over batch and classes:
   for (N, C, H, W) ``monai_sum = lossbook_sum / (H * W)``. For (N, C) input with no spatial
   dimensions ``loss.mean(dim=[])`` averages over *everything*, so ``monai_sum = lossbook_mean``.
7. Sigmoid with soft targets: MONAI's modulating factor is ``sigmoid(-x (2t - 1)) ** gamma``,
   torchvision's (and lossbook's) is ``(1 - p_t) ** gamma`` with
   ``p_t = p t + (1 - p)(1 - t)``; they agree for t in {0, 1} only.
8. Gradient at p_t = 1 with 0 < gamma < 1: MONAI's softmax term ``(1 - exp(log p)) ** gamma``
   gives NaN through autograd (0 ** (gamma - 1) * 0); lossbook's log-space factor stays finite.
9. Target layout: MONAI takes (N, 1, ...) label maps with ``to_onehot_y=True`` (or one-hot);
   lossbook takes (N, ...) class indices like ``torch.nn.functional.cross_entropy``.
"""

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
from hypothesis.extra import numpy as hnp

from lossbook.focal import focal_loss, focal_loss_grad, sigmoid_focal_loss, sigmoid_focal_loss_grad
from lossbook.testing.twins import torchvision_sigmoid_focal_loss
from tests._vjp import assert_vjp

mpmath.mp.dps = 50

# --- strategies ---------------------------------------------------------------------------------

logits_1d = hnp.arrays(np.float64, st.integers(1, 8),
                       elements=st.floats(-30, 30, allow_nan=False, allow_infinity=False))
gammas = st.floats(0.0, 5.0)


@st.composite
def classification(draw):
    n = draw(st.integers(1, 6))
    c = draw(st.integers(2, 5))
    x = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(-20, 20)))
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return x, y


@st.composite
def binary(draw):
    x = draw(logits_1d)
    t = draw(hnp.arrays(np.float64, x.shape, elements=st.sampled_from([0.0, 1.0])))
    return x, t


# --- properties ---------------------------------------------------------------------------------


@given(binary(), st.sampled_from(["none", "mean", "sum"]))
def test_sigmoid_gamma_zero_without_alpha_is_bce_with_logits(data, reduction):
    x, t = (torch.from_numpy(a) for a in data)
    ours = sigmoid_focal_loss(x, t, alpha=None, gamma=0.0, reduction=reduction)
    torch.testing.assert_close(ours, F.binary_cross_entropy_with_logits(x, t, reduction=reduction))


def test_sigmoid_gamma_zero_with_soft_targets_is_bce_with_logits():
    rng = np.random.default_rng(3)
    x = torch.from_numpy(3 * rng.normal(size=50))
    t = torch.from_numpy(rng.uniform(size=50))
    torch.testing.assert_close(sigmoid_focal_loss(x, t, alpha=None, gamma=0.0),
                               F.binary_cross_entropy_with_logits(x, t, reduction="none"))


@given(classification(), st.sampled_from(["none", "mean", "sum"]))
def test_softmax_gamma_zero_without_alpha_is_cross_entropy(data, reduction):
    x, y = (torch.from_numpy(a) for a in data)
    ours = focal_loss(x, y, gamma=0.0, reduction=reduction)
    torch.testing.assert_close(ours, F.cross_entropy(x, y, reduction=reduction))


def test_softmax_gamma_zero_with_ignore_index_is_cross_entropy():
    rng = np.random.default_rng(4)
    x = torch.from_numpy(rng.normal(size=(6, 4, 3)))
    y = torch.from_numpy(rng.integers(0, 4, size=(6, 3)))
    y[y == 2] = 7
    for reduction in ("none", "mean", "sum"):
        torch.testing.assert_close(
            focal_loss(x, y, gamma=0.0, ignore_index=7, reduction=reduction),
            F.cross_entropy(x, y, ignore_index=7, reduction=reduction))


def test_softmax_alpha_is_unnormalised_class_weight():
    """gamma=0, alpha=w: CE(weight=w) for none/sum; the mean divides by the count, not by sum w."""
    rng = np.random.default_rng(5)
    x = torch.from_numpy(rng.normal(size=(8, 3)))
    y = torch.from_numpy(rng.integers(0, 3, size=8))
    y[0] = -100
    w = torch.tensor([0.2, 0.5, 0.9], dtype=torch.float64)
    for reduction in ("none", "sum"):
        torch.testing.assert_close(focal_loss(x, y, alpha=w, gamma=0.0, reduction=reduction),
                                   F.cross_entropy(x, y, weight=w, reduction=reduction))
    valid = y != -100
    ratio = w[y[valid]].sum() / valid.sum()
    torch.testing.assert_close(focal_loss(x, y, alpha=w, gamma=0.0),
                               F.cross_entropy(x, y, weight=w) * ratio)


@given(binary(), gammas)
def test_sigmoid_focal_is_at_most_bce_and_decreasing_in_gamma(data, gamma):
    x, t = data
    bce = sigmoid_focal_loss(x, t, alpha=None, gamma=0.0)
    f1 = sigmoid_focal_loss(x, t, alpha=None, gamma=gamma)
    f2 = sigmoid_focal_loss(x, t, alpha=None, gamma=gamma + 0.5)
    assert np.all(f1 <= bce)
    assert np.all(f2 <= f1)


@given(classification(), gammas)
def test_softmax_focal_is_at_most_ce_and_decreasing_in_gamma(data, gamma):
    x, y = data
    ce = focal_loss(x, y, gamma=0.0, reduction="none")
    f1 = focal_loss(x, y, gamma=gamma, reduction="none")
    f2 = focal_loss(x, y, gamma=gamma + 0.5, reduction="none")
    assert np.all(f1 <= ce)
    assert np.all(f2 <= f1)
    assert np.all(f2 >= 0)


@given(classification(), st.floats(0.0, 4.0))
def test_softmax_grad_matches_autograd(data, gamma):
    x, y = (torch.from_numpy(a) for a in data)
    leaf = x.clone().requires_grad_(True)
    (auto,) = torch.autograd.grad(focal_loss(leaf, y, gamma=gamma), leaf)
    torch.testing.assert_close(focal_loss_grad(x, y, gamma=gamma), auto)


@given(binary(), st.floats(0.0, 4.0), st.one_of(st.none(), st.floats(0.0, 1.0)))
def test_sigmoid_grad_matches_autograd(data, gamma, alpha):
    x, t = (torch.from_numpy(a) for a in data)
    leaf = x.clone().requires_grad_(True)
    (auto,) = torch.autograd.grad(sigmoid_focal_loss(leaf, t, alpha=alpha, gamma=gamma).sum(), leaf)
    torch.testing.assert_close(sigmoid_focal_loss_grad(x, t, alpha=alpha, gamma=gamma), auto)


# --- extreme logits and accuracy against mpmath -------------------------------------------------


def _mp_sigmoid_focal(x, t, alpha, gamma):
    x, t = mpmath.mpf(x), mpmath.mpf(t)
    p = 1 / (1 + mpmath.exp(-x))
    pm = 1 / (1 + mpmath.exp(x))  # 1 - p without cancellation
    ce = t * mpmath.log1p(mpmath.exp(-x)) + (1 - t) * mpmath.log1p(mpmath.exp(x))
    q = t * pm + (1 - t) * p  # 1 - p_t
    a = 1 if alpha is None else alpha * t + (1 - alpha) * (1 - t)
    return a * ce * q ** gamma


def _mp_focal(row, y, gamma):
    row = [mpmath.mpf(v) for v in row]
    rest = mpmath.fsum(mpmath.exp(v) for j, v in enumerate(row) if j != y)
    q = rest / (rest + mpmath.exp(row[y]))
    return q ** gamma * mpmath.log1p(rest / mpmath.exp(row[y]))  # -log p_t, no rounding to 0


EXTREME = [1e4, -1e4, 40.0, -40.0, 700.0, 0.0, 1e-8]


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sigmoid_extreme_logits_finite_values_and_gradients(dtype, gamma):
    x = torch.tensor(EXTREME * 2, dtype=dtype, requires_grad=True)
    t = torch.tensor([1.0] * len(EXTREME) + [0.0] * len(EXTREME), dtype=dtype)
    loss = sigmoid_focal_loss(x, t, gamma=gamma)
    (auto,) = torch.autograd.grad(loss.sum(), x)
    hand = sigmoid_focal_loss_grad(x.detach(), t, gamma=gamma)
    assert torch.isfinite(loss).all() and torch.isfinite(auto).all() and torch.isfinite(hand).all()
    torch.testing.assert_close(hand, auto)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_softmax_extreme_logits_finite_values_and_gradients(dtype, gamma):
    x = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [1e4, 1e4, -1e4], [40.0, 0.0, 0.0]],
                     dtype=dtype, requires_grad=True)
    y = torch.tensor([0, 0, 1, 0])
    loss = focal_loss(x, y, gamma=gamma, reduction="none")
    (auto,) = torch.autograd.grad(loss.sum(), x)
    hand = focal_loss_grad(x.detach(), y, gamma=gamma, reduction="none")
    assert torch.isfinite(loss).all() and torch.isfinite(auto).all() and torch.isfinite(hand).all()
    torch.testing.assert_close(hand, auto)
    assert float(loss[1].detach()) == pytest.approx(2e4, rel=1e-6)  # -log p_t = 2e4, (1 - p_t)^gamma = 1


@pytest.mark.parametrize("alpha", [None, 0.25])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.0])
def test_sigmoid_accuracy_against_mpmath(gamma, alpha):
    xs = [1e4, -1e4, 40.0, -40.0, 20.0, -3.0, 1e-3, 0.0]
    for t in (0.0, 1.0, 0.3):
        ours = sigmoid_focal_loss(np.array(xs), np.full(len(xs), t), alpha=alpha, gamma=gamma)
        ref = np.array([float(_mp_sigmoid_focal(x, t, alpha, gamma)) for x in xs])
        np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=0)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_softmax_accuracy_against_mpmath(gamma):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [40.0, 0.0, 1.0], [0.3, -0.2, 0.1],
                  [-50.0, 30.0, 30.0]])
    y = np.array([0, 0, 0, 2, 0])
    ours = focal_loss(x, y, gamma=gamma, reduction="none")
    ref = np.array([float(_mp_focal(r, int(c), gamma)) for r, c in zip(x, y, strict=True)])
    np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=0)


def test_tiny_loss_where_torchvisions_formula_rounds_to_zero():
    """x = 40, t = 1: the loss is about 1.9e-53; torchvision's p-based formula returns 0."""
    x, t = np.array([40.0]), np.array([1.0])
    ref = float(_mp_sigmoid_focal(40.0, 1.0, 0.25, 2.0))
    assert 1e-54 < ref < 1e-52
    assert float(sigmoid_focal_loss(x, t)[0]) == pytest.approx(ref, rel=1e-13)
    theirs = torchvision_sigmoid_focal_loss(torch.from_numpy(x), torch.from_numpy(t))
    assert float(theirs[0]) == 0.0


@pytest.mark.parametrize("gamma", [0.25, 0.5, 0.9])
def test_gamma_below_one_finite_gradient_at_certainty(gamma):
    """(1 - p_t)^(gamma - 1) is infinite at p_t = 1; the log-space forms never form it."""
    x = torch.tensor([1e4, -1e4, 50.0], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    (ours,) = torch.autograd.grad(sigmoid_focal_loss(x, t, gamma=gamma).sum(), x)
    assert torch.isfinite(ours).all()
    torch.testing.assert_close(ours, sigmoid_focal_loss_grad(x.detach(), t, gamma=gamma))
    # The textbook formula torchvision uses meets 0 ** (gamma - 1) * 0 = NaN there.
    (theirs,) = torch.autograd.grad(torchvision_sigmoid_focal_loss(x, t, gamma=gamma).sum(), x)
    assert torch.isnan(theirs[:2]).all()

    z = torch.tensor([[1e4, 0.0], [60.0, 0.0]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 0])
    (g,) = torch.autograd.grad(focal_loss(z, y, gamma=gamma), z)
    assert torch.isfinite(g).all()
    torch.testing.assert_close(g, focal_loss_grad(z.detach(), y, gamma=gamma))


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_gradcheck_near_certainty(gamma):
    x = torch.tensor([12.0, -9.0, 0.3, 25.0], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([1.0, 0.0, 1.0, 1.0], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda v: sigmoid_focal_loss(v, t, gamma=gamma), (x,))
    z = torch.tensor([[12.0, 0.0, -3.0], [0.1, 0.2, 0.3]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 2])
    assert torch.autograd.gradcheck(lambda v: focal_loss(v, y, gamma=gamma), (z,))


# --- types, dtypes and shapes -------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda a: a.astype(np.float32), lambda a: a.astype(np.float64),
    lambda a: torch.from_numpy(a).float(), lambda a: torch.from_numpy(a).double(),
])
def test_type_and_dtype_preserved(make):
    x = make(np.array([[0.5, -1.0, 2.0], [1.0, 0.0, 0.0]]))
    t = make(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    y = np.array([2, 0]) if isinstance(x, np.ndarray) else torch.tensor([2, 0])
    for out in (sigmoid_focal_loss(x, t), sigmoid_focal_loss_grad(x, t), focal_loss(x, y),
                focal_loss_grad(x, y), focal_loss(x, y, alpha=[0.2, 0.3, 0.5])):
        assert type(out) is type(x) or isinstance(out, np.generic | np.ndarray) == isinstance(
            x, np.ndarray)
        assert out.dtype == x.dtype


def test_softmax_shapes_like_cross_entropy():
    rng = np.random.default_rng(6)
    x1 = rng.normal(size=3)
    assert focal_loss(x1, np.array(1), reduction="none").shape == ()
    x3 = rng.normal(size=(2, 4, 3, 5))
    y3 = rng.integers(0, 4, size=(2, 3, 5))
    assert focal_loss(x3, y3, reduction="none").shape == (2, 3, 5)
    t1 = torch.from_numpy(x1)
    torch.testing.assert_close(focal_loss(t1, torch.tensor(1), gamma=0.0),
                               F.cross_entropy(t1, torch.tensor(1)))


def test_all_ignored_mean_is_nan_as_in_pytorch():
    x = torch.zeros(2, 3, dtype=torch.float64)
    y = torch.tensor([-100, -100])
    assert torch.isnan(focal_loss(x, y)) and torch.isnan(F.cross_entropy(x, y))
    assert float(focal_loss(x, y, reduction="sum")) == 0.0


def test_ignore_index_may_be_a_class():
    x = np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 0.0], [0.5, 0.5, 0.5]])
    y = np.array([0, 1, 2])
    both = focal_loss(x, y, ignore_index=1)
    assert both == pytest.approx(float(focal_loss(x[[0, 2]], y[[0, 2]])))
    assert focal_loss_grad(x, y, ignore_index=1)[1] == pytest.approx(np.zeros(3))


def test_validate_false_skips_value_checks_only():
    x, y = np.zeros((2, 3)), np.array([0, 5])
    with pytest.raises(ValueError, match="class indices within"):
        focal_loss(x, y)
    focal_loss(x, np.array([0, 1]), validate=False)
    with pytest.raises(ValueError, match="gamma must be a finite number >= 0"):
        focal_loss(x, np.array([0, 1]), gamma=-1.0, validate=False)


# --- bad input ----------------------------------------------------------------------------------

X2, T2 = np.array([[0.5, -1.0], [2.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
XC, YC = np.array([[0.5, -1.0, 0.0], [2.0, 0.0, 1.0]]), np.array([0, 2])


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: sigmoid_focal_loss(X2, T2, gamma=-0.5), ValueError,
     r"gamma must be a finite number >= 0; got -0.5"),
    (lambda: sigmoid_focal_loss(X2, T2, gamma=float("nan")), ValueError,
     r"gamma must be a finite number >= 0; got nan"),
    (lambda: sigmoid_focal_loss(X2, T2, alpha=-1), ValueError,
     r"alpha must be within \[0, 1\] or None \(torchvision's alpha=-1 'off' switch is alpha=None"),
    (lambda: sigmoid_focal_loss(X2, T2, alpha=1.5), ValueError,
     r"alpha must be within \[0, 1\] or None; got 1.5"),
    (lambda: sigmoid_focal_loss(X2, T2, alpha=True), TypeError,
     r"alpha must be a real number; got bool True"),
    (lambda: sigmoid_focal_loss(X2, T2.astype(np.float32)), TypeError,
     r"target must have the dtype of input \(float64\); got float32"),
    (lambda: sigmoid_focal_loss(X2, T2.astype(np.complex64)), TypeError,
     r"target must have a real floating dtype .* got complex64"),
    (lambda: sigmoid_focal_loss(X2, T2, validate=None), TypeError,
     r"validate must be True or False; got NoneType None"),
    (lambda: sigmoid_focal_loss(X2, T2 * 2), ValueError,
     r"target must hold probabilities within \[0, 1\]; got values from 0 to 2"),
    (lambda: sigmoid_focal_loss(X2, T2.astype(np.int64)), TypeError,
     r"target must have a real floating dtype"),
    (lambda: sigmoid_focal_loss(X2, T2[:1]), ValueError,
     r"input and target must have the same shape \(no broadcasting\); got input \(2, 2\) and target \(1, 2\)"),
    (lambda: sigmoid_focal_loss(X2.astype(np.int64), T2), TypeError,
     r"input must have a real floating dtype \(float16/32/64, bfloat16\), got int64"),
    (lambda: sigmoid_focal_loss(torch.from_numpy(X2), T2), TypeError,
     r"target must come from the same library as input \(torch\); got numpy"),
    (lambda: sigmoid_focal_loss(X2, [[1.0, 0.0], [0.0, 1.0]]), TypeError,
     r"target must be a NumPy array or a torch tensor, got list"),
    (lambda: focal_loss(XC, YC, gamma=-1.0), ValueError,
     r"gamma must be a finite number >= 0; got -1.0"),
    (lambda: focal_loss(XC, YC, alpha=1.2), ValueError,
     r"alpha must be within \[0, 1\] or None; got 1.2"),
    (lambda: focal_loss(XC, YC, alpha=np.array([0.5, 0.5])), ValueError,
     r"alpha must have shape \(3,\), one value per class of input \(2, 3\); got \(2,\)"),
    (lambda: focal_loss(XC, YC, alpha="ab"), TypeError,
     r"alpha must be None, a number, a sequence of numbers or an array of shape \(C,\); "
     r"got str 'ab'"),
    (lambda: focal_loss(XC, YC, alpha=[0.2, "x", 0.5]), TypeError,
     r"alpha must be a real number; got str 'x'"),
    (lambda: focal_loss(XC, YC, alpha=np.array([0.2, 0.3, 0.5], dtype=np.float32)), TypeError,
     r"alpha must have the dtype of input \(float64\); got float32"),
    (lambda: focal_loss(XC, YC, alpha=torch.tensor([0.2, 0.3, 0.5])), TypeError,
     r"alpha must come from the same library as input \(numpy\); got torch"),
    (lambda: focal_loss(XC, YC, alpha=np.array([0.2, np.nan, 0.5])), ValueError,
     r"alpha must hold probabilities within \[0, 1\]"),
    (lambda: focal_loss(XC, YC, alpha=[0.2, 0.3, 1.5]), ValueError,
     r"alpha must hold probabilities within \[0, 1\]; got values from 0.2 to 1.5"),
    (lambda: focal_loss(XC, YC, alpha=np.array([1, 0, 1])), TypeError,
     r"alpha must have a real floating dtype .* got int64"),
    (lambda: focal_loss(XC, np.array([0, 3])), ValueError,
     r"target must hold class indices within \[0, 3\) or ignore_index=-100; got 3"),
    (lambda: focal_loss(XC, np.array([0, -1])), ValueError,
     r"target must hold class indices within \[0, 3\) or ignore_index=-100; got -1"),
    (lambda: focal_loss(XC, np.array([[0], [2]])), ValueError,
     r"target of class indices must have shape \(2,\) for input of shape \(2, 3\) \(the input's "
     r"shape without the class dim 1\); got \(2, 1\)"),
    (lambda: focal_loss(XC, np.array([True, False])), TypeError,
     r"target must hold integer class indices; got dtype bool"),
    (lambda: focal_loss(XC, YC.astype(np.float64)), TypeError,
     r"target must hold integer class indices; got dtype float64"),
    (lambda: focal_loss(XC.astype(np.int64), YC), TypeError,
     r"input must have a real floating dtype \(float16/32/64, bfloat16\), got int64"),
    (lambda: focal_loss(XC[:, :1], np.array([0, 0])), ValueError,
     r"input must have at least 2 classes along dim 1; got 1"),
    (lambda: focal_loss(np.array(1.0), np.array(0)), ValueError,
     r"input must have shape \(C,\), \(N, C\) or \(N, C, d1, ..., dK\) with the classes on "
     r"dim 1 \(dim 0 if unbatched\); got shape \(\)"),
    (lambda: focal_loss(XC, YC, ignore_index=None), TypeError,
     r"ignore_index must be an int; got NoneType"),
    (lambda: focal_loss(XC, YC, ignore_index=-100.0), TypeError,
     r"ignore_index must be an int; got float -100\.0"),
    (lambda: focal_loss(XC, YC, reduction="batchmean"), ValueError,
     r"reduction must be one of 'none', 'mean', 'sum'; got 'batchmean'"),
    (lambda: focal_loss_grad(XC, YC, gamma=-1.0), ValueError,
     r"gamma must be a finite number >= 0"),
    (lambda: sigmoid_focal_loss_grad(X2, T2, alpha=2.0), ValueError,
     r"alpha must be within \[0, 1\]"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- MONAI's FocalLoss module -------------------------------------------------------------------

F32 = dict(rtol=2e-5, atol=1e-6)  # MONAI computes in float32 (difference 1 above)


def _monai(**kwargs):
    from monai.losses import FocalLoss

    return FocalLoss(**kwargs)


def _seg_data(seed=7, shape=(2, 3, 4, 5)):
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(2 * rng.normal(size=shape)).float()
    y = torch.from_numpy(rng.integers(0, shape[1], size=(shape[0], *shape[2:])))
    return x, y


class TestMonai:
    @pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
    @pytest.mark.parametrize("alpha", [None, 0.25, 0.8])
    def test_sigmoid_none_and_mean_match(self, gamma, alpha):
        x, y = _seg_data()
        t = F.one_hot(y, 3).movedim(-1, 1).float()
        for reduction in ("none", "mean"):
            theirs = _monai(gamma=gamma, alpha=alpha, reduction=reduction)(x, t)
            ours = sigmoid_focal_loss(x, t, gamma=gamma, alpha=alpha, reduction=reduction)
            torch.testing.assert_close(ours, theirs, **F32)

    def test_sigmoid_sum_averages_spatial_dims_first(self):
        """Difference 6: monai_sum = lossbook_sum / (H W); for (N, C), monai_sum = lossbook_mean."""
        x, y = _seg_data()
        t = F.one_hot(y, 3).movedim(-1, 1).float()
        theirs = _monai(reduction="sum")(x, t)
        ours = sigmoid_focal_loss(x, t, alpha=None, reduction="sum")
        torch.testing.assert_close(ours / (4 * 5), theirs, **F32)
        x2, t2 = x[:, :, 0, 0], t[:, :, 0, 0]
        torch.testing.assert_close(_monai(reduction="sum")(x2, t2),
                                   sigmoid_focal_loss(x2, t2, alpha=None, reduction="mean"), **F32)

    def test_sigmoid_soft_targets_use_another_factor(self):
        """Difference 7: MONAI's factor is sigmoid(-x (2t - 1)) ** gamma, even for soft t."""
        rng = np.random.default_rng(8)
        x = torch.from_numpy(rng.normal(size=(4, 3))).float()
        t = torch.from_numpy(rng.uniform(size=(4, 3))).float()
        theirs = _monai(gamma=2.0, alpha=0.25, reduction="none")(x, t)
        bce_alpha = sigmoid_focal_loss(x, t, gamma=0.0, alpha=0.25)
        torch.testing.assert_close(theirs, bce_alpha * torch.sigmoid(-x * (2 * t - 1)) ** 2, **F32)
        assert not torch.allclose(theirs, sigmoid_focal_loss(x, t, gamma=2.0, alpha=0.25))

    @pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
    def test_softmax_none_and_mean(self, gamma):
        """Differences 2 and 9: per-class channels sum to lossbook's; the mean is 1/C of it."""
        x, y = _seg_data()
        kw = dict(use_softmax=True, to_onehot_y=True, gamma=gamma)
        none = _monai(reduction="none", **kw)(x, y[:, None])
        torch.testing.assert_close(none.sum(1), focal_loss(x, y, gamma=gamma, reduction="none"), **F32)
        mean = _monai(reduction="mean", **kw)(x, y[:, None])
        torch.testing.assert_close(mean, focal_loss(x, y, gamma=gamma) / 3, **F32)

    def test_softmax_ignore_index_mean_has_no_factor_c(self):
        """Difference 3: with ignore_index MONAI's mean divides by the non-ignored pixels."""
        x, y = _seg_data()
        y[0, 0, :] = -100
        theirs = _monai(use_softmax=True, to_onehot_y=True, ignore_index=-100)(x, y[:, None])
        torch.testing.assert_close(theirs, focal_loss(x, y), **F32)

    def test_softmax_scalar_alpha_means_background_weight(self):
        """Difference 4: MONAI's scalar alpha a is lossbook's alpha=[1 - a, a, ..., a]."""
        x, y = _seg_data()
        theirs = _monai(use_softmax=True, to_onehot_y=True, alpha=0.25)(x, y[:, None])
        ours = focal_loss(x, y, alpha=torch.tensor([0.75, 0.25, 0.25]))
        torch.testing.assert_close(theirs, ours / 3, **F32)
        assert not torch.allclose(theirs, focal_loss(x, y, alpha=0.25) / 3)

    def test_softmax_sequence_alpha_and_class_weight_are_lossbook_alpha(self):
        """Difference 5: a per-class alpha, or MONAI's weight, is lossbook's per-class alpha."""
        x, y = _seg_data()
        w = [0.2, 0.5, 0.9]
        ours = focal_loss(x, y, alpha=w) / 3
        for kw in (dict(alpha=w), dict(weight=w)):
            theirs = _monai(use_softmax=True, to_onehot_y=True, **kw)(x, y[:, None])
            torch.testing.assert_close(theirs, ours, **F32)

    def test_float32_cast(self):
        """Difference 1: MONAI returns float32 for float64 input; lossbook keeps float64."""
        x, y = _seg_data()
        x64 = x.double()
        assert _monai(use_softmax=True, to_onehot_y=True)(x64, y[:, None]).dtype == torch.float32
        assert focal_loss(x64, y).dtype == torch.float64

    def test_softmax_gamma_below_one_nan_gradient_at_certainty(self):
        """Difference 8: MONAI's gradient is NaN at p_t = 1 for gamma < 1; lossbook's is finite."""
        x = torch.tensor([[200.0, 0.0], [0.0, 0.5]], requires_grad=True)
        y = torch.tensor([[0], [1]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = _monai(use_softmax=True, to_onehot_y=True, gamma=0.5)(x, y)
        (theirs,) = torch.autograd.grad(loss, x)
        assert torch.isnan(theirs[0]).all()
        leaf = x.detach().clone().requires_grad_(True)
        (ours,) = torch.autograd.grad(focal_loss(leaf, y[:, 0], gamma=0.5), leaf)
        assert torch.isfinite(ours).all()


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_gradients_accuracy_against_mpmath(gamma):
    xs = [40.0, -40.0, 20.0, -3.0, 1e-3, 300.0]
    for t in (0.0, 1.0, 0.3):
        ours = sigmoid_focal_loss_grad(np.array(xs), np.full(len(xs), t), gamma=gamma)
        ref = [float(mpmath.diff(lambda v, t=t: _mp_sigmoid_focal(v, t, 0.25, gamma), x))
               for x in xs]
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=0)
    rows = np.array([[40.0, 0.0, 1.0], [0.3, -0.2, 0.1], [-50.0, 30.0, 29.0]])
    ys = np.array([0, 2, 0])
    ours = focal_loss_grad(rows, ys, gamma=gamma, reduction="sum")
    for i, (row, y) in enumerate(zip(rows, ys, strict=True)):
        for j in range(3):
            def f(v, row=row, y=y, j=j):
                r = [mpmath.mpf(a) for a in row]
                r[j] = v
                return _mp_focal(r, int(y), gamma)
            ref = float(mpmath.diff(f, mpmath.mpf(row[j])))
            assert ours[i, j] == pytest.approx(ref, rel=1e-12, abs=1e-300)


# --- the margin d without rounding at the logits' scale; (1 - p_t)^gamma as a power ---------

# near-equal logits around -1e4 (d = -log 4 was rounded to ulp(1e4) = 1.8e-12), a dominant
# correct logit (loss 4e^-50), ordinary rows, and the target far below or above the others
_ROWS = np.array([
    [-1e4, -1e4, -1e4, -1e4, -1e4 + 1e-12],
    [1e4, -1e4, 0.0, 5e3, 1e4 - 1],
    [1.0, 1.0 + 2.0**-52, 1.0, 1.0, 1.0],
    [50.0, 0.0, 0.0, 0.0, 0.0],
    [37.0, 0.0, 0.0, 0.0, 0.0],
    [3.0, -2.0, 0.5, 1.0, -0.25],
    [-1e4 + 30.0, -1e4, -1e4 + 1.0, -1e4, -1e4 - 5.0],
    [-20.0, 0.0, 1.0, -1.0, 0.5],
])
_ROW_TARGETS = np.array([4, 0, 1, 0, 0, 3, 0, 0])


def _mp_focal_grad(row, y, gamma):
    with mpmath.workdps(120):
        row = [mpmath.mpf(float(v)) for v in row]
        out = []
        for j in range(len(row)):
            def f(v, j=j):
                r = list(row)
                r[j] = v
                return _mp_focal(r, y, gamma)
            out.append(mpmath.diff(f, row[j], h=mpmath.mpf("1e-60")))
        return out


@pytest.mark.parametrize("gamma", [0.0, 0.25, 0.5, 1.5, 2.0, 3.0])
def test_softmax_margin_is_not_rounded_at_the_scale_of_the_logits(gamma):
    for lib in ("numpy", "torch"):
        x = _ROWS if lib == "numpy" else torch.tensor(_ROWS)
        y = _ROW_TARGETS if lib == "numpy" else torch.tensor(_ROW_TARGETS)
        ours = np.asarray(focal_loss(x, y, gamma=gamma, reduction="none"))
        grad = np.asarray(focal_loss_grad(x, y, gamma=gamma, reduction="none"))
        for i, (row, c) in enumerate(zip(_ROWS, _ROW_TARGETS, strict=True)):
            want = _mp_focal([mpmath.mpf(float(v)) for v in row], int(c), gamma)
            assert abs(ours[i] - want) <= 1e-14 * want, (lib, i, ours[i], float(want))
            for j, dwant in enumerate(_mp_focal_grad(row, int(c), gamma)):
                assert abs(grad[i, j] - dwant) <= 1e-14 * abs(dwant), (lib, i, j, grad[i, j],
                                                                       float(dwant))


@pytest.mark.parametrize("gamma", [0.0, 0.1, 0.5, 0.999, 1.0, 2.0])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_softmax_certain_prediction_is_finite_for_every_gamma(dtype, gamma):
    # p_t rounds to 1 (q = 0 or subnormal) and p_t = 0 (the other extreme), gamma < 1 included
    x = torch.tensor([[800.0, 0.0, 0.0], [745.0, 0.0, 0.0], [100.0, 0.0, 0.0],
                      [-800.0, 0.0, 0.0], [0.0, 0.0, 0.0]], dtype=dtype, requires_grad=True)
    y = torch.tensor([0, 0, 0, 0, 0])
    loss = focal_loss(x, y, gamma=gamma, reduction="none")
    (auto,) = torch.autograd.grad(loss.sum(), x)
    hand = focal_loss_grad(x.detach(), y, gamma=gamma, reduction="none")
    assert torch.isfinite(loss).all() and torch.isfinite(auto).all() and torch.isfinite(hand).all()
    torch.testing.assert_close(hand, auto)
    loss = loss.detach()
    assert float(loss[0]) == 0.0 and float(loss[3]) == pytest.approx(800.0 + np.log(2.0))


# --- grad_output: the gradient is a vector-Jacobian product --------------------------------------


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_grad_output_against_autograd(reduction, gamma):
    rng = np.random.default_rng(10)
    x = rng.normal(size=(4, 3, 2)) * 2
    t = rng.uniform(size=(4, 3, 2))
    t[0] = np.round(t[0])  # hard and soft targets
    assert_vjp(sigmoid_focal_loss, sigmoid_focal_loss_grad, x, t, gamma=gamma,
               reduction=reduction)
    y = rng.integers(0, 3, size=(4, 2))
    y[1, 0] = -100
    for alpha in (None, 0.25, np.array([0.2, 0.5, 0.3])):
        assert_vjp(focal_loss, focal_loss_grad, x, y, gamma=gamma, alpha=alpha,
                   reduction=reduction)


# --- the input contract and its edge cases -------------------------------------------------------


def _target_grad(f, x, t, **options):
    t = torch.tensor(t, dtype=torch.float64, requires_grad=True)
    f(torch.tensor(x, dtype=torch.float64), t, **options).sum().backward()
    return t.grad


def test_sigmoid_focal_gradient_in_the_target_is_torchvision_s_at_hard_labels():
    x, t = [0.3, -1.2, 2.0], [1.0, 0.0, 1.0]
    ours = _target_grad(sigmoid_focal_loss, x, t)
    theirs = _target_grad(torchvision_sigmoid_focal_loss, x, t)
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=0)
    assert [round(float(g), 3) for g in ours] == [-0.081, 0.09, -0.014]
    for gamma in (0.0, 0.5, 2.0):  # no jump between t = 1 and t = 0.999999, or 0 and 1e-6
        hard = _target_grad(sigmoid_focal_loss, x, t, gamma=gamma)
        near = _target_grad(sigmoid_focal_loss, x, [1 - 1e-6, 1e-6, 1 - 1e-6], gamma=gamma)
        torch.testing.assert_close(hard, near, rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(
            hard, _target_grad(torchvision_sigmoid_focal_loss, x, t, gamma=gamma),
            rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("t", [0.0, 1.0, 0.3])
def test_sigmoid_focal_grad_at_the_largest_logits_is_finite_and_right(t):
    # at x = 1e308, t = 0: ce = 1e308 times d log(1 - p_t)/dx = sigma(-x) = 0 is 0, not inf * 0
    for x in (1e308, -1e308, np.finfo(np.float64).max):
        g = sigmoid_focal_loss_grad(np.array([x]), np.array([t]), alpha=None, gamma=2.0)
        # the limit: d loss / dx -> (1 - t) sigma(x) - t sigma(-x) = 1 - t or -t, times (1-p_t)^2
        q = 1 - t if x > 0 else t  # 1 - p_t = t sigma(-x) + (1 - t) sigma(x)
        assert float(g[0]) == pytest.approx(q**2 * ((1 - t) if x > 0 else -t), rel=1e-15)


def test_focal_grad_is_zero_not_nan_when_every_target_is_ignored():
    x = torch.tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
    y = torch.full((3,), -100)
    hand = focal_loss_grad(x.detach(), y)
    focal_loss(x, y).backward()  # the mean is 0 / 0 = NaN, as in PyTorch; its gradient is 0
    assert torch.equal(hand, torch.zeros_like(hand)) and torch.equal(x.grad, hand)
    from lossbook import cross_entropy_grad

    assert torch.equal(cross_entropy_grad(x.detach(), y), hand)


@pytest.mark.parametrize("logit", [8.0, 12.0, 30.0])
def test_float16_focal_gradient_near_p_t_1_is_finite(logit):
    # 1 - p_t = e^-logit is below float16's normal range (6.1e-5): the power is taken in log
    # space there, with float16's own smallest normal (not float32's 2^-126)
    x = torch.tensor([[logit, 0.0, -logit]], dtype=torch.float16, requires_grad=True)
    y = torch.tensor([0])
    hand = focal_loss_grad(x.detach(), y, gamma=0.5)
    focal_loss(x, y, gamma=0.5).backward()
    assert hand.dtype == torch.float16
    assert bool(torch.isfinite(hand).all()) and bool(torch.isfinite(x.grad).all())
    ref = focal_loss_grad(x.detach().double(), y, gamma=0.5)
    torch.testing.assert_close(hand.double(), ref, rtol=2e-2, atol=1e-4)  # float16: 3 digits
    torch.testing.assert_close(x.grad.double(), ref, rtol=2e-2, atol=1e-4)


def test_uint8_targets_of_focal_loss_are_not_wrapped():
    x = np.random.default_rng(3).normal(size=(2, 300))
    for xs, target, wide in [
        (x, np.array([156, 299], dtype=np.uint16), np.array([156, 299])),
        (x, np.array([156, 255], dtype=np.uint8), np.array([156, 255])),
        (torch.from_numpy(x), torch.tensor([156, 255], dtype=torch.uint8), torch.tensor([156, 255])),
    ]:
        for f in (focal_loss, focal_loss_grad):
            got, expected = f(xs, target, reduction="none"), f(xs, wide, reduction="none")
            assert (got == expected).all()


def test_focal_options_accept_numpy_scalars():
    expected = focal_loss(XC, YC)
    assert float(focal_loss(XC, YC, ignore_index=np.int64(-100))) == float(expected)
    assert float(focal_loss(XC, YC, gamma=np.float64(2.0))) == float(expected)
    assert float(focal_loss(XC, YC, alpha=np.float32(1.0))) == float(expected)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_an_infinite_logit_gives_the_limits():
    # sigmoid: x = -inf with t = 0 has p = 0 exactly, loss and gradient 0
    x, t = np.array([-math.inf, 0.5]), np.array([0.0, 1.0])
    assert sigmoid_focal_loss(x, t, reduction="none")[0] == 0.0
    assert sigmoid_focal_loss_grad(x, t, reduction="none")[0] == 0.0
    # softmax: a class at -inf has probability 0, so it is as if it were not there
    rng = np.random.default_rng(3)
    logits, y = rng.normal(size=(4, 3)), np.array([1, 2, 1, 2])
    with_inf = np.concatenate([np.full((4, 1), -math.inf), logits], axis=1)
    for alpha in (None, 0.25):
        np.testing.assert_allclose(focal_loss(with_inf, y + 1, alpha=alpha, reduction="none"),
                                   focal_loss(logits, y, alpha=alpha, reduction="none"),
                                   rtol=1e-15)
        g = focal_loss_grad(with_inf, y + 1, alpha=alpha, reduction="none")
        assert (g[:, 0] == 0).all()
        np.testing.assert_allclose(g[:, 1:], focal_loss_grad(logits, y, alpha=alpha,
                                                             reduction="none"), rtol=1e-14)
    # +inf outside the target: p_t = 0, the loss is +inf
    with_inf[:, 0] = math.inf
    assert np.isposinf(focal_loss(with_inf, y + 1, reduction="none")).all()
