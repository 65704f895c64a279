"""The multi-class hinge and its relatives beyond the registry: PyTorch's target formats,
kinks, properties, accuracy against mpmath, bad input (lossbook.hinge).

The registry (``lossbook.testing.cases.hinge``) holds each loss and gradient against PyTorch on
three backends and under gradcheck."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lossbook import binary_cross_entropy_with_logits, cross_entropy, cross_entropy_grad
from lossbook.hinge import (
    multi_margin_loss,
    multi_margin_loss_grad,
    multilabel_margin_loss,
    multilabel_margin_loss_grad,
    multilabel_soft_margin_loss,
    multilabel_soft_margin_loss_grad,
    soft_margin_loss,
    soft_margin_loss_grad,
)
from lossbook.testing.cases.hinge import (
    _W5,
    _multi_margin_inputs,
    _multilabel_inputs,
    _multilabel_soft_inputs,
    _soft_margin_inputs,
)

mpmath.mp.dps = 50

PAIRS = {
    "multi_margin": (multi_margin_loss, multi_margin_loss_grad, _multi_margin_inputs),
    "multilabel_margin": (multilabel_margin_loss, multilabel_margin_loss_grad, _multilabel_inputs),
    "soft_margin": (soft_margin_loss, soft_margin_loss_grad, _soft_margin_inputs),
    "multilabel_soft_margin": (multilabel_soft_margin_loss, multilabel_soft_margin_loss_grad,
                               _multilabel_soft_inputs),
}


def _t(x):
    return torch.from_numpy(np.array(x))


# --- grad_output ------------------------------------------------------------------------------


def test_grad_output_is_checked():
    x, y = _multi_margin_inputs(np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(6,\)"):
        multi_margin_loss_grad(x, y, reduction="none", grad_output=np.ones(5))
    with pytest.raises(TypeError, match=r"grad_output must have the dtype of input"):
        soft_margin_loss_grad(x, np.sign(x), grad_output=np.array(1.0, dtype=np.float32))


# --- PyTorch's formats: where the code and the documentation differ ----------------------------


def test_multi_margin_weight_multiplies_after_the_power():
    """w_y max(0, z)^p, as LossMultiMargin.cpp computes (older docs: max(0, w_y z)^p)."""
    x, y, w = np.array([[0.0, 0.5, -1.0]]), np.array([0]), np.array([3.0, 1.0, 1.0])
    expected = 3.0 * (1.5**2 + 0.0**2) / 3
    assert float(multi_margin_loss(x, y, p=2, weight=w)) == pytest.approx(expected, rel=1e-15)
    theirs = F.multi_margin_loss(_t(x), _t(y), p=2, weight=_t(w))
    assert float(theirs) == pytest.approx(expected, rel=1e-15)
    assert float(theirs) != pytest.approx((3.0 * 1.5) ** 2 / 3)  # the weight inside the power


def test_multi_margin_weight_is_per_class_and_the_mean_is_over_samples():
    """``weight`` has one entry per class (the functional docstring says per sample) and the
    mean divides by N, not by the total weight of the targets (unlike cross_entropy)."""
    x, y = _multi_margin_inputs(np.random.default_rng(1))
    none = multi_margin_loss(x, y, weight=_W5, reduction="none")
    assert float(multi_margin_loss(x, y, weight=_W5)) == pytest.approx(none.mean(), rel=1e-15)
    with pytest.raises(ValueError, match=r"weight must hold one weight per class, shape \(5,\)"):
        multi_margin_loss(x, y, weight=np.ones(6))
    with pytest.raises(RuntimeError, match="inconsistent weight size"):
        F.multi_margin_loss(_t(x), _t(y), weight=torch.ones(6, dtype=torch.float64))


def test_multi_margin_unbatched_target_shapes():
    """(C,) scores take a target of shape () (documented) or (1,) (the code): the output of
    reduction="none" has the target's shape, in both."""
    x = np.array([0.3, 1.2, -0.4])
    for y in (np.array(1), np.array([1])):
        ours = multi_margin_loss(x, y, reduction="none")
        theirs = F.multi_margin_loss(_t(x), _t(y), reduction="none")
        assert ours.shape == tuple(theirs.shape) == y.shape
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-15)
        assert multi_margin_loss_grad(x, y, reduction="none").shape == (3,)


