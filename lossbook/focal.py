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
from typing import Any, NamedTuple

from lossbook._array import Array, check_float, class_mask, device, namespace, quiet
from lossbook._reduction import check_reduction, reduce, reduce_grad
from lossbook._validation import (
    check_class_dim,
    check_class_indices,
    check_class_weights,
    check_index_target,
    check_non_empty,
    check_non_negative,
    check_option,
    check_probabilities,
    check_same_shape,
)
from lossbook.primitives import _logsumexp_parts, _sigmoid_pair, _softplus_pair, _times_nonzero

__all__ = ["focal_loss", "focal_loss_grad", "sigmoid_focal_loss", "sigmoid_focal_loss_grad"]


# --- sigmoid focal loss (torchvision) ------------------------------------------------------------


def _check_scalar_alpha(alpha: Any) -> float:
    a = check_option(alpha, "alpha", float)
    if not 0 <= a <= 1:  # also refuses NaN
        hint = " (torchvision's alpha=-1 'off' switch is alpha=None here)" if a < 0 else ""
        raise ValueError(f"alpha must be within [0, 1] or None{hint}; got {alpha!r}")
    return a


class _SigmoidParts(NamedTuple):
    """The factors of the sigmoid focal loss of each element, and their derivatives in x."""

    ce: Array  # the binary cross-entropy, t softplus(-x) + (1 - t) softplus(x)
    log_q: Array  # log(1 - p_t)
    dlog_q: Array  # d log(1 - p_t) / dx
    dce: Array  # d ce / dx = sigmoid(x) - t


def _sigmoid_parts(xp: Any, input: Array, target: Array) -> _SigmoidParts:
    """Cross-entropy, log(1 - p_t) and their derivatives, every one continuous in the target."""
    t = target
    softplus_neg, softplus_pos = _softplus_pair(xp, input)  # -log sigma(x), -log sigma(-x)
    sig_pos, sig_neg = _sigmoid_pair(xp, input)  # sigma(x), sigma(-x)
    # Binary cross-entropy with logits as a sum of two non-negative terms: no cancellation, so
    # a tiny loss keeps its relative accuracy (torch's (1-t)x + softplus(-x) form rounds it to 0).
    ce = _times_nonzero(xp, t, softplus_neg) + _times_nonzero(xp, 1 - t, softplus_pos)
    # 1 - p_t = t sigma(-x) + (1 - t) sigma(x), a sum of two non-negative terms: accurate for
    # every t in [0, 1], and linear in t, so its derivative in t is the same at t = 1 as at
    # t = 0.999999. Its plain log is accurate wherever it is a normal number.
    q = t * sig_neg + (1 - t) * sig_pos
    normal = q >= xp.finfo(input.dtype).smallest_normal
    safe_q = xp.where(normal, q, xp.ones_like(q))
    # Below the normal range (a hard label and |x| beyond ~708 in float64, ~87 in float32) the
    # log is taken in log space: log(1 - p_t) = log sigma(-s), s = x for t near 1, -x near 0.
    near_one = t >= 0.5
    log_q_hard = 0.0 - xp.where(near_one, softplus_pos, softplus_neg)
    log_q = xp.where(normal, xp.log(safe_q), log_q_hard)
    # d log(1 - p_t) / dx = (1 - 2t) sigma(x) sigma(-x) / (1 - p_t); in log space -sigma(s) s'
    dlog_q = xp.where(normal, (1 - 2 * t) * (sig_pos * sig_neg) / safe_q,
                      xp.where(near_one, 0.0 - sig_pos, sig_neg))
    dce = (1 - t) * sig_pos - t * sig_neg  # = sigmoid(x) - t without cancellation
    return _SigmoidParts(ce, log_q, dlog_q, dce)


def _sigmoid_modulating(xp: Any, parts: _SigmoidParts, gamma: float) -> Array:
    """(1 - p_t)^gamma as exp(gamma log(1 - p_t)): finite, and finite in autograd, for gamma >= 0."""
    if gamma == 0:  # an option, not data: no graph break under torch.compile
        return xp.ones_like(parts.log_q)
    return xp.exp(gamma * parts.log_q)


