"""Box-regression losses beyond the registry: degenerate boxes, float16/float32, properties,
accuracy against mpmath, CIoU's gradient at other eps, bad input (lossbook.box).

The registry (``lossbook.testing.cases.box``) holds each loss and gradient against torchvision's
formulas on three backends and under gradcheck (CIoU with alpha held: ``Tag.FROZEN_TERM``)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lossbook.box import (
    box_iou_loss,
    box_iou_loss_grad,
    complete_box_iou_loss,
    complete_box_iou_loss_grad,
    distance_box_iou_loss,
    distance_box_iou_loss_grad,
    generalized_box_iou_loss,
    generalized_box_iou_loss_grad,
)
from lossbook.testing.cases.box import _box_pairs, _ciou_alpha_held
from lossbook.testing.twins import (
    _tv_diou_iou_loss,
    torchvision_box_iou_loss,
    torchvision_complete_box_iou_loss,
    torchvision_distance_box_iou_loss,
    torchvision_generalized_box_iou_loss,
)

mpmath.mp.dps = 50

LOSSES = {
    "iou": (box_iou_loss, box_iou_loss_grad, torchvision_box_iou_loss),
    "giou": (generalized_box_iou_loss, generalized_box_iou_loss_grad,
             torchvision_generalized_box_iou_loss),
    "diou": (distance_box_iou_loss, distance_box_iou_loss_grad, torchvision_distance_box_iou_loss),
    "ciou": (complete_box_iou_loss, complete_box_iou_loss_grad, torchvision_complete_box_iou_loss),
}
ALL = list(LOSSES)


def _t(x, dtype=torch.float64) -> torch.Tensor:
    return torch.tensor(np.asarray(x, dtype=np.float64), dtype=dtype)


def _twin(name, b1, b2, **options):
    """torchvision's loss and its autograd gradient with respect to boxes1 (float64)."""
    x = _t(b1).requires_grad_(True)
    loss = LOSSES[name][2](x, _t(b2), **options)
    loss.sum().backward()
    return loss.detach().numpy(), x.grad.numpy()


def _torchvision_v(b1, b2):
    """CIoU's v as torchvision writes it, with atan(w / h) (boxes of positive height)."""
    def angle(b):
        return torch.atan((b[..., 2] - b[..., 0]) / (b[..., 3] - b[..., 1]))
    return 4 / math.pi**2 * (angle(b2) - angle(b1)) ** 2


# --- the gradients beyond the registry ---------------------------------------------------------


@pytest.mark.parametrize("eps", [0.0, 1e-3])
def test_ciou_gradient_at_other_eps_is_the_derivative_with_alpha_held(eps):
    """The registry checks CIoU at torchvision's eps only (its twin passes eps to alpha alone):
    at other eps the hand gradient is autograd's through CIoU with alpha held at the point."""
    pred, target = (_t(b) for b in _box_pairs(np.random.default_rng(3)))
    x = pred.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(_ciou_alpha_held(pred, x, target, eps=eps).sum(), x)
    torch.testing.assert_close(complete_box_iou_loss_grad(pred, target, eps=eps), expected,
                               rtol=1e-12, atol=1e-14)


