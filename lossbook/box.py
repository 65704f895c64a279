"""Box-regression losses: IoU, GIoU, DIoU and CIoU, under torchvision's names and conventions.

A detector predicts a box and is scored by how well it overlaps the true one. The
intersection over union :math:`\\mathrm{IoU} = |B_1 \\cap B_2| / |B_1 \\cup B_2|` is the score;
:math:`1 - \\mathrm{IoU}` is the simplest loss (``box_iou_loss``). It is flat (zero gradient)
for boxes that do not overlap, which the three refinements repair by adding a penalty:

- GIoU (Rezatofighi et al. 2019) adds the part of the smallest enclosing box :math:`C` that
  neither box covers, :math:`|C \\setminus (B_1 \\cup B_2)| / |C|`;
- DIoU (Zheng et al. 2020) adds the squared distance of the centres over the squared diagonal
  of :math:`C`;
- CIoU (same paper) adds to DIoU an aspect-ratio term :math:`\\alpha v`.

Conventions, all torchvision's (``torchvision.ops.generalized_box_iou_loss``,
``distance_box_iou_loss``, ``complete_box_iou_loss``): boxes are ``(x1, y1, x2, y2)`` along the
last axis, shape (N, 4) or (4,) (any leading axes), the two arguments share one shape; the loss
of each pair is returned (``reduction="none"`` is the default); ``eps`` (1e-7) is added to each
denominator exactly where torchvision adds it, and is an argument, never hidden. Every loss is
symmetric in its two arguments, so ``_grad`` (with respect to ``boxes1``) also gives the
gradient with respect to ``boxes2`` with the arguments swapped.

Degenerate boxes, defined (each tested in tests/test_box.py):

- ``x2 < x1`` or ``y2 < y1``, or a coordinate that is NaN or infinite, is refused
  (``validate=True``); torchvision documents ``0 <= x1 < x2`` and does not check it. A box
  of zero width or height (``x1 == x2``) is accepted. Negative coordinates are accepted: every
  loss here depends only on differences of coordinates.
- A zero-area box has IoU 0 with every box, including an identical one: two identical
  zero-area boxes have loss 1, as in torchvision (pytorch/vision#7746). With ``eps > 0`` this
  is the limit of the loss :math:`\\epsilon / (A + \\epsilon)` of two identical boxes of area
  :math:`A \\to 0`, and any box near a zero-area box has IoU 0 too, so a loss of 0 there would
  be an isolated point, not a limit. With ``eps = 0`` each 0/0 (a zero union, a zero enclosing
  box, a zero diagonal) is taken as that limit: IoU 0, penalty 0.
- CIoU's :math:`\\arctan(w/h)` is computed as :math:`\\operatorname{atan2}(w, h)`: equal for
  :math:`h > 0`, :math:`\\pi/2` at :math:`h = 0` (torchvision: the same value, but a NaN
  gradient), with the finite derivative :math:`(h, -w)/(w^2 + h^2)`. A point box
  (:math:`w = h = 0`) has no aspect ratio: its aspect term :math:`v` is 0 (torchvision: NaN).

Stability: every length is divided by the enclosing box's extent along its axis before it is
multiplied, so no area overflows (float16 boxes in pixel coordinates would overflow 65504:
torchvision computes half precision in float32 instead, lossbook in the input's dtype); and
:math:`1 - \\mathrm{IoU}` and :math:`|C| - |B_1 \\cup B_2|` are sums of products of
non-negative terms (see ``box_iou_loss``), so nearly identical boxes keep the loss's relative
accuracy where torchvision's ``1 - iou`` cancels.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from lossbook._array import Array, check_float, dtype_name, namespace, quiet, value_of
from lossbook._reduction import check_reduction, reduce, reduce_grad
from lossbook._validation import (
    check_non_empty,
    check_non_negative,
    check_option,
    check_same_shape,
    shape_str,
)

# _safe_div gives 0 where a denominator is 0: each 0/0 here is a limit that is 0 (module docstring)
from lossbook.primitives import _detach, _safe_div

__all__ = [
    "box_iou_loss",
    "box_iou_loss_grad",
    "complete_box_iou_loss",
    "complete_box_iou_loss_grad",
    "distance_box_iou_loss",
    "distance_box_iou_loss_grad",
    "generalized_box_iou_loss",
    "generalized_box_iou_loss_grad",
]

_V_SCALE = 4 / math.pi**2  # CIoU's v = 4 / pi^2 (atan(w_g / h_g) - atan(w / h))^2


# --- checks -----------------------------------------------------------------------------------


def _check(boxes1: Array, boxes2: Array, reduction: str, eps: Any, validate: Any,
           grad_output: Array | None = None) -> tuple[Any, float]:
    """The checks of every loss and gradient here; returns the namespace and eps."""
    xp = namespace(boxes1=boxes1, boxes2=boxes2, grad_output=grad_output)
    check_float(xp, boxes1, "boxes1")
    check_float(xp, boxes2, "boxes2", like=boxes1, like_name="boxes1")
    check_non_empty(boxes1, "boxes1")
    if boxes1.ndim == 0 or int(boxes1.shape[-1]) != 4:
        raise ValueError(
            "boxes1 must hold boxes (x1, y1, x2, y2) along its last axis, shape (N, 4) or "
            f"(4,); got shape {shape_str(boxes1)}"
        )
    check_same_shape(boxes1, boxes2, ("boxes1", "boxes2"))
    check_reduction(reduction)
    eps = check_non_negative(eps, "eps")
    if check_option(validate, "validate", bool):
        for name, boxes in (("boxes1", boxes1), ("boxes2", boxes2)):
            _check_boxes(xp, boxes, name)
        _check_span(xp, boxes1, boxes2)
    return xp, eps


def _check_boxes(xp: Any, boxes: Array, name: str) -> None:
    """Finite coordinates with x1 <= x2 and y1 <= y2 (NaN fails every comparison)."""
    ok = xp.logical_and(boxes[..., 2] >= boxes[..., 0], boxes[..., 3] >= boxes[..., 1])
    ok = xp.logical_and(ok, xp.all(xp.isfinite(boxes), axis=-1))
    if not bool(xp.all(ok)):
        flat = xp.reshape(boxes, (-1, 4))
        first = int(xp.nonzero(xp.logical_not(xp.reshape(ok, (-1,))))[0][0])
        box = ", ".join(f"{float(value_of(v)):g}" for v in flat[first])
        raise ValueError(
            f"{name} must hold finite boxes (x1, y1, x2, y2) with x1 <= x2 and y1 <= y2; "
            f"got ({box}) at flat index {first}"
        )


def _check_span(xp: Any, boxes1: Array, boxes2: Array) -> None:
    """The enclosing box's width and height must be finite numbers of the dtype.

    hi/2 - lo/2 cannot overflow, and hi - lo is twice it exactly, so this is the test.
    """
    largest = float(xp.finfo(boxes1.dtype).max)
    for lo, hi in ((0, 2), (1, 3)):
        low = xp.minimum(boxes1[..., lo], boxes2[..., lo])
        high = xp.maximum(boxes1[..., hi], boxes2[..., hi])
        ok = high / 2 - low / 2 <= largest / 2
        if not bool(xp.all(ok)):
            first = int(xp.nonzero(xp.logical_not(xp.reshape(ok, (-1,))))[0][0])
            raise ValueError(
                f"boxes1 and boxes2 must lie within a span of {largest:.4g} (the largest "
                f"{dtype_name(boxes1)}) along each axis; the pair at flat "
                f"index {first} spans {float(value_of(xp.reshape(low, (-1,))[first])):g} to "
                f"{float(value_of(xp.reshape(high, (-1,))[first])):g}"
            )


# --- geometry ---------------------------------------------------------------------------------


class _Axis(NamedTuple):
    """One axis (x or y) of a pair of boxes [a1, a2] and [b1, b2].

    Lengths are divided by ``s``, the enclosing extent max(a2, b2) - min(a1, b1) or ``floor``
    if that is smaller (:func:`_floor`), so their products stay within [0, 1] and cannot
    overflow.
    """

    s: Array  # the enclosing extent, at least the floor
    extent: Array  # the enclosing extent (not divided)
    c: Array  # extent / s: 1, or less for an extent below the floor
    i: Array  # signed overlap min(a2, b2) - max(a1, b1), over s (negative: a gap)
    len1: Array  # a2 - a1, over s
    len2: Array  # b2 - b1, over s
    out1: Array  # how far [a1, a2] reaches beyond [b1, b2], over s
    out2: Array  # how far [b1, b2] reaches beyond [a1, a2], over s
    centre: Array  # centre of [a1, a2] minus centre of [b1, b2] (not divided)
    t_lo: Array  # d max(a1, b1) / d a1 (1/2 at a tie, as PyTorch's maximum)
    t_hi: Array  # d min(a2, b2) / d a2
    c_lo: Array  # d min(a1, b1) / d a1
    c_hi: Array  # d max(a2, b2) / d a2


def _floor(xp: Any, dtype: Any, eps: float) -> float:
    """The smallest scale lengths are divided by.

    Any scale gives the same losses up to rounding (every length is divided by it, and eps by
    its square); this floor keeps the scaled eps, eps / s^2, below 2^14 (no overflow for boxes
    of any size, down to a point) and s a normal number of the dtype.
    """
    return max(math.sqrt(eps) / 128, float(xp.finfo(dtype).smallest_normal))


def _at_least(xp: Any, x: Array, floor: float) -> Array:
    return xp.where(x > floor, x, xp.full_like(x, floor))


def _axis(xp: Any, a1: Array, a2: Array, b1: Array, b2: Array, floor: float) -> _Axis:
    zero = xp.zeros_like(a1)
    one = xp.ones_like(a1)
    lo_gap, hi_gap = a1 - b1, a2 - b2
    extent = xp.maximum(a2, b2) - xp.minimum(a1, b1)
    s = _at_least(xp, extent, floor)
    half = one / 2

    def tie(wins: Array, same: Array) -> Array:
        return xp.where(wins, one, xp.where(same, half, zero))

    return _Axis(
        s=s,
        extent=extent,
        c=extent / s,
        i=(xp.minimum(a2, b2) - xp.maximum(a1, b1)) / s,
        len1=(a2 - a1) / s,
        len2=(b2 - b1) / s,
        out1=(xp.maximum(-lo_gap, zero) + xp.maximum(hi_gap, zero)) / s,
        out2=(xp.maximum(lo_gap, zero) + xp.maximum(-hi_gap, zero)) / s,
        centre=lo_gap / 2 + hi_gap / 2,
        t_lo=tie(a1 > b1, a1 == b1),
        t_hi=tie(a2 < b2, a2 == b2),
        c_lo=tie(a1 < b1, a1 == b1),
        c_hi=tie(a2 > b2, a2 == b2),
    )


class _Overlap(NamedTuple):
    """The IoU part, in units of the enclosing box (areas over s_x s_y)."""

    x: _Axis
    y: _Axis
    overlap: Array  # both signed overlaps > 0
    union: Array  # |B1 u B2| + eps, the IoU's denominator
    iou: Array  # |B1 n B2| / (|B1 u B2| + eps)
    iou_loss: Array  # 1 - iou, without cancellation
    enclosing: Array  # |C| + eps, GIoU's denominator
    uncovered: Array  # |C| - |B1 u B2|, without cancellation


def _overlap(xp: Any, boxes1: Array, boxes2: Array, eps: float) -> _Overlap:
    floor = _floor(xp, boxes1.dtype, eps)
    x = _axis(xp, boxes1[..., 0], boxes1[..., 2], boxes2[..., 0], boxes2[..., 2], floor)
    y = _axis(xp, boxes1[..., 1], boxes1[..., 3], boxes2[..., 1], boxes2[..., 3], floor)
    zero, one = xp.zeros_like(x.i), xp.ones_like(x.i)
    overlap = xp.logical_and(x.i > 0, y.i > 0)
    product = x.i * y.i
    inter = xp.where(overlap, product, zero)
    area1, area2 = x.len1 * y.len1, x.len2 * y.len2
    e = (eps / x.s) / y.s  # eps in the same units
    union = area1 + area2 - inter + e
    # |B1| - |B1 n B2| = out1_x h1 + i_x out1_y where the boxes overlap: no cancellation
    rest = xp.where(overlap,
                    x.out1 * y.len1 + x.i * y.out1 + x.out2 * y.len2 + x.i * y.out2,
                    area1 + area2)
    iou_loss = xp.where(union != 0, (rest + e) / xp.where(union != 0, union, one), one)
    # |C| - |B1 u B2| = out1_x out2_y + out2_x out1_y + (inter - i_x i_y): all >= 0 but the
    # last, which is 0 for overlapping boxes and at most a factor 2 otherwise (box_iou_loss)
    uncovered = x.out1 * y.out2 + x.out2 * y.out1 + (inter - product)
    return _Overlap(
        x=x, y=y, overlap=overlap, union=union, iou=_safe_div(xp, inter, union),
        iou_loss=iou_loss, enclosing=x.c * y.c + e, uncovered=uncovered,
    )


def _centres(xp: Any, o: _Overlap, eps: float) -> tuple[Array, Array, Array]:
    """DIoU's penalty rho^2 / (c^2 + eps), its denominator and the common scale m = max extent."""
    m = xp.maximum(o.x.extent, o.y.extent)
    sm = _at_least(xp, m, _floor(xp, m.dtype, eps))
    dx, dy = o.x.centre / sm, o.y.centre / sm
    cw, ch = o.x.extent / sm, o.y.extent / sm
    den = cw * cw + ch * ch + (eps / sm) / sm
    return _safe_div(xp, dx * dx + dy * dy, den), den, sm


