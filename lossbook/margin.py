"""Margin (ranking) losses: triplet, margin ranking, hinge embedding and cosine embedding.

These losses do not ask for a class or a value; they ask for an *order*: the anchor nearer to
the positive than to the negative (triplet), the first score above the second (margin
ranking), similar pairs at a small distance and dissimilar ones beyond a margin (hinge and
cosine embedding). Each is a hinge :math:`\\max(0, \\cdot)`: once the order holds by the
margin, the loss and its gradient are exactly zero.

Conventions shared by the four, all PyTorch's:

- Subgradient at a hinge: where the argument of :math:`\\max(0, z)` is exactly 0, PyTorch's
  autograd passes the gradient through (``clamp_min``'s backward tests ``z >= 0``), so
  ``*_grad`` treats ``z = 0`` as active as well.
- ``triplet_margin_loss`` measures distances with ``pairwise_distance``:
  :math:`\\lVert x_1 - x_2 + \\epsilon \\rVert_p` with ``eps`` added to every component of
  the difference (not to the norm).
- ``cosine_embedding_loss`` uses PyTorch's cosine:
  :math:`\\langle x_1, x_2\\rangle / \\sqrt{(\\lVert x_1\\rVert^2 + \\epsilon)
  (\\lVert x_2\\rVert^2 + \\epsilon)}` with :math:`\\epsilon` = 1e-12 rounded to float32
  (9.999999960041972e-13), the constant PyTorch actually adds, in float64 as well.

Shapes are checked rather than broadcast: embeddings of different sizes are a ValueError.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from lossbook._array import Array, check_float, dtype_name, namespace, quiet
from lossbook._reduction import check_reduction, reduce, reduce_grad
from lossbook._validation import (
    check_in_set,
    check_non_empty,
    check_non_negative,
    check_option,
    check_same_shape,
    shape_str,
)
from lossbook.primitives import _detach

__all__ = [
    "cosine_embedding_loss",
    "cosine_embedding_loss_grad",
    "hinge_embedding_loss",
    "hinge_embedding_loss_grad",
    "margin_ranking_loss",
    "margin_ranking_loss_grad",
    "triplet_margin_loss",
    "triplet_margin_loss_grad",
]

# PyTorch's EPSILON in aten/src/ATen/native/Loss.cpp (cosine_embedding_loss) is written 1e-12,
# but reaches the computation as a float32 constant: 1e-12 rounded to float32 is
# 9.999999960041972e-13, and that is what PyTorch adds, in float64 too (tests/test_margin.py).
COSINE_EPS = 9.999999960041972e-13


# --- shared checks and the hinge ----------------------------------------------------------------


def _floats(
    grad_output: Array | None = None, target: Array | None = None, **arrays: Array
) -> Any:
    """Resolve the namespace of every array (the labels ``target`` included) and check that
    ``arrays`` are real floating arrays of the first one's dtype."""
    xp = namespace(**arrays, target=target, grad_output=grad_output)
    (first, x0), *rest = arrays.items()
    check_float(xp, x0, first)
    for name, x in rest:
        check_float(xp, x, name, like=x0, like_name=first)
    return xp


def _check_margin_positive(margin: Any) -> float:
    m = check_option(margin, "margin", float)
    if not math.isfinite(m) or m <= 0:
        raise ValueError(
            "margin must be a finite number > 0 (PyTorch refuses margin <= 0 for the triplet "
            f"loss too); got {margin!r}"
        )
    return m


def _check_labels(
    xp: Any, target: Array, input: Array, validate: Any, input_name: str = "input"
) -> Array:
    """Check the labels (integers of any width, or floats of the input's dtype; -1 and 1 with
    ``validate``) and return them as the input's dtype for the arithmetic."""
    if xp.isdtype(target.dtype, "real floating"):
        check_float(xp, target, "target", like=input, like_name=input_name)
    elif not xp.isdtype(target.dtype, "integral"):
        raise TypeError(
            "target must hold the labels -1 and 1 as integers or floats of the input's dtype; "
            f"got dtype {dtype_name(target)}"
        )
    if check_option(validate, "validate", bool):
        check_in_set(xp, target, (-1, 1), "target")
    return target if target.dtype == input.dtype else xp.astype(target, input.dtype)


def _embedding_shapes(names: tuple[str, ...], *arrays: Array) -> None:
    """(N, D) or (D,) embeddings, all of one shape, D >= 1, N >= 1."""
    first = arrays[0]
    if first.ndim not in (1, 2):
        raise ValueError(
            f"{names[0]} must be a batch of embeddings (N, D) or one embedding (D,); "
            f"got shape {shape_str(first)}"
        )
    for name, x in zip(names[1:], arrays[1:], strict=True):
        if tuple(x.shape) != tuple(first.shape):
            raise ValueError(
                f"{names[0]} and {name} must have the same shape (same embedding size, no "
                f"broadcasting); got {names[0]} {shape_str(first)} and {name} {shape_str(x)}"
            )
    check_non_empty(first, names[0])


def _hinge(xp: Any, z: Array) -> Array:
    """max(z, 0) as PyTorch's ``clamp_min(z, 0)``: NaN stays NaN, and autograd's slope is
    [z >= 0] (1 at the kink, 0 at NaN), the slope every ``_grad`` of this module uses.

    ``maximum`` would pass a NaN's gradient through; here the NaN of the value is a constant,
    so no gradient reaches it.
    """
    rest = xp.where(xp.isnan(z), xp.full_like(z, math.nan), xp.zeros_like(z))
    return xp.where(z >= 0, z, rest)


# --- triplet margin loss ----------------------------------------------------------------------


def _check_p_eps(p: Any, eps: Any) -> tuple[float, float]:
    pf = check_option(p, "p", float)
    if math.isnan(pf) or pf <= 0:
        raise ValueError(
            f"p must be a number > 0 (a norm degree, math.inf for the max norm); got {p!r}"
        )
    return pf, check_non_negative(eps, "eps")