def test_grad_output_is_checked():
    pred, target = _box_pairs(np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(12,\)"):
        box_iou_loss_grad(pred, target, grad_output=np.ones(3))
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(\)"):
        box_iou_loss_grad(pred, target, reduction="mean", grad_output=np.ones(12))
    with pytest.raises(TypeError, match=r"grad_output must have the dtype of boxes1 \(float64\)"):
        box_iou_loss_grad(pred, target, grad_output=np.ones(12, dtype=np.float32))
    with pytest.raises(TypeError, match=r"grad_output must come from the same library as boxes1"):
        box_iou_loss_grad(pred, target, grad_output=torch.ones(12, dtype=torch.float64))


# --- degenerate boxes, each defined ----------------------------------------------------------

ZERO = [0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("eps", [1e-7, 0.0])
def test_identical_zero_size_boxes_have_loss_one(name, eps):
    """pytorch/vision#7746: lossbook keeps torchvision's 1 (module docstring), for eps = 0 too,
    with a zero gradient; torchvision's CIoU is NaN here (atan(0/0))."""
    f, f_grad, _ = LOSSES[name]
    for box in (ZERO, [2.0, 3.0, 2.0, 3.0], [0.0, 0.0, 0.0, 5.0]):
        b = np.array(box)
        assert float(f(b, b, eps=eps)) == 1.0
        np.testing.assert_array_equal(f_grad(b, b, eps=eps)[[1, 3]] if box[3] > box[1] else
                                      f_grad(b, b, eps=eps), 0.0)
    twin, _ = _twin(name, ZERO, ZERO)
    assert math.isnan(float(twin)) if name == "ciou" else float(twin) == 1.0


def test_identical_zero_size_boxes_are_the_limit_of_shrinking_boxes():
    """With eps > 0 two identical boxes of area A have loss eps / (A + eps), which tends to 1."""
    for side in (1.0, 1e-2, 1e-4, 1e-6):
        b = np.array([0.0, 0.0, side, side])
        expected = 1e-7 / (side * side + 1e-7)
        assert float(box_iou_loss(b, b)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_identical_boxes_have_loss_zero_without_eps(name):
    b = np.array([[0.5, -1.0, 3.0, 2.0], [10.0, 10.0, 10.5, 12.0]])
    f, f_grad, _ = LOSSES[name]
    np.testing.assert_array_equal(f(b, b, eps=0.0), 0.0)
    np.testing.assert_array_equal(f_grad(b, b, eps=0.0), 0.0)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    ("b1", "b2"),
    [
        ([1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 2.0, 2.0]),  # a point inside a box
        ([0.0, 1.0, 2.0, 1.0], [0.0, 0.0, 2.0, 2.0]),  # a segment (h = 0) across a box
        ([0.0, 0.0, 0.0, 2.0], [0.0, 0.0, 0.0, 2.0]),  # identical segments (zero union)
        ([0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 2.0, 1.0]),  # touching: zero overlap, not negative
        ([0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]),  # identical: every coordinate ties
        ([0.0, 0.0, 4.0, 4.0], [1.0, 0.0, 4.0, 2.0]),  # shared edges: ties in max and min
    ],
)
def test_degenerate_and_tied_boxes_match_torchvision_where_it_is_finite(name, b1, b2):
    """Values and subgradients (ties split in half, as torch.maximum/minimum's backward) equal
    autograd through torchvision's formula wherever that is finite; lossbook is finite
    everywhere."""
    f, f_grad, _ = LOSSES[name]
    ours, ours_grad = f(np.array(b1), np.array(b2)), f_grad(np.array(b1), np.array(b2))
    assert np.isfinite(ours) and np.all(np.isfinite(ours_grad))
    theirs, theirs_grad = _twin(name, b1, b2)
    if np.isfinite(theirs):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-13)
    if np.all(np.isfinite(theirs_grad)):
        np.testing.assert_allclose(ours_grad, theirs_grad, rtol=1e-13, atol=1e-13)


def test_ciou_at_zero_height_is_torchvisions_value_with_a_finite_gradient():
    """atan(w / h) at h = 0 is pi / 2: torchvision's value, but its gradient is NaN; lossbook's
    atan2 form has the derivative -w / (w^2 + h^2) = -1 / w there."""
    b1, b2 = np.array([0.0, 1.0, 2.0, 1.0]), np.array([0.0, 0.0, 2.0, 2.0])
    theirs, theirs_grad = _twin("ciou", b1, b2)
    assert np.all(np.isnan(theirs_grad))
    loss = complete_box_iou_loss(b1, b2)
    assert float(loss) == pytest.approx(float(theirs), rel=1e-14)
    # v = 4/pi^2 (pi/4 - pi/2)^2 = 1/4, alpha = v / (1 - 0 + v + eps); dv/dh1 = -(8/pi^2)(pi/4) / 2
    alpha = 0.25 / (1.25 + 1e-7)
    dv_dh = -(8 / math.pi**2) * (math.pi / 4) * 0.5
    g = complete_box_iou_loss_grad(b1, b2)
    np.testing.assert_allclose(g, [0.0, -alpha * dv_dh, 0.0, alpha * dv_dh], rtol=1e-14, atol=1e-16)
    # the aspect term alpha v is continuous at h = 0: a segment is the limit of thin boxes
    def aspect(b):
        return float(complete_box_iou_loss(b, b2) - distance_box_iou_loss(b, b2))
    assert aspect(b1 + np.array([0, 0, 0, 1e-9])) == pytest.approx(aspect(b1), abs=1e-8)


def test_ciou_point_box_has_no_aspect_term():
    """A point box has no aspect ratio: v = 0, so CIoU equals DIoU (torchvision: NaN)."""
    b1, b2 = np.array([0.5, 0.5, 0.5, 0.5]), np.array([0.0, 0.0, 2.0, 1.0])
    assert float(complete_box_iou_loss(b1, b2)) == float(distance_box_iou_loss(b1, b2))
    np.testing.assert_array_equal(complete_box_iou_loss_grad(b1, b2),
                                  distance_box_iou_loss_grad(b1, b2))
    assert math.isnan(float(_twin("ciou", b1, b2)[0]))


def test_autograd_through_lossbook_is_finite_at_degenerate_boxes():
    for b1, b2 in [(ZERO, ZERO), ([1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 2.0, 1.0]),
                   ([0.0, 1.0, 2.0, 1.0], [0.0, 0.0, 2.0, 2.0])]:
        for name in ALL:
            f, f_grad, _ = LOSSES[name]
            for eps in (1e-7, 0.0):
                x = _t(b1).requires_grad_(True)
                f(x, _t(b2), eps=eps).backward()
                torch.testing.assert_close(x.grad, f_grad(_t(b1), _t(b2), eps=eps))


@pytest.mark.parametrize("name", ALL)
def test_inverted_and_non_finite_boxes_are_refused(name):
    f, f_grad, _ = LOSSES[name]
    good = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 2.0, 2.0]])
    bad_x = np.array([[0.0, 0.0, 1.0, 1.0], [3.0, 0.0, 2.0, 2.0]])
    for fn in (f, f_grad):
        with pytest.raises(ValueError, match=r"boxes1 must hold finite boxes \(x1, y1, x2, y2\) "
                           r"with x1 <= x2 and y1 <= y2; got \(3, 0, 2, 2\) at flat index 1"):
            fn(bad_x, good)
        with pytest.raises(ValueError, match=r"boxes2 must hold .* got \(0, 2, 1, 1\)"):
            fn(good, np.array([[0.0, 2.0, 1.0, 1.0], [0.0, 0.0, 2.0, 2.0]]))
        for v in (math.nan, math.inf, -math.inf):
            with pytest.raises(ValueError, match="boxes1 must hold finite boxes"):
                fn(np.array([0.0, 0.0, v, 1.0]), good[0])
    # validate=False trusts the caller and computes the formula as it stands (torchvision)
    assert np.all(np.isfinite(f(bad_x, good, validate=False)))