def _angles(xp: Any, boxes: Array) -> tuple[Array, Array, Array, Array]:
    """atan2(w, h), the point mask (w = h = 0), and w, h."""
    w, h = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    point = xp.logical_and(w == 0, h == 0)
    # a point box gets (0, 1): a finite angle and gradient, which v then discards
    angle = xp.atan2(w, xp.where(point, xp.ones_like(h), h))
    return angle, point, w, h


def _aspect(xp: Any, boxes1: Array, boxes2: Array) -> tuple[Array, Array, Array]:
    """CIoU's v, the derivative dv/d(atan2(w1, h1)) and the mask where v is defined."""
    t1, point1, _, _ = _angles(xp, boxes1)
    t2, point2, _, _ = _angles(xp, boxes2)
    defined = xp.logical_not(xp.logical_or(point1, point2))
    zero = xp.zeros_like(t1)
    diff = t2 - t1
    v = xp.where(defined, _V_SCALE * diff * diff, zero)
    dv_dt1 = xp.where(defined, -2 * _V_SCALE * diff, zero)
    return v, dv_dt1, defined


# --- gradients --------------------------------------------------------------------------------


def _iou_grad(xp: Any, o: _Overlap) -> tuple[Array, ...]:
    """d(1 - IoU)/d(x1, y1, x2, y2) of boxes1: (-dI + IoU dU) / (U + eps)."""
    x, y = o.x, o.y
    mask = xp.astype(o.overlap, x.i.dtype)
    # dI and dA1 per unit of the axis, in area units (derivative over s of that axis)
    di = (-y.i * x.t_lo * mask, -x.i * y.t_lo * mask, y.i * x.t_hi * mask, x.i * y.t_hi * mask)
    da = (-y.len1, -x.len1, y.len1, x.len1)
    scales = (x.s, y.s, x.s, y.s)
    return tuple(_safe_div(xp, -dI + o.iou * (dA - dI), o.union) / s
                 for dI, dA, s in zip(di, da, scales, strict=True))


