"""Overlap losses for segmentation: soft Dice, soft Jaccard (IoU) and Tversky.

PyTorch has none of them; the reference definition followed here is MONAI's ``DiceLoss`` and
``TverskyLoss`` (``monai.losses.dice`` and ``monai.losses.tversky``, MONAI 1.6), with the same
argument names and defaults, so a model trained with one trains the same with the other. The
few places where lossbook differs on purpose are listed in each function's Notes and tested.

Every function takes ``input`` of shape ``(N, C, *spatial)`` (probabilities, or logits with
``sigmoid=True`` / ``softmax=True``) and ``target`` of the same shape (one-hot or soft masks in
[0, 1]), or with ``to_onehot_y=True`` integer class indices of shape ``(N, 1, *spatial)``.
The overlap is pooled over the spatial axes of each sample and channel (``batch=False``) or
over the batch too (``batch=True``), giving one loss per (sample, class) or per class.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from lossbook._array import (
    Array,
    check_float,
    check_integer,
    class_mask,
    dtype_name,
    namespace,
    quiet,
)
from lossbook._reduction import check_reduction, reduce, reduce_grad
from lossbook._validation import (
    check_class_indices,
    check_non_empty,
    check_non_negative,
    check_option,
    check_probabilities,
    check_same_shape,
    shape_str,
)
from lossbook.primitives import _sigmoid_pair, _softmax

__all__ = [
    "dice_loss",
    "dice_loss_grad",
    "jaccard_loss",
    "jaccard_loss_grad",
    "tversky_loss",
    "tversky_loss_grad",
]


# --- shared preparation ------------------------------------------------------------------------


class _Prepared(NamedTuple):
    """The checked options, the probabilities and the target that the overlap sums need."""

    xp: Any
    p_full: Array  # the probabilities of every channel
    p: Array  # the probabilities of the channels that count
    t: Array  # the target of the channels that count, in the input's dtype
    axes: tuple[int, ...]  # the axes summed over
    sigmoid_neg: Array | None  # sigmoid(-input) with sigmoid=True (for the chain rule)
    include_background: bool
    softmax: bool
    batch: bool
    smooth_nr: float
    smooth_dr: float


def _check_masks(xp: Any, input: Array, target: Array, *, include_background: bool,
                 to_onehot_y: bool, sigmoid: bool, softmax: bool, validate: bool) -> int:
    """The checks of input and target that every overlap loss and its module share: shapes, the
    options against the number of channels, the target's kind; the values too if ``validate``.
    Returns the number of channels C."""
    if input.ndim < 3:
        raise ValueError(
            "input must have shape (N, C, *spatial) with at least one spatial axis; "
            f"got shape {shape_str(input)}"
        )
    n_classes = int(input.shape[1])
    if sigmoid and softmax:
        raise ValueError(
            "sigmoid and softmax cannot both be True; choose one activation for logits, "
            "or neither for probabilities"
        )
    if softmax and n_classes == 1:
        raise ValueError(
            "softmax=True needs input with at least 2 channels (one per class); got shape "
            f"{shape_str(input)} with 1 channel (use sigmoid=True for one foreground channel)"
        )
    if not include_background and n_classes == 1:
        raise ValueError(
            "include_background=False needs input with at least 2 channels (channel 0 is the "
            f"background that is dropped); got shape {shape_str(input)} with 1 channel"
        )
    if to_onehot_y:
        if n_classes == 1:
            raise ValueError(
                "to_onehot_y=True needs input with at least 2 channels (one per class); got "
                f"shape {shape_str(input)} with 1 channel (pass the binary mask as a float target)"
            )
        expected = (int(input.shape[0]), 1, *(int(d) for d in input.shape[2:]))
        if tuple(int(d) for d in target.shape) != expected:
            raise ValueError(
                "with to_onehot_y=True, target must hold class indices of shape (N, 1, *spatial) = "
                f"{expected} for input {shape_str(input)}; got target {shape_str(target)}"
            )
        check_integer(xp, target, "target", "integer class indices (with to_onehot_y=True)")
        if validate:
            check_class_indices(xp, target, n_classes, name="target")
    else:
        check_same_shape(input, target)
        if not xp.isdtype(target.dtype, "real floating"):
            raise TypeError(
                "target must have a real floating dtype (one-hot or soft masks in [0, 1]); got "
                f"{dtype_name(target)} (cast a 0/1 mask to float, or pass class indices of shape "
                "(N, 1, *spatial) with to_onehot_y=True)"
            )
        check_float(xp, target, "target", like=input)
        if validate:
            check_probabilities(xp, target, "target")
    if validate and not (sigmoid or softmax):
        check_probabilities(xp, input, "input")
    return n_classes


def _prepare(
    input: Array,
    target: Array,
    *,
    include_background: Any,
    to_onehot_y: Any,
    sigmoid: Any,
    softmax: Any,
    smooth_nr: Any,
    smooth_dr: Any,
    reduction: str,
    batch: Any,
    validate: Any,
    grad_output: Array | None = None,
) -> _Prepared:
    """Check everything, apply the activation, one-hot the target, drop the background."""
    xp = namespace(input=input, target=target, grad_output=grad_output)
    check_reduction(reduction)
    check_float(xp, input, "input")
    check_non_empty(input, "input")
    smooth_nr = check_non_negative(smooth_nr, "smooth_nr")
    smooth_dr = check_non_negative(smooth_dr, "smooth_dr")
    include_background = check_option(include_background, "include_background", bool)
    to_onehot_y = check_option(to_onehot_y, "to_onehot_y", bool)
    sigmoid = check_option(sigmoid, "sigmoid", bool)
    softmax = check_option(softmax, "softmax", bool)
    batch = check_option(batch, "batch", bool)
    validate = check_option(validate, "validate", bool)
    n_classes = _check_masks(xp, input, target, include_background=include_background,
                             to_onehot_y=to_onehot_y, sigmoid=sigmoid, softmax=softmax,
                             validate=validate)
    if to_onehot_y:
        selected, _ = class_mask(xp, target[:, 0, ...], n_classes, 1)
        t = xp.astype(selected, input.dtype)
    else:
        t = target
    sigmoid_neg = None
    if sigmoid:
        p_full, sigmoid_neg = _sigmoid_pair(xp, input)
    elif softmax:
        with quiet(input):
            p_full = _softmax(xp, input, 1)
    else:
        p_full = input
    p = p_full
    if not include_background:
        p, t = p_full[:, 1:, ...], t[:, 1:, ...]
    axes = tuple(range(2, input.ndim))
    if batch:
        axes = (0, *axes)
    return _Prepared(xp, p_full, p, t, axes, sigmoid_neg, include_background, softmax, batch,
                     smooth_nr, smooth_dr)


def _per_class(xp: Any, loss: Array, batch: bool) -> Array:
    """(N, C, 1, ...) -> (N, C), or (1, C, 1, ...) -> (C,) with batch pooling."""
    if batch:
        return xp.reshape(loss, (int(loss.shape[1]),))
    return xp.reshape(loss, (int(loss.shape[0]), int(loss.shape[1])))


def _upstream(
    c: _Prepared, score: Array, reduction: str, grad_output: Array | None, input: Array
) -> Array | float:
    """What each (sample, class) loss receives from the reduction, shaped to broadcast like
    ``score`` (the sums keep their reduced axes)."""
    xp = c.xp
    g = reduce_grad(_per_class(xp, score, c.batch).shape, reduction, grad_output, like=input,
                    xp=xp)
    if reduction == "none" and grad_output is not None:
        return xp.reshape(g, tuple(score.shape))
    return g


def _backward(c: _Prepared, dp: Array) -> Array:
    """Chain rule from d(loss)/d(p) of the counted channels to d(loss)/d(input)."""
    xp = c.xp
    if not c.include_background:
        dp = xp.concat([xp.zeros_like(dp[:, :1, ...]), dp], axis=1)
    if c.sigmoid_neg is not None:
        # sigma'(x) = sigma(x) sigma(-x), both from one stable evaluation
        return dp * (c.p_full * c.sigmoid_neg)
    if c.softmax:
        # Jacobian-vector product of softmax along the channel axis
        return c.p_full * (dp - xp.sum(c.p_full * dp, axis=1, keepdims=True))
    return dp


def _sums(xp: Any, p: Array, t: Array, axes: tuple[int, ...], squared: bool):
    """The intersection I = sum p t and the mismatch M, both sums of non-negative terms.

    M = sum p (1 - t) + (1 - p) t = FP + FN (``squared=False``) or sum (p - t)^2
    (``squared=True``): the amount by which the Dice denominator exceeds 2 I,
    sum p^k + sum t^k = 2 I + M, computed directly instead of as a difference.
    """
    inter = xp.sum(p * t, axis=axes, keepdims=True)
    if squared:
        diff = p - t
        return inter, xp.sum(diff * diff, axis=axes, keepdims=True)
    return inter, xp.sum(p * (1 - t) + (1 - p) * t, axis=axes, keepdims=True)


# --- Dice ----------------------------------------------------------------------------------------


def dice_loss(
    input: Array,
    target: Array,
    *,
    include_background: bool = True,
    to_onehot_y: bool = False,
    sigmoid: bool = False,
    softmax: bool = False,
    squared_pred: bool = False,
    smooth_nr: float = 1e-5,
    smooth_dr: float = 1e-5,
    batch: bool = False,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Soft Dice loss, one minus the soft Dice coefficient, as MONAI's ``DiceLoss``.

    .. math::
        \\ell_{nc} = 1 - \\frac{2 \\sum_i p_{nci}\\, t_{nci} + s_{nr}}
                              {\\sum_i p_{nci}^{k} + \\sum_i t_{nci}^{k} + s_{dr}}
                 = \\frac{M + (s_{dr} - s_{nr})}{2I + M + s_{dr}},
        \\qquad k = 2 \\text{ if squared\\_pred else } 1

    with :math:`I = \\sum_i p_i t_i` and the mismatch :math:`M = \\sum_i p_i (1 - t_i) +
    (1 - p_i) t_i = FP + FN` (or :math:`M = \\sum_i (p_i - t_i)^2` with ``squared_pred``);
    the right-hand form is the one computed (Notes: no cancellation).

    where ``i`` runs over the spatial positions (and over the batch too with ``batch=True``),
    ``p`` are the probabilities (``input`` itself, or its sigmoid / softmax) and ``t`` the target.

    Parameters
    ----------
    input : array, shape (N, C, *spatial)
        Probabilities in [0, 1], or logits with ``sigmoid=True`` / ``softmax=True``.
    target : array
        One-hot or soft masks in [0, 1] of the shape of ``input`` (floating dtype), or with
        ``to_onehot_y=True`` integer class indices of shape ``(N, 1, *spatial)``.
    include_background : bool
        If False, channel 0 (the background) is left out of the loss (MONAI's default True).
        With ``softmax=True`` the softmax still runs over every channel first.
    to_onehot_y : bool
        Turn class indices into a one-hot target with ``C = input.shape[1]`` classes (MONAI's
        default False).
    sigmoid, softmax : bool
        Apply a sigmoid (per channel: multi-label) or a softmax (over the channel axis:
        multi-class) to ``input`` first, computed stably from log-sigmoid / max-shifted exp.
        At most one may be True (MONAI's defaults False, False).
    squared_pred : bool
        Square predictions and targets in the denominator (the V-Net form; MONAI's default False).
    smooth_nr, smooth_dr : float
        The constants added to numerator and denominator, MONAI's ``smooth_nr=1e-5`` and
        ``smooth_dr=1e-5``; must be >= 0.
    batch : bool
        Pool the sums over the batch before dividing: one Dice per class instead of one per
        (sample, class) (MONAI's default False).
    reduction : {"mean", "sum", "none"}
        How to reduce the per-(sample, class) losses: "none" returns shape (N, C') or (C',)
        with ``batch=True``, where C' = C, or C - 1 without background.
    validate : bool
        Check values: probabilities in [0, 1] (when no activation is applied) and target in
        [0, 1], or class indices in range. Shapes, dtypes and options are always checked.

    Returns
    -------
    array
        The loss, with the type, dtype and device of ``input``.

    See Also
    --------
    dice_loss_grad : Its hand-derived gradient.
    jaccard_loss : Intersection over union.
    07_dice_loss.ipynb : The notebook that derives it.

    Notes
    -----
    *Dice as F1.* For binary masks the Dice coefficient :math:`2|P \\cap T| / (|P| + |T|)` is
    the F1 score of the pixels: :math:`2\\,TP / (2\\,TP + FP + FN)`. The soft version replaces
    the counts by sums of probabilities, so the loss is differentiable.

    *Smoothing is the definition, not a hidden epsilon.* ``smooth_nr`` and ``smooth_dr`` are
    part of MONAI's documented definition and are applied exactly as given; nothing else is
    added anywhere. With the default equal values an empty prediction on an empty target
    scores :math:`(0 + s_{nr}) / (0 + s_{dr}) = 1`, so the loss is 0: predicting nothing where
    there is nothing is perfect. With ``smooth_nr = smooth_dr = 0`` that case is 0/0 = NaN, the
    honest value of an undefined ratio. For :math:`p, t \\in [0, 1]`,
    :math:`2pt \\le p + t` and :math:`2pt \\le p^2 + t^2`, so the loss lies in [0, 1] whenever
    ``smooth_nr <= smooth_dr``.

    *No cancellation: the loss is never formed as 1 minus the ratio.* For :math:`k = 1`,
    :math:`p_i + t_i = 2 p_i t_i + p_i (1 - t_i) + (1 - p_i) t_i`, so
    :math:`\\sum p + \\sum t = 2I + M` with :math:`M = FP + FN`; for :math:`k = 2`,
    :math:`p_i^2 + t_i^2 = 2 p_i t_i + (p_i - t_i)^2`, so :math:`\\sum p^2 + \\sum t^2 = 2I + M`
    with :math:`M = \\sum (p - t)^2`. Hence, with :math:`S = 2I + M + s_{dr}`,

    .. math::
        \\ell = 1 - \\frac{2I + s_{nr}}{S} = \\frac{S - 2I - s_{nr}}{S}
              = \\frac{M + (s_{dr} - s_{nr})}{S}.

    :math:`I` and :math:`M` are sums of non-negative terms, each computed directly (``1 - t``
    and ``1 - p`` are exact or correct to half an ulp of themselves), so numerator and
    denominator carry a few ulps of relative error and so does the loss, however small: a
    near-perfect prediction (loss 1e-12) keeps 15 digits, where ``1 - ratio`` keeps 4
    (MONAI's form), and an empty target with one prediction of 1e-300 gives the loss
    1e-295 instead of 0. (With ``smooth_nr > smooth_dr`` the constant is negative and the
    numerator can cancel; that is the definition's own sensitivity.)

    *Gradient.* With :math:`S = 2I + M + s_{dr}`, :math:`D = (2I + s_{nr}) / S` (the score) and
    :math:`\\ell = 1 - D` computed as above, the quotient rule gives

    .. math::
        \\frac{\\partial \\ell}{\\partial p_i} = -\\frac{2 t_i - D\\, k\\, p_i^{k-1}}{S}
        = \\begin{cases} \\bigl(D (1 - t_i) - (1 + \\ell)\\, t_i\\bigr) / S & k = 1 \\\\
        2 \\bigl(D (p_i - t_i) - \\ell\\, t_i\\bigr) / S & k = 2, \\end{cases}

    using :math:`2 - D = 1 + \\ell` and :math:`D p - t = D (p - t) - (1 - D) t`: no
    :math:`1 - D` is formed, so at a near-perfect prediction (:math:`p_i = t_i = 1`, where
    :math:`D` rounds to 1) the gradient :math:`-2 \\ell / S` keeps its relative accuracy
    instead of rounding to 0. For a hard target each case is a sum of two terms of one sign.
    Times 1/(number of losses) for "mean". Channels left out by ``include_background=False``
    get 0. The chain rule then goes through the activation: for a sigmoid,
    :math:`\\partial p/\\partial x = \\sigma(x)\\sigma(-x)`; for a softmax over channels,
    :math:`\\partial \\ell/\\partial x_c = p_c (g_c - \\sum_{c'} p_{c'} g_{c'})` with
    :math:`g = \\partial\\ell/\\partial p`.

    *Relation to MONAI.* Same names, defaults and values as ``monai.losses.DiceLoss`` with
    ``soft_label=False`` (MONAI's default; the intersection is :math:`\\sum p t` also for soft
    targets). Differences by design, each tested: ``reduction="none"`` returns shape (N, C)
    (MONAI's DiceLoss keeps singleton spatial axes, (N, C, 1, ..., 1)); with one channel,
    ``softmax=True``, ``to_onehot_y=True`` and ``include_background=False`` raise a
    ValueError (MONAI warns and ignores the option); input without a spatial axis raises
    (MONAI then sums over every axis, samples and classes included); class indices must be
    integers. MONAI's ``other_act``, ``weight``, ``soft_label`` and ``ignore_index`` are not
    modelled. ``jaccard=True`` is the separate :func:`jaccard_loss`.

    References
    ----------
    .. [1] F. Milletari, N. Navab, S.-A. Ahmadi, "V-Net: Fully Convolutional Neural Networks for
       Volumetric Medical Image Segmentation", 3DV 2016, arXiv:1606.04797.
    .. [2] MONAI: ``DiceLoss`` in ``monai/losses/dice.py``.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[[0.9, 0.8, 0.1, 0.2]]])      # (N=1, C=1, 4 pixels)
    >>> t = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> print(f"{float(dice_loss(p, t)):.6f}")
    0.150000
    """
    squared_pred = check_option(squared_pred, "squared_pred", bool)
    c = _prepare(
        input, target, include_background=include_background, to_onehot_y=to_onehot_y,
        sigmoid=sigmoid, softmax=softmax, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        reduction=reduction, batch=batch, validate=validate,
    )
    xp, p, t, smooth_nr, smooth_dr = c.xp, c.p, c.t, c.smooth_nr, c.smooth_dr
    inter, mismatch = _sums(xp, p, t, c.axes, squared_pred)
    # 1 - (2I + s_nr) / (2I + M + s_dr) without the subtraction: no cancellation (Notes)
    loss = (mismatch + (smooth_dr - smooth_nr)) / (2 * inter + mismatch + smooth_dr)
    return reduce(_per_class(xp, loss, c.batch), reduction, xp=xp)