def test_a_span_beyond_the_dtype_is_refused():
    """Two finite boxes whose enclosing box is wider than the largest float: every width
    overflows, in torchvision too; lossbook refuses them (validate=True)."""
    b1, b2 = np.array([-1e308, 0.0, -9e307, 1.0]), np.array([1e308, 0.0, 1.5e308, 1.0])
    with pytest.raises(ValueError, match=r"boxes1 and boxes2 must lie within a span of "
                       r"1\.798e\+308 \(the largest float64\) along each axis; the pair at flat "
                       r"index 0 spans -1e\+308 to 1\.5e\+308"):
        generalized_box_iou_loss(b1, b2)
    h1, h2 = np.array([0.0, -4e4, 1.0, 0.0], np.float16), np.array([0.0, 0.0, 1.0, 4e4], np.float16)
    with pytest.raises(ValueError, match=r"span of 6\.55e\+04 \(the largest float16\)"):
        box_iou_loss_grad(h1, h2)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_extreme_boxes_give_no_nan_and_no_warning(dtype):
    """Sizes and positions from 0 and subnormals to near the largest float: every loss is
    finite, every gradient free of NaN (+-inf only where its true size exceeds the dtype, as
    1/eps = 1e7 at a zero-width enclosing box in float16), and NumPy warns of nothing."""
    finfo = np.finfo(dtype)
    values = [0.0, float(finfo.smallest_subnormal), float(finfo.smallest_normal), 1e-3, 0.5,
              1.0, 3.0, float(finfo.max) / 8, float(finfo.max) / 3]
    rng = np.random.default_rng(0)
    xy = rng.choice([-1.0, 1.0], size=(2, 2000, 2)) * rng.choice(values, size=(2, 2000, 2))
    with np.errstate(over="ignore"):
        b = np.concatenate([xy, xy + rng.choice(values, size=(2, 2000, 2))], axis=2).astype(dtype)
    half = b.astype(np.float64) / 2
    span = np.maximum(half[0][:, 2:], half[1][:, 2:]) - np.minimum(half[0][:, :2], half[1][:, :2])
    keep = (np.all(np.isfinite(b), axis=(0, 2)) & np.all(b[..., 2:] >= b[..., :2], axis=(0, 2))
            & np.all(span <= float(finfo.max) / 2, axis=1))
    b1, b2 = b[0][keep], b[1][keep]
    assert len(b1) > 400
    for name in ALL:
        f, f_grad, _ = LOSSES[name]
        for eps in (0.0, 1e-7):
            loss, grad = f(b1, b2, eps=eps), f_grad(b1, b2, eps=eps)
            assert np.all(np.isfinite(loss)) and not np.any(np.isnan(grad)), name