def _sigmoid_checks(
    input: Array, target: Array, alpha: Any, gamma: Any, reduction: str, validate: Any,
    grad_output: Array | None = None,
) -> tuple[Any, float | None, float]:
    """The checks of sigmoid_focal_loss and its gradient: the namespace, alpha and gamma."""
    xp = namespace(input=input, target=target, grad_output=grad_output)
    check_float(xp, input, "input")
    check_float(xp, target, "target", like=input)
    check_same_shape(input, target)
    check_non_empty(input)
    gamma = check_non_negative(gamma, "gamma")
    alpha = None if alpha is None else _check_scalar_alpha(alpha)
    check_reduction(reduction)
    if check_option(validate, "validate", bool):
        check_probabilities(xp, target, "target")
    return xp, alpha, gamma


def _alpha_weight(alpha: float | None, target: Array) -> Array | float:
    """alpha_t = alpha t + (1 - alpha)(1 - t): the weight of each element (1 without alpha)."""
    if alpha is None:
        return 1.0
    return alpha * target + (1 - alpha) * (1 - target)


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

    See Also
    --------
    sigmoid_focal_loss_grad : Its hand-derived gradient.
    binary_cross_entropy_with_logits : gamma = 0, alpha = None.
    06_focal_loss.ipynb : The notebook that derives it.

    Notes
    -----
    torchvision computes ``ce * (1 - p_t) ** gamma`` from ``p = sigmoid(x)``. Here no factor
    is formed by a subtraction:

    - the cross-entropy is :math:`t\\,\\mathrm{softplus}(-x) + (1-t)\\,\\mathrm{softplus}(x)`,
      a sum of non-negative terms (no cancellation, so a loss of 1e-20 stays 1e-20);
    - :math:`1 - p_t = t\\,\\sigma(-x) + (1-t)\\,\\sigma(x)` is a sum of non-negative terms too,
      accurate for every :math:`t \\in [0, 1]` (torchvision's ``1 - p_t`` rounds to 0 once
      :math:`p_t` rounds to 1), and linear in :math:`t`: its derivative in the target is
      :math:`\\sigma(-x) - \\sigma(x)` at a hard label as next to it, torchvision's, so autograd
      with respect to the target has no jump between :math:`t = 1` and :math:`t = 0.999999`;
    - :math:`(1-p_t)^\\gamma = \\exp(\\gamma \\log(1 - p_t))`. Autograd through
      :math:`(1-p_t)^\\gamma` computed from :math:`p` meets
      :math:`\\gamma (1-p_t)^{\\gamma-1} \\cdot 0 = \\infty \\cdot 0` = NaN at :math:`p_t = 1`
      when :math:`\\gamma < 1`; here it meets only :math:`\\sigma`, which is bounded. Where
      :math:`1 - p_t` is below the normal range (a hard label and :math:`|x|` beyond about 708
      in float64, 87 in float32) its logarithm is taken in log space,
      :math:`\\log\\sigma(-s)` with :math:`s = (2t - 1)x`, finite for every finite logit; there
      the gradient with respect to the target keeps only the cross-entropy's part (the
      modulating factor's part, of the order of :math:`(1-p_t)^{\\gamma-1}`, is below the
      range too for :math:`\\gamma \\ge 1`).

    The gradient (of the sum for ``reduction="none"``): with :math:`c` the cross-entropy and
    :math:`m = (1 - p_t)^\\gamma`,

    .. math::
        \\frac{\\partial \\ell}{\\partial x} = \\alpha_t\\, m \\Bigl(\\frac{\\partial c}{\\partial x}
        + \\gamma\\, c\\, \\frac{\\partial \\log(1 - p_t)}{\\partial x}\\Bigr),\\qquad
        \\frac{\\partial c}{\\partial x} = \\sigma(x) - t,

    and :math:`\\partial \\log(1-p_t)/\\partial x = (1-2t)\\,\\sigma(x)\\sigma(-x) / (1-p_t)`
    (in log space :math:`-(2t-1)\\,\\sigma(s)`, from :math:`d\\log\\sigma(u)/du = \\sigma(-u)`).
    Every factor is bounded, so the gradient is finite at :math:`p_t = 1` for every
    :math:`\\gamma \\ge 0`; it tends to 0 there. :math:`\\sigma(x) - t` is computed as
    :math:`(1-t)\\sigma(x) - t\\,\\sigma(-x)`, and :math:`c \\cdot \\partial\\log(1-p_t)/\\partial x`
    before :math:`\\gamma` multiplies it: :math:`c` grows like :math:`|x|` where the other factor
    decays like :math:`e^{-|x|}`, so the gradient at :math:`x = 10^{308}` is finite and right.
    An infinite logit gives the limits of the loss and its gradient: with the matching hard
    label (:math:`x = -\\infty, t = 0`) both are 0, where torchvision's formula gives NaN.

    MONAI's ``FocalLoss(use_softmax=False)`` uses the same log-space factor for hard targets but
    :math:`\\sigma(-x(2t-1))` also for soft ones, which differs from torchvision there.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss for Dense Object
       Detection", ICCV 2017, arXiv:1708.02002.
    .. [2] torchvision: ``sigmoid_focal_loss`` in ``torchvision/ops/focal_loss.py``.

    Examples
    --------
    >>> import numpy as np
    >>> x, t = np.array([2.0, -1.0, 0.5]), np.array([1.0, 0.0, 0.0])
    >>> print(f"{float(sigmoid_focal_loss(x, t, reduction='mean')):.6f}")
    0.100168
    """
    xp, alpha, gamma = _sigmoid_checks(input, target, alpha, gamma, reduction, validate)
    with quiet(input):
        parts = _sigmoid_parts(xp, input, target)
        loss = _alpha_weight(alpha, target) * (parts.ce * _sigmoid_modulating(xp, parts, gamma))
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

    See Also
    --------
    sigmoid_focal_loss : The loss.
    06_focal_loss.ipynb : The notebook that derives the gradient.

    Notes
    -----
    See :func:`sigmoid_focal_loss` for the derivation; no autograd is used.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss for Dense Object
       Detection", ICCV 2017, arXiv:1708.02002.
    .. [2] torchvision: ``sigmoid_focal_loss`` in ``torchvision/ops/focal_loss.py``.

    Examples
    --------
    >>> import numpy as np
    >>> g = sigmoid_focal_loss_grad(np.array([0.0]), np.array([1.0]), alpha=None, gamma=0.0)
    >>> print(f"{float(g[0]):.6f}")
    -0.500000
    """
    xp, alpha, gamma = _sigmoid_checks(input, target, alpha, gamma, reduction, validate,
                                       grad_output)
    with quiet(input):
        parts = _sigmoid_parts(xp, input, target)
        # ce * dlog_q first: ce grows like |x| where dlog_q decays like exp(-|x|)
        slope = parts.dce + gamma * (parts.ce * parts.dlog_q)
        grad = _alpha_weight(alpha, target) * (_sigmoid_modulating(xp, parts, gamma) * slope)
    return grad * reduce_grad(input.shape, reduction, grad_output, like=input, xp=xp)