def _giou_penalty_grad(xp: Any, o: _Overlap) -> tuple[Array, ...]:
    """d(|C \\ U| / (|C| + eps)) = (-dU + (U + eps) / (C + eps) dC) / (C + eps)."""
    x, y = o.x, o.y
    mask = xp.astype(o.overlap, x.i.dtype)
    di = (-y.i * x.t_lo * mask, -x.i * y.t_lo * mask, y.i * x.t_hi * mask, x.i * y.t_hi * mask)
    da = (-y.len1, -x.len1, y.len1, x.len1)
    dc = (-y.c * x.c_lo, -x.c * y.c_lo, y.c * x.c_hi, x.c * y.c_hi)
    ratio = _safe_div(xp, o.union, o.enclosing)
    scales = (x.s, y.s, x.s, y.s)
    return tuple(_safe_div(xp, -(dA - dI) + ratio * dC, o.enclosing) / s
                 for dI, dA, dC, s in zip(di, da, dc, scales, strict=True))


def _centre_grad(xp: Any, o: _Overlap, penalty: Array, den: Array, sm: Array) -> tuple[Array, ...]:
    """d(rho^2 / (c^2 + eps)) = (d rho^2 - R d c^2) / (c^2 + eps), over the scale m."""
    x, y = o.x, o.y
    dx, dy = x.centre / sm, y.centre / sm
    cw, ch = x.extent / sm, y.extent / sm
    # d rho^2 / d x1 = d rho^2 / d x2 = dx (the centre moves by half), d c^2 = 2 c_w d c_w
    parts = ((dx, -cw * x.c_lo), (dy, -ch * y.c_lo), (dx, cw * x.c_hi), (dy, ch * y.c_hi))
    return tuple(_safe_div(xp, d - 2 * penalty * dc, den) / sm for d, dc in parts)