def test_negative_coordinates_are_boxes_too():
    """torchvision documents 0 <= x1; every loss depends on differences only."""
    b1, b2 = np.array([[0.0, 0.0, 2.0, 3.0]]), np.array([[1.0, -1.0, 4.0, 2.0]])
    for name in ALL:
        f, _, _ = LOSSES[name]
        np.testing.assert_allclose(f(b1 - 10.0, b2 - 10.0), f(b1, b2), rtol=1e-14)


# --- float16 and float32 ----------------------------------------------------------------------


def _pixel_boxes(rng, n=400, scale=1000.0):
    """Boxes in pixel coordinates up to ``scale``, each with a jittered partner."""
    xy = rng.uniform(0, scale, size=(n, 2))
    b1 = np.concatenate([xy, xy + rng.uniform(0.05, 0.5, size=(n, 2)) * scale], axis=1)
    b2 = b1 + rng.normal(0, 0.1 * scale, size=(n, 4))
    b2[:, 2:] = np.maximum(b2[:, 2:], b2[:, :2] + 0.01 * scale)
    return b1, b2


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("scale", [1.0, 1000.0])
@pytest.mark.parametrize("library", ["numpy", "torch"])
def test_float16_keeps_its_dtype_and_does_not_overflow(name, scale, library):
    """Pixel-sized float16 boxes have areas beyond float16's 65504; lossbook divides lengths by
    the enclosing box first, returns float16, and stays within 8 float16 ulps (2^-11 each)
    of the float64 loss of the same boxes; the gradient within 8 ulps of its largest entry."""
    f, f_grad, _ = LOSSES[name]
    b1, b2 = (b.astype(np.float16) for b in _pixel_boxes(np.random.default_rng(5), scale=scale))
    wide = b1.astype(np.float64), b2.astype(np.float64)
    ref, ref_grad = f(*wide), f_grad(*wide)
    x1, x2 = (b1, b2) if library == "numpy" else (torch.from_numpy(b1), torch.from_numpy(b2))
    loss, grad = f(x1, x2), f_grad(x1, x2)
    assert str(loss.dtype).endswith("float16") and str(grad.dtype).endswith("float16")
    loss, grad = np.asarray(loss, dtype=np.float64), np.asarray(grad, dtype=np.float64)
    ulp = 2.0**-11
    assert np.max(np.abs(loss - ref) / ref) < 8 * ulp
    assert np.max(np.abs(grad - ref_grad)) < 8 * ulp * np.abs(ref_grad).max()