def test_multilabel_margin_reads_labels_up_to_the_first_minus_one():
    """[3, 0, -1, 1] means labels {3, 0}: PyTorch's docstring example, 0.85."""
    x = np.array([[0.1, 0.2, 0.4, 0.8]])
    assert float(multilabel_margin_loss(x, np.array([[3, 0, -1, 1]]))) == pytest.approx(0.85)
    for after in (2, -1, 0, 3):  # what follows the -1 is ignored
        y = np.array([[3, 0, -1, after]])
        assert float(multilabel_margin_loss(x, y)) == pytest.approx(0.85)
        assert float(F.multilabel_margin_loss(_t(x), _t(y))) == pytest.approx(0.85)
    assert float(multilabel_margin_loss(x, np.array([[-1, 0, 1, 2]]))) == 0.0  # no label


def test_multilabel_margin_counts_a_repeated_label_twice():
    """The kernel sums over the listed labels, not over the set (undocumented)."""
    x = np.array([[0.1, 0.2, 0.4, 0.8]])
    once, twice = np.array([[3, -1, 0, 0]]), np.array([[3, 3, -1, 0]])
    assert float(multilabel_margin_loss(x, twice)) == pytest.approx(
        2 * float(multilabel_margin_loss(x, once)), rel=1e-15)
    assert float(F.multilabel_margin_loss(_t(x), _t(twice))) == pytest.approx(
        float(multilabel_margin_loss(x, twice)), rel=1e-15)


def test_multilabel_margin_with_one_label_is_multi_margin():
    x, y = _multi_margin_inputs(np.random.default_rng(4))
    listed = np.full(x.shape, -1)
    listed[:, 0] = y
    np.testing.assert_allclose(multilabel_margin_loss(x, listed, reduction="none"),
                               multi_margin_loss(x, y, reduction="none"), rtol=1e-15)
    np.testing.assert_allclose(multilabel_margin_loss_grad(x, listed),
                               multi_margin_loss_grad(x, y), rtol=1e-15)


def test_soft_margin_takes_any_real_target_as_the_code_does():
    """The docs say 1 or -1; the code takes any real y, and so does lossbook."""
    x, y = np.array([0.7, -2.0, 3.0]), np.array([0.0, 0.5, -2.0])
    np.testing.assert_allclose(soft_margin_loss(x, y, reduction="none"),
                               F.soft_margin_loss(_t(x), _t(y), reduction="none").numpy(),
                               rtol=1e-15)
    assert float(soft_margin_loss(x[:1], y[:1])) == pytest.approx(math.log(2), rel=1e-15)


def test_soft_margin_integer_labels_and_multilabel_soft_shapes():
    x = np.array([[0.7, -2.0], [3.0, 0.1]])
    y = np.array([[1, -1], [-1, 1]], dtype=np.int8)
    np.testing.assert_allclose(soft_margin_loss(x, y), soft_margin_loss(x, y.astype(np.float64)))
    # multilabel soft margin: classes along the last axis, any leading axes (the code)
    x3, y3 = _multilabel_soft_inputs(np.random.default_rng(0))
    ours = multilabel_soft_margin_loss(x3, y3, reduction="none")
    assert ours.shape == (2, 3)
    np.testing.assert_allclose(ours, F.multilabel_soft_margin_loss(
        _t(x3), _t(y3), reduction="none").numpy(), rtol=1e-14)


def test_pytorch_broadcasts_targets_silently_lossbook_refuses():
    x = np.random.default_rng(0).normal(size=(3, 4))
    row = np.ones(4)
    assert F.soft_margin_loss(_t(x), _t(row)).shape == ()  # PyTorch: (4,) against (3, 4)
    assert F.multilabel_soft_margin_loss(_t(x), _t(row)).shape == ()
    for f in (soft_margin_loss, multilabel_soft_margin_loss):
        with pytest.raises(ValueError, match="input and target must have the same shape"):
            f(x, row)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.int64])