def _aspect_grad(xp: Any, boxes1: Array, dv_dt1: Array) -> tuple[Array, ...]:
    """dv/d(x1, y1, x2, y2) through t = atan2(w, h): dt/dw = h / (w^2 + h^2), dt/dh = -w / (...)."""
    _, point, w, h = _angles(xp, boxes1)
    r = xp.maximum(w, h)
    r = xp.where(point, xp.ones_like(r), r)
    wr, hr = w / r, h / r
    n = xp.where(point, xp.ones_like(r), wr * wr + hr * hr)  # in [1/2, 2] for a box
    dt_dw = dv_dt1 * hr / n / r
    dt_dh = -dv_dt1 * wr / n / r
    return (-dt_dw, -dt_dh, dt_dw, dt_dh)


def _ciou_alpha(xp: Any, o: _Overlap, v: Array, eps: float) -> Array:
    """alpha = v / (1 - IoU + v + eps), a constant for the gradient (torchvision: no_grad)."""
    return _detach(_safe_div(xp, v, o.iou_loss + v + eps))


def _grad_setup(boxes1: Array, boxes2: Array, reduction: str, eps: Any, validate: Any,
                grad_output: Array | None) -> tuple[Any, float, Any]:
    """The checks of a gradient; returns the namespace, eps and the reduced grad_output."""
    xp, eps = _check(boxes1, boxes2, reduction, eps, validate, grad_output)
    g = reduce_grad(tuple(boxes1.shape[:-1]), reduction, grad_output, xp=xp, like=boxes1,
                    like_name="boxes1")
    return xp, eps, g


def _vjp(xp: Any, g: Any, *terms: tuple[Array, ...]) -> Array:
    """The gradient terms (each the derivatives along x1, y1, x2, y2), summed and times g."""
    parts = [sum(column[1:], column[0]) for column in zip(*terms, strict=True)]
    return xp.stack(parts, axis=-1) * (g if isinstance(g, float) else g[..., None])


# --- the losses -------------------------------------------------------------------------------


def box_iou_loss(
    boxes1: Array,
    boxes2: Array,
    *,
    reduction: str = "none",
    eps: float = 1e-7,
    validate: bool = True,
) -> Array:
    """IoU loss for boxes: one minus the intersection over union.

    .. math::
        \\ell = 1 - \\frac{|B_1 \\cap B_2|}{|B_1 \\cup B_2| + \\epsilon}, \\qquad
        |B_1 \\cup B_2| = |B_1| + |B_2| - |B_1 \\cap B_2|

    Parameters
    ----------
    boxes1 : array
        Boxes :math:`(x_1, y_1, x_2, y_2)` along the last axis, shape (N, 4) or (4,) (any
        leading axes), real floating: usually the prediction.
    boxes2 : array
        Boxes of the same shape, library and dtype: usually the target.
    reduction : {"none", "mean", "sum"}
        The loss of each pair (shape ``boxes1.shape[:-1]``), their mean or their sum. The
        default is torchvision's "none".
    eps : float
        >= 0, added to each denominator where torchvision adds it (default 1e-7, in the
        coordinates' squared units); it keeps a zero union or enclosing box finite. With
        eps = 0 each 0/0 is taken as its limit (module docstring).
    validate : bool
        Check that every coordinate is finite and every box has x1 <= x2 and y1 <= y2 (a
        pass over the data).

    Returns
    -------
    array
        The loss in [0, 1], of ``boxes1``'s type, dtype and device.

    Raises
    ------
    TypeError
        Non-floating boxes, different dtypes or libraries, a non-real eps, a non-bool
        validate.
    ValueError
        A last axis other than 4, different shapes, empty boxes, x2 < x1 or y2 < y1 or a
        non-finite coordinate (validate=True), eps < 0, unknown reduction.

    See Also
    --------
    box_iou_loss_grad : Its hand-derived gradient.
    generalized_box_iou_loss, distance_box_iou_loss, complete_box_iou_loss : The refinements.
    10_box_regression.ipynb : The IoU losses derived from SmoothL1 on box offsets, their
        gradients, degenerate boxes and a box-regression experiment.

    Notes
    -----
    torchvision has no function for the plain IoU loss; this is the first half of its
    ``generalized_box_iou_loss`` (``_loss_inter_union``, then ``intsct / (union + eps)``).
    Its gradient is zero for boxes that do not overlap: the intersection is 0 whichever way
    they move, the flat region GIoU, DIoU and CIoU were designed to leave.

    *No cancellation.* For nearly identical boxes :math:`1 - \\mathrm{IoU}` is small and
    ``1 - iou`` loses about :math:`10^{-16}/\\ell` of relative accuracy (in float32,
    :math:`10^{-7}/\\ell`). Write box 1's width as :math:`w_1 = i_x + p_x`, with :math:`i_x`
    the overlap along x and :math:`p_x \\ge 0` how far box 1 reaches beyond box 2
    (:math:`p_x = \\max(x_1^g - x_1, 0) + \\max(x_2 - x_2^g, 0)`, differences of coordinates),
    and :math:`q_x` the same for box 2; likewise along y. Where the boxes overlap

    .. math::
        |B_1| - |B_1 \\cap B_2| = p_x h_1 + i_x p_y, \\qquad
        1 - \\mathrm{IoU} = \\frac{(p_x h_1 + i_x p_y) + (q_x h_2 + i_x q_y) + \\epsilon}
        {|B_1 \\cup B_2| + \\epsilon},

    a ratio of sums of non-negative terms, accurate to a few ulps (tests/test_box.py, against
    mpmath). Lengths are divided by the enclosing box's extent along their axis before any
    product, so no area overflows, in float16 either.

    The subgradients are PyTorch's autograd's through torchvision's formula: the intersection
    contributes only where both overlaps are > 0, and where two coordinates tie
    (``max(x1, x1g)`` with ``x1 == x1g``) each gets half.

    References
    ----------
    .. [1] J. Yu et al., "UnitBox: An Advanced Object Detection Network", ACM MM 2016,
       arXiv:1608.01471 (the IoU loss, as -log IoU).
    .. [2] torchvision, ``torchvision/ops/_utils.py`` (``_loss_inter_union``) and
       ``torchvision/ops/giou_loss.py``, https://github.com/pytorch/vision.

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.array([0.0, 0.0, 2.0, 2.0])
    >>> true = np.array([1.0, 0.0, 3.0, 2.0])
    >>> print(f"{float(box_iou_loss(pred, true, eps=0.0)):.6f}")
    0.666667
    """
    xp, eps = _check(boxes1, boxes2, reduction, eps, validate)
    with quiet(boxes1):
        o = _overlap(xp, boxes1, boxes2, eps)  # 1 - IoU is o.iou_loss, formed without cancelling
        return reduce(o.iou_loss, reduction, xp=xp)