def _pnorm(xp: Any, v: Array, p: float) -> Array:
    """``||v||_p`` along the last axis, scaled by ``max|v_i|`` so it neither overflows nor underflows.

    :math:`\\lVert v\\rVert_p = m\\,(\\sum_i (|v_i|/m)^p)^{1/p}` with :math:`m = \\max_i |v_i|`;
    every ratio is in [0, 1], so the sum cannot overflow where the norm itself fits in the dtype.
    """
    a = xp.abs(v)
    if p == math.inf:
        return xp.max(a, axis=-1)
    if p == 1:
        return xp.sum(a, axis=-1)
    m = xp.max(a, axis=-1, keepdims=True)
    # v = 0 has norm m = 0, a component of +-inf norm m = inf and a NaN norm NaN: those are not
    # scaled, and their ratios are 0, so no 0 ** (1/p), inf / inf or NaN reaches the gradient.
    scaled = xp.logical_and(m > 0, xp.isfinite(m))
    safe_m = xp.where(scaled, m, xp.ones_like(m))
    r = xp.where(scaled, a / safe_m, xp.zeros_like(a))
    s = xp.sum(r * r if p == 2 else r**p, axis=-1)
    s = xp.where(scaled[..., 0], s, xp.ones_like(s))
    root = xp.sqrt(s) if p == 2 else s ** (1.0 / p)
    return xp.where(scaled[..., 0], m[..., 0] * root, m[..., 0])


def _pnorm_grad(xp: Any, v: Array, norm: Array, p: float) -> Array:
    """``d||v||_p / dv`` as PyTorch's norm backward defines it (0 where v_i = 0 or v = 0).

    A NaN gives PyTorch's gradient: 0 for p = 1 and p = inf, a NaN row (``v / norm``) for
    1 < p < inf. Where a component is infinite, so is the norm, and the gradient is its limit:
    ``sign(v_k)`` shared among the infinite components (PyTorch's ``v / norm`` gives NaN there,
    inf / inf).
    """
    zeros = xp.zeros_like(v)
    sign = xp.sign(v)
    if p == 1:
        return xp.where(xp.isnan(v), zeros, sign)  # torch.sign(nan) = 0, NumPy's is nan
    n = norm[..., None]
    if p == math.inf:
        at_max = xp.logical_and(xp.abs(v) == n, v != 0)
    else:
        at_max = xp.isinf(v)  # used where the norm is infinite
    count = xp.sum(xp.astype(at_max, v.dtype), axis=-1, keepdims=True)
    limit = xp.where(at_max, sign, zeros) / xp.where(count > 0, count, xp.ones_like(count))
    if p == math.inf:
        return limit
    regular = xp.logical_and(n > 0, xp.isfinite(n))
    safe_n = xp.where(regular, n, xp.ones_like(n))
    safe_v = xp.where(regular, v, zeros)
    if p == 2:
        g = safe_v / safe_n
    else:
        nonzero = safe_v != 0
        safe_ratio = xp.where(nonzero, xp.abs(safe_v) / safe_n, xp.ones_like(v))  # in (0, 1]
        g = xp.where(nonzero, sign * safe_ratio ** (p - 1), zeros)
    nan = xp.full_like(v, math.nan)
    return xp.where(regular, g, xp.where(xp.isinf(n), limit, xp.where(xp.isnan(n), nan, zeros)))


def _triplet_check(
    anchor: Array, positive: Array, negative: Array, margin: Any, p: Any, eps: Any, swap: Any,
    reduction: str, grad_output: Array | None = None,
) -> tuple[Any, float, float, float, bool]:
    """The checks of the triplet loss; returns the namespace, margin, p, eps and swap."""
    xp = _floats(grad_output, anchor=anchor, positive=positive, negative=negative)
    check_reduction(reduction)
    _embedding_shapes(("anchor", "positive", "negative"), anchor, positive, negative)
    margin = _check_margin_positive(margin)
    pf, eps = _check_p_eps(p, eps)
    return xp, margin, pf, eps, check_option(swap, "swap", bool)


def _triplet_parts(xp, anchor, positive, negative, margin, p, eps, swap):
    """Differences, distances, the hinge argument and the swap weight of the anchor-negative distance."""
    v_pos = anchor - positive + eps
    v_neg = anchor - negative + eps
    d_pos = _pnorm(xp, v_pos, p)
    d_neg = _pnorm(xp, v_neg, p)
    weight = None
    if swap:
        d_swap = _pnorm(xp, positive - negative + eps, p)
        # at::min(d_neg, d_swap): the smaller one gets the gradient, a tie splits it in half.
        weight = xp.where(d_neg < d_swap, xp.ones_like(d_neg),
                          xp.where(d_neg == d_swap, 0.5 * xp.ones_like(d_neg),
                                   xp.zeros_like(d_neg)))
        d_neg = xp.minimum(d_neg, d_swap)
    z = margin + d_pos - d_neg
    return v_pos, v_neg, d_pos, d_neg, weight, z