def dice_loss_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    include_background: bool = True,
    to_onehot_y: bool = False,
    sigmoid: bool = False,
    softmax: bool = False,
    squared_pred: bool = False,
    smooth_nr: float = 1e-5,
    smooth_dr: float = 1e-5,
    batch: bool = False,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Gradient of :func:`dice_loss` (reduced; of the sum for "none") with respect to ``input``.

    .. math::
        \\frac{\\partial \\ell}{\\partial p_i} = -\\frac{2 t_i - D\\, k\\, p_i^{k-1}}{S},
        \\qquad S = 2I + M + s_{dr},\\; D = (2I + s_{nr}) / S

    then through the activation; see :func:`dice_loss` Notes for the derivation and the
    cancellation-free form that is computed.

    Parameters
    ----------
    input, target, **options
        As for :func:`dice_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        Same shape, type, dtype and device as ``input``.

    See Also
    --------
    dice_loss : The loss.
    07_dice_loss.ipynb : The notebook that derives the gradient.

    References
    ----------
    .. [1] F. Milletari, N. Navab, S.-A. Ahmadi, "V-Net: Fully Convolutional Neural Networks for
       Volumetric Medical Image Segmentation", 3DV 2016, arXiv:1606.04797.
    .. [2] MONAI: ``DiceLoss`` in ``monai/losses/dice.py``.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[[0.9, 0.8, 0.1, 0.2]]])
    >>> t = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> print(f"{float(dice_loss_grad(p, t)[0, 0, 0]):.6f}")
    -0.287499
    """
    squared_pred = check_option(squared_pred, "squared_pred", bool)
    c = _prepare(
        input, target, include_background=include_background, to_onehot_y=to_onehot_y,
        sigmoid=sigmoid, softmax=softmax, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        reduction=reduction, batch=batch, validate=validate, grad_output=grad_output,
    )
    xp, p, t, smooth_nr, smooth_dr = c.xp, c.p, c.t, c.smooth_nr, c.smooth_dr
    inter, mismatch = _sums(xp, p, t, c.axes, squared_pred)
    den = 2 * inter + mismatch + smooth_dr
    score = (2 * inter + smooth_nr) / den  # D, no subtraction
    loss = (mismatch + (smooth_dr - smooth_nr)) / den  # 1 - D, no subtraction
    scale = _upstream(c, score, reduction, grad_output, input)
    if squared_pred:
        dp = scale * 2 * (score * (p - t) - loss * t) / den
    else:
        dp = scale * (score * (1 - t) - (1 + loss) * t) / den
    return _backward(c, dp)


# --- Jaccard -------------------------------------------------------------------------------------


def jaccard_loss(
    input: Array,
    target: Array,
    *,
    include_background: bool = True,
    to_onehot_y: bool = False,
    sigmoid: bool = False,
    softmax: bool = False,
    squared_pred: bool = False,
    smooth_nr: float = 1e-5,
    smooth_dr: float = 1e-5,
    batch: bool = False,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Soft Jaccard (IoU) loss, one minus intersection over union, as MONAI's ``DiceLoss(jaccard=True)``.

    .. math::
        \\ell_{nc} = 1 - \\frac{I + s_{nr}}{U + s_{dr}}
                 = \\frac{M + (s_{dr} - s_{nr})}{I + M + s_{dr}}, \\qquad
        I = \\sum_i p_i t_i, \\quad U = \\sum_i p_i^{k} + \\sum_i t_i^{k} - I = I + M,
        \\quad k = 2 \\text{ if squared\\_pred else } 1

    with the mismatch :math:`M` of :func:`dice_loss` (:math:`FP + FN`, or
    :math:`\\sum_i (p_i - t_i)^2` with ``squared_pred``); the right-hand form is computed.

    Parameters
    ----------
    input : array, shape (N, C, *spatial)
        Probabilities in [0, 1], or logits with ``sigmoid=True`` / ``softmax=True``.
    target : array
        One-hot or soft masks of the shape of ``input``, or with ``to_onehot_y=True`` integer
        class indices of shape ``(N, 1, *spatial)``.
    include_background, to_onehot_y, sigmoid, softmax, squared_pred, batch, reduction, validate
        As for :func:`dice_loss` (MONAI's ``DiceLoss`` names and defaults).
    smooth_nr, smooth_dr : float
        Added to the intersection and to the union (>= 0; defaults 1e-5 as MONAI's).

    Returns
    -------
    array
        The loss, with the type, dtype and device of ``input``.

    See Also
    --------
    jaccard_loss_grad : Its hand-derived gradient.
    dice_loss : The F1 form of the overlap.
    07_dice_loss.ipynb : The notebook that derives it.

    Notes
    -----
    *Relation to Dice.* Without smoothing, per (sample, class), :math:`J = D / (2 - D)` and
    :math:`D = 2J / (1 + J)`: the two rank predictions the same way, but Jaccard punishes a
    partial overlap more. The union form also equals the Tversky index with
    :math:`\\alpha = \\beta = 1`, smoothing included: ``jaccard_loss(x, y, smooth_nr=a,
    smooth_dr=b) == tversky_loss(x, y, alpha=1, beta=1, smooth_nr=a, smooth_dr=b)``.

    *Smoothing* is MONAI's documented definition, not a hidden epsilon: an empty prediction
    on an empty target gives :math:`(0 + s_{nr}) / (0 + s_{dr}) = 1`, loss 0, with the default
    equal values, and 0/0 = NaN with both 0.

    *No cancellation.* As for Dice, :math:`\\sum p^k + \\sum t^k = 2I + M`, so the union is
    :math:`U = I + M` and :math:`\\ell = (U + s_{dr} - I - s_{nr}) / (U + s_{dr}) =
    (M + (s_{dr} - s_{nr})) / (I + M + s_{dr})`: numerator and denominator are sums of
    non-negative terms, so a near-perfect prediction keeps its full relative accuracy (where
    ``1 - ratio`` keeps about 1e-16 / loss).

    *Gradient.* With :math:`S = I + M + s_{dr}` and :math:`J = (I + s_{nr}) / S`, since
    :math:`\\partial I/\\partial p_i = t_i` and :math:`\\partial U/\\partial p_i = k p_i^{k-1} - t_i`,

    .. math::
        \\frac{\\partial \\ell}{\\partial p_i} = -\\frac{t_i - J\\,(k\\, p_i^{k-1} - t_i)}{S}
        = \\begin{cases} \\bigl(J (1 - t_i) - t_i\\bigr) / S & k = 1 \\\\
        \\bigl(2 J (p_i - t_i) - \\ell\\, t_i\\bigr) / S & k = 2, \\end{cases}

    with :math:`\\ell = 1 - J` the stable loss (no :math:`1 - J` is formed), times
    1/(number of losses) for "mean", then through the activation as for Dice.

    *Relation to MONAI (a difference by design).* MONAI computes Jaccard inside ``DiceLoss``
    as :math:`1 - (2I + s_{nr}) / (2U + s_{dr})`, so its smoothing acts at half strength:
    ``jaccard_loss(x, y, smooth_nr=a, smooth_dr=b)`` equals
    ``DiceLoss(jaccard=True, smooth_nr=2*a, smooth_dr=2*b)(x, y)`` exactly, and the two agree
    exactly without smoothing. lossbook keeps the textbook form, which is also MONAI's own
    ``TverskyLoss(alpha=1, beta=1)``. The other differences are those of :func:`dice_loss`.

    References
    ----------
    .. [1] MONAI: ``DiceLoss(jaccard=True)`` in ``monai/losses/dice.py`` and
       ``TverskyLoss(alpha=1, beta=1)`` in ``monai/losses/tversky.py``.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[[0.9, 0.8, 0.1, 0.2]]])
    >>> t = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> print(f"{float(jaccard_loss(p, t, smooth_nr=0.0, smooth_dr=0.0)):.6f}")
    0.260870
    """
    squared_pred = check_option(squared_pred, "squared_pred", bool)
    c = _prepare(
        input, target, include_background=include_background, to_onehot_y=to_onehot_y,
        sigmoid=sigmoid, softmax=softmax, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        reduction=reduction, batch=batch, validate=validate,
    )
    xp, p, t, smooth_nr, smooth_dr = c.xp, c.p, c.t, c.smooth_nr, c.smooth_dr
    inter, mismatch = _sums(xp, p, t, c.axes, squared_pred)
    # U = I + M; 1 - (I + s_nr) / (U + s_dr) without the subtraction (Notes)
    loss = (mismatch + (smooth_dr - smooth_nr)) / (inter + mismatch + smooth_dr)
    return reduce(_per_class(xp, loss, c.batch), reduction, xp=xp)


def jaccard_loss_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    include_background: bool = True,
    to_onehot_y: bool = False,
    sigmoid: bool = False,
    softmax: bool = False,
    squared_pred: bool = False,
    smooth_nr: float = 1e-5,
    smooth_dr: float = 1e-5,
    batch: bool = False,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Gradient of :func:`jaccard_loss` (reduced; of the sum for "none") with respect to ``input``.

    .. math::
        \\frac{\\partial \\ell}{\\partial p_i} = -\\frac{t_i - J\\,(k\\, p_i^{k-1} - t_i)}{I + M + s_{dr}}

    then through the activation; see :func:`jaccard_loss` Notes for the derivation.

    Parameters
    ----------
    input, target, **options
        As for :func:`jaccard_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        Same shape, type, dtype and device as ``input``.

    See Also
    --------
    jaccard_loss : The loss.
    07_dice_loss.ipynb : The notebook that derives the gradient.

    References
    ----------
    .. [1] MONAI: ``DiceLoss(jaccard=True)`` in ``monai/losses/dice.py`` and
       ``TverskyLoss(alpha=1, beta=1)`` in ``monai/losses/tversky.py``.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[[0.9, 0.8, 0.1, 0.2]]])
    >>> t = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> g = jaccard_loss_grad(p, t, smooth_nr=0.0, smooth_dr=0.0)
    >>> print(f"{float(g[0, 0, 0]):.6f}")
    -0.434783
    """
    squared_pred = check_option(squared_pred, "squared_pred", bool)
    c = _prepare(
        input, target, include_background=include_background, to_onehot_y=to_onehot_y,
        sigmoid=sigmoid, softmax=softmax, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        reduction=reduction, batch=batch, validate=validate, grad_output=grad_output,
    )
    xp, p, t, smooth_nr, smooth_dr = c.xp, c.p, c.t, c.smooth_nr, c.smooth_dr
    inter, mismatch = _sums(xp, p, t, c.axes, squared_pred)
    den = inter + mismatch + smooth_dr  # U + s_dr, a sum of non-negative terms
    score = (inter + smooth_nr) / den  # J
    loss = (mismatch + (smooth_dr - smooth_nr)) / den  # 1 - J, no subtraction
    scale = _upstream(c, score, reduction, grad_output, input)
    if squared_pred:
        dp = scale * (2 * score * (p - t) - loss * t) / den
    else:
        dp = scale * (score * (1 - t) - t) / den
    return _backward(c, dp)


# --- Tversky -------------------------------------------------------------------------------------


def _tversky_parts(xp: Any, p: Array, t: Array, axes: tuple[int, ...], alpha: float, beta: float):
    """TP and the weighted errors E = alpha FP + beta FN, each a sum of non-negative terms."""
    tp = xp.sum(p * t, axis=axes, keepdims=True)
    fp = xp.sum(p * (1 - t), axis=axes, keepdims=True)
    fn = xp.sum((1 - p) * t, axis=axes, keepdims=True)
    return tp, alpha * fp + beta * fn


def tversky_loss(
    input: Array,
    target: Array,
    *,
    include_background: bool = True,
    to_onehot_y: bool = False,
    sigmoid: bool = False,
    softmax: bool = False,
    alpha: float = 0.5,
    beta: float = 0.5,
    smooth_nr: float = 1e-5,
    smooth_dr: float = 1e-5,
    batch: bool = False,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Tversky loss: Dice with separate weights on false positives and false negatives, as MONAI's ``TverskyLoss``.

    .. math::
        \\ell_{nc} = 1 - \\frac{TP + s_{nr}}{TP + \\alpha\\, FP + \\beta\\, FN + s_{dr}}
                 = \\frac{\\alpha\\, FP + \\beta\\, FN + (s_{dr} - s_{nr})}
                         {TP + \\alpha\\, FP + \\beta\\, FN + s_{dr}},

    .. math::
        TP = \\sum_i p_i t_i,\\; FP = \\sum_i p_i (1 - t_i),\\; FN = \\sum_i (1 - p_i) t_i;

    the right-hand form is the one computed (Notes).

    Parameters
    ----------
    input : array, shape (N, C, *spatial)
        Probabilities in [0, 1], or logits with ``sigmoid=True`` / ``softmax=True``.
    target : array
        One-hot or soft masks of the shape of ``input``, or with ``to_onehot_y=True`` integer
        class indices of shape ``(N, 1, *spatial)``.
    include_background, to_onehot_y, sigmoid, softmax, batch, reduction, validate
        As for :func:`dice_loss` (MONAI's ``TverskyLoss`` names and defaults).
    alpha : float
        Weight of the false positives (>= 0; MONAI's default 0.5).
    beta : float
        Weight of the false negatives (>= 0; MONAI's default 0.5). ``beta > alpha`` favours
        recall, useful for small structures.
    smooth_nr, smooth_dr : float
        Added to numerator and denominator (>= 0; defaults 1e-5 as MONAI's).

    Returns
    -------
    array
        The loss, with the type, dtype and device of ``input``.

    See Also
    --------
    tversky_loss_grad : Its hand-derived gradient.
    dice_loss : alpha = beta = 1/2, smoothing doubled.
    07_dice_loss.ipynb : The notebook that derives it.

    Notes
    -----
    *Special cases.* :math:`TP + \\tfrac12 FP + \\tfrac12 FN = \\tfrac12(\\sum p + \\sum t)`, so
    ``alpha = beta = 0.5`` is Dice with doubled smoothing (``dice_loss(..., smooth_nr=2a,
    smooth_dr=2b)``), exactly Dice without smoothing; ``alpha = beta = 1`` is
    :func:`jaccard_loss` with the same smoothing. As for Dice, the smoothing terms are MONAI's
    documented definition, not a hidden epsilon: empty prediction and empty target give
    :math:`s_{nr}/s_{dr} = 1`, loss 0, with the defaults.

    *No cancellation.* Subtracting the numerator from the denominator before dividing,
    :math:`\\ell = (S - TP - s_{nr}) / S = (\\alpha FP + \\beta FN + (s_{dr} - s_{nr})) / S`,
    and FP and FN are computed directly as sums of non-negative terms, never as
    :math:`\\sum p - TP`. So the loss keeps its relative accuracy when it is tiny (a
    near-perfect prediction, or an empty target with a prediction of 1e-300), where
    ``1 - ratio`` would keep only about 1e-16 / loss.

    *Gradient.* With :math:`S = TP + \\alpha FP + \\beta FN + s_{dr}` and
    :math:`T = (TP + s_{nr}) / S`, since :math:`\\partial S / \\partial p_i = t_i +
    \\alpha (1 - t_i) - \\beta t_i`,

    .. math::
        \\frac{\\partial \\ell}{\\partial p_i} =
        -\\frac{t_i - T\\,(t_i + \\alpha (1 - t_i) - \\beta t_i)}{S}
        = \\frac{\\alpha T (1 - t_i) - (\\ell + \\beta T)\\, t_i}{S},

    using :math:`1 - T = \\ell` (the stable loss, so no :math:`1 - T` is formed),

    times 1/(number of losses) for "mean", then through the activation as for Dice.

    *Relation to MONAI.* Same names, defaults and values as ``monai.losses.TverskyLoss`` with
    ``soft_label=False``, including ``reduction="none"`` of shape (N, C). The differences by
    design are those of :func:`dice_loss` for one channel, inputs without a spatial axis and
    class-index dtype.

    References
    ----------
    .. [1] S. S. M. Salehi, D. Erdogmus, A. Gholipour, "Tversky loss function for image
       segmentation using 3D fully convolutional deep networks", MLMI 2017, arXiv:1706.05721.
    .. [2] MONAI: ``TverskyLoss`` in ``monai/losses/tversky.py``.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[[0.9, 0.6, 0.1, 0.2]]])
    >>> t = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> print(f"{float(tversky_loss(p, t, alpha=0.3, beta=0.7)):.6f}")
    0.226803
    """
    alpha = check_non_negative(alpha, "alpha")
    beta = check_non_negative(beta, "beta")
    c = _prepare(
        input, target, include_background=include_background, to_onehot_y=to_onehot_y,
        sigmoid=sigmoid, softmax=softmax, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        reduction=reduction, batch=batch, validate=validate,
    )
    xp, p, t, smooth_nr, smooth_dr = c.xp, c.p, c.t, c.smooth_nr, c.smooth_dr
    tp, errors = _tversky_parts(xp, p, t, c.axes, alpha, beta)
    # 1 - (TP + s_nr) / (TP + E + s_dr) without the subtraction (Notes)
    loss = (errors + (smooth_dr - smooth_nr)) / (tp + errors + smooth_dr)
    return reduce(_per_class(xp, loss, c.batch), reduction, xp=xp)