def box_iou_loss_grad(
    boxes1: Array,
    boxes2: Array,
    *,
    grad_output: Array | None = None,
    reduction: str = "none",
    eps: float = 1e-7,
    validate: bool = True,
) -> Array:
    """Gradient of :func:`box_iou_loss` with respect to ``boxes1``.

    .. math::
        \\frac{\\partial \\ell}{\\partial \\theta} = \\frac{-\\partial_\\theta I
        + \\mathrm{IoU}\\,(\\partial_\\theta |B_1| - \\partial_\\theta I)}{U + \\epsilon}

    for :math:`\\theta` each coordinate of box 1, :math:`I` the intersection and :math:`U`
    the union.

    Parameters
    ----------
    boxes1, boxes2, reduction, eps, validate
        As in :func:`box_iou_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's output shape and dtype; ``None`` means ones
        (for reduction="none", the gradient of the sum).

    Returns
    -------
    array
        The vector-Jacobian product, of ``boxes1``'s shape, type and dtype.

    See Also
    --------
    box_iou_loss : The loss.
    10_box_regression.ipynb : The IoU losses derived from SmoothL1 on box offsets, their
        gradients, degenerate boxes and a box-regression experiment.

    Notes
    -----
    With :math:`\\ell = 1 - I/D`, :math:`D = U + \\epsilon` and :math:`U = |B_1| + |B_2| - I`,
    the quotient rule gives :math:`\\partial\\ell = (-\\partial I\\, D + I\\, \\partial U)/D^2`
    and :math:`\\partial U = \\partial |B_1| - \\partial I`. With :math:`I = i_x i_y`,
    :math:`i_x = \\min(x_2, x_2^g) - \\max(x_1, x_1^g)`: :math:`\\partial I/\\partial x_2 = i_y
    [x_2 < x_2^g]`, :math:`\\partial I/\\partial x_1 = -i_y [x_1 > x_1^g]` (1/2 at a tie,
    0 where the boxes do not overlap), and :math:`\\partial |B_1|/\\partial x_2 = h_1 =
    -\\partial |B_1|/\\partial x_1`; likewise for y. Each derivative along x is formed in units
    of the enclosing box's width and divided by it at the end, so nothing overflows.

    References
    ----------
    .. [1] torchvision, ``torchvision/ops/_utils.py`` (``_loss_inter_union``), whose autograd
       gradient this equals, https://github.com/pytorch/vision.

    Examples
    --------
    >>> import numpy as np
    >>> pred, true = np.array([0.0, 0.0, 2.0, 2.0]), np.array([1.0, 0.0, 3.0, 2.0])
    >>> print(f"{float(box_iou_loss_grad(pred, true, eps=0.0)[2]):.6f}")
    -0.333333
    """
    xp, eps, g = _grad_setup(boxes1, boxes2, reduction, eps, validate, grad_output)
    with quiet(boxes1):  # a gradient beyond the dtype is +-inf, as in torch
        o = _overlap(xp, boxes1, boxes2, eps)
        return _vjp(xp, g, _iou_grad(xp, o))


def generalized_box_iou_loss(
    boxes1: Array,
    boxes2: Array,
    *,
    reduction: str = "none",
    eps: float = 1e-7,
    validate: bool = True,
) -> Array:
    """Generalized IoU loss, ``torchvision.ops.generalized_box_iou_loss``.

    .. math::
        \\ell = 1 - \\frac{|B_1 \\cap B_2|}{|B_1 \\cup B_2| + \\epsilon}
        + \\frac{|C| - |B_1 \\cup B_2|}{|C| + \\epsilon}

    with :math:`C` the smallest box enclosing both.

    Parameters
    ----------
    boxes1, boxes2, reduction, eps, validate
        As in :func:`box_iou_loss`: boxes (x1, y1, x2, y2) along the last axis, one shape;
        torchvision's reduction="none" and eps=1e-7.

    Returns
    -------
    array
        The loss in [0, 2), of ``boxes1``'s type, dtype and device.

    Raises
    ------
    TypeError, ValueError
        As :func:`box_iou_loss`.

    See Also
    --------
    generalized_box_iou_loss_grad : Its hand-derived gradient.
    box_iou_loss, distance_box_iou_loss, complete_box_iou_loss : The other IoU losses.
    10_box_regression.ipynb : The IoU losses derived from SmoothL1 on box offsets, their
        gradients, degenerate boxes and a box-regression experiment.

    Notes
    -----
    GIoU :math:`= \\mathrm{IoU} - |C \\setminus (B_1 \\cup B_2)|/|C|` lies in (-1, 1]; the
    loss :math:`1 - \\mathrm{GIoU}` in [0, 2). For disjoint boxes the second term still
    changes as they move (the enclosing box shrinks as they approach), so the gradient pulls
    them together where the IoU loss is flat.

    *No cancellation.* :math:`|C| - |B_1 \\cup B_2|` is small for nearly identical boxes. With
    :math:`p, q` as in :func:`box_iou_loss` and the signed overlaps :math:`i_x, i_y`,
    :math:`|C| - |B_1 \\cup B_2| = p_x q_y + q_x p_y + I - i_x i_y`, exactly: the last two
    cancel for overlapping boxes, and otherwise the sum is positive with no catastrophic
    cancellation (for diagonally separated boxes, :math:`i_x i_y > 0` is at most half of
    :math:`p_x q_y + q_x p_y`).

    torchvision's float16 boxes are computed in float32 (``_upcast_non_float``) and the loss
    returned in float32; lossbook computes in the input's dtype, with lengths divided by the
    enclosing box's extent so that no area overflows, and returns the input's dtype.
    With the lengths divided first, the loss stays finite where torchvision's areas overflow
    (a box reaching -1.8e308 in float64: torchvision's loss is NaN there).

    References
    ----------
    .. [1] H. Rezatofighi et al., "Generalized Intersection over Union: A Metric and a Loss
       for Bounding Box Regression", CVPR 2019, arXiv:1902.09630.
    .. [2] torchvision, ``torchvision/ops/giou_loss.py``, https://github.com/pytorch/vision.

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.array([0.0, 0.0, 1.0, 1.0])
    >>> true = np.array([2.0, 0.0, 3.0, 1.0])
    >>> print(f"{float(generalized_box_iou_loss(pred, true, eps=0.0)):.6f}")
    1.333333
    """
    xp, eps = _check(boxes1, boxes2, reduction, eps, validate)
    with quiet(boxes1):
        o = _overlap(xp, boxes1, boxes2, eps)
        penalty = _safe_div(xp, o.uncovered, o.enclosing)  # (|C| - |B1 u B2|) / (|C| + eps)
        return reduce(o.iou_loss + penalty, reduction, xp=xp)