def test_float16_areas_overflow_in_the_textbook_formula():
    """Why lossbook scales lengths: torchvision's formula run in float16 (without its upcast to
    float32) gives inf - inf = NaN for pixel-sized boxes, and torchvision returns float32."""
    b1, b2 = (torch.from_numpy(b.astype(np.float16)) for b in _pixel_boxes(np.random.default_rng(5)))
    x1, y1, x2, y2 = b1.unbind(-1)
    assert torch.isinf((x2 - x1) * (y2 - y1)).any()
    assert torchvision_generalized_box_iou_loss(b1, b2).dtype == torch.float32
    assert generalized_box_iou_loss(b1, b2).dtype == torch.float16


@pytest.mark.parametrize("name", ALL)
def test_float32_matches_torchvision_and_float64(name):
    f, f_grad, twin = LOSSES[name]
    b1, b2 = (b.astype(np.float32) for b in _pixel_boxes(np.random.default_rng(6), scale=100.0))
    wide = b1.astype(np.float64), b2.astype(np.float64)
    ref, ref_grad = f(*wide), f_grad(*wide)
    for x1, x2 in ((b1, b2), (torch.from_numpy(b1), torch.from_numpy(b2))):
        loss, grad = np.asarray(f(x1, x2)), np.asarray(f_grad(x1, x2))
        assert loss.dtype == np.float32 and grad.dtype == np.float32
        np.testing.assert_allclose(loss, ref, rtol=8 * 2.0**-24)
        assert np.abs(grad - ref_grad).max() < 64 * 2.0**-24 * np.abs(ref_grad).max()
    np.testing.assert_allclose(f(b1, b2), twin(torch.from_numpy(b1), torch.from_numpy(b2)).numpy(),
                               rtol=1.3e-6, atol=1e-6)


# --- accuracy against mpmath -------------------------------------------------------------------


def _mp_losses(b1, b2, eps=0.0):
    """The four losses in 50-digit arithmetic, from the exact values of the float coordinates."""
    x1, y1, x2, y2 = (mpmath.mpf(float(v)) for v in b1)
    X1, Y1, X2, Y2 = (mpmath.mpf(float(v)) for v in b2)
    eps = mpmath.mpf(eps)
    inter = max(min(x2, X2) - max(x1, X1), 0) * max(min(y2, Y2) - max(y1, Y1), 0)
    union = (x2 - x1) * (y2 - y1) + (X2 - X1) * (Y2 - Y1) - inter
    iou_loss = 1 - inter / (union + eps)
    cw, ch = max(x2, X2) - min(x1, X1), max(y2, Y2) - min(y1, Y1)
    giou = iou_loss + (cw * ch - union) / (cw * ch + eps)
    rho2 = ((x1 + x2 - X1 - X2) / 2) ** 2 + ((y1 + y2 - Y1 - Y2) / 2) ** 2
    diou = iou_loss + rho2 / (cw**2 + ch**2 + eps)
    v = 4 / mpmath.pi**2 * (mpmath.atan2(X2 - X1, Y2 - Y1) - mpmath.atan2(x2 - x1, y2 - y1)) ** 2
    if (x1 == x2 and y1 == y2) or (X1 == X2 and Y1 == Y2):
        v = mpmath.mpf(0)  # a point box has no aspect ratio
    ciou = diou + v / (iou_loss + v + eps) * v
    return {"iou": iou_loss, "giou": giou, "diou": diou, "ciou": ciou}