def triplet_margin_loss(
    anchor: Array,
    positive: Array,
    negative: Array,
    *,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: str = "mean",
) -> Array:
    """Triplet margin loss, ``torch.nn.functional.triplet_margin_loss``.

    .. math::
        \\ell_i = \\max\\bigl(0,\\; m + d(a_i, p_i) - d(a_i, n_i)\\bigr), \\qquad
        d(x, y) = \\lVert x - y + \\epsilon \\mathbf{1} \\rVert_p

    and with ``swap=True`` the anchor-negative distance is replaced by
    :math:`\\min\\bigl(d(a_i, n_i),\\, d(p_i, n_i)\\bigr)`.

    Parameters
    ----------
    anchor : array
        Embeddings :math:`a`, shape (N, D) or (D,), a real floating NumPy array or torch tensor.
    positive : array
        Embeddings of the same class as the anchor: same shape, type and dtype.
    negative : array
        Embeddings of another class: same shape, type and dtype.
    margin : float
        :math:`m > 0`, how much farther the negative must be than the positive. A margin
        <= 0 is refused, as PyTorch refuses it: with :math:`m \\le 0` a triplet whose negative
        is exactly as near as the positive already has zero loss, so nothing separates them.
    p : float
        The norm degree, > 0 (``math.inf`` for the max norm). PyTorch also accepts p <= 0,
        which is no distance (p = 0 counts non-zero components); lossbook refuses it.
    eps : float
        >= 0, added to every component of the difference before the norm, as PyTorch's
        ``pairwise_distance`` does. Negative eps is refused.
    swap : bool
        Use the distance swap of Balntas et al. (2016): the harder of the two negatives.
    reduction : {"none", "mean", "sum"}
        Per-triplet losses (shape (N,), or () for (D,) inputs), their mean or their sum.

    Returns
    -------
    array
        The loss, of ``anchor``'s type, dtype and device.

    Raises
    ------
    TypeError
        Non-floating inputs, different dtypes, non-bool swap, non-real margin/p/eps.
    ValueError
        Different shapes (mismatched embedding sizes), inputs that are not (N, D) or (D,),
        empty input, margin <= 0, p <= 0, eps < 0, unknown reduction.

    See Also
    --------
    triplet_margin_loss_grad : Its hand-derived gradient.
    margin_ranking_loss : The same hinge on two scores.
    08_margin_losses.ipynb : The notebook that derives it.

    Notes
    -----
    The distance is PyTorch's exactly, ``eps`` included: ``anchor - positive + eps`` is
    formed in the input's dtype and its p-norm taken along the last axis. The norm is
    computed as :math:`m\\,(\\sum_i (|v_i|/m)^p)^{1/p}` with :math:`m = \\max_i |v_i|`, so it
    neither overflows nor underflows where the norm itself is representable; PyTorch sums
    :math:`|v_i|^p` directly and returns ``inf`` for a float32 difference of 3e19 whose
    distance (4.2e19) fits easily. Elsewhere the two agree to rounding.

    The loss is zero for an *easy* triplet (:math:`d(a,n) > d(a,p) + m`) and so is its
    gradient: only *semi-hard* and *hard* triplets move the embedding. The subgradient at the
    kink :math:`m + d(a,p) - d(a,n) = 0` is the active one, as in PyTorch.

    Differentiating this forward with autograd (rather than using
    :func:`triplet_margin_loss_grad`) gives NaN for ``0 < p < 1`` when a component of a
    difference is exactly 0 (possible only with ``eps = 0``); PyTorch's norm backward masks it.

    NaN and infinities: a NaN gives NaN, as in PyTorch. An infinite component makes its
    distance infinite, and the loss is PyTorch's (0 for an infinitely far negative; the scaled
    norm gives inf, not the NaN of inf / inf). Its gradient, from
    :func:`triplet_margin_loss_grad`, is the limit (0 for that negative), where PyTorch's norm
    backward computes inf / inf = NaN.

    References
    ----------
    .. [1] F. Schroff, D. Kalenichenko, J. Philbin, "FaceNet: A Unified Embedding for Face
       Recognition and Clustering", CVPR 2015, arXiv:1503.03832.
    .. [2] V. Balntas, E. Riba, D. Ponsa, K. Mikolajczyk, "Learning local feature descriptors
       with triplets and shallow convolutional neural networks", BMVC 2016 (the swap).
    .. [3] PyTorch: ``torch.nn.functional.triplet_margin_loss``; ``triplet_margin_loss`` in
       ``aten/src/ATen/native/Loss.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> pos = np.array([[0.5, 0.0], [1.0, 2.0]])
    >>> neg = np.array([[1.0, 0.0], [3.0, 1.0]])
    >>> print(f"{float(triplet_margin_loss(a, pos, neg)):.6f}")
    0.250000
    """
    xp, margin, p, eps, swap = _triplet_check(anchor, positive, negative, margin, p, eps, swap,
                                              reduction)
    with quiet(anchor):
        *_, z = _triplet_parts(xp, anchor, positive, negative, margin, p, eps, swap)
        return reduce(_hinge(xp, z), reduction, xp=xp)