def generalized_box_iou_loss_grad(
    boxes1: Array,
    boxes2: Array,
    *,
    grad_output: Array | None = None,
    reduction: str = "none",
    eps: float = 1e-7,
    validate: bool = True,
) -> Array:
    """Gradient of :func:`generalized_box_iou_loss` with respect to ``boxes1``.

    .. math::
        \\frac{\\partial \\ell}{\\partial \\theta} = \\frac{\\partial(1 - \\mathrm{IoU})}
        {\\partial \\theta} + \\frac{-\\partial_\\theta U + \\frac{U + \\epsilon}
        {|C| + \\epsilon}\\,\\partial_\\theta |C|}{|C| + \\epsilon}

    Parameters
    ----------
    boxes1, boxes2, reduction, eps, validate, grad_output
        As in :func:`box_iou_loss_grad`.

    Returns
    -------
    array
        The vector-Jacobian product, of ``boxes1``'s shape, type and dtype.

    See Also
    --------
    generalized_box_iou_loss : The loss.
    10_box_regression.ipynb : The IoU losses derived from SmoothL1 on box offsets, their
        gradients, degenerate boxes and a box-regression experiment.

    Notes
    -----
    The penalty is :math:`1 - (U + \\epsilon)/(|C| + \\epsilon)`; the quotient rule gives the
    formula. :math:`|C| = c_w c_h` with :math:`c_w = \\max(x_2, x_2^g) - \\min(x_1, x_1^g)`:
    :math:`\\partial |C|/\\partial x_2 = c_h [x_2 > x_2^g]` and
    :math:`\\partial |C|/\\partial x_1 = -c_h [x_1 < x_1^g]` (1/2 at a tie). For disjoint
    boxes :math:`\\partial U = \\partial |B_1|` and :math:`\\partial |C|` is not zero, so the
    gradient is not either.

    References
    ----------
    .. [1] H. Rezatofighi et al., CVPR 2019, arXiv:1902.09630; torchvision's
       ``giou_loss.py``, whose autograd gradient this equals.

    Examples
    --------
    >>> import numpy as np
    >>> pred, true = np.array([0.0, 0.0, 1.0, 1.0]), np.array([2.0, 0.0, 3.0, 1.0])
    >>> print(f"{float(generalized_box_iou_loss_grad(pred, true, eps=0.0)[2]):.6f}")
    -0.333333
    """
    xp, eps, g = _grad_setup(boxes1, boxes2, reduction, eps, validate, grad_output)
    with quiet(boxes1):  # a gradient beyond the dtype is +-inf, as in torch
        o = _overlap(xp, boxes1, boxes2, eps)
        return _vjp(xp, g, _iou_grad(xp, o), _giou_penalty_grad(xp, o))


def distance_box_iou_loss(
    boxes1: Array,
    boxes2: Array,
    *,
    reduction: str = "none",
    eps: float = 1e-7,
    validate: bool = True,
) -> Array:
    """Distance IoU loss, ``torchvision.ops.distance_box_iou_loss``.

    .. math::
        \\ell = 1 - \\frac{|B_1 \\cap B_2|}{|B_1 \\cup B_2| + \\epsilon}
        + \\frac{\\rho^2}{c^2 + \\epsilon}

    with :math:`\\rho` the distance between the boxes' centres and :math:`c` the diagonal of
    the smallest enclosing box.

    Parameters
    ----------
    boxes1, boxes2, reduction, eps, validate
        As in :func:`box_iou_loss`: boxes (x1, y1, x2, y2) along the last axis, one shape;
        torchvision's reduction="none" and eps=1e-7.

    Returns
    -------
    array
        The loss in [0, 2], of ``boxes1``'s type, dtype and device.

    Raises
    ------
    TypeError, ValueError
        As :func:`box_iou_loss`.

    See Also
    --------
    distance_box_iou_loss_grad : Its hand-derived gradient.
    complete_box_iou_loss : DIoU plus an aspect-ratio term.
    10_box_regression.ipynb : The IoU losses derived from SmoothL1 on box offsets, their
        gradients, degenerate boxes and a box-regression experiment.

    Notes
    -----
    Both centres lie inside the enclosing box, so :math:`\\rho \\le c` and the penalty is in
    [0, 1] (1 only for two distinct points with eps = 0): the loss is in [0, 2], and it is at
    most the GIoU loss plus 1. Unlike GIoU's
    penalty, which is 0 as soon as one box contains the other, the centre distance keeps
    pulling a box inside the other towards its centre. The centre offset is formed as
    :math:`((x_1 - x_1^g) + (x_2 - x_2^g))/2`, differences of nearby coordinates first, and
    all lengths are divided by the larger extent of the enclosing box before squaring.
    With the lengths divided first, the loss stays finite where torchvision's areas overflow
    (a box reaching -1.8e308 in float64: torchvision's loss is NaN there).

    References
    ----------
    .. [1] Z. Zheng et al., "Distance-IoU Loss: Faster and Better Learning for Bounding Box
       Regression", AAAI 2020, arXiv:1911.08287.
    .. [2] torchvision, ``torchvision/ops/diou_loss.py``, https://github.com/pytorch/vision.

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.array([0.0, 0.0, 4.0, 4.0])
    >>> true = np.array([0.0, 0.0, 2.0, 2.0])
    >>> print(f"{float(distance_box_iou_loss(pred, true, eps=0.0)):.6f}")
    0.812500
    """
    xp, eps = _check(boxes1, boxes2, reduction, eps, validate)
    with quiet(boxes1):
        o = _overlap(xp, boxes1, boxes2, eps)
        penalty, _, _ = _centres(xp, o, eps)  # rho^2 / (c^2 + eps)
        return reduce(o.iou_loss + penalty, reduction, xp=xp)