def test_any_integer_target_width(dtype):
    """PyTorch takes int64 only; lossbook any width, compared without wrapping (C = 300)."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 300))
    y = np.array([5, 7, 120, 0])
    ours = multi_margin_loss(x, y.astype(dtype), reduction="none")
    np.testing.assert_array_equal(ours, multi_margin_loss(x, y, reduction="none"))
    np.testing.assert_allclose(ours, F.multi_margin_loss(_t(x), _t(y), reduction="none").numpy(),
                               rtol=1e-14)
    if np.issubdtype(dtype, np.signedinteger):
        listed = np.full((4, 300), -1, dtype=dtype)
        listed[:, :2] = [[5, 7], [1, 2], [120, 0], [3, 3]]
        np.testing.assert_array_equal(
            multilabel_margin_loss(x, listed, reduction="none"),
            multilabel_margin_loss(x, listed.astype(np.int64), reduction="none"))


# --- kinks, NaN and infinities -----------------------------------------------------------------


def test_subgradient_at_the_kink_is_pytorchs_zero():
    """z = m - x_y + x_j = 0 exactly: PyTorch's kernels test z > 0, so the slope there is 0."""
    x, y = np.array([[0.0, 1.0, 1.0]]), np.array([1])
    for margin in (0.0,):
        ours = multi_margin_loss_grad(x, y, margin=margin)
        X = _t(x).requires_grad_(True)
        F.multi_margin_loss(X, _t(y), margin=margin).backward()
        np.testing.assert_array_equal(ours, X.grad.numpy())
        np.testing.assert_array_equal(ours, 0.0)
    x = np.array([[1.0, 0.0, 0.5]])  # label 0 against class 1: 1 - 1 + 0 = 0
    ours = multilabel_margin_loss_grad(x, np.array([[0, -1, 0]]))
    X = _t(x).requires_grad_(True)
    F.multilabel_margin_loss(X, _t(np.array([[0, -1, 0]]))).backward()
    np.testing.assert_array_equal(ours, X.grad.numpy())


def test_nan_scores_give_nan_where_pytorch_skips_them():
    x = np.array([[0.0, math.nan, 1.0]])
    assert math.isnan(float(multi_margin_loss(x, np.array([0]))))
    assert math.isnan(float(multi_margin_loss(x, np.array([1]))))
    assert float(F.multi_margin_loss(_t(x), _t(np.array([1])))) == 0.0  # NaN > 0 is false
    assert math.isnan(float(multilabel_margin_loss(x, np.array([[0, -1, 0]]))))


def test_autograd_through_lossbook_equals_its_hand_gradient_at_nan_and_inf():
    x = np.array([[0.0, math.nan, 1.0], [math.inf, 0.0, 1.0], [0.0, -math.inf, 2.0]])
    y = np.array([0, 0, 2])
    for p in (1, 2):
        X = _t(x).requires_grad_(True)
        multi_margin_loss(X, _t(y), p=p, reduction="sum").backward()
        torch.testing.assert_close(X.grad, multi_margin_loss_grad(_t(x), _t(y), p=p,
                                                                  reduction="sum"),
                                   equal_nan=True)
    s = np.array([-1e300, math.inf, -math.inf, 0.0])
    ys = np.array([1.0, -1.0, 1.0, -1.0])
    np.testing.assert_array_equal(soft_margin_loss(s, ys, reduction="none"),
                                  [1e300, math.inf, math.inf, math.log(2)])
    np.testing.assert_array_equal(soft_margin_loss_grad(s, ys, reduction="none"),
                                  [-1.0, 1.0, -1.0, 0.5])


# --- properties (hypothesis) -------------------------------------------------------------------

_score = st.floats(-20.0, 20.0, allow_nan=False)


@st.composite
def _scores_and_targets(draw, n=4, c=5):
    x = np.array([[draw(_score) for _ in range(c)] for _ in range(n)])
    y = np.array([draw(st.integers(0, c - 1)) for _ in range(n)])
    return x, y