@pytest.mark.parametrize("delta", [1e-3, 1e-6, 1e-9, 1e-12])
def test_nearly_identical_boxes_keep_full_relative_accuracy(delta):
    """1 - IoU and |C| - |U| are formed without cancellation: a few ulps of relative error at
    a loss of 3e-12, where torchvision's 1 - iou keeps about 1e-16 / loss."""
    target = np.array([0.1, 0.2, 1.3, 1.1])
    pred = target + np.array([1.0, -0.7, 0.3, 1.0]) * delta
    exact = _mp_losses(pred, target)
    for name in ALL:
        got = float(LOSSES[name][0](pred, target, eps=0.0))
        assert abs(got / float(exact[name]) - 1) < 4e-16, name
    theirs = float(torchvision_box_iou_loss(_t(pred), _t(target), eps=0.0))
    if delta <= 1e-9:
        assert abs(theirs / float(exact["iou"]) - 1) > 1e-8


def test_float32_nearly_identical_boxes():
    """In float32 torchvision's 1 - iou is off by 4% at a loss of 3e-6; lossbook by a few units
    of float32's 2^-24 (a sum of two terms, each rounded)."""
    target = np.array([0.1, 0.2, 1.3, 1.1], dtype=np.float32)
    pred = (target + np.array([1.0, -0.7, 0.3, 1.0]) * 1e-6).astype(np.float32)
    exact = _mp_losses(pred, target)
    for name in ALL:
        got = float(LOSSES[name][0](pred, target, eps=0.0))
        assert abs(got / float(exact[name]) - 1) < 4 * 2.0**-24, name
    theirs = float(torchvision_box_iou_loss(torch.from_numpy(pred), torch.from_numpy(target),
                                            eps=0.0))
    assert abs(theirs / float(exact["iou"]) - 1) > 1e-2


@pytest.mark.parametrize("eps", [0.0, 1e-7])
def test_adversarial_boxes_against_mpmath(eps):
    """Tiny boxes next to huge ones, far apart, thin slivers, huge coordinates."""
    pairs = [
        ([0.0, 0.0, 1e-8, 1e-8], [0.0, 0.0, 1e8, 1e8]),
        ([0.0, 0.0, 1.0, 1.0], [1e12, 1e12, 1e12 + 1.0, 1e12 + 2.0]),
        ([0.0, 0.0, 1e-10, 5.0], [0.0, 0.0, 2e-10, 5.0]),
        ([1e150, 1e150, 3e150, 2e150], [2e150, 1e150, 4e150, 3e150]),
        ([-3.0, 1.0, 7.0, 1.5], [-2.9, 1.1, 7.1, 1.6]),
    ]
    for b1, b2 in pairs:
        exact = _mp_losses(b1, b2, eps)
        for name in ALL:
            got = float(LOSSES[name][0](np.array(b1), np.array(b2), eps=eps))
            assert got == pytest.approx(float(exact[name]), rel=1e-14, abs=1e-300), (name, b1)