# --- softmax focal loss ----------------------------------------------------------------------------


class _SoftmaxChecked(NamedTuple):
    """What the checks of focal_loss hand to the loss and its gradient."""

    xp: Any
    dim: int  # the class dim
    alpha: float | Array | None  # None, one number, or one weight per class shaped for dim
    gamma: float
    ignore_index: int


def _softmax_checks(
    input: Array, target: Array, alpha: Any, gamma: Any, ignore_index: Any, reduction: str,
    validate: Any, grad_output: Array | None = None,
) -> _SoftmaxChecked:
    """All checks of focal_loss and its gradient."""
    # alpha: None, a number, a sequence of numbers or an array (which joins the namespace)
    alpha_array = None
    if alpha is not None and not isinstance(alpha, Real):
        if isinstance(alpha, str | bytes) or not (
                isinstance(alpha, Sequence) or hasattr(alpha, "__array_namespace__")
                or hasattr(alpha, "dtype")):
            raise TypeError(
                "alpha must be None, a number, a sequence of numbers or an array of shape (C,); "
                f"got {type(alpha).__name__} {alpha!r}"[:200]
            )
        if not isinstance(alpha, Sequence):
            alpha_array = alpha
    xp = namespace(input=input, target=target, alpha=alpha_array, grad_output=grad_output)
    check_float(xp, input, "input")
    cd = check_class_dim(input)
    check_index_target(xp, input, target, cd)
    check_non_empty(input)
    num_classes = int(input.shape[cd])
    if num_classes < 2:
        raise ValueError(
            f"input must have at least 2 classes along dim {cd}; got {num_classes} "
            "(use sigmoid_focal_loss for a single logit)"
        )
    gamma = check_non_negative(gamma, "gamma")
    ignore_index = check_option(ignore_index, "ignore_index", int)
    check_reduction(reduction)
    validate = check_option(validate, "validate", bool)
    alpha_c: float | Array | None = None
    if isinstance(alpha, Real):
        alpha_c = _check_scalar_alpha(alpha)
    elif alpha is not None:
        if alpha_array is None:  # a sequence of Python numbers, in the input's dtype
            values = [check_option(a, "alpha", float) for a in alpha]
            alpha_array = xp.asarray(values, dtype=input.dtype, device=device(input))
        alpha_c = check_class_weights(xp, alpha_array, input, cd, "alpha")
        if validate:
            check_probabilities(xp, alpha_array, "alpha")
    if validate:
        check_class_indices(xp, target, num_classes, ignore_index)
    return _SoftmaxChecked(xp, cd, alpha_c, gamma, ignore_index)