@settings(max_examples=80, deadline=None)
@given(_scores_and_targets(), st.sampled_from([1, 2]), st.floats(0.0, 3.0))
def test_margin_met_means_zero_loss_and_zero_gradient(xy, p, extra):
    """With margin 0 and separable scores (the true score strictly above every other) the loss
    is 0; the same holds for margin m once the true score leads by more than m."""
    x, y = xy
    rows = np.arange(len(y))
    best_other = np.where(np.arange(5)[None, :] == y[:, None], -np.inf, x).max(axis=1)
    x = x.copy()
    x[rows, y] = best_other + extra + 1e-6
    assert float(multi_margin_loss(x, y, p=p, margin=0.0, reduction="sum")) == 0.0
    np.testing.assert_array_equal(multi_margin_loss_grad(x, y, p=p, margin=0.0), 0.0)
    margin = extra * 0.999
    assert float(multi_margin_loss(x, y, p=p, margin=margin, reduction="sum")) == 0.0


@settings(max_examples=80, deadline=None)
@given(_scores_and_targets(), st.floats(-5.0, 5.0), st.sampled_from([1, 2]))
def test_shift_invariance_and_bounds(xy, shift, p):
    """Adding a constant to every score changes nothing; for p = 1 the loss is at least
    max_j (m - x_y + x_j)^+ / C and at most (C - 1) / C times it."""
    x, y = xy
    base = multi_margin_loss(x, y, p=p, reduction="none")
    np.testing.assert_allclose(multi_margin_loss(x + shift, y, p=p, reduction="none"), base,
                               rtol=1e-9, atol=1e-9)
    if p == 1:
        z = np.where(np.arange(5)[None, :] == y[:, None], 0.0,
                     np.maximum(1.0 - x[np.arange(len(y)), y][:, None] + x, 0.0))
        assert np.all(base >= z.max(axis=1) / 5 - 1e-12)
        assert np.all(base <= 4 * z.max(axis=1) / 5 + 1e-12)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(_score, st.sampled_from([-1.0, 1.0])), min_size=1, max_size=10))
def test_soft_margin_is_a_smooth_hinge_and_a_bce(rows):
    """max(0, -yx) <= softplus(-yx) <= max(0, -yx) + log 2, and soft margin with labels +-1
    is binary cross-entropy on logits with labels (y + 1) / 2."""
    x, y = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    loss = soft_margin_loss(x, y, reduction="none")
    hinge = np.maximum(0.0, -y * x)
    assert np.all(loss >= hinge) and np.all(loss <= hinge + math.log(2) + 1e-15)
    np.testing.assert_allclose(loss, binary_cross_entropy_with_logits(x, (y + 1) / 2,
                                                                      reduction="none"),
                               rtol=1e-15, atol=1e-300)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(_score, min_size=3, max_size=3), min_size=1, max_size=4),
       st.data())
def test_multilabel_soft_margin_is_a_mean_of_soft_margins(x, data):
    """With 0/1 targets it is the soft margin loss with labels 2y - 1, averaged over classes."""
    x = np.array(x)
    y = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=x.size,
                                    max_size=x.size))).reshape(x.shape)
    np.testing.assert_allclose(
        multilabel_soft_margin_loss(x, y, reduction="none"),
        soft_margin_loss(x, 2 * y - 1, reduction="none").mean(axis=-1), rtol=1e-14, atol=1e-300)


def test_svm_is_satisfied_where_cross_entropy_still_pushes():
    """CS231n's comparison: scores [10, -2, 3] for class 0 already beat the others by more than
    the margin: the SVM loss and its gradient are exactly 0, cross-entropy's are not."""
    x, y = np.array([[10.0, -2.0, 3.0]]), np.array([0])
    assert float(multi_margin_loss(x, y)) == 0.0
    np.testing.assert_array_equal(multi_margin_loss_grad(x, y), 0.0)
    assert float(cross_entropy(x, y)) > 0
    assert np.all(cross_entropy_grad(x, y)[0, 1:] > 0)


# --- accuracy against mpmath -------------------------------------------------------------------