def distance_box_iou_loss_grad(
    boxes1: Array,
    boxes2: Array,
    *,
    grad_output: Array | None = None,
    reduction: str = "none",
    eps: float = 1e-7,
    validate: bool = True,
) -> Array:
    """Gradient of :func:`distance_box_iou_loss` with respect to ``boxes1``.

    .. math::
        \\frac{\\partial \\ell}{\\partial \\theta} = \\frac{\\partial(1 - \\mathrm{IoU})}
        {\\partial \\theta} + \\frac{\\partial_\\theta \\rho^2 - R\\,\\partial_\\theta c^2}
        {c^2 + \\epsilon}, \\qquad R = \\frac{\\rho^2}{c^2 + \\epsilon}

    Parameters
    ----------
    boxes1, boxes2, reduction, eps, validate, grad_output
        As in :func:`box_iou_loss_grad`.

    Returns
    -------
    array
        The vector-Jacobian product, of ``boxes1``'s shape, type and dtype.

    See Also
    --------
    distance_box_iou_loss : The loss.
    10_box_regression.ipynb : The IoU losses derived from SmoothL1 on box offsets, their
        gradients, degenerate boxes and a box-regression experiment.

    Notes
    -----
    :math:`\\rho^2 = d_x^2 + d_y^2` with :math:`d_x = ((x_1 + x_2) - (x_1^g + x_2^g))/2`, so
    :math:`\\partial\\rho^2/\\partial x_1 = \\partial\\rho^2/\\partial x_2 = d_x`;
    :math:`c^2 = c_w^2 + c_h^2`, :math:`\\partial c^2/\\partial x_2 = 2 c_w [x_2 > x_2^g]`,
    :math:`\\partial c^2/\\partial x_1 = -2 c_w [x_1 < x_1^g]` (1/2 at a tie).

    References
    ----------
    .. [1] Z. Zheng et al., AAAI 2020, arXiv:1911.08287; torchvision's ``diou_loss.py``,
       whose autograd gradient this equals.

    Examples
    --------
    >>> import numpy as np
    >>> pred, true = np.array([0.0, 0.0, 4.0, 4.0]), np.array([0.0, 0.0, 2.0, 2.0])
    >>> print(f"{float(distance_box_iou_loss_grad(pred, true, eps=0.0)[2]):.6f}")
    0.078125
    """
    xp, eps, g = _grad_setup(boxes1, boxes2, reduction, eps, validate, grad_output)
    with quiet(boxes1):  # a gradient beyond the dtype is +-inf, as in torch
        o = _overlap(xp, boxes1, boxes2, eps)
        penalty, den, sm = _centres(xp, o, eps)
        return _vjp(xp, g, _iou_grad(xp, o), _centre_grad(xp, o, penalty, den, sm))


