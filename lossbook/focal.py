"""Focal losses: torchvision's sigmoid focal loss and a softmax focal loss for C classes.

The focal loss (Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017,
arXiv:1708.02002) multiplies the cross-entropy of each element by the modulating factor
:math:`(1 - p_t)^\\gamma`, where :math:`p_t` is the probability the model gives to the right
answer. Confident, correct elements (:math:`p_t \\to 1`) contribute almost nothing, so the many
easy negatives of an imbalanced problem stop dominating the sum.

Both losses are computed in log space from log-sigmoid / log-softmax: extreme logits (±1e4)
give no NaN or inf, and the gradient stays finite at :math:`p_t = 1` for every
:math:`\\gamma \\ge 0`, including :math:`0 < \\gamma < 1` where :math:`(1-p_t)^{\\gamma-1}` is
infinite.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import Any

from lossbook._array import Array, device, float_input, namespace
from lossbook._math import logsumexp_parts
from lossbook._reduction import check_reduction, reduce, reduce_grad
from lossbook._validation import (
    check_class_indices,
    check_non_empty,
    check_non_negative,
    check_probabilities,
    check_same_shape,
    shape_str,
)

__all__ = ["focal_loss", "focal_loss_grad", "sigmoid_focal_loss", "sigmoid_focal_loss_grad"]


# --- sigmoid focal loss (torchvision) ------------------------------------------------------------


def _check_scalar_alpha(alpha: Any) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, Real):
        raise TypeError(f"alpha must be a real number in [0, 1] or None; got {type(alpha).__name__}")
    if not 0 <= alpha <= 1:  # also refuses NaN
        hint = " (torchvision's alpha=-1 'off' switch is alpha=None here)" if alpha < 0 else ""
        raise ValueError(f"alpha must be within [0, 1] or None{hint}; got {alpha!r}")


def _sigmoid_parts(input: Array, target: Array, gamma: float) -> tuple[Any, ...]:
    """Cross-entropy, log(1 - p_t), its derivative and the hard-target mask, all in log space."""
    xp = namespace(input)
    t = target
    # log sigma(x) and log sigma(-x) as _math.log_sigmoid computes them, min(+-x, 0) -
    # log1p(exp(-|x|)), sharing the log1p term (|-x| = |x|): the same values for one exp and one
    # log1p per element instead of three of each (torch.compile does not see abs(-x) = abs(x)).
    zero = xp.zeros_like(input)
    tail = xp.log1p(xp.exp(-xp.abs(input)))
    log_sig_pos = xp.minimum(input, zero) - tail
    log_sig_neg = xp.minimum(-input, zero) - tail
    # Binary cross-entropy with logits as a sum of two non-negative terms: no cancellation, so
    # a tiny loss keeps its relative accuracy (torch's (1-t)x + softplus(-x) form rounds it to 0).
    ce = t * -log_sig_pos + (1 - t) * -log_sig_neg
    hard = xp.logical_or(t == 0, t == 1)
    # Hard targets: 1 - p_t = sigmoid(-s) with s = (2t - 1) x, so log(1 - p_t) = log_sigmoid(-s),
    # finite for every finite logit (it is -1e4 at x = 1e4, never log 0 = -inf). s is exactly x
    # for t = 1 and -x for t = 0, so log_sigmoid(-s) is log sigma(-x), resp. log sigma(x).
    positive = t == 1
    log_q_hard = xp.where(positive, log_sig_neg, log_sig_pos)
    # Soft targets 0 < t < 1: 1 - p_t = t sigmoid(-x) + (1 - t) sigmoid(x) lies between t and
    # 1 - t, so it never reaches 0 and its plain log is accurate. The hard entries get t = 1/2
    # in this branch so that no inf or NaN reaches the gradient through the unused side of where.
    ts = xp.where(hard, xp.full_like(t, 0.5), t)
    sig_pos = xp.exp(log_sig_pos)
    sig_neg = xp.exp(log_sig_neg)
    q_soft = ts * sig_neg + (1 - ts) * sig_pos
    log_q = xp.where(hard, log_q_hard, xp.log(q_soft))
    # d log(1 - p_t) / dx: hard -(2t - 1) p_t with p_t = sigmoid(s); soft (1 - 2t) s(x) s(-x) / q.
    dlog_q = xp.where(
        hard,
        (1 - 2 * t) * xp.where(positive, sig_pos, sig_neg),  # exp(log_sigmoid(s))
        (1 - 2 * ts) * sig_pos * sig_neg / q_soft,
    )
    dce = (1 - t) * sig_pos - t * sig_neg  # = sigmoid(x) - t without cancellation
    return ce, log_q, dlog_q, dce


def _sigmoid_checks(input: Array, target: Array, alpha: Any, gamma: float, reduction: str,
                    validate: bool) -> Any:
    xp = float_input(input, "input")
    float_input(target, "target")
    namespace(input, target)
    check_same_shape(input, target)
    check_non_empty(input)
    check_non_negative(gamma, "gamma")
    if alpha is not None:
        _check_scalar_alpha(alpha)
    check_reduction(reduction)
    if validate:
        check_probabilities(target, "target")
    return xp


def sigmoid_focal_loss(
    input: Array,
    target: Array,
    *,
    alpha: float | None = 0.25,
    gamma: float = 2.0,
    reduction: str = "none",
    validate: bool = True,
) -> Array:
    """Sigmoid focal loss, torchvision's ``torchvision.ops.sigmoid_focal_loss`` in a stable form.

    .. math::
        \\ell = \\alpha_t\\,(1 - p_t)^{\\gamma}\\,
        \\bigl(-t \\log \\sigma(x) - (1 - t) \\log \\sigma(-x)\\bigr),\\qquad
        p_t = t\\,\\sigma(x) + (1 - t)(1 - \\sigma(x)),\\quad
        \\alpha_t = \\alpha t + (1 - \\alpha)(1 - t)

    Parameters
    ----------
    input : array
        Logits, any shape, real floating dtype.
    target : array
        Same shape and floating dtype; 1 for a positive, 0 for a negative (values in between
        are allowed and follow torchvision's formula).
    alpha : float in [0, 1] or None
        Weight of the positives; negatives get ``1 - alpha``. ``None`` switches the weighting
        off (torchvision spells this ``alpha=-1``, or any negative number; here a negative alpha
        is an error, so a typo cannot silently disable it). Default 0.25, as in RetinaNet,
        where it weights the rare positives *down*.
    gamma : float >= 0
        Exponent of the modulating factor; 0 gives (alpha-weighted) BCE with logits.
    reduction : {"none", "mean", "sum"}
        torchvision's default is "none". "mean" averages over all elements.
    validate : bool
        Check that ``target`` holds values in [0, 1] (a pass over the data).

    Returns
    -------
    array
        The losses (shape of ``input``) or their mean or sum (0-d), with the input's type,
        dtype and device.

    Notes
    -----
    torchvision computes ``ce * (1 - p_t) ** gamma`` from ``p = sigmoid(x)``. Here every factor
    is taken in log space:

    - the cross-entropy is :math:`t\\,\\mathrm{softplus}(-x) + (1-t)\\,\\mathrm{softplus}(x)`,
      a sum of non-negative terms (no cancellation, so a loss of 1e-20 stays 1e-20);
    - for a hard target, :math:`1 - p_t = \\sigma(-s)` with :math:`s = (2t - 1)x`, so
      :math:`(1-p_t)^\\gamma = \\exp(\\gamma \\log\\sigma(-s))` with a finite exponent for every
      finite logit. Autograd through :math:`(1-p_t)^\\gamma` computed from :math:`p` meets
      :math:`\\gamma (1-p_t)^{\\gamma-1} \\cdot 0 = \\infty \\cdot 0` = NaN at :math:`p_t = 1`
      when :math:`\\gamma < 1`; through :math:`\\exp(\\gamma \\log\\sigma(-s))` it meets only
      :math:`\\sigma`, which is bounded;
    - a soft target :math:`0 < t < 1` keeps :math:`1 - p_t` between :math:`t` and :math:`1-t`,
      so its logarithm is finite and is taken directly.

    The gradient (of the sum for ``reduction="none"``): with :math:`c` the cross-entropy and
    :math:`m = (1 - p_t)^\\gamma`,

    .. math::
        \\frac{\\partial \\ell}{\\partial x} = \\alpha_t\\, m \\Bigl(\\frac{\\partial c}{\\partial x}
        + \\gamma\\, c\\, \\frac{\\partial \\log(1 - p_t)}{\\partial x}\\Bigr),\\qquad
        \\frac{\\partial c}{\\partial x} = \\sigma(x) - t,

    and :math:`\\partial \\log(1-p_t)/\\partial x = -(2t-1)\\,p_t` for a hard target (from
    :math:`\\log\\sigma(-s)` with :math:`d\\log\\sigma(u)/du = \\sigma(-u)`), or
    :math:`(1-2t)\\,\\sigma(x)\\sigma(-x) / (1-p_t)` for a soft one. Every factor is bounded, so
    the gradient is finite at :math:`p_t = 1` for every :math:`\\gamma \\ge 0`; it tends to 0
    there. :math:`\\sigma(x) - t` is computed as :math:`(1-t)\\sigma(x) - t\\,\\sigma(-x)`.

    MONAI's ``FocalLoss(use_softmax=False)`` uses the same log-space factor for hard targets but
    :math:`\\sigma(-x(2t-1))` also for soft ones, which differs from torchvision there.

    Examples
    --------
    >>> import numpy as np
    >>> x, t = np.array([2.0, -1.0, 0.5]), np.array([1.0, 0.0, 0.0])
    >>> print(f"{float(sigmoid_focal_loss(x, t, reduction='mean')):.6f}")
    0.100168
    """
    xp = _sigmoid_checks(input, target, alpha, gamma, reduction, validate)
    ce, log_q, _, _ = _sigmoid_parts(input, target, gamma)
    loss = ce * xp.exp(gamma * log_q)
    if alpha is not None:
        loss = (alpha * target + (1 - alpha) * (1 - target)) * loss
    return reduce(loss, reduction, xp=xp)


def sigmoid_focal_loss_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    alpha: float | None = 0.25,
    gamma: float = 2.0,
    reduction: str = "none",
    validate: bool = True,
) -> Array:
    """Hand-derived gradient of :func:`sigmoid_focal_loss` (reduced) with respect to ``input``.

    .. math::
        \\frac{\\partial \\ell}{\\partial x} = \\alpha_t (1-p_t)^\\gamma
        \\Bigl(\\sigma(x) - t + \\gamma\\, c\\, \\frac{\\partial \\log(1-p_t)}{\\partial x}\\Bigr)

    Parameters
    ----------
    input, target, alpha, gamma, reduction, validate
        As for :func:`sigmoid_focal_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        Same shape, type, dtype and device as ``input``; for "none", the gradient of the sum.

    Notes
    -----
    See :func:`sigmoid_focal_loss` for the derivation; no autograd is used.

    Examples
    --------
    >>> import numpy as np
    >>> g = sigmoid_focal_loss_grad(np.array([0.0]), np.array([1.0]), alpha=None, gamma=0.0)
    >>> print(f"{float(g[0]):.6f}")
    -0.500000
    """
    xp = _sigmoid_checks(input, target, alpha, gamma, reduction, validate)
    ce, log_q, dlog_q, dce = _sigmoid_parts(input, target, gamma)
    grad = xp.exp(gamma * log_q) * (dce + gamma * ce * dlog_q)
    if alpha is not None:
        grad = (alpha * target + (1 - alpha) * (1 - target)) * grad
    return grad * reduce_grad(input.shape, reduction, grad_output, like=input, xp=xp)


# --- softmax focal loss ----------------------------------------------------------------------------


def _softmax_checks(
    input: Array, target: Array, alpha: Any, gamma: float, ignore_index: int, reduction: str,
    validate: bool,
) -> tuple[Any, int, Any]:
    xp = float_input(input, "input")
    namespace(input, target)
    if not xp.isdtype(target.dtype, "integral"):
        raise TypeError(
            "target must hold integer class indices; got dtype "
            f"{str(target.dtype).removeprefix('torch.')}"
        )
    if input.ndim == 0:
        raise ValueError("input must have shape (C,), (N, C) or (N, C, d1, ...); got shape ()")
    axis = 0 if input.ndim == 1 else 1
    expected = tuple(input.shape[:axis]) + tuple(input.shape[axis + 1:])
    if tuple(target.shape) != expected:
        raise ValueError(
            f"target must have shape {expected} (input's shape without the class dimension "
            f"{axis}) for input {shape_str(input)}; got target {shape_str(target)}"
        )
    check_non_empty(input)
    num_classes = int(input.shape[axis])
    if num_classes < 2:
        raise ValueError(
            f"input must have at least 2 classes along dimension {axis}; got {num_classes} "
            "(use sigmoid_focal_loss for a single logit)"
        )
    check_non_negative(gamma, "gamma")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise TypeError(f"ignore_index must be an int; got {type(ignore_index).__name__}")
    check_reduction(reduction)
    alpha_c = None
    if alpha is not None:
        if isinstance(alpha, Real) and not isinstance(alpha, bool):
            _check_scalar_alpha(alpha)
            alpha_c = alpha
        else:
            if isinstance(alpha, Sequence):
                alpha = xp.asarray(alpha, dtype=input.dtype, device=device(input))
            namespace(input, alpha)
            if not xp.isdtype(alpha.dtype, "real floating"):
                raise TypeError(
                    "alpha must be a number, None or an array of real floating dtype; got dtype "
                    f"{str(alpha.dtype).removeprefix('torch.')}"
                )
            if tuple(alpha.shape) != (num_classes,):
                raise ValueError(
                    f"alpha must be a number or have shape ({num_classes},), one weight per class; "
                    f"got shape {shape_str(alpha)}"
                )
            alpha_c = xp.astype(alpha, input.dtype)
            if validate:
                check_probabilities(alpha_c, "alpha")
    if validate:
        check_class_indices(target, num_classes, ignore_index)
    return xp, axis, alpha_c


def _softmax_parts(input: Array, target: Array, axis: int, ignore_index: int) -> tuple[Any, ...]:
    """One-hot mask, the others' weights r, p_t, q = 1 - p_t, -log p_t, log q, the valid mask.

    With d = x_y - logsumexp_{j != y} x_j (the target's margin over all the other classes),
    p_t = sigmoid(d) and q = sigmoid(-d). d is never rounded at the scale of the logits:
    d = delta - L with delta = x_y - m (m the largest other logit) and L = log1p(T), and
    E = exp(-|d|) is formed as exp(-delta) (1 + T) or exp(delta) / (1 + T) (focal_loss Notes).
    """
    xp = namespace(input)
    num_classes = int(input.shape[axis])
    valid = target != ignore_index
    safe = xp.where(valid, target, xp.zeros_like(target))
    classes = xp.arange(num_classes, device=device(input))
    classes = xp.reshape(classes, (num_classes,) + (1,) * (input.ndim - axis - 1))
    onehot = xp.expand_dims(safe, axis=axis) == classes  # broadcasts to input's shape
    x_t = xp.sum(xp.where(onehot, input, xp.zeros_like(input)), axis=axis)
    others = xp.where(onehot, xp.full_like(input, -float("inf")), input)
    m, log1p_t = logsumexp_parts(others, axis=axis)  # logsumexp(others) = m + log1p(T)
    # softmax over the other classes, 0 at the target; x_j - m is exact or nearly so
    r = xp.exp((others - m) - log1p_t)
    delta = x_t - xp.squeeze(m, axis=axis)  # no rounding at the scale of the logits
    big_l = xp.squeeze(log1p_t, axis=axis)  # 0 <= L <= log(C - 1)
    d = delta - big_l
    pos = d > 0
    # E = exp(-|d|): both exponents are at most log(C - 1), so nothing overflows
    e = xp.exp(xp.where(pos, -delta, delta)) * xp.exp(xp.where(pos, big_l, -big_l))
    one = xp.ones_like(e)
    q = xp.where(pos, e, one) / (1 + e)  # sigma(-d)
    p_t = xp.where(pos, one, e) / (1 + e)  # sigma(d)
    zero = xp.zeros_like(e)
    log1p_e = xp.log1p(e)
    nlog_pt = xp.where(pos, zero, 0.0 - d) + log1p_e  # -log p_t = softplus(-d) >= 0
    log_q = xp.where(pos, 0.0 - d, zero) - log1p_e  # log sigma(-d) <= 0
    return onehot, r, p_t, q, nlog_pt, log_q, valid


def _modulating(xp: Any, q: Array, log_q: Array, gamma: float) -> Array:
    """(1 - p_t)^gamma = q^gamma: a power of q where q is normal, exp(gamma log q) below.

    q ** gamma has ~1 ulp of error (q itself is accurate), where exp(gamma log q) has
    |gamma log q| ulps; below the normal range (and at q = 0, p_t = 1) the exp form keeps
    autograd finite for 0 < gamma < 1, where gamma q^(gamma - 1) would overflow.
    """
    if gamma == 0:
        return xp.ones_like(q)
    normal = q >= 2.0 ** -1022 if q.dtype == xp.float64 else q >= 2.0 ** -126
    safe = xp.where(normal, q, xp.ones_like(q))
    return xp.where(normal, safe ** gamma, xp.exp(gamma * log_q))


def _alpha_t(xp: Any, alpha: Any, onehot: Array, axis: int, input: Array) -> Any:
    if alpha is None:
        return 1.0
    if isinstance(alpha, Real):
        return alpha
    shape = (int(alpha.shape[0]),) + (1,) * (input.ndim - axis - 1)
    a = xp.reshape(alpha, shape)
    return xp.sum(xp.where(onehot, a, xp.zeros_like(input)), axis=axis)


def _count_valid(xp: Any, valid: Array, input: Array) -> Array:
    """The mean's denominator: the number of non-ignored elements, in the input's dtype."""
    return xp.sum(xp.astype(valid, input.dtype))


def focal_loss(
    input: Array,
    target: Array,
    *,
    alpha: float | Sequence[float] | Array | None = None,
    gamma: float = 2.0,
    ignore_index: int = -100,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Softmax focal loss for C classes with class-index targets.

    .. math::
        \\ell_i = -\\alpha_{y_i}\\,(1 - p_{i,y_i})^{\\gamma} \\log p_{i,y_i},\\qquad
        p_i = \\mathrm{softmax}(x_i),\\qquad
        \\text{mean} = \\frac{1}{|V|}\\sum_{i \\in V} \\ell_i,\\quad
        V = \\{i : y_i \\ne \\text{ignore\\_index}\\}

    Parameters
    ----------
    input : array
        Logits of shape (C,), (N, C) or (N, C, d1, ...), as for ``torch.nn.functional.cross_entropy``;
        at least 2 classes.
    target : array
        Integer class indices of shape (), (N) or (N, d1, ...).
    alpha : None, float in [0, 1], or array of shape (C,) with values in [0, 1]
        Class weights: :math:`\\alpha_{y_i}` multiplies element :math:`i`. A number weights every
        class alike (a constant factor); ``None`` means 1.
    gamma : float >= 0
        Exponent of the modulating factor; 0 with ``alpha=None`` gives ``cross_entropy``.
    ignore_index : int
        Elements whose target is this value contribute 0 and are not counted by "mean".
    reduction : {"none", "mean", "sum"}
        "none" returns one loss per element (0 where ignored), with the target's shape.
    validate : bool
        Check class indices and alpha values (a pass over the data).

    Returns
    -------
    array
        The losses or their mean or sum, with the input's type, dtype and device.

    Notes
    -----
    **The mean.** "mean" is the plain mean over the non-ignored elements, the sum divided by
    :math:`|V|`; alpha is not normalised (unlike ``cross_entropy(weight=w)``, whose mean
    divides by :math:`\\sum_i w_{y_i}`). So ``gamma=0, alpha=None`` equals ``cross_entropy``
    for every reduction, and ``gamma=0, alpha=w`` equals ``cross_entropy(weight=w)`` for "none"
    and "sum". If every element is ignored the mean is 0/0 = NaN, as in PyTorch.

    **Stability: the target against the rest.** Let
    :math:`d = x_y - \\log\\sum_{j \\ne y} e^{x_j}`, the margin of the target's logit over all
    the other classes together. Then :math:`p_t = \\sigma(d)` and :math:`1 - p_t = \\sigma(-d)`,
    so a C-class focal loss is a sigmoid focal loss of the margin :math:`d` with target 1:

    .. math::
        \\ell = -\\alpha_y\\,\\sigma(-d)^\\gamma\\,\\log\\sigma(d).

    Both logarithms are log-sigmoids: exact, never above 0 (so :math:`\\ell \\le` CE holds in
    floating point too, and :math:`\\ell` never grows with :math:`\\gamma`), and finite for every
    finite logit even where :math:`p_t` rounds to 1 (where :math:`1 - p_t` computed from
    :math:`p_t` would be 0 and its log :math:`-\\infty`).

    **The margin, not rounded at the logits' scale.** With :math:`m = \\max_{j \\ne y} x_j` and
    :math:`T = \\sum_{j \\ne y,\\, j \\ne \\arg\\max} e^{x_j - m}`, the log-sum-exp of the others is
    :math:`m + \\log(1 + T)`, so

    .. math::
        d = (x_y - m) - \\log(1 + T), \\qquad
        e^{-|d|} = \\begin{cases} e^{-(x_y - m)}\\,(1 + T) & d > 0 \\\\
        e^{x_y - m} / (1 + T) & d \\le 0. \\end{cases}

    :math:`x_y - m` is a difference of two inputs (exact when they are close), and
    :math:`\\log(1 + T) \\le \\log(C - 1)` is small: forming :math:`x_y - \\mathrm{lse}` instead
    rounds at the scale of the logits (at logits near -1e4, :math:`d = -\\log 4` came out
    3e-13 off relatively). Both exponents above are at most :math:`\\log(C - 1)`, so nothing
    overflows. From :math:`E = e^{-|d|}`: :math:`q = 1 - p_t = E/(1+E)` or :math:`1/(1+E)`,
    :math:`p_t` likewise, :math:`-\\log p_t = \\max(-d, 0) + \\log(1 + E)` and
    :math:`\\log q = \\min(-d, 0) - \\log(1 + E)`, none with cancellation.

    **The modulating factor as a power.** :math:`q^\\gamma` is computed as ``q ** gamma``
    (about one ulp, :math:`q` being accurate), not as :math:`\\exp(\\gamma \\log q)`, whose
    error grows like :math:`|\\gamma \\log q|` ulps (1e-14 at a dominant logit). Where
    :math:`q` is below the normal range or 0 (:math:`p_t` rounds to 1) the exp form is used:
    the value is the same, and autograd stays finite for :math:`0 < \\gamma < 1`, where the
    power's derivative :math:`\\gamma q^{\\gamma - 1}` would overflow. The hand-written
    gradient has no :math:`(1-p_t)^{\\gamma-1}` anywhere.

    **Gradient.** As a function of :math:`d`, with :math:`q = \\sigma(-d) = 1 - p_t`,
    :math:`d\\log\\sigma(d)/dd = q` and :math:`d\\log\\sigma(-d)/dd = -p_t`:

    .. math::
        \\frac{\\partial \\ell}{\\partial d}
        = -\\alpha_y\\,q^\\gamma\\bigl(q + \\gamma\\,p_t\\,(-\\log p_t)\\bigr),\\qquad
        \\frac{\\partial d}{\\partial x_j} = \\begin{cases} 1 & j = y\\\\
        -r_j = -e^{x_j}/\\sum_{k \\ne y} e^{x_k} & j \\ne y. \\end{cases}

    Every factor is bounded (:math:`0 \\le -p_t \\log p_t \\le 1/e`), so the gradient is finite
    for every :math:`\\gamma \\ge 0`. Since :math:`p_j = q\\,r_j` for :math:`j \\ne y`, this is the
    familiar :math:`\\alpha_y (p_j - \\delta_{jy})\\bigl(q^\\gamma - \\gamma p_t q^{\\gamma-1}\\log p_t\\bigr)`,
    written without the :math:`q^{\\gamma-1}` that is infinite at :math:`p_t = 1`.

    **MONAI.** ``monai.losses.FocalLoss(use_softmax=True, to_onehot_y=True)`` computes the same
    per-element term but its "mean" divides by the number of elements *times C* (it averages a
    (N, C, ...) tensor in which only the target class is nonzero), its scalar ``alpha`` means
    the per-class weights :math:`(1-\\alpha, \\alpha, \\ldots, \\alpha)` (background first), and it
    casts to float32. tests/test_focal.py states and tests each relation.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    >>> y = np.array([0, 2])
    >>> print(f"{float(focal_loss(x, y)):.6f}")
    0.431280
    """
    xp, axis, alpha_c = _softmax_checks(input, target, alpha, gamma, ignore_index, reduction,
                                        validate)
    onehot, _, _, q, nlog_pt, log_q, valid = _softmax_parts(input, target, axis, ignore_index)
    loss = _alpha_t(xp, alpha_c, onehot, axis, input) * _modulating(xp, q, log_q, gamma) * nlog_pt
    loss = xp.where(valid, loss, xp.zeros_like(loss))
    return reduce(loss, reduction, denominator=_count_valid(xp, valid, input), xp=xp)


def focal_loss_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    alpha: float | Sequence[float] | Array | None = None,
    gamma: float = 2.0,
    ignore_index: int = -100,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Hand-derived gradient of :func:`focal_loss` (reduced) with respect to ``input``.

    .. math::
        \\frac{\\partial \\ell_i}{\\partial x_{ij}} = -\\alpha_{y_i}\\,q_i^\\gamma
        \\bigl(q_i + \\gamma\\, p_{t,i}\\,(-\\log p_{t,i})\\bigr)\\,
        \\bigl(\\delta_{j y_i} - (1 - \\delta_{j y_i})\\,r_{ij}\\bigr),\\qquad
        q_i = 1 - p_{t,i},\\quad r_{ij} = \\frac{e^{x_{ij}}}{\\sum_{k \\ne y_i} e^{x_{ik}}}

    Parameters
    ----------
    input, target, alpha, gamma, ignore_index, reduction, validate
        As for :func:`focal_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        Shape of ``input``; zero for ignored elements; divided by the number of non-ignored
        elements for "mean"; for "none", the gradient of the sum.

    Notes
    -----
    See :func:`focal_loss` for the derivation; no autograd is used.

    Examples
    --------
    >>> import numpy as np
    >>> g = focal_loss_grad(np.array([[0.0, 0.0]]), np.array([0]), gamma=0.0)
    >>> print(f"{float(g[0, 0]):.6f}")
    -0.500000
    """
    xp, axis, alpha_c = _softmax_checks(input, target, alpha, gamma, ignore_index, reduction,
                                        validate)
    onehot, r, p_t, q, nlog_pt, log_q, valid = _softmax_parts(input, target, axis, ignore_index)
    # d loss / d margin, with the margin d = x_y - logsumexp_{j != y} x_j
    dl_dd = -_alpha_t(xp, alpha_c, onehot, axis, input) * _modulating(xp, q, log_q, gamma) * (
        q + gamma * p_t * nlog_pt)
    dl_dd = xp.where(valid, dl_dd, xp.zeros_like(dl_dd))
    dl_dd = dl_dd * reduce_grad(dl_dd.shape, reduction, grad_output, like=input,
                                denominator=_count_valid(xp, valid, input), xp=xp)
    dd_dx = xp.where(onehot, xp.ones_like(r), -r)
    return xp.expand_dims(dl_dd, axis=axis) * dd_dx