def _mp_softplus(z):
    return mpmath.log1p(mpmath.exp(mpmath.mpf(z)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_soft_margin_where_pytorch_overflows(dtype):
    """PyTorch's log1p(exp(-yx)) is inf at -yx = 100 in float32 (1000 in float64) and its
    gradient NaN; lossbook's softplus is exact, and so are tiny losses."""
    big = 100.0 if dtype == np.float32 else 1000.0
    x = np.array([-big, 40.0, -0.3, 15.0], dtype=dtype)
    y = np.array([1.0, 1.0, -1.0, -1.0], dtype=dtype)
    ours = soft_margin_loss(x, y, reduction="none")
    rtol = 4 * float(np.finfo(dtype).eps)
    for got, xi, yi in zip(ours, x, y, strict=True):
        assert float(got) == pytest.approx(float(_mp_softplus(-float(yi) * float(xi))), rel=rtol)
    X = torch.from_numpy(x).requires_grad_(True)
    theirs = F.soft_margin_loss(X, torch.from_numpy(y), reduction="none")
    theirs.sum().backward()
    assert math.isinf(float(theirs[0].detach())) and math.isnan(float(X.grad[0]))
    grad = soft_margin_loss_grad(x, y, reduction="none")
    assert float(grad[0]) == -1.0 and np.all(np.isfinite(grad))


def test_multi_margin_scores_far_from_zero_against_mpmath():
    """z = (x_j - x_y) + m keeps the margin next to scores of 1e16; PyTorch's (m - x_y) + x_j
    does not."""
    x, y = np.array([[1e16, 1e16 + 2.0, 1e16 - 4.0]]), np.array([0])
    exact = sum(max(mpmath.mpf(0), 1 - mpmath.mpf(x[0, 0]) + mpmath.mpf(v)) for v in x[0, 1:]) / 3
    assert float(multi_margin_loss(x, y)) == pytest.approx(float(exact), rel=1e-15)
    assert float(F.multi_margin_loss(_t(x), _t(y))) != pytest.approx(float(exact), rel=1e-3)
    listed = np.array([[0, -1, 0]])
    assert float(multilabel_margin_loss(x, listed)) == pytest.approx(float(exact), rel=1e-15)


def test_multilabel_soft_margin_tiny_loss_against_mpmath():
    x, y = np.array([[-40.0, 40.0]]), np.array([[0.0, 1.0]])
    exact = 2 * _mp_softplus(-40) / 2
    assert float(multilabel_soft_margin_loss(x, y)) == pytest.approx(float(exact), rel=1e-15)


@pytest.mark.parametrize("name", list(PAIRS))
def test_float16_and_float32_follow_float64(name):
    """PyTorch has no float16 CPU kernel for the two margin losses; lossbook computes in any
    floating dtype, within a few units of the dtype's rounding of the float64 result."""
    f, _, make = PAIRS[name]
    x, target = make(np.random.default_rng(6))
    ref = f(x, target, reduction="none")
    for dtype in (np.float16, np.float32):
        xs = x.astype(dtype)
        ts = target.astype(dtype) if np.issubdtype(target.dtype, np.floating) else target
        got = f(xs, ts, reduction="none")
        assert got.dtype == dtype
        # the inputs themselves are rounded: compare with float64 on the rounded inputs
        exact = f(xs.astype(np.float64), ts.astype(np.float64) if ts.dtype == dtype else ts,
                  reduction="none")
        eps = float(np.finfo(dtype).eps)
        np.testing.assert_allclose(got, exact, rtol=8 * eps, atol=8 * eps * np.abs(ref).max())


# --- bad input ----------------------------------------------------------------------------------


def test_multi_margin_bad_input_names_the_argument():
    x, y = _multi_margin_inputs(np.random.default_rng(0))
    for f in (multi_margin_loss, multi_margin_loss_grad):
        with pytest.raises(ValueError, match=r"input must hold class scores of shape \(N, C\) "
                           r"or \(C,\); got shape \(2, 3, 1\)"):
            f(np.zeros((2, 3, 1)), y[:2])
        with pytest.raises(ValueError, match=r"input must hold class scores .* got shape \(\)"):
            f(np.array(1.0), np.array(0))
        with pytest.raises(ValueError, match=r"target must hold one class index per row of "
                           r"input, shape \(6,\) for input \(6, 5\); got target \(6, 1\)"):
            f(x, y[:, None])
        with pytest.raises(TypeError, match="target must hold integer class indices; got dtype "
                           "float64"):
            f(x, y.astype(np.float64))
        with pytest.raises(TypeError, match="target must hold integer class indices; got dtype "
                           "bool"):
            f(x, y > 2)
        with pytest.raises(ValueError, match=r"target must hold class indices within \[0, 5\); "
                           "got 5"):
            f(x, np.array([0, 1, 5, 2, 3, 4]))
        with pytest.raises(ValueError, match=r"p must be 1 or 2 .*; got 3"):
            f(x, y, p=3)
        with pytest.raises(TypeError, match=r"p must be an int; got float 1\.5"):
            f(x, y, p=1.5)
        with pytest.raises(TypeError, match="p must be an int; got bool"):
            f(x, y, p=True)
        with pytest.raises(TypeError, match="p must be an int; got str"):
            f(x, y, p="2")
        with pytest.raises(ValueError, match=r"margin must be a finite number >= 0; got -1\.0"):
            f(x, y, margin=-1.0)
        with pytest.raises(TypeError, match="weight must have the dtype of input"):
            f(x, y, weight=_W5.astype(np.float32))
        with pytest.raises(ValueError, match="weight must hold finite values >= 0; got -1"):
            f(x, y, weight=np.array([1.0, -1.0, 1.0, 1.0, 1.0]))
        with pytest.raises(TypeError, match="validate must be True or False; got int"):
            f(x, y, validate=1)
        with pytest.raises(ValueError, match="input must not be empty"):
            f(np.zeros((0, 5)), np.zeros(0, dtype=np.int64))
        with pytest.raises(TypeError, match=r"target must come from the same library as input "
                           r"\(numpy\); got torch"):
            f(x, torch.from_numpy(y))
    # p and margin as NumPy scalars are the numbers they hold
    assert float(multi_margin_loss(x, y, p=np.int64(2), margin=np.float64(0.5))) == float(
        multi_margin_loss(x, y, p=2, margin=0.5))


def test_multilabel_margin_bad_input_names_the_argument():
    x, y = _multilabel_inputs(np.random.default_rng(0))
    for f in (multilabel_margin_loss, multilabel_margin_loss_grad):
        with pytest.raises(ValueError, match=r"target must hold class indices within \[0, 4\), "
                           "padded with -1 after the last label; got -2"):
            f(x, np.where(y == -1, -2, y))
        with pytest.raises(ValueError, match=r"within \[0, 4\), .* got 4"):
            f(x[:1], np.array([[0, -1, 4, 0]]))  # checked after the -1 too, as PyTorch does
        with pytest.raises(TypeError, match="target must hold integer class indices padded with "
                           "-1; got dtype float64"):
            f(x, y.astype(np.float64))
        with pytest.raises(ValueError, match=r"input and target must have the same shape"):
            f(x, y[:, :2])
        with pytest.raises(ValueError, match=r"input must hold class scores"):
            f(x[None], y[None])


def test_soft_margin_bad_input_names_the_argument():
    x, y = _soft_margin_inputs(np.random.default_rng(0))
    for f in (soft_margin_loss, soft_margin_loss_grad):
        with pytest.raises(TypeError, match=r"target must have the dtype of input \(float64\); "
                           "got float32"):
            f(x, y.astype(np.float32))
        with pytest.raises(TypeError, match="target must hold the labels -1 and 1 as integers or "
                           "floats of the input's dtype; got dtype bool"):
            f(x, y > 0)
        with pytest.raises(TypeError, match="input must have a real floating dtype"):
            f(y.astype(np.int64), y)
    xs, ys = _multilabel_soft_inputs(np.random.default_rng(0))
    for f in (multilabel_soft_margin_loss, multilabel_soft_margin_loss_grad):
        with pytest.raises(ValueError, match=r"input must have a class axis \(the last one\)"):
            f(np.array(0.5), np.array(1.0))
        with pytest.raises(ValueError, match=r"target must hold probabilities within \[0, 1\]"):
            f(xs, ys * 2)
        with pytest.raises(ValueError, match=r"weight must broadcast to the input's shape"):
            f(xs, ys, weight=np.ones(3))
        with pytest.raises(ValueError, match="weight must hold finite values >= 0"):
            f(xs, ys, weight=-np.ones(4))