def complete_box_iou_loss(
    boxes1: Array,
    boxes2: Array,
    *,
    reduction: str = "none",
    eps: float = 1e-7,
    validate: bool = True,
) -> Array:
    """Complete IoU loss, ``torchvision.ops.complete_box_iou_loss``.

    .. math::
        \\ell = 1 - \\mathrm{IoU} + \\frac{\\rho^2}{c^2 + \\epsilon} + \\alpha v, \\qquad
        v = \\frac{4}{\\pi^2}\\Bigl(\\arctan\\frac{w_2}{h_2} - \\arctan\\frac{w_1}{h_1}\\Bigr)^2,
        \\qquad \\alpha = \\frac{v}{1 - \\mathrm{IoU} + v + \\epsilon}

    with the IoU and the centre term as in :func:`distance_box_iou_loss`.

    Parameters
    ----------
    boxes1, boxes2, reduction, eps, validate
        As in :func:`box_iou_loss`: boxes (x1, y1, x2, y2) along the last axis, one shape;
        torchvision's reduction="none" and eps=1e-7.

    Returns
    -------
    array
        The loss in [0, 3), of ``boxes1``'s type, dtype and device.

    Raises
    ------
    TypeError, ValueError
        As :func:`box_iou_loss`.

    See Also
    --------
    complete_box_iou_loss_grad : Its hand-derived gradient.
    distance_box_iou_loss : Without the aspect term.
    10_box_regression.ipynb : The IoU losses derived from SmoothL1 on box offsets, their
        gradients, degenerate boxes and a box-regression experiment.

    Notes
    -----
    :math:`v \\in [0, 1]` compares the boxes' aspect ratios (the angles of their diagonals);
    :math:`\\alpha \\in [0, 1)` weighs it more once the boxes overlap well. As in the paper
    and torchvision, :math:`\\alpha` is a constant for the gradient (torchvision computes it
    under ``torch.no_grad()``; lossbook detaches it): only :math:`v` is differentiated.

    :math:`\\arctan(w/h)` is computed as :math:`\\operatorname{atan2}(w, h)`: the same angle,
    defined at :math:`h = 0` (:math:`\\pi/2`) with a finite derivative, where torchvision's
    ``atan(w / h)`` has a NaN gradient; for a point box (:math:`w = h = 0`) lossbook takes
    :math:`v = 0` (no aspect ratio to compare), where torchvision's loss is NaN.

    torchvision's ``complete_box_iou_loss`` passes ``eps`` only to :math:`\\alpha`: its IoU
    and centre terms use ``_diou_iou_loss``'s default 1e-7 whatever ``eps`` is
    (``_diou_iou_loss(boxes1, boxes2)``). lossbook uses ``eps`` in every denominator, so the
    two agree at the default eps = 1e-7 and differ by the eps terms otherwise
    (tests/test_box.py).

    Zheng et al. also suggest replacing :math:`1/(w^2 + h^2)` in the gradient by 1 for small
    boxes; neither torchvision nor lossbook does: :func:`complete_box_iou_loss_grad` is the
    true gradient.

    With the lengths divided first, the loss stays finite where torchvision's areas overflow
    (a box reaching -1.8e308 in float64: torchvision's loss is NaN there).

    References
    ----------
    .. [1] Z. Zheng et al., "Distance-IoU Loss: Faster and Better Learning for Bounding Box
       Regression", AAAI 2020, arXiv:1911.08287.
    .. [2] torchvision, ``torchvision/ops/ciou_loss.py``, https://github.com/pytorch/vision.

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.array([0.0, 0.0, 2.0, 1.0])
    >>> true = np.array([0.0, 0.0, 1.0, 2.0])
    >>> print(f"{float(complete_box_iou_loss(pred, true, eps=0.0)):.6f}")
    0.762918
    """
    xp, eps = _check(boxes1, boxes2, reduction, eps, validate)
    with quiet(boxes1):
        o = _overlap(xp, boxes1, boxes2, eps)
        penalty, _, _ = _centres(xp, o, eps)  # rho^2 / (c^2 + eps)
        v, _, _ = _aspect(xp, boxes1, boxes2)  # 4 / pi^2 (atan(w2 / h2) - atan(w1 / h1))^2
        alpha = _ciou_alpha(xp, o, v, eps)  # v / (1 - IoU + v + eps), held constant
        return reduce(o.iou_loss + penalty + alpha * v, reduction, xp=xp)


def complete_box_iou_loss_grad(
    boxes1: Array,
    boxes2: Array,
    *,
    grad_output: Array | None = None,
    reduction: str = "none",
    eps: float = 1e-7,
    validate: bool = True,
) -> Array:
    """Gradient of :func:`complete_box_iou_loss` with respect to ``boxes1``.

    .. math::
        \\frac{\\partial \\ell}{\\partial \\theta} = \\frac{\\partial \\ell_{\\mathrm{DIoU}}
        {\\partial \\theta} + \\alpha\\,\\frac{\\partial v}{\\partial \\theta}, \\qquad
        \\frac{\\partial v}{\\partial w_1} = -\\frac{8}{\\pi^2}(t_2 - t_1)
        \\frac{h_1}{w_1^2 + h_1^2}, \\quad
        \\frac{\\partial v}{\\partial h_1} = \\frac{8}{\\pi^2}(t_2 - t_1)
        \\frac{w_1}{w_1^2 + h_1^2}

    with :math:`t = \\operatorname{atan2}(w, h)` and :math:`\\alpha` held constant.

    Parameters
    ----------
    boxes1, boxes2, reduction, eps, validate, grad_output
        As in :func:`box_iou_loss_grad`.

    Returns
    -------
    array
        The vector-Jacobian product, of ``boxes1``'s shape, type and dtype.

    See Also
    --------
    complete_box_iou_loss : The loss.
    10_box_regression.ipynb : The IoU losses derived from SmoothL1 on box offsets, their
        gradients, degenerate boxes and a box-regression experiment.

    Notes
    -----
    :math:`dt/dw = h/(w^2 + h^2)` and :math:`dt/dh = -w/(w^2 + h^2)` (the derivative of
    :math:`\\arctan(w/h)`, continued to :math:`h = 0`); :math:`w_1 = x_2 - x_1`,
    :math:`h_1 = y_2 - y_1`. Both are formed with :math:`w, h` divided by
    :math:`\\max(w, h)`, so :math:`w^2 + h^2` cannot overflow. At a point box the derivative
    of :math:`v` is 0, as :math:`v` is (module docstring).

    References
    ----------
    .. [1] Z. Zheng et al., AAAI 2020, arXiv:1911.08287 (the derivatives of v); torchvision's
       ``ciou_loss.py``, whose autograd gradient (alpha under no_grad) this equals where that
       is finite.

    Examples
    --------
    >>> import numpy as np
    >>> pred, true = np.array([0.0, 0.0, 2.0, 1.0]), np.array([0.0, 0.0, 1.0, 2.0])
    >>> print(f"{float(complete_box_iou_loss_grad(pred, true, eps=0.0)[2]):.6f}")
    0.163341
    """
    xp, eps, g = _grad_setup(boxes1, boxes2, reduction, eps, validate, grad_output)
    with quiet(boxes1):  # a gradient beyond the dtype is +-inf, as in torch
        o = _overlap(xp, boxes1, boxes2, eps)
        penalty, den, sm = _centres(xp, o, eps)
        v, dv_dt1, _ = _aspect(xp, boxes1, boxes2)
        alpha = _ciou_alpha(xp, o, v, eps)
        aspect = tuple(alpha * d for d in _aspect_grad(xp, boxes1, dv_dt1))
        return _vjp(xp, g, _iou_grad(xp, o), _centre_grad(xp, o, penalty, den, sm), aspect)