class _SoftmaxParts(NamedTuple):
    """The quantities of the softmax focal loss of each element (the target's shape)."""

    onehot: Array  # the target class (input's shape), False for an ignored element
    r: Array  # the softmax over the other classes, 0 at the target (input's shape)
    p_t: Array  # the probability of the target, sigma(d)
    q: Array  # 1 - p_t = sigma(-d)
    nlog_pt: Array  # -log p_t
    log_q: Array  # log(1 - p_t)
    valid: Array  # False where the target is ignore_index


def _softmax_parts(c: _SoftmaxChecked, input: Array, target: Array) -> _SoftmaxParts:
    """One-hot mask, the others' weights r, p_t, q = 1 - p_t, -log p_t, log q, the valid mask.

    With d = x_y - logsumexp_{j != y} x_j (the target's margin over all the other classes),
    p_t = sigmoid(d) and q = sigmoid(-d). d is never rounded at the scale of the logits:
    d = delta - L with delta = x_y - m (m the largest other logit) and L = log1p(T), and
    E = exp(-|d|) is formed as exp(-delta) (1 + T) or exp(delta) / (1 + T) (focal_loss Notes).
    """
    xp, dim = c.xp, c.dim
    onehot, valid = class_mask(xp, target, int(input.shape[dim]), dim, c.ignore_index)
    x_t = xp.sum(xp.where(onehot, input, xp.zeros_like(input)), axis=dim)
    others = xp.where(onehot, xp.full_like(input, -float("inf")), input)
    m, log1p_t = _logsumexp_parts(xp, others, dim)  # logsumexp(others) = m + log1p(T)
    # softmax over the other classes, 0 at the target; x_j - m is exact or nearly so
    r = xp.exp((others - m) - log1p_t)
    delta = x_t - xp.squeeze(m, axis=dim)  # no rounding at the scale of the logits
    big_l = xp.squeeze(log1p_t, axis=dim)  # 0 <= L <= log(C - 1)
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
    return _SoftmaxParts(onehot, r, p_t, q, nlog_pt, log_q, valid)