def triplet_margin_loss_grad(
    anchor: Array,
    positive: Array,
    negative: Array,
    *,
    grad_output: Array | None = None,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: str = "mean",
) -> Array:
    """Gradient of :func:`triplet_margin_loss` with respect to ``anchor``.

    .. math::
        \\frac{\\partial L}{\\partial a_i} = s\\,[z_i \\ge 0]\\,
        \\bigl(\\nabla\\lVert u_i\\rVert_p - w_i \\nabla\\lVert v_i\\rVert_p\\bigr),
        \\qquad (\\nabla \\lVert v\\rVert_p)_k = \\operatorname{sign}(v_k)
        \\Bigl(\\frac{|v_k|}{\\lVert v\\rVert_p}\\Bigr)^{p-1}

    Parameters
    ----------
    anchor, positive, negative, margin, p, eps, swap, reduction
        As in :func:`triplet_margin_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``anchor``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        Same shape, type and dtype as ``anchor``.

    See Also
    --------
    triplet_margin_loss : The loss.
    08_margin_losses.ipynb : The notebook that derives the gradient.

    Notes
    -----
    Derivation. With :math:`u = a - p + \\epsilon`, :math:`v = a - n + \\epsilon` and
    :math:`z = m + \\lVert u\\rVert_p - \\lVert v\\rVert_p`, the chain rule gives
    :math:`\\partial \\max(0,z)/\\partial a = [z \\ge 0]\\,(\\partial\\lVert u\\rVert/\\partial u
    - \\partial\\lVert v\\rVert/\\partial v)`, since :math:`\\partial u/\\partial a =
    \\partial v/\\partial a = I`. From :math:`\\lVert v\\rVert^p = \\sum_k |v_k|^p`,
    :math:`p\\lVert v\\rVert^{p-1}\\,\\partial\\lVert v\\rVert/\\partial v_k =
    p|v_k|^{p-1}\\operatorname{sign}(v_k)`, which is the formula above; p = 2 gives
    :math:`v/\\lVert v\\rVert`, p = 1 gives :math:`\\operatorname{sign}(v)`, p = inf gives
    :math:`\\operatorname{sign}(v_k)` shared equally among the components of largest
    :math:`|v_k|`. The ratio form never overflows.

    Subgradients, all as PyTorch's autograd chooses them: :math:`[z \\ge 0]` (active at the
    kink); 0 for a component :math:`v_k = 0` and for :math:`v = 0`; with ``swap``, the
    distance :math:`d(p, n)` does not depend on the anchor, so :math:`w_i = 1` where
    :math:`d(a,n) < d(p,n)`, 0 where it is larger, and 1/2 at a tie (``at::min``'s backward
    splits it). :math:`s` is ``grad_output`` (1 by default), divided by :math:`N` for "mean".
    An infinite component gives the limit of the norm's gradient,
    :math:`\\operatorname{sign}(v_k)` shared among the infinite components, and an inactive or
    NaN hinge (an anchor at :math:`\\pm\\infty` makes :math:`z = \\infty - \\infty`) gives 0:
    the gradient stays finite, where PyTorch's norm backward forms :math:`\\infty/\\infty`
    and returns NaN (also times a zero hinge slope).

    References
    ----------
    .. [1] F. Schroff, D. Kalenichenko, J. Philbin, "FaceNet: A Unified Embedding for Face
       Recognition and Clustering", CVPR 2015, arXiv:1503.03832.
    .. [2] V. Balntas, E. Riba, D. Ponsa, K. Mikolajczyk, "Learning local feature descriptors
       with triplets and shallow convolutional neural networks", BMVC 2016 (the swap).
    .. [3] PyTorch: ``torch.nn.functional.triplet_margin_loss``; ``triplet_margin_loss`` in
       ``aten/src/ATen/native/Loss.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> a, pos, neg = np.zeros((1, 2)), np.array([[3.0, 4.0]]), np.array([[0.0, 1.0]])
    >>> g = triplet_margin_loss_grad(a, pos, neg, eps=0.0)
    >>> print(f"{float(g[0, 0]):.6f}")
    -0.600000
    """
    xp, margin, p, eps, swap = _triplet_check(anchor, positive, negative, margin, p, eps, swap,
                                              reduction, grad_output)
    with quiet(anchor):
        v_pos, v_neg, d_pos, d_neg_raw, weight, z = _triplet_parts(
            xp, anchor, positive, negative, margin, p, eps, swap
        )
        if swap:  # the gradient needs the anchor-negative norm itself, not the minimum
            d_neg_raw = _pnorm(xp, v_neg, p)
        g_neg = _pnorm_grad(xp, v_neg, d_neg_raw, p)
        if weight is not None:
            g_neg = weight[..., None] * g_neg
        g = _pnorm_grad(xp, v_pos, d_pos, p) - g_neg
        active = xp.astype(z >= 0, anchor.dtype)
        upstream = reduce_grad(z.shape, reduction, grad_output, like=anchor, like_name="anchor",
                               xp=xp)
        return g * (active * upstream)[..., None]


# --- margin ranking loss ----------------------------------------------------------------------


def _ranking_check(
    input1: Array, input2: Array, target: Array, margin: Any, reduction: str, validate: Any,
    grad_output: Array | None = None,
) -> tuple[Any, Array, float]:
    """The checks of the margin ranking loss; returns the namespace, the labels and margin."""
    xp = _floats(grad_output, input1=input1, input2=input2, target=target)
    check_reduction(reduction)
    check_same_shape(input1, input2, ("input1", "input2"))
    check_same_shape(input1, target, ("input1", "target"))
    check_non_empty(input1, "input1")
    margin = check_non_negative(margin, "margin")
    return xp, _check_labels(xp, target, input1, validate, "input1"), margin