def test_ciou_eps_reaches_every_denominator_unlike_torchvision():
    """torchvision's complete_box_iou_loss passes eps to alpha only; lossbook uses it in the IoU
    and centre terms too. They agree at the default eps; at eps = 0.01 lossbook equals
    torchvision's own formula with eps passed on (``_diou_iou_loss(boxes1, boxes2, eps)``)."""
    pred, target = (_t(b) for b in _box_pairs(np.random.default_rng(7)))
    eps = 0.01
    diou, iou = _tv_diou_iou_loss(pred, target, eps)
    v = _torchvision_v(pred, target)
    threaded = diou + v / (1 - iou + v + eps) * v
    ours = complete_box_iou_loss(pred, target, eps=eps)
    torch.testing.assert_close(ours, threaded, rtol=1e-13, atol=1e-15)
    assert (ours - torchvision_complete_box_iou_loss(pred, target, eps=eps)).abs().max() > 1e-4
    torch.testing.assert_close(complete_box_iou_loss(pred, target),
                               torchvision_complete_box_iou_loss(pred, target),
                               rtol=1e-13, atol=1e-15)


# --- properties (hypothesis) -------------------------------------------------------------------

# Coordinates on a coarse grid as well as anywhere: ties and shared edges are common. Sizes and
# coordinates are 0 or at least 1e-3 in size (a box 1e-251 tall at y = 1e-251 does not survive
# a translation; the adversarial test above covers tiny boxes against mpmath).
_coord = st.one_of(st.integers(-4, 4).map(float),
                   st.floats(-10.0, 10.0).filter(lambda v: v == 0 or abs(v) >= 1e-3))
_size = st.one_of(st.integers(0, 3).map(float), st.floats(1e-3, 8.0, allow_nan=False))


@st.composite
def _boxes(draw, n=4):
    rows = []
    for _ in range(n):
        x, y, w, h = draw(_coord), draw(_coord), draw(_size), draw(_size)
        rows.append([x, y, x + w, y + h])
    return np.array(rows)


@settings(max_examples=60, deadline=None)
@given(_boxes(), _boxes(), st.sampled_from([0.0, 1e-7]))
def test_bounds_and_order(b1, b2, eps):
    """0 <= 1 - IoU <= 1; the GIoU and DIoU penalties are in [0, 1] (the enclosing box covers
    the union; both centres lie inside it); 0 <= alpha v < 1 (v <= 1, alpha < 1)."""
    iou = box_iou_loss(b1, b2, eps=eps)
    giou = generalized_box_iou_loss(b1, b2, eps=eps)
    diou = distance_box_iou_loss(b1, b2, eps=eps)
    ciou = complete_box_iou_loss(b1, b2, eps=eps)
    tol = 1e-12
    assert np.all((iou >= 0) & (iou <= 1))
    assert np.all((giou >= iou - tol) & (giou <= iou + 1 + tol))
    assert np.all((diou >= iou) & (diou <= iou + 1 + tol))
    assert np.all((ciou >= diou) & (ciou < diou + 1))
    assert np.all(giou <= 2) and np.all(ciou < 3)