def tversky_loss_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    include_background: bool = True,
    to_onehot_y: bool = False,
    sigmoid: bool = False,
    softmax: bool = False,
    alpha: float = 0.5,
    beta: float = 0.5,
    smooth_nr: float = 1e-5,
    smooth_dr: float = 1e-5,
    batch: bool = False,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Gradient of :func:`tversky_loss` (reduced; of the sum for "none") with respect to ``input``.

    .. math::
        \\frac{\\partial \\ell}{\\partial p_i} =
        -\\frac{t_i - T\\,(t_i + \\alpha (1 - t_i) - \\beta t_i)}{S}
        = \\frac{\\alpha T (1 - t_i) - (\\ell + \\beta T)\\, t_i}{S}

    then through the activation; see :func:`tversky_loss` Notes for the derivation.

    Parameters
    ----------
    input, target, **options
        As for :func:`tversky_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        Same shape, type, dtype and device as ``input``.

    See Also
    --------
    tversky_loss : The loss.
    07_dice_loss.ipynb : The notebook that derives the gradient.

    References
    ----------
    .. [1] S. S. M. Salehi, D. Erdogmus, A. Gholipour, "Tversky loss function for image
       segmentation using 3D fully convolutional deep networks", MLMI 2017, arXiv:1706.05721.
    .. [2] MONAI: ``TverskyLoss`` in ``monai/losses/tversky.py``.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[[0.9, 0.8, 0.1, 0.2]]])
    >>> t = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> print(f"{float(tversky_loss_grad(p, t, alpha=0.3, beta=0.7)[0, 0, 0]):.6f}")
    -0.372498
    """
    alpha = check_non_negative(alpha, "alpha")
    beta = check_non_negative(beta, "beta")
    c = _prepare(
        input, target, include_background=include_background, to_onehot_y=to_onehot_y,
        sigmoid=sigmoid, softmax=softmax, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        reduction=reduction, batch=batch, validate=validate, grad_output=grad_output,
    )
    xp, p, t, smooth_nr, smooth_dr = c.xp, c.p, c.t, c.smooth_nr, c.smooth_dr
    tp, errors = _tversky_parts(xp, p, t, c.axes, alpha, beta)
    den = tp + errors + smooth_dr
    score = (tp + smooth_nr) / den  # T
    loss = (errors + (smooth_dr - smooth_nr)) / den  # 1 - T, no subtraction
    scale = _upstream(c, score, reduction, grad_output, input)
    dp = scale * (alpha * score * (1 - t) - (loss + beta * score) * t) / den
    return _backward(c, dp)