def margin_ranking_loss(
    input1: Array,
    input2: Array,
    target: Array,
    *,
    margin: float = 0.0,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Margin ranking loss, ``torch.nn.functional.margin_ranking_loss``.

    .. math::
        \\ell_i = \\max\\bigl(0,\\; -y_i\\,(x_{1,i} - x_{2,i}) + m\\bigr), \\qquad y_i \\in \\{-1, 1\\}

    Parameters
    ----------
    input1, input2 : array
        Scores :math:`x_1, x_2`, one shape, real floating, one dtype.
    target : array
        :math:`y`, the same shape: 1 where ``input1`` should rank higher, -1 where ``input2``
        should. Floats or ints.
    margin : float
        :math:`m \\ge 0`, by how much the right score must lead. PyTorch accepts a negative
        margin; lossbook refuses it as meaningless: it gives zero loss to pairs in the wrong
        order (by less than :math:`|m|`).
    reduction : {"none", "mean", "sum"}
        Per-pair losses, their mean or their sum.
    validate : bool
        Check that ``target`` holds only -1 and 1 (a pass over the data).

    Returns
    -------
    array
        The loss, of ``input1``'s type, dtype and device.

    Raises
    ------
    TypeError
        Non-floating scores, different dtypes, a boolean or complex target.
    ValueError
        Different shapes (no broadcasting), empty input, labels outside {-1, 1}, negative
        margin, unknown reduction.

    See Also
    --------
    margin_ranking_loss_grad : Its hand-derived gradient.
    hinge_embedding_loss : The hinge on one distance.
    08_margin_losses.ipynb : The notebook that derives it.

    Notes
    -----
    A pair contributes nothing once the right score leads by the margin. With margin 0 the
    loss is zero for every correctly ordered pair, however close: the default gives no push
    to separate them further. PyTorch broadcasts inputs of the same number of dimensions;
    lossbook requires one shape.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.margin_ranking_loss``; ``margin_ranking_loss`` in
       ``aten/src/ATen/native/Loss.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> x1, x2 = np.array([0.8, 0.1, 0.5]), np.array([0.3, 0.4, 0.6])
    >>> y = np.array([1.0, 1.0, -1.0])
    >>> print(f"{float(margin_ranking_loss(x1, x2, y, margin=0.2)):.6f}")
    0.200000
    """
    xp, y, margin = _ranking_check(input1, input2, target, margin, reduction, validate)
    with quiet(input1):
        z = -y * (input1 - input2) + margin
        return reduce(_hinge(xp, z), reduction, xp=xp)


def margin_ranking_loss_grad(
    input1: Array,
    input2: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    margin: float = 0.0,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Gradient of :func:`margin_ranking_loss` with respect to ``input1``.

    .. math::
        \\frac{\\partial L}{\\partial x_{1,i}} = -y_i\\,[z_i \\ge 0]\\, s, \\qquad
        z_i = -y_i (x_{1,i} - x_{2,i}) + m

    Parameters
    ----------
    input1, input2, target, margin, reduction, validate
        As in :func:`margin_ranking_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input1``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        Same shape, type and dtype as ``input1``.

    See Also
    --------
    margin_ranking_loss : The loss.
    08_margin_losses.ipynb : The notebook that derives the gradient.

    Notes
    -----
    :math:`\\partial z_i/\\partial x_{1,i} = -y_i` and :math:`\\max(0, z)` has slope
    :math:`[z > 0]`; at the kink :math:`z = 0` PyTorch's autograd takes slope 1 (its
    ``clamp_min`` backward tests :math:`z \\ge 0`), and so does lossbook. With margin 0 the
    kink is every tie :math:`x_1 = x_2`. :math:`s` is ``grad_output`` (1 by default), divided by :math:`n` for "mean".

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.margin_ranking_loss``; ``margin_ranking_loss`` in
       ``aten/src/ATen/native/Loss.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> g = margin_ranking_loss_grad(np.array([0.0]), np.array([1.0]), np.array([1.0]))
    >>> print(f"{float(g[0]):.6f}")
    -1.000000
    """
    xp, y, margin = _ranking_check(input1, input2, target, margin, reduction, validate,
                                   grad_output)
    with quiet(input1):
        z = -y * (input1 - input2) + margin
    upstream = reduce_grad(z.shape, reduction, grad_output, like=input1, like_name="input1",
                           xp=xp)
    return -y * xp.astype(z >= 0, input1.dtype) * upstream


# --- hinge embedding loss ---------------------------------------------------------------------


def _hinge_check(
    input: Array, target: Array, margin: Any, reduction: str, validate: Any,
    grad_output: Array | None = None,
) -> tuple[Any, Array, float]:
    """The checks of the hinge embedding loss; returns the namespace, the labels and margin."""
    xp = _floats(grad_output, input=input, target=target)
    check_reduction(reduction)
    check_same_shape(input, target)
    check_non_empty(input, "input")
    margin = check_non_negative(margin, "margin")
    return xp, _check_labels(xp, target, input, validate), margin


def hinge_embedding_loss(
    input: Array,
    target: Array,
    *,
    margin: float = 1.0,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Hinge embedding loss, ``torch.nn.functional.hinge_embedding_loss``.

    .. math::
        \\ell_i = \\begin{cases} x_i & y_i = 1 \\\\ \\max(0,\\; m - x_i) & y_i = -1 \\end{cases}

    Parameters
    ----------
    input : array
        :math:`x`, usually a distance between two embeddings (>= 0), any shape.
    target : array
        :math:`y`, the same shape: 1 for a similar pair (pull the distance to 0), -1 for a
        dissimilar one (push it beyond the margin). Floats or ints.
    margin : float
        :math:`m \\ge 0`. PyTorch accepts a negative margin; lossbook refuses it as
        meaningless: for distances :math:`x \\ge 0` the dissimilar term would always be 0.
    reduction : {"none", "mean", "sum"}
        Per-element losses, their mean or their sum.
    validate : bool
        Check that ``target`` holds only -1 and 1.

    Returns
    -------
    array
        The loss, of ``input``'s type, dtype and device.

    Raises
    ------
    TypeError
        Non-floating input, a boolean or complex target.
    ValueError
        Different shapes, empty input, labels outside {-1, 1}, negative margin, unknown
        reduction.

    See Also
    --------
    hinge_embedding_loss_grad : Its hand-derived gradient.
    cosine_embedding_loss : The same on a cosine.
    08_margin_losses.ipynb : The notebook that derives it.

    Notes
    -----
    Computed as PyTorch does: ``where(y != 1, max(0, m - x), 0) + where(y != -1, x, 0)``,
    so with ``validate=False`` a label other than -1 and 1 gets both terms, as in PyTorch. The
    hinge is PyTorch's ``clamp_min``: a NaN input gives a NaN loss whose gradient through the
    hinge is 0 (the slope is :math:`[m - x \\ge 0]`), here and in autograd alike.
    The similar-pair term is linear in :math:`x` with no hinge: it keeps pulling until the
    distance is 0.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.hinge_embedding_loss``; ``hinge_embedding_loss`` in
       ``aten/src/ATen/native/Loss.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.array([0.3, 0.4, 1.5]), np.array([1.0, -1.0, -1.0])
    >>> print(f"{float(hinge_embedding_loss(x, y)):.6f}")
    0.300000
    """
    xp, y, margin = _hinge_check(input, target, margin, reduction, validate)
    zeros = xp.zeros_like(input)
    with quiet(input):
        loss = xp.where(y != 1, _hinge(xp, margin - input), zeros) + xp.where(y != -1, input, zeros)
        return reduce(loss, reduction, xp=xp)


def hinge_embedding_loss_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    margin: float = 1.0,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Gradient of :func:`hinge_embedding_loss` with respect to ``input``.

    .. math::
        \\frac{\\partial L}{\\partial x_i} = s \\begin{cases} 1 & y_i = 1 \\\\
        -[m - x_i \\ge 0] & y_i = -1 \\end{cases}

    Parameters
    ----------
    input, target, margin, reduction, validate
        As in :func:`hinge_embedding_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        Same shape, type and dtype as ``input``.

    See Also
    --------
    hinge_embedding_loss : The loss.
    08_margin_losses.ipynb : The notebook that derives the gradient.

    Notes
    -----
    :math:`d x/dx = 1` and :math:`d\\max(0, m - x)/dx = -[m - x > 0]`; at the kink
    :math:`x = m` the slope is -1, the subgradient PyTorch's autograd takes. A label that is
    neither 1 nor -1 (only with ``validate=False``) gets both terms, as in the forward.
    :math:`s` is ``grad_output`` (1 by default), divided by :math:`n` for "mean".

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.hinge_embedding_loss``; ``hinge_embedding_loss`` in
       ``aten/src/ATen/native/Loss.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> g = hinge_embedding_loss_grad(np.array([1.0, 0.5]), np.array([-1.0, 1.0]), reduction="sum")
    >>> print(f"{float(g[0]):.6f}")
    -1.000000
    """
    xp, y, margin = _hinge_check(input, target, margin, reduction, validate, grad_output)
    zeros = xp.zeros_like(input)
    ones = xp.ones_like(input)
    active = xp.astype(margin - input >= 0, input.dtype)
    g = xp.where(y != 1, -active, zeros) + xp.where(y != -1, ones, zeros)
    return g * reduce_grad(input.shape, reduction, grad_output, like=input, xp=xp)


# --- cosine embedding loss --------------------------------------------------------------------


def _cosine_check(
    input1: Array, input2: Array, target: Array, margin: Any, reduction: str, validate: Any,
    grad_output: Array | None = None,
) -> tuple[Any, Array, float]:
    """The checks of the cosine embedding loss; returns the namespace, the labels and margin."""
    xp = _floats(grad_output, input1=input1, input2=input2, target=target)
    check_reduction(reduction)
    _embedding_shapes(("input1", "input2"), input1, input2)
    if tuple(target.shape) != tuple(input1.shape[:-1]):
        raise ValueError(
            f"target must hold one label per pair, shape {shape_str(input1[..., 0])} for "
            f"input1 {shape_str(input1)}; got target {shape_str(target)}"
        )
    m = check_option(margin, "margin", float)
    if not -1 <= m <= 1:
        raise ValueError(
            f"margin must be within [-1, 1] (a cosine similarity); got {margin!r}"
        )
    return xp, _check_labels(xp, target, input1, validate, "input1"), m


class _CosineParts(NamedTuple):
    """PyTorch's cosine of each pair, computed on the pair scaled by powers of two."""

    cos: Array
    one_minus_cos: Array  # without cancellation
    diff: Array  # u2 / |u2| - u1 / |u1| (eps included), from the exact difference u2 - u1
    u1: Array  # input1 / scale1
    u2: Array  # input2 / scale2
    norm1: Array  # sqrt(|u1|^2 + eps / scale1^2)
    norm2: Array
    scale1: Array  # the power of two per pair (1 unless a component exceeds 2^100)


def _exponent(xp: Any, x: Array) -> Array:
    """floor(log2(max_i |x_i|)) per row (0 for a zero row, inf or NaN for a non-finite one)."""
    big = xp.max(xp.abs(x), axis=-1)
    return xp.floor(xp.log2(xp.where(big > 0, big, xp.ones_like(big))))


def _cosine_parts(xp: Any, input1: Array, input2: Array) -> _CosineParts:
    """PyTorch's cosine with its eps; 1 - cos without cancellation; v - u; the norms.

    With a = sqrt(|x1|^2 + eps), b = sqrt(|x2|^2 + eps), u = x1 / a and v = x2 / b:
    1 - cos = |v - u|^2 / 2 + (eps / a^2 + eps / b^2) / 2 (cosine_embedding_loss Notes).
    v - u is formed from the exact-as-possible difference w = x2 - x1, divided by the larger
    norm, plus the shorter vector times 1/b - 1/a = (a^2 - b^2) / (a b (a + b)).

    A vector with a component above 2^100 is first divided by a power of two s (exact) that
    brings its largest component to about 2^100, and its eps by s^2: the cosine is the same
    number, and no square or product of three norms overflows (as the triplet loss scales its
    norms). The two vectors of a pair share one s where their largest components are within a
    factor of 4 (so w stays the exact difference of two close vectors); otherwise each has its
    own, so a short vector is not scaled into underflow by a long one. Every other vector has
    s = 1 and is computed as it is.
    """
    e1, e2 = _exponent(xp, input1), _exponent(xp, input2)
    zero = xp.zeros_like(e1)
    s1, s2 = xp.maximum(e1 - 100, zero), xp.maximum(e2 - 100, zero)
    shared = xp.maximum(s1, s2)
    close = xp.abs(e1 - e2) <= 1
    # constants in autograd
    scale1 = _detach(2.0 ** xp.where(close, shared, s1))
    scale2 = _detach(2.0 ** xp.where(close, shared, s2))
    eps1 = COSINE_EPS / scale1 / scale1
    eps2 = COSINE_EPS / scale2 / scale2
    u1, u2 = input1 / scale1[..., None], input2 / scale2[..., None]
    sq1 = xp.sum(u1 * u1, axis=-1) + eps1
    sq2 = xp.sum(u2 * u2, axis=-1) + eps2
    norm1, norm2 = xp.sqrt(sq1), xp.sqrt(sq2)
    cos = xp.sum(u1 * u2, axis=-1) / (norm1 * norm2)
    w = u2 - u1
    # 1/b - 1/a = (a^2 - b^2) / (a b (a + b)), a^2 - b^2 = -<w, u1 + u2> + eps1 - eps2 (the eps
    # terms cancel exactly where the pair shares its scale)
    inv_diff = (-xp.sum(w * (u1 + u2), axis=-1) + (eps1 - eps2)) / (
        norm1 * norm2 * (norm1 + norm2))
    longer2 = norm2 >= norm1
    # v - u = w / b + x1 (1/b - 1/a) = w / a + x2 (1/b - 1/a): divide w by the larger norm
    diff = (w / xp.where(longer2, norm2, norm1)[..., None]
            + xp.where(longer2[..., None], u1, u2) * inv_diff[..., None])
    one_minus_cos = (xp.sum(diff * diff, axis=-1) + (eps1 / sq1 + eps2 / sq2)) / 2
    return _CosineParts(cos, one_minus_cos, diff, u1, u2, norm1, norm2, scale1)


def cosine_embedding_loss(
    input1: Array,
    input2: Array,
    target: Array,
    *,
    margin: float = 0.0,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Cosine embedding loss, ``torch.nn.functional.cosine_embedding_loss``.

    .. math::
        \\ell_i = \\begin{cases} 1 - \\cos(x_{1,i}, x_{2,i}) & y_i = 1 \\\\
        \\max\\bigl(0,\\; \\cos(x_{1,i}, x_{2,i}) - m\\bigr) & y_i = -1 \\end{cases}, \\qquad
        \\cos(u, v) = \\frac{\\langle u, v\\rangle}
        {\\sqrt{\\lVert u\\rVert^2 + \\epsilon}\\,\\sqrt{\\lVert v\\rVert^2 + \\epsilon}}

    with :math:`1 - \\cos` computed as :math:`\\tfrac12 \\lVert u/\\alpha - v/\\beta\\rVert^2 +
    \\tfrac12 (\\epsilon/\\alpha^2 + \\epsilon/\\beta^2)`, :math:`\\alpha^2 = \\lVert u\\rVert^2 +
    \\epsilon`, :math:`\\beta^2 = \\lVert v\\rVert^2 + \\epsilon` (Notes: no cancellation).

    Parameters
    ----------
    input1, input2 : array
        Embeddings, shape (N, D) or (D,), one shape, real floating, one dtype.
    target : array
        :math:`y`, shape (N,) (or () for (D,) inputs): 1 for a similar pair, -1 for a
        dissimilar one. Floats or ints.
    margin : float
        :math:`m \\in [-1, 1]`: dissimilar pairs are pushed until their cosine is at most
        :math:`m`. A negative margin is meaningful here (push towards opposite directions);
        outside [-1, 1] it is not (the hinge would be always or never active), so lossbook
        refuses it, though PyTorch does not.
    reduction : {"none", "mean", "sum"}
        Per-pair losses, their mean or their sum.
    validate : bool
        Check that ``target`` holds only -1 and 1.

    Returns
    -------
    array
        The loss, of ``input1``'s type, dtype and device.

    Raises
    ------
    TypeError
        Non-floating inputs, different dtypes, a boolean or complex target.
    ValueError
        Different shapes (mismatched embedding sizes), inputs not (N, D) or (D,), a target
        of the wrong shape, empty input, labels outside {-1, 1}, margin outside [-1, 1],
        unknown reduction.

    See Also
    --------
    cosine_embedding_loss_grad : Its hand-derived gradient.
    hinge_embedding_loss : The same on a distance.
    08_margin_losses.ipynb : The notebook that derives it.

    Notes
    -----
    PyTorch's eps handling, reproduced exactly: its ``EPSILON`` (1e-12 in Loss.cpp) is added
    to each squared norm as the float32 number 9.999999960041972e-13, in float64 too (the
    difference shows in the tenth digit of the cosine of vectors of norm 1e-7, and in the
    gradient at a zero vector); in float32 it is lost next to a norm of order 1. It keeps a
    zero vector finite: its cosine is 0. PyTorch takes the square root of the
    *product* of the two regularised squared norms, which overflows in float32 once
    :math:`\\lVert u\\rVert\\lVert v\\rVert` passes 1.8e19 (two embeddings of norm 1e10 get
    cosine 0 instead of 1); lossbook multiplies the two square roots, equal up to rounding
    and free of that overflow. A vector with a component above :math:`2^{100}` is first
    divided by a power of two (exactly) and its eps by its square, which is the same cosine:
    above about 1.3e154 in float64 PyTorch's squared norms overflow (its cosine becomes NaN or
    0, its gradient NaN), while lossbook's cosine stays right up to the largest float.

    *1 - cos without cancellation.* For a similar pair, ``1 - cos`` after rounding ``cos`` keeps
    only about 1e-16 / loss of relative accuracy (PyTorch's form: 4 digits at a loss of
    1e-12, none below 1e-16). With :math:`\\hat u = u/\\alpha`, :math:`\\hat v = v/\\beta`,
    :math:`\\lVert\\hat u\\rVert^2 = \\lVert u\\rVert^2/\\alpha^2 = 1 - \\epsilon/\\alpha^2` and
    likewise for :math:`\\hat v`, so

    .. math::
        \\lVert \\hat u - \\hat v\\rVert^2 = \\lVert\\hat u\\rVert^2 + \\lVert\\hat v\\rVert^2
        - 2\\cos = 2 - \\frac{\\epsilon}{\\alpha^2} - \\frac{\\epsilon}{\\beta^2} - 2\\cos
        \\;\\Longrightarrow\\;
        1 - \\cos = \\tfrac12 \\lVert \\hat u - \\hat v\\rVert^2
        + \\tfrac12 \\Bigl(\\frac{\\epsilon}{\\alpha^2} + \\frac{\\epsilon}{\\beta^2}\\Bigr),

    exactly (PyTorch's eps included): a sum of non-negative terms. The difference
    :math:`\\hat v - \\hat u` itself is not formed from the rounded unit vectors (their
    rounding errors, 1e-16 each, would dominate a difference of 1e-6) but from
    :math:`w = v - u`, exact when the two are close: with :math:`\\alpha \\ge \\beta` (swap
    the roles otherwise)

    .. math::
        \\hat v - \\hat u = \\frac{w}{\\alpha} + v\\Bigl(\\frac1\\beta - \\frac1\\alpha\\Bigr),
        \\qquad \\frac1\\beta - \\frac1\\alpha = \\frac{\\alpha^2 - \\beta^2}{\\alpha\\beta(\\alpha+\\beta)}
        = \\frac{-\\langle w, u + v\\rangle}{\\alpha\\beta(\\alpha+\\beta)},

    where the eps cancels exactly in :math:`\\alpha^2 - \\beta^2`, and dividing by the larger
    norm keeps both terms no larger than the unit vectors. For a nearly parallel pair
    :math:`v = u + \\delta` the loss then keeps full relative accuracy down to the eps
    terms (tests/test_margin.py, against mpmath). A pair that is parallel only up to a
    scale, :math:`v \\approx c\\,u` with :math:`c` far from 1, has no exact difference to
    start from: its angle is as uncertain as the rounding of the inputs allows (relative
    error about 1e-16 / angle), in every float64 algorithm. For a dissimilar pair the loss
    :math:`\\max(0, \\cos - m)` uses the cosine itself, accurate to 1e-16 absolute.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.cosine_embedding_loss``; ``cosine_embedding_loss`` in
       ``aten/src/ATen/native/Loss.cpp`` (its EPSILON).

    Examples
    --------
    >>> import numpy as np
    >>> x1 = np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> x2 = np.array([[1.0, 1.0], [1.0, 0.0]])
    >>> print(f"{float(cosine_embedding_loss(x1, x2, np.array([1.0, -1.0]))):.6f}")
    0.500000
    """
    xp, y, margin = _cosine_check(input1, input2, target, margin, reduction, validate)
    with quiet(input1):
        c = _cosine_parts(xp, input1, input2)
        zeros = xp.zeros_like(c.cos)
        loss = (xp.where(y == 1, c.one_minus_cos, zeros)
                + xp.where(y == -1, _hinge(xp, c.cos - margin), zeros))
        return reduce(loss, reduction, xp=xp)


def cosine_embedding_loss_grad(
    input1: Array,
    input2: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    margin: float = 0.0,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Gradient of :func:`cosine_embedding_loss` with respect to ``input1``.

    .. math::
        \\frac{\\partial \\cos}{\\partial u} = \\frac{v}{\\alpha\\beta}
        - \\cos(u, v)\\,\\frac{u}{\\alpha^2}, \\qquad
        \\alpha = \\sqrt{\\lVert u\\rVert^2 + \\epsilon},\\; \\beta = \\sqrt{\\lVert v\\rVert^2 + \\epsilon}

    Parameters
    ----------
    input1, input2, target, margin, reduction, validate
        As in :func:`cosine_embedding_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input1``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        Same shape, type and dtype as ``input1``.

    See Also
    --------
    cosine_embedding_loss : The loss.
    08_margin_losses.ipynb : The notebook that derives the gradient.

    Notes
    -----
    Derivation: :math:`\\cos = \\langle u, v\\rangle/(\\alpha\\beta)` and
    :math:`\\partial\\alpha/\\partial u = u/\\alpha`, so by the quotient rule
    :math:`\\partial\\cos/\\partial u = v/(\\alpha\\beta) - \\langle u,v\\rangle
    u/(\\alpha^3\\beta)`, the formula above. It equals :math:`(\\hat v - \\cos\\,\\hat u)/\\alpha`,
    two nearly equal vectors when :math:`\\cos` is near 1; there (:math:`\\cos > 1/2`) it is
    computed as :math:`\\bigl((\\hat v - \\hat u) + (1 - \\cos)\\,\\hat u\\bigr)/\\alpha` from
    the stable :math:`\\hat v - \\hat u` and :math:`1 - \\cos` of
    :func:`cosine_embedding_loss`, which keeps the gradient of a nearly parallel pair
    accurate (PyTorch's autograd loses digits there; at :math:`u = v = (1, 1)` its
    gradient is wrong in the fourth digit). Elsewhere the direct form is used (it is exactly
    0 along a vector orthogonal to :math:`v`). The loss's gradient is
    :math:`-\\partial\\cos/\\partial u` for :math:`y = 1` and
    :math:`[\\cos - m \\ge 0]\\,\\partial\\cos/\\partial u` for :math:`y = -1`: at the kink
    :math:`\\cos = m` the hinge is taken as active, as PyTorch's autograd does. The eps keeps
    it finite at :math:`u = 0` (there it is :math:`v/(10^{-6}\\beta)`, large but finite, as
    in PyTorch). Each row is multiplied by :math:`s` is ``grad_output`` (1 by default), divided by :math:`N` for "mean".

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.cosine_embedding_loss``; ``cosine_embedding_loss`` in
       ``aten/src/ATen/native/Loss.cpp`` (its EPSILON).

    Examples
    --------
    >>> import numpy as np
    >>> g = cosine_embedding_loss_grad(np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array(-1.0))
    >>> print(f"{float(g[1]):.6f}")
    1.000000
    """
    xp, y, margin = _cosine_check(input1, input2, target, margin, reduction, validate,
                                  grad_output)
    with quiet(input1):
        c = _cosine_parts(xp, input1, input2)
        cos, a, u1 = c.cos, c.norm1[..., None], c.u1
        # d cos/du = v / (a b) - cos u / a^2 = (v - cos u) / a: two nearly equal terms when cos
        # is near 1, so there it is ((v - u) + (1 - cos) u) / a from the stable parts (Notes)
        near = (c.diff + c.one_minus_cos[..., None] * (u1 / a)) / a
        direct = c.u2 / (c.norm1 * c.norm2)[..., None] - (
            cos / (c.norm1 * c.norm1))[..., None] * u1
        # d/d input1 = (d/d u1) / scale1
        dcos = xp.where((cos > 0.5)[..., None], near, direct) / c.scale1[..., None]
        zeros = xp.zeros_like(input1)
        active = xp.astype(cos - margin >= 0, input1.dtype)[..., None]
        grad = (xp.where((y == 1)[..., None], -dcos, zeros)
                + xp.where((y == -1)[..., None], active * dcos, zeros))
    return grad * reduce_grad(cos.shape, reduction, grad_output, like=input1, like_name="input1",
                              expand=-1, xp=xp)