def _modulating(xp: Any, q: Array, log_q: Array, gamma: float) -> Array:
    """(1 - p_t)^gamma = q^gamma: a power of q where q is normal, exp(gamma log q) below.

    q ** gamma has ~1 ulp of error (q itself is accurate), where exp(gamma log q) has
    |gamma log q| ulps; below the normal range of q's dtype (and at q = 0, p_t = 1) the exp
    form keeps autograd finite for 0 < gamma < 1, where gamma q^(gamma - 1) would overflow.
    """
    if gamma == 0:
        return xp.ones_like(q)
    normal = q >= xp.finfo(q.dtype).smallest_normal
    safe = xp.where(normal, q, xp.ones_like(q))
    return xp.where(normal, safe ** gamma, xp.exp(gamma * log_q))


def _alpha_t(c: _SoftmaxChecked, onehot: Array, input: Array) -> Array | float:
    """The weight alpha_y of each element's target class (1 without alpha)."""
    if c.alpha is None:
        return 1.0
    if isinstance(c.alpha, float):
        return c.alpha
    xp = c.xp
    return xp.sum(xp.where(onehot, c.alpha, xp.zeros_like(input)), axis=c.dim)


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

    See Also
    --------
    focal_loss_grad : Its hand-derived gradient.
    cross_entropy : gamma = 0, alpha = None.
    06_focal_loss.ipynb : The notebook that derives it.

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
    :math:`p_t` would be 0 and its log :math:`-\\infty`). A logit of :math:`-\\infty` is a
    class of probability 0: its term vanishes, and the loss and the gradient are those of the
    other classes (MONAI's formula gives NaN, :math:`0 \\cdot \\log 0`). A logit of
    :math:`+\\infty` outside the target class gives the loss :math:`+\\infty` (MONAI: NaN); its
    gradient is NaN, as MONAI's.

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

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss for Dense Object
       Detection", ICCV 2017, arXiv:1708.02002.
    .. [2] MONAI: ``FocalLoss(use_softmax=True)`` in ``monai/losses/focal_loss.py``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    >>> y = np.array([0, 2])
    >>> print(f"{float(focal_loss(x, y)):.6f}")
    0.431280
    """
    c = _softmax_checks(input, target, alpha, gamma, ignore_index, reduction, validate)
    xp = c.xp
    with quiet(input):
        parts = _softmax_parts(c, input, target)
        modulating = _modulating(xp, parts.q, parts.log_q, c.gamma)
        loss = _alpha_t(c, parts.onehot, input) * modulating * parts.nlog_pt
        loss = xp.where(parts.valid, loss, xp.zeros_like(loss))
        return reduce(loss, reduction, denominator=_count_valid(xp, parts.valid, input), xp=xp)


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

    See Also
    --------
    focal_loss : The loss.
    06_focal_loss.ipynb : The notebook that derives the gradient.

    Notes
    -----
    See :func:`focal_loss` for the derivation; no autograd is used.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss for Dense Object
       Detection", ICCV 2017, arXiv:1708.02002.
    .. [2] MONAI: ``FocalLoss(use_softmax=True)`` in ``monai/losses/focal_loss.py``.

    Examples
    --------
    >>> import numpy as np
    >>> g = focal_loss_grad(np.array([[0.0, 0.0]]), np.array([0]), gamma=0.0)
    >>> print(f"{float(g[0, 0]):.6f}")
    -0.500000
    """
    c = _softmax_checks(input, target, alpha, gamma, ignore_index, reduction, validate,
                        grad_output)
    xp, dim = c.xp, c.dim
    with quiet(input):
        parts = _softmax_parts(c, input, target)
        # d loss / d margin, with the margin d = x_y - logsumexp_{j != y} x_j
        modulating = _modulating(xp, parts.q, parts.log_q, c.gamma)
        dl_dd = -_alpha_t(c, parts.onehot, input) * modulating * (
            parts.q + c.gamma * parts.p_t * parts.nlog_pt)
        dl_dd = xp.where(parts.valid, dl_dd, xp.zeros_like(dl_dd))
        dl_dd = dl_dd * reduce_grad(dl_dd.shape, reduction, grad_output, like=input,
                                    denominator=_count_valid(xp, parts.valid, input), xp=xp)
        dd_dx = xp.where(parts.onehot, xp.ones_like(parts.r), -parts.r)
        return xp.expand_dims(dl_dd, axis=dim) * dd_dx
