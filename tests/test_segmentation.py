"""Dice, Jaccard and Tversky losses: properties, empty masks, MONAI differences, bad input.

The registry (lossbook.testing.cases) already holds every option set against MONAI's DiceLoss /
TverskyLoss, with gradients and gradcheck. This file adds what a registry entry cannot say:
the algebraic relations between the three losses, empty masks, extreme logits against mpmath,
the settings where lossbook and MONAI differ by design (each with its exact relation), and
every bad input.

Differences from MONAI by design (each tested below):

1. ``jaccard_loss`` is 1 - (I + s_nr) / (U + s_dr); MONAI's ``DiceLoss(jaccard=True)`` computes
   1 - (2I + s_nr) / (2U + s_dr), so lossbook(s) == MONAI(2 s), and both agree at s = 0.
2. ``reduction="none"`` returns (N, C) or (C,) with ``batch=True``; MONAI's DiceLoss keeps
   singleton spatial axes, (N, C, 1, ..., 1) or (C, 1, ..., 1). Same values after a reshape.
3. With one channel, ``softmax=True``, ``to_onehot_y=True`` and ``include_background=False``
   raise ValueError; MONAI warns and ignores the option.
4. Input without a spatial axis, shape (N, C), raises; MONAI sums over every axis then
   (samples and classes pooled into one number, even with ``reduction="none"``).
5. With ``to_onehot_y=True`` class indices must have an integer dtype; MONAI also takes floats.
6. Without ``to_onehot_y`` the target must be floating; MONAI also takes integer masks.
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from monai.losses import DiceLoss, TverskyLoss

from lossbook.segmentation import (
    dice_loss,
    dice_loss_grad,
    jaccard_loss,
    jaccard_loss_grad,
    tversky_loss,
    tversky_loss_grad,
)
from tests._vjp import assert_vjp

LOSSES = (dice_loss, jaccard_loss, tversky_loss)
GRADS = {dice_loss: dice_loss_grad, jaccard_loss: jaccard_loss_grad,
         tversky_loss: tversky_loss_grad}


# --- strategies --------------------------------------------------------------------------------

@st.composite
def masks(draw, binary_target: bool = False):
    """Probabilities p and targets t in [0, 1] of one shape (N, C, H, W), small."""
    n = draw(st.integers(1, 3))
    c = draw(st.integers(1, 3))
    h = draw(st.integers(1, 4))
    w = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = (n, c, h, w)
    p = rng.uniform(0.0, 1.0, shape)
    # some exact zeros and ones, as real masks have
    p = np.where(rng.uniform(size=shape) < 0.2, np.round(p), p)
    t = rng.integers(0, 2, shape).astype(np.float64) if binary_target else rng.uniform(0, 1, shape)
    return p, t


smoothing = st.floats(0.0, 2.0)


# --- properties --------------------------------------------------------------------------------

@given(masks(), smoothing, smoothing, st.booleans(), st.booleans())
def test_dice_lies_in_zero_one_when_smooth_nr_at_most_smooth_dr(pt, a, b, squared, batch):
    p, t = pt
    s_nr, s_dr = min(a, b), max(a, b)
    loss = dice_loss(p, t, smooth_nr=s_nr, smooth_dr=s_dr, squared_pred=squared, batch=batch,
                     reduction="none")
    finite = loss[np.isfinite(loss)]  # 0/0 only when both smoothings are 0 on empty masks
    assert np.all(finite >= -1e-15) and np.all(finite <= 1 + 1e-15)


@given(masks(binary_target=True), st.booleans(), st.booleans())
def test_dice_of_a_perfect_binary_prediction_is_zero_without_smoothing(pt, squared, batch):
    _, t = pt
    t[:, :, 0, 0] = 1.0  # every (sample, class) has foreground, so 0/0 cannot occur
    for f in LOSSES:
        opts = {} if f is tversky_loss else {"squared_pred": squared}
        loss = f(t.copy(), t, smooth_nr=0.0, smooth_dr=0.0, batch=batch, reduction="none", **opts)
        assert np.all(loss == 0.0), f.__name__


@given(masks(binary_target=True))
def test_perfect_prediction_is_exactly_zero_with_default_smoothing_even_on_empty_masks(pt):
    _, t = pt
    for f in LOSSES:
        assert np.all(f(t.copy(), t, reduction="none") == 0.0), f.__name__


@given(masks(), smoothing, smoothing, st.booleans())
def test_tversky_with_half_half_is_dice_with_doubled_smoothing(pt, a, b, batch):
    p, t = pt
    tv = tversky_loss(p, t, alpha=0.5, beta=0.5, smooth_nr=a, smooth_dr=b + 0.1, batch=batch,
                      reduction="none")
    d = dice_loss(p, t, smooth_nr=2 * a, smooth_dr=2 * (b + 0.1), batch=batch, reduction="none")
    np.testing.assert_allclose(tv, d, rtol=1e-12, atol=1e-14)


@given(masks(binary_target=True))
def test_tversky_with_half_half_equals_dice_without_smoothing(pt):
    p, t = pt
    t[:, :, 0, 0] = 1.0
    tv = tversky_loss(p, t, smooth_nr=0.0, smooth_dr=0.0, reduction="none")
    d = dice_loss(p, t, smooth_nr=0.0, smooth_dr=0.0, reduction="none")
    np.testing.assert_allclose(tv, d, rtol=1e-12, atol=1e-14)


@given(masks(), smoothing, smoothing)
def test_tversky_with_one_one_is_jaccard_with_the_same_smoothing(pt, a, b):
    p, t = pt
    tv = tversky_loss(p, t, alpha=1.0, beta=1.0, smooth_nr=a, smooth_dr=b + 0.1, reduction="none")
    j = jaccard_loss(p, t, smooth_nr=a, smooth_dr=b + 0.1, reduction="none")
    np.testing.assert_allclose(tv, j, rtol=1e-12, atol=1e-14)


@given(masks(), st.booleans(), st.booleans())
def test_jaccard_is_dice_over_two_minus_dice_per_sample_and_class(pt, squared, batch):
    p, t = pt
    t[:, :, 0, 0] = 1.0
    opts = dict(smooth_nr=0.0, smooth_dr=0.0, squared_pred=squared, batch=batch, reduction="none")
    dice_score = 1 - dice_loss(p, t, **opts)
    jaccard_score = 1 - jaccard_loss(p, t, **opts)
    np.testing.assert_allclose(jaccard_score, dice_score / (2 - dice_score), rtol=1e-12, atol=1e-14)
    assert np.all(jaccard_loss(p, t, **opts) >= dice_loss(p, t, **opts) - 1e-15)


@given(masks())
def test_sum_is_mean_times_number_of_sample_class_pairs(pt):
    p, t = pt
    for f in LOSSES:
        n_losses = p.shape[0] * p.shape[1]
        np.testing.assert_allclose(f(p, t, reduction="sum"), f(p, t) * n_losses, rtol=1e-12)


# --- empty masks -------------------------------------------------------------------------------

@pytest.mark.parametrize("f", LOSSES, ids=lambda f: f.__name__)
def test_empty_prediction_on_empty_target(f):
    empty = np.zeros((2, 1, 4, 4))
    # default smoothing: (0 + 1e-5) / (0 + 1e-5) = 1, loss exactly 0, and MONAI agrees
    assert float(f(empty, empty)) == 0.0
    twin = DiceLoss(jaccard=f is jaccard_loss) if f is not tversky_loss else TverskyLoss()
    assert float(twin(torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 4))) == 0.0
    # its gradient is finite: only the smoothing is left in the denominator
    assert np.all(np.isfinite(GRADS[f](empty, empty)))
    # without smoothing the ratio is 0/0 = NaN: the honest value, not hidden by an epsilon
    with np.errstate(invalid="ignore"):
        assert np.isnan(float(f(empty, empty, smooth_nr=0.0, smooth_dr=0.0)))


@pytest.mark.parametrize("f", LOSSES, ids=lambda f: f.__name__)
def test_any_prediction_on_an_empty_target_scores_about_one(f):
    p, t = np.full((1, 1, 4, 4), 0.5), np.zeros((1, 1, 4, 4))
    assert abs(float(f(p, t)) - 1.0) < 1e-5
    # and an empty prediction on a non-empty target too
    assert abs(float(f(t, np.ones_like(t))) - 1.0) < 1e-5


# --- extreme logits against mpmath ----------------------------------------------------------------

def _mp_sigmoid(x):
    return 1 / (1 + mpmath.exp(-mpmath.mpf(x)))


@pytest.mark.parametrize("f", LOSSES, ids=lambda f: f.__name__)
def test_extreme_logits_with_sigmoid_against_mpmath(f):
    mpmath.mp.dps = 50
    x = np.array([[[1e4, -1e4, 30.0, -30.0, 745.0, -745.0, 0.5, -2.0]]])
    t = np.array([[[1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.3, 0.7]]])
    got = float(f(x, t, sigmoid=True))
    p = [_mp_sigmoid(v) for v in x.ravel()]
    tt = [mpmath.mpf(v) for v in t.ravel()]
    s = mpmath.mpf("1e-5")
    inter, sp, st_ = sum(a * b for a, b in zip(p, tt, strict=True)), sum(p), sum(tt)
    if f is dice_loss:
        ref = 1 - (2 * inter + s) / (sp + st_ + s)
    elif f is jaccard_loss:
        ref = 1 - (inter + s) / (sp + st_ - inter + s)
    else:
        fp = sum(a * (1 - b) for a, b in zip(p, tt, strict=True))
        fn = sum((1 - a) * b for a, b in zip(p, tt, strict=True))
        ref = 1 - (inter + s) / (inter + fp / 2 + fn / 2 + s)
    assert got == pytest.approx(float(ref), rel=1e-14)
    grad = GRADS[f](x, t, sigmoid=True)
    assert np.all(np.isfinite(grad))


def test_extreme_logits_with_softmax_give_finite_values_and_gradients():
    x = np.array([[[1e4, -1e4, 0.0]], [[-1e4, 1e4, 5.0]], [[0.0, 0.0, -1e4]]]).transpose(1, 0, 2)
    t = np.array([[[1, 0, 2]]])
    for f in LOSSES:
        loss = f(x, t, softmax=True, to_onehot_y=True)
        grad = GRADS[f](x, t, softmax=True, to_onehot_y=True)
        assert np.isfinite(float(loss)) and np.all(np.isfinite(grad))
        xt = torch.tensor(x, requires_grad=True)
        ours = f(xt, torch.tensor(t), softmax=True, to_onehot_y=True)
        (auto,) = torch.autograd.grad(ours, xt)
        np.testing.assert_allclose(auto.numpy(), grad, rtol=1e-12, atol=1e-15)


# --- differences from MONAI by design, each with its exact relation ------------------------------

def _probabilities(shape=(2, 3, 4, 5), seed=3):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.05, 0.95, shape), rng.uniform(0.0, 1.0, shape)


@pytest.mark.parametrize("squared", [False, True])
def test_difference_1_jaccard_smoothing_is_monai_with_doubled_smoothing(squared):
    p, t = _probabilities()
    pt, tt = torch.from_numpy(p), torch.from_numpy(t)
    ours = jaccard_loss(p, t, smooth_nr=0.3, smooth_dr=0.7, squared_pred=squared, reduction="none")
    monai_doubled = DiceLoss(jaccard=True, smooth_nr=0.6, smooth_dr=1.4, squared_pred=squared,
                             reduction="none")(pt, tt).reshape(2, 3)
    np.testing.assert_allclose(ours, monai_doubled.numpy(), rtol=1e-12)
    monai_same = DiceLoss(jaccard=True, smooth_nr=0.3, smooth_dr=0.7, squared_pred=squared,
                          reduction="none")(pt, tt).reshape(2, 3)
    assert not np.allclose(ours, monai_same.numpy(), rtol=1e-6)  # the difference is real
    # and without smoothing they agree
    ours0 = jaccard_loss(p, t, smooth_nr=0.0, smooth_dr=0.0, squared_pred=squared)
    monai0 = DiceLoss(jaccard=True, smooth_nr=0.0, smooth_dr=0.0, squared_pred=squared)(pt, tt)
    assert float(ours0) == pytest.approx(float(monai0), rel=1e-13)


@pytest.mark.parametrize("batch", [False, True])
def test_difference_2_reduction_none_shape(batch):
    p, t = _probabilities()
    ours = dice_loss(p, t, batch=batch, reduction="none")
    theirs = DiceLoss(batch=batch, reduction="none")(torch.from_numpy(p), torch.from_numpy(t))
    assert ours.shape == ((3,) if batch else (2, 3))
    assert tuple(theirs.shape) == ((3, 1, 1) if batch else (2, 3, 1, 1))
    np.testing.assert_allclose(ours, theirs.reshape(ours.shape).numpy(), rtol=1e-13)
    # TverskyLoss already has lossbook's shape (N, C)
    tv = TverskyLoss(reduction="none")(torch.from_numpy(p), torch.from_numpy(t))
    assert tuple(tv.shape) == tversky_loss(p, t, reduction="none").shape == (2, 3)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        (dict(softmax=True), "softmax=True needs input with at least 2 channels"),
        (dict(to_onehot_y=True), "to_onehot_y=True needs input with at least 2 channels"),
        (dict(include_background=False), "include_background=False needs input with at least 2"),
    ],
)
def test_difference_3_one_channel_options_raise_where_monai_warns(options, match):
    x = np.random.default_rng(0).uniform(0.1, 0.9, (2, 1, 4, 4))
    t = (x > 0.5).astype(np.float64)
    monai_target = torch.from_numpy(t).long() if options.get("to_onehot_y") else torch.from_numpy(t)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DiceLoss(**options)(torch.from_numpy(x), monai_target)
    assert any("single channel prediction" in str(w.message) for w in caught)
    target = t.astype(np.int64) if options.get("to_onehot_y") else t
    for f in LOSSES:
        with pytest.raises(ValueError, match=match):
            f(x, target, **options)


def test_difference_4_input_without_spatial_axis_raises_where_monai_pools_everything():
    p, t = _probabilities(shape=(4, 3))
    theirs = DiceLoss(reduction="none", smooth_nr=0.0, smooth_dr=0.0)(
        torch.from_numpy(p), torch.from_numpy(t))
    assert theirs.ndim == 0  # one number for 4 samples x 3 classes: every axis was summed
    pooled = 1 - 2 * (p * t).sum() / (p.sum() + t.sum())
    assert float(theirs) == pytest.approx(pooled, rel=1e-12)
    for f in LOSSES:
        with pytest.raises(ValueError, match=r"input must have shape \(N, C, \*spatial\) with at "
                                             r"least one spatial axis; got shape \(4, 3\)"):
            f(p, t)


def test_difference_5_float_class_indices_are_refused():
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    labels = np.array([[[0, 1, 2, 1]], [[2, 2, 0, 1]]])
    ours = dice_loss(x, labels, softmax=True, to_onehot_y=True)
    theirs = DiceLoss(softmax=True, to_onehot_y=True)(torch.from_numpy(x),
                                                      torch.from_numpy(labels.astype(np.float64)))
    assert float(ours) == pytest.approx(float(theirs), rel=1e-13)  # MONAI takes floats too
    for f in LOSSES:
        with pytest.raises(TypeError, match=r"target must hold integer class indices \(with "
                                            r"to_onehot_y=True\); got dtype float64"):
            f(x, labels.astype(np.float64), softmax=True, to_onehot_y=True)


def test_difference_6_integer_masks_need_to_onehot_y_or_a_float_cast():
    p, _ = _probabilities(shape=(2, 2, 3))
    mask = (p > 0.5).astype(np.int64)
    for f in LOSSES:
        with pytest.raises(TypeError, match=r"target must have a real floating dtype .* got int64"):
            f(p, mask)
    # the float mask gives MONAI's value for the integer mask
    fmask = mask.astype(np.float64)
    pt, mt = torch.from_numpy(p), torch.from_numpy(mask)
    assert float(dice_loss(p, fmask)) == pytest.approx(float(DiceLoss()(pt, mt)), rel=1e-13)
    assert float(tversky_loss(p, fmask)) == pytest.approx(float(TverskyLoss()(pt, mt)), rel=1e-13)


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("f", LOSSES, ids=lambda f: f.__name__)
class TestBadInput:
    def test_shape_mismatch(self, f):
        p, t = _probabilities()
        with pytest.raises(ValueError, match=r"input and target must have the same shape \(no "
                                             r"broadcasting\); got input \(2, 3, 4, 5\) and "
                                             r"target \(2, 3, 4, 1\)"):
            f(p, t[..., :1])

    def test_wrong_index_shape_with_to_onehot_y(self, f):
        x = np.zeros((2, 3, 4))
        with pytest.raises(ValueError, match=r"with to_onehot_y=True, target must hold class "
                                             r"indices of shape \(N, 1, \*spatial\) = \(2, 1, 4\) "
                                             r"for input \(2, 3, 4\); got target \(2, 4\)"):
            f(x, np.zeros((2, 4), dtype=np.int64), softmax=True, to_onehot_y=True)

    def test_class_index_out_of_range(self, f):
        x = np.zeros((1, 3, 4))
        labels = np.array([[[0, 1, 3, 2]]])
        with pytest.raises(ValueError, match=r"target must hold class indices within \[0, 3\); got 3"):
            f(x, labels, softmax=True, to_onehot_y=True)

    @pytest.mark.parametrize("name", ["smooth_nr", "smooth_dr"])
    def test_negative_smoothing(self, f, name):
        p, t = _probabilities()
        with pytest.raises(ValueError, match=f"{name} must be a finite number >= 0; got -1e-05"):
            f(p, t, **{name: -1e-5})

    def test_both_activations(self, f):
        p, t = _probabilities()
        with pytest.raises(ValueError, match="sigmoid and softmax cannot both be True"):
            f(p, t, sigmoid=True, softmax=True)

    def test_probabilities_outside_zero_one_without_activation(self, f):
        p, t = _probabilities()
        logits = p * 6 - 3
        with pytest.raises(ValueError, match=r"input must hold probabilities within \[0, 1\]; "
                                             r"got values from -2.\d+ to 2.\d+"):
            f(logits, t)
        with pytest.raises(ValueError, match=r"target must hold probabilities within \[0, 1\]"):
            f(p, t * 2)
        # validate=False skips the value checks (for training), and an activation accepts logits
        assert np.isfinite(float(f(logits, t, validate=False)))
        assert np.isfinite(float(f(logits, t, sigmoid=True)))

    def test_integer_input(self, f):
        _, t = _probabilities()
        with pytest.raises(TypeError, match="input must have a real floating dtype"):
            f(np.ones(t.shape, dtype=np.int64), t)

    def test_mixed_libraries(self, f):
        p, t = _probabilities()
        with pytest.raises(TypeError, match=r"target must come from the same library as input "
                                            r"\(torch\); got numpy"):
            f(torch.from_numpy(p), t)

    def test_unknown_reduction(self, f):
        p, t = _probabilities()
        with pytest.raises(ValueError, match="reduction must be one of 'none', 'mean', 'sum'; got 'batchmean'"):
            f(p, t, reduction="batchmean")


@pytest.mark.parametrize("name", ["alpha", "beta"])
def test_tversky_negative_alpha_or_beta(name):
    p, t = _probabilities()
    for g in (tversky_loss, tversky_loss_grad):
        with pytest.raises(ValueError, match=f"{name} must be a finite number >= 0; got -0.5"):
            g(p, t, **{name: -0.5})


# --- types, dtypes, gradients, compile -------------------------------------------------------------

@pytest.mark.parametrize("f", LOSSES, ids=lambda f: f.__name__)
def test_type_and_dtype_preserved(f):
    p, t = _probabilities()
    out = f(p.astype(np.float32), t.astype(np.float32))
    assert isinstance(out, np.ndarray | np.generic) and out.dtype == np.float32
    g = GRADS[f](p.astype(np.float32), t.astype(np.float32))
    assert g.dtype == np.float32 and g.shape == p.shape
    xt = torch.from_numpy(p).float()
    assert f(xt, torch.from_numpy(t).float(), reduction="none").dtype == torch.float32
    assert GRADS[f](xt, torch.from_numpy(t).float()).dtype == torch.float32
    # one dtype policy: a float64 target with a float32 input is refused, not cast
    for g_or_f in (f, GRADS[f]):
        with pytest.raises(TypeError, match=r"target must have the dtype of input \(float32\); "
                                            r"got float64"):
            g_or_f(p.astype(np.float32), t)


@pytest.mark.parametrize("f", LOSSES, ids=lambda f: f.__name__)
def test_gradcheck_softmax_without_background_and_batch(f):
    rng = np.random.default_rng(7)
    x = torch.tensor(rng.normal(size=(2, 3, 3, 2)), requires_grad=True)
    labels = torch.tensor(rng.integers(0, 3, size=(2, 1, 3, 2)))
    opts = dict(softmax=True, to_onehot_y=True, include_background=False, batch=True,
                smooth_nr=0.0, smooth_dr=0.5, reduction="sum")
    if f is tversky_loss:
        opts.update(alpha=0.2, beta=0.9)
    assert torch.autograd.gradcheck(lambda v: f(v, labels, **opts), (x,), eps=1e-6, atol=1e-7)
    (auto,) = torch.autograd.grad(f(x, labels, **opts), x)
    torch.testing.assert_close(GRADS[f](x.detach(), labels, **opts), auto, rtol=1e-12, atol=1e-15)


def test_background_channel_gets_gradient_only_through_softmax():
    p, t = _probabilities(shape=(2, 3, 4))
    g = dice_loss_grad(p, t, include_background=False)
    assert np.all(g[:, 0] == 0.0) and np.all(g[:, 1:] != 0.0)
    g = dice_loss_grad(p * 4 - 2, t, include_background=False, softmax=True)
    assert np.all(g[:, 0] != 0.0)


def _compile_case():
    p, t = _probabilities(shape=(2, 3, 4))
    x, y = torch.from_numpy(p * 4 - 2), torch.from_numpy(t)
    labels = torch.from_numpy(np.random.default_rng(0).integers(0, 3, (2, 1, 4)))

    def train_loss(v, w, k):
        return (dice_loss(v, w, softmax=True, validate=False)
                + tversky_loss(v, w, sigmoid=True, alpha=0.3, beta=0.7, validate=False)
                + jaccard_loss(v, k, softmax=True, to_onehot_y=True, include_background=False,
                               batch=True, squared_pred=True, validate=False)
                + dice_loss_grad(v, k, softmax=True, to_onehot_y=True, validate=False).sum())

    return train_loss, (x, y, labels)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_runs_under_torch_compile_without_graph_break():
    torch._dynamo.reset()
    f, args = _compile_case()
    compiled = torch.compile(f, fullgraph=True, backend="eager")
    torch.testing.assert_close(compiled(*args), f(*args))


# --- tiny losses against mpmath: no cancellation in 1 - ratio ---------------------------------

def _mp_overlap(p, t, kind, squared, alpha=0.5, beta=0.5, s_nr="1e-5", s_dr="1e-5"):
    """The textbook definition, 1 - ratio, with enough digits that nothing cancels."""
    with mpmath.workdps(1000):
        p = [mpmath.mpf(v) for v in p]  # float -> mpf is exact
        t = [mpmath.mpf(v) for v in t]
        k = 2 if squared else 1
        s_nr, s_dr = mpmath.mpf(s_nr), mpmath.mpf(s_dr)
        inter = mpmath.fsum(a * b for a, b in zip(p, t, strict=True))
        sp, st_ = mpmath.fsum(a**k for a in p), mpmath.fsum(b**k for b in t)
        if kind == "dice":
            out = 1 - (2 * inter + s_nr) / (sp + st_ + s_dr)
        elif kind == "jaccard":
            out = 1 - (inter + s_nr) / (sp + st_ - inter + s_dr)
        else:
            fp = mpmath.fsum(a * (1 - b) for a, b in zip(p, t, strict=True))
            fn = mpmath.fsum((1 - a) * b for a, b in zip(p, t, strict=True))
            out = 1 - (inter + s_nr) / (inter + alpha * fp + beta * fn + s_dr)
        return +out


# (prediction, target): empty target with a 1e-300 prediction (loss 1e-295 where 1 - ratio
# gives 0), near-perfect predictions (loss 1e-12 .. 1e-25, where 1 - ratio keeps ~4 digits)
_TINY = [
    ([0.0, 0.0, 0.0, 1e-300], [0.0, 0.0, 0.0, 0.0]),
    ([1.0, 1.0, 1e-12, 1e-12], [1.0, 1.0, 0.0, 0.0]),
    ([1.0, 1.0 - 2.0**-40, 3e-13, 0.0], [1.0, 1.0, 0.0, 0.0]),
    ([0.3, 0.7, 0.2, 0.9], [0.25, 0.75, 0.1, 1.0]),  # ordinary soft values
]
_KINDS = [
    ("dice", dice_loss, {}), ("jaccard", jaccard_loss, {}),
    ("tversky", tversky_loss, {"alpha": 0.3, "beta": 0.7}),
    ("tversky", tversky_loss, {"alpha": 1.0, "beta": 0.0}),
]
# squared_pred is a Dice/Jaccard option (MONAI's TverskyLoss has none): Tversky only unsquared.
_KINDS_SQUARED = [(*k, sq) for k in _KINDS for sq in (False, True)
                  if not (sq and k[1] is tversky_loss)]


@pytest.mark.parametrize("kind,f,options,squared", _KINDS_SQUARED,
                         ids=lambda v: getattr(v, "__name__", None))
@pytest.mark.parametrize("smooth", [("1e-5", "1e-5"), ("0", "1e-5"), ("0", "0")])
def test_tiny_losses_keep_relative_accuracy_against_mpmath(kind, f, options, squared, smooth):
    mpmath.mp.dps = 50
    sq = {"squared_pred": squared} if f is not tversky_loss else {}
    s_nr, s_dr = smooth
    for p, t in _TINY:
        if s_dr == "0" and not any(p) and not any(t):
            continue
        if s_dr == "0" and p[-1] == 1e-300:
            continue  # 1e-300 / 1e-300 = 1: the loss is exactly 1, tested separately
        want = _mp_overlap(p, t, kind, squared, s_nr=s_nr, s_dr=s_dr, **options)
        for arr in (np.array([[p]]), torch.tensor([[p]], dtype=torch.float64)):
            tt = np.array([[t]]) if isinstance(arr, np.ndarray) else torch.tensor([[t]],
                                                                                 dtype=torch.float64)
            got = float(f(arr, tt, reduction="none", smooth_nr=float(s_nr),
                          smooth_dr=float(s_dr), **sq, **options)[0, 0])
            if abs(want) < 2.0**-1022:
                continue  # below float64's normal range (1e-300 squared): not representable
            assert abs(got - want) <= 1e-14 * abs(want), (p, t, got, float(want))


def test_empty_target_with_tiny_prediction_is_a_tiny_loss_not_zero():
    p, t = np.array([[[0.0, 1e-300]]]), np.zeros((1, 1, 2))
    assert float(dice_loss(p, t)) == pytest.approx(1e-300 / (1e-300 + 1e-5), rel=1e-15)
    assert float(dice_loss(p, t)) > 0
    # without smoothing the empty target with a non-empty prediction scores 0: loss exactly 1
    assert float(dice_loss(p, t, smooth_nr=0.0, smooth_dr=0.0)) == 1.0


@pytest.mark.parametrize("kind,f,options,squared", _KINDS_SQUARED,
                         ids=lambda v: getattr(v, "__name__", None))
def test_gradients_at_tiny_losses_against_mpmath(kind, f, options, squared):
    mpmath.mp.dps = 50
    sq = {"squared_pred": squared} if f is not tversky_loss else {}
    grad_f = GRADS[f]
    for p, t in _TINY[:3]:
        got = grad_f(np.array([[p]]), np.array([[t]]), reduction="sum", **sq, **options)[0, 0]
        for i in range(len(p)):
            def loss_i(v, i=i, p=p, t=t):
                q = list(p)
                q[i] = v
                return _mp_overlap(q, t, kind, squared, **options)
            with mpmath.workdps(1000):
                want = mpmath.diff(loss_i, mpmath.mpf(p[i]), h=mpmath.mpf("1e-400"))
            assert abs(got[i] - want) <= 1e-14 * abs(want), (p, i, got[i], float(want))


# --- grad_output: the gradient is a vector-Jacobian product --------------------------------------


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize(
    "options",
    [{"sigmoid": True}, {"softmax": True, "include_background": False},
     {"softmax": True, "batch": True}, {"sigmoid": True, "squared_pred": True}],
    ids=["sigmoid", "softmax-no-background", "softmax-batch", "sigmoid-squared"],
)
def test_grad_output_against_autograd(reduction, options):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(2, 3, 4, 2))
    t = (rng.uniform(size=(2, 3, 4, 2)) > 0.5).astype(np.float64)
    assert_vjp(dice_loss, dice_loss_grad, x, t, reduction=reduction, **options)
    assert_vjp(jaccard_loss, jaccard_loss_grad, x, t, reduction=reduction, **options)
    options = {k: v for k, v in options.items() if k != "squared_pred"}
    assert_vjp(tversky_loss, tversky_loss_grad, x, t, reduction=reduction, alpha=0.3, beta=0.7,
               **options)