@settings(max_examples=60, deadline=None)
@given(_boxes(), _boxes())
def test_symmetric_and_invariant(b1, b2):
    """Every loss is symmetric in its arguments and (with eps = 0) unchanged by a translation
    and by scaling both boxes by a power of 2 (exact in floating point)."""
    shift = np.array([3.0, -5.0, 3.0, -5.0])
    for name in ALL:
        f = LOSSES[name][0]
        base = f(b1, b2, eps=0.0)
        np.testing.assert_allclose(f(b2, b1, eps=0.0), base, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(f(b1 * 4.0, b2 * 4.0, eps=0.0), base, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(f(b1 + shift, b2 + shift, eps=0.0), base,
                                   rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(_boxes(), _boxes(), st.sampled_from(ALL))
def test_gradient_is_torchvisions_wherever_it_is_finite(b1, b2, name):
    """Ties (shared edges, equal coordinates) included: each gets half, as in PyTorch."""
    f, f_grad, _ = LOSSES[name]
    theirs, theirs_grad = _twin(name, b1, b2)
    ours, ours_grad = f(b1, b2), f_grad(b1, b2)
    assert np.all(np.isfinite(ours)) and np.all(np.isfinite(ours_grad))
    rows = np.isfinite(theirs) & np.all(np.isfinite(theirs_grad), axis=1)
    np.testing.assert_allclose(ours[rows], theirs[rows], rtol=1e-11, atol=1e-11)
    # torchvision's gradient is huge (1/eps) where a union or an enclosing box is about 0
    rows &= np.all(np.abs(theirs_grad) < 1e6, axis=1)
    np.testing.assert_allclose(ours_grad[rows], theirs_grad[rows], rtol=1e-9, atol=1e-9)


def test_disjoint_boxes_iou_is_flat_giou_is_not():
    """The reason for GIoU: boxes apart have IoU loss 1 and zero gradient; GIoU pulls them."""
    b1, b2 = np.array([0.0, 0.0, 1.0, 1.0]), np.array([3.0, 0.0, 4.0, 1.0])
    assert float(box_iou_loss(b1, b2)) == 1.0
    np.testing.assert_array_equal(box_iou_loss_grad(b1, b2), 0.0)
    g = generalized_box_iou_loss_grad(b1, b2)
    assert g[2] < 0  # moving x2 right (towards the other box) lowers the loss
    assert float(generalized_box_iou_loss(b1, b2)) > 1


def test_giou_is_blind_to_the_centre_inside_diou_is_not():
    """A box inside another: GIoU's penalty is 0 wherever it sits, DIoU's centre term is not."""
    outer = np.array([0.0, 0.0, 10.0, 10.0])
    corner, centre = np.array([0.0, 0.0, 2.0, 2.0]), np.array([4.0, 4.0, 6.0, 6.0])
    assert float(generalized_box_iou_loss(corner, outer)) == float(
        generalized_box_iou_loss(centre, outer))
    assert float(distance_box_iou_loss(corner, outer)) > float(distance_box_iou_loss(centre, outer))


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_bad_input_names_the_argument(name):
    f, f_grad, _ = LOSSES[name]
    b = np.array([[0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 2.0, 3.0]])
    for fn in (f, f_grad):
        with pytest.raises(TypeError, match=r"boxes2 must have the dtype of boxes1 \(float64\); "
                           "got float32"):
            fn(b, b.astype(np.float32))
        with pytest.raises(TypeError, match="boxes2 must have a real floating dtype"):
            fn(b, b.astype(np.int64))
        with pytest.raises(ValueError, match=r"boxes1 and boxes2 must have the same shape .* "
                           r"got boxes1 \(2, 4\) and boxes2 \(4,\)"):
            fn(b, b[0])
        with pytest.raises(ValueError, match=r"boxes1 must hold boxes \(x1, y1, x2, y2\) along "
                           r"its last axis, shape \(N, 4\) or \(4,\); got shape \(4, 2\)"):
            fn(b.T, b.T)
        with pytest.raises(ValueError, match=r"got shape \(\)"):
            fn(np.array(1.0), np.array(1.0))
        with pytest.raises(TypeError, match="boxes1 must be a NumPy array or a torch tensor, got "
                           "list"):
            fn(b.tolist(), b)
        with pytest.raises(TypeError, match=r"boxes2 must come from the same library as boxes1 "
                           r"\(numpy\); got torch"):
            fn(b, torch.from_numpy(b))
        with pytest.raises(ValueError, match=r"eps must be a finite number >= 0; got -1e-07"):
            fn(b, b, eps=-1e-7)
        with pytest.raises(ValueError, match="eps must be a finite number >= 0; got nan"):
            fn(b, b, eps=math.nan)
        with pytest.raises(TypeError, match="eps must be a real number; got str"):
            fn(b, b, eps="1e-7")
        with pytest.raises(TypeError, match="validate must be True or False; got NoneType"):
            fn(b, b, validate=None)
        with pytest.raises(ValueError, match="reduction must be one of"):
            fn(b, b, reduction="batchmean")
        with pytest.raises(ValueError, match="boxes1 must not be empty"):
            fn(np.zeros((0, 4)), np.zeros((0, 4)))
