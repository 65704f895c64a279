"""Binary losses: binary cross-entropy on probabilities and on logits.

Each loss has its hand-derived gradient ``<name>_grad`` beside it. Everything is computed in
stable forms (softplus, log-sigmoid, ``log1p``, 0 * log 0 = 0), without PyTorch's clamp of each
log at -100, so the values stay right where PyTorch's are cut off (see the Notes of
:func:`binary_cross_entropy`).
"""

from __future__ import annotations

from typing import Any

from lossbook._array import Array, check_float, namespace, quiet
from lossbook._reduction import check_reduction, reduce, reduce_grad
from lossbook._validation import (
    check_non_empty,
    check_non_negative_values,
    check_option,
    check_probabilities,
    check_same_shape,
)
from lossbook.primitives import (
    _safe_div,
    _sigmoid_pair,
    _softplus_pair,
    _times_nonzero,
    _xlog1py,
    _xlogy,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
]


# --- helpers ------------------------------------------------------------------------------------


def _check_broadcasts(w: Array, input: Array, name: str, hint: str = "") -> None:
    """``w`` must broadcast to ``input``'s shape without enlarging it (no silent growth)."""
    ws, s = tuple(int(d) for d in w.shape), tuple(int(d) for d in input.shape)
    ok = len(ws) <= len(s) and all(a in (1, b) for a, b in zip(reversed(ws), reversed(s), strict=False))
    if not ok:
        raise ValueError(
            f"{name} must broadcast to the input's shape {s}{hint}; got {name} of shape {ws}"
        )


def _check(
    input: Array,
    target: Array,
    weight: Array | None,
    pos_weight: Array | None,
    reduction: str,
    validate: Any,
    grad_output: Array | None,
    *,
    probabilities: bool,
) -> Any:
    """The checks shared by both losses and their gradients; returns the namespace."""
    xp = namespace(input=input, target=target, weight=weight, pos_weight=pos_weight,
                   grad_output=grad_output)
    check_float(xp, input, "input")
    check_float(xp, target, "target", like=input)
    check_reduction(reduction)
    check_same_shape(input, target)
    check_non_empty(input)
    if weight is not None:
        check_float(xp, weight, "weight", like=input)
        _check_broadcasts(weight, input, "weight")
    if pos_weight is not None:
        check_float(xp, pos_weight, "pos_weight", like=input)
        last = f" (one weight per class along the last dim: {(int(input.shape[-1]),)})" if (
            input.ndim) else ""
        _check_broadcasts(pos_weight, input, "pos_weight", last)
    if check_option(validate, "validate", bool):
        if probabilities:
            check_probabilities(xp, input, "input")
        check_probabilities(xp, target, "target")
        if weight is not None:
            check_non_negative_values(xp, weight, "weight")
        if pos_weight is not None:
            check_non_negative_values(xp, pos_weight, "pos_weight")
    return xp


def _logit_terms(xp: Any, x: Array, y: Array) -> tuple[Array, Array]:
    """The two terms of binary cross-entropy on logits: y softplus(-x) and (1 - y) softplus(x).

    Each is 0 where its coefficient is 0, so an infinite logit with the matching hard label
    gives 0 (not 0 * inf = nan), as 0 * log 0 = 0 does for probabilities.
    """
    softplus_neg, softplus_pos = _softplus_pair(xp, x)
    return _times_nonzero(xp, y, softplus_neg), _times_nonzero(xp, 1 - y, softplus_pos)


def _logit_slopes(xp: Any, x: Array, y: Array) -> tuple[Array, Array]:
    """The derivatives of :func:`_logit_terms` in x: -y sigmoid(-x) and (1 - y) sigmoid(x)."""
    sigmoid_pos, sigmoid_neg = _sigmoid_pair(xp, x)
    return -(y * sigmoid_neg), (1 - y) * sigmoid_pos


# --- binary_cross_entropy (probabilities) -------------------------------------------------------


def binary_cross_entropy(
    input: Array,
    target: Array,
    *,
    weight: Array | None = None,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    r"""Binary cross-entropy between predicted probabilities and targets, exact (no clamp).

    .. math::
        \ell_i = -w_i \left[ y_i \log p_i + (1 - y_i) \log(1 - p_i) \right],
        \qquad 0 \cdot \log 0 = 0

    then reduced by ``reduction`` ("mean" is the plain mean of the :math:`\ell_i`).

    Parameters
    ----------
    input : array
        Predicted probabilities :math:`p` in [0, 1], real floating, any shape.
    target : array
        Targets :math:`y` in [0, 1] (hard 0/1 labels or soft targets), same shape as ``input``
        (no broadcasting); cast to ``input``'s dtype.
    weight : array, optional
        Non-negative rescaling weight :math:`w` that broadcasts to ``input``'s shape (for
        example one weight per class of shape (C,), or one per sample of shape (N, 1)).
    reduction : {"none", "mean", "sum"}
        How the per-element losses are reduced.
    validate : bool
        Check that ``input`` and ``target`` lie in [0, 1] and ``weight`` is >= 0 (a pass over
        the data and a host sync; switch off only in training loops).

    Returns
    -------
    array
        The loss: a 0-d array for "mean" and "sum", else an array shaped like ``input``; same
        array type, dtype and device as ``input``.

    Raises
    ------
    TypeError
        If ``input`` is not a floating array, or the arrays come from different libraries.
    ValueError
        On an unknown reduction, mismatched shapes, empty input, a ``weight`` that does not
        broadcast to ``input``, or (``validate=True``) probabilities or targets outside [0, 1]
        or a negative weight.

    See Also
    --------
    binary_cross_entropy_grad : Its hand-derived gradient.
    binary_cross_entropy_with_logits : The same loss on logits, exact where p rounds to 0 or 1.
    04_binary_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    **Derivation.** A Bernoulli variable that is 1 with probability :math:`p` has likelihood
    :math:`p^{y}(1-p)^{1-y}` for the outcome :math:`y \in \{0, 1\}`; its negative log is the
    formula above, which also makes sense for soft targets :math:`y \in [0, 1]` (it is then the
    cross-entropy between the Bernoulli distributions :math:`y` and :math:`p`).

    **Exactness.** The two terms are computed as ``xlogy(y, p)`` and
    :math:`(1-y)\,\mathrm{log1p}(-p)`, each 0 where its coefficient is 0, so a hard target
    never produces ``0 * log 0 = nan`` and a tiny loss (for example :math:`p = 10^{-20}` with
    :math:`y = 0`, loss :math:`10^{-20}`) keeps its relative accuracy. A confident wrong
    prediction has a large, exact loss: at :math:`p = 10^{-200}` with :math:`y = 1` the loss is
    :math:`200 \ln 10 = 460.517...`, and at :math:`p = 0` it is ``inf``.

    **Relation to PyTorch.** ``torch.nn.functional.binary_cross_entropy`` clamps each log at
    -100, so any loss term above 100 is reported as 100 (at :math:`p = 10^{-200}`, 100 instead
    of 460.517), and its backward divides by :math:`\max(p(1-p), 10^{-12})`, so its gradient is
    wrong for :math:`p < 10^{-12}` or :math:`p > 1 - 10^{-12}`. Elsewhere both agree. Prefer
    :func:`binary_cross_entropy_with_logits` on logits: it is exact where the probability
    itself would round to 0 or 1.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.binary_cross_entropy``; ``binary_cross_entropy`` and
       its backward in ``aten/src/ATen/native/Loss.cpp`` (the -100 clamp and the 1e-12 floor).

    Examples
    --------
    >>> import numpy as np
    >>> p, y = np.array([0.9, 0.2, 0.6]), np.array([1.0, 0.0, 1.0])
    >>> print(f"{float(binary_cross_entropy(p, y)):.6f}")
    0.279777
    """
    xp = _check(input, target, weight, None, reduction, validate, None, probabilities=True)
    with quiet(input):
        loss = -(_xlogy(xp, target, input) + _xlog1py(xp, 1 - target, -input))
    if weight is not None:
        loss = loss * weight
    return reduce(loss, reduction, xp=xp)


def binary_cross_entropy_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    weight: Array | None = None,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    r"""Gradient of :func:`binary_cross_entropy` (reduced; for "none", of the sum) w.r.t. ``input``.

    .. math::
        \frac{\partial \ell_i}{\partial p_i}
        = w_i \left[ \frac{1 - y_i}{1 - p_i} - \frac{y_i}{p_i} \right]
        = w_i \, \frac{p_i - y_i}{p_i (1 - p_i)}

    times :math:`1/n` for "mean" (``n`` elements).

    Parameters
    ----------
    input, target, weight, reduction, validate
        As for :func:`binary_cross_entropy`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        The gradient, shaped like ``input``, same type, dtype and device.

    See Also
    --------
    binary_cross_entropy : The loss.
    04_binary_cross_entropy.ipynb : The notebook that derives the gradient.

    Notes
    -----
    Differentiate each term: :math:`\frac{d}{dp}\, y \log p = y/p` and
    :math:`\frac{d}{dp}\,(1-y)\log(1-p) = -(1-y)/(1-p)` (chain rule, the inner derivative of
    :math:`1-p` is -1). With the leading minus sign,
    :math:`\partial\ell/\partial p = (1-y)/(1-p) - y/p`; over the common denominator
    :math:`p(1-p)` the numerator is :math:`p(1-y) - y(1-p) = p - y`. The gradient is 0 at
    :math:`p = y`: the minimum for a soft target is the target itself.

    It is computed from the first form, each ratio 0 where its numerator is 0, so
    :math:`p = 0, y = 0` gives the true derivative :math:`w` (the second form is 0/0 there).
    Reductions: "sum" and "none" add the per-element gradients, "mean" divides by ``n``.

    PyTorch's backward computes :math:`(p - y) / \max(p(1-p), 10^{-12})`: the same for
    :math:`10^{-12} \lesssim p \lesssim 1 - 10^{-12}`, too small by up to a factor of
    :math:`10^{-12}/(p(1-p))` outside.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.binary_cross_entropy``; ``binary_cross_entropy`` and
       its backward in ``aten/src/ATen/native/Loss.cpp`` (the -100 clamp and the 1e-12 floor).

    Examples
    --------
    >>> import numpy as np
    >>> g = binary_cross_entropy_grad(np.array([0.25]), np.array([1.0]), reduction="sum")
    >>> print(f"{float(g[0]):.6f}")
    -4.000000
    """
    xp = _check(input, target, weight, None, reduction, validate, grad_output, probabilities=True)
    g = reduce_grad(input.shape, reduction, grad_output, like=input, xp=xp)
    with quiet(input):  # 1 / 0 = inf where p = 0 < y: the derivative there
        # c / d with 0 where c == 0: the limit of each term at 0 * inf
        grad = (_safe_div(xp, 1 - target, 1 - input, (1 - target) != 0)
                - _safe_div(xp, target, input, target != 0)) * g
        # the weight last: one near the largest float overflows only where the gradient does
        return grad if weight is None else grad * weight


# --- binary_cross_entropy_with_logits -----------------------------------------------------------


def binary_cross_entropy_with_logits(
    input: Array,
    target: Array,
    *,
    weight: Array | None = None,
    reduction: str = "mean",
    pos_weight: Array | None = None,
    validate: bool = True,
) -> Array:
    r"""Binary cross-entropy on logits (sigmoid folded in), with ``weight`` and ``pos_weight``.

    .. math::
        \ell_i = w_i \left[ c_i\, y_i \,\mathrm{softplus}(-x_i)
                 + (1 - y_i)\,\mathrm{softplus}(x_i) \right],
        \qquad \mathrm{softplus}(z) = \log(1 + e^{z}) = -\log\sigma(-z)

    where :math:`c_i` is ``pos_weight`` broadcast to the input (1 without it); this equals
    :math:`-w_i [c_i y_i \log\sigma(x_i) + (1-y_i)\log(1-\sigma(x_i))]`. Then reduced by
    ``reduction`` ("mean" is the plain mean of the :math:`\ell_i`).

    Parameters
    ----------
    input : array
        Logits :math:`x` (real floating, any shape, for example (N, C) for C labels).
    target : array
        Targets :math:`y` in [0, 1], same shape as ``input`` (no broadcasting); cast to
        ``input``'s dtype.
    weight : array, optional
        Non-negative rescaling weight :math:`w` that broadcasts to ``input``'s shape.
    reduction : {"none", "mean", "sum"}
        How the per-element losses are reduced.
    pos_weight : array, optional
        Non-negative weight :math:`c` of the positive term, broadcast against ``input`` as in
        PyTorch, i.e. aligned with the LAST dimensions: shape (C,) gives one weight per class of
        an (N, C) input. For an (N, C, H, W) input use shape (C, 1, 1).
    validate : bool
        Check that ``target`` lies in [0, 1] and the weights are >= 0.

    Returns
    -------
    array
        The loss: a 0-d array for "mean" and "sum", else an array shaped like ``input``; same
        array type, dtype and device as ``input``.

    Raises
    ------
    TypeError
        If ``input`` is not a floating array, or the arrays come from different libraries.
    ValueError
        On an unknown reduction, mismatched shapes, empty input, a weight that does not
        broadcast to ``input`` (for example a ``pos_weight`` of the wrong length), or
        (``validate=True``) targets outside [0, 1] or negative weights.

    See Also
    --------
    binary_cross_entropy_with_logits_grad : Its hand-derived gradient.
    binary_cross_entropy : The same loss on probabilities.
    04_binary_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    **Why logits.** With :math:`p = \sigma(x)`, :math:`\log p = \log\sigma(x) =
    -\mathrm{softplus}(-x)` and :math:`\log(1-p) = \log\sigma(-x) = -\mathrm{softplus}(x)`.
    Computing ``sigmoid`` first rounds :math:`p` to exactly 1 once :math:`x \gtrsim 37` in
    float64 (:math:`x \gtrsim 17` in float32), after which :math:`\log(1-p) = -\infty`;
    softplus never forms :math:`p` and stays exact for any finite logit (at :math:`x = 10^4`,
    :math:`y = 0` the loss is :math:`10^4`). Both terms are sums of non-negative softplus
    values, so a tiny loss (:math:`x = -40, y = 0`: :math:`4.25 \times 10^{-18}`) keeps its
    relative accuracy. Each term is 0 where its coefficient is 0, so an infinite logit with the
    matching hard label (:math:`x = -\infty, y = 0`) gives loss 0 rather than NaN, and with any
    other label the limit :math:`+\infty` (PyTorch: NaN). The two
    softplus values share :math:`\mathrm{log1p}(e^{-|x|})`, so each element costs one ``exp``
    and one ``log1p``, not two of each (compiled at 4M float32: 9.1 ms instead of 16.4 ms).

    **Relation to PyTorch.** ``torch.nn.functional.binary_cross_entropy_with_logits``
    computes :math:`(1-y)x - (1 + (c-1)y)\log\sigma(x)`, algebraically the same (expand
    :math:`\log\sigma(-x) = \log\sigma(x) - x`). The subtraction there loses a tiny loss
    entirely (at :math:`x = -40, y = 0` PyTorch returns 0), and an infinite logit gives NaN.
    ``pos_weight`` multiplies only the positive term :math:`-y\log\sigma(x)`: a value
    :math:`c > 1` raises recall (PyTorch's example: 300 negatives and 100 positives of a class
    suggest :math:`c = 3`).

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.binary_cross_entropy_with_logits``;
       ``binary_cross_entropy_with_logits`` in ``aten/src/ATen/native/Loss.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.array([2.0, -1.0, 0.5]), np.array([1.0, 0.0, 1.0])
    >>> print(f"{float(binary_cross_entropy_with_logits(x, y)):.6f}")
    0.304756
    """
    xp = _check(input, target, weight, pos_weight, reduction, validate, None, probabilities=False)
    with quiet(input):
        positive, negative = _logit_terms(xp, input, target)  # y softplus(-x), (1-y) softplus(x)
        if pos_weight is not None:
            positive = pos_weight * positive
        loss = positive + negative
        if weight is not None:
            loss = loss * weight
        return reduce(loss, reduction, xp=xp)


def binary_cross_entropy_with_logits_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    weight: Array | None = None,
    reduction: str = "mean",
    pos_weight: Array | None = None,
    validate: bool = True,
) -> Array:
    r"""Gradient of :func:`binary_cross_entropy_with_logits` (reduced) w.r.t. the logits.

    .. math::
        \frac{\partial \ell_i}{\partial x_i}
        = w_i \left[ (1 - y_i)\,\sigma(x_i) - c_i\, y_i\, \sigma(-x_i) \right]
        \;\overset{c_i = 1}{=}\; w_i \left( \sigma(x_i) - y_i \right)

    times :math:`1/n` for "mean" (``n`` elements); for "none", the gradient of the sum.

    Parameters
    ----------
    input, target, weight, reduction, pos_weight, validate
        As for :func:`binary_cross_entropy_with_logits`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        The gradient, shaped like ``input``, same type, dtype and device.

    See Also
    --------
    binary_cross_entropy_with_logits : The loss.
    04_binary_cross_entropy.ipynb : The notebook that derives the gradient.

    Notes
    -----
    :math:`\frac{d}{dx}\mathrm{softplus}(x) = \frac{e^{x}}{1 + e^{x}} = \sigma(x)`, and by the
    chain rule :math:`\frac{d}{dx}\mathrm{softplus}(-x) = -\sigma(-x)`. So

    .. math::
        \frac{\partial \ell}{\partial x} = w\,[\,-c\,y\,\sigma(-x) + (1-y)\,\sigma(x)\,].

    Without ``pos_weight`` (:math:`c = 1`), use :math:`\sigma(-x) = 1 - \sigma(x)`:
    :math:`-y + y\sigma(x) + \sigma(x) - y\sigma(x) = \sigma(x) - y`, the famous "prediction
    minus target". With it, :math:`(c y + 1 - y)\,\sigma(x) - c\,y`, PyTorch's backward
    formula: the positive pull :math:`-c\,y\,\sigma(-x)` is :math:`c` times stronger, and the
    minimum for a soft target moves from :math:`\sigma(x) = y` to
    :math:`\sigma(x) = c y / (c y + 1 - y)`.

    It is computed in the first form with a stable sigmoid, so a tiny gradient (:math:`x = 40,
    y = 1`: :math:`-\sigma(-40) \approx -4.25 \times 10^{-18}`) is not rounded to 0 as
    ``sigmoid(x) - y`` would be.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.binary_cross_entropy_with_logits``;
       ``binary_cross_entropy_with_logits`` in ``aten/src/ATen/native/Loss.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> g = binary_cross_entropy_with_logits_grad(np.array([0.0]), np.array([1.0]),
    ...                                           reduction="sum")
    >>> print(f"{float(g[0]):.6f}")
    -0.500000
    """
    xp = _check(input, target, weight, pos_weight, reduction, validate, grad_output,
                probabilities=False)
    g = reduce_grad(input.shape, reduction, grad_output, like=input, xp=xp)
    positive, negative = _logit_slopes(xp, input, target)  # -y sigmoid(-x), (1-y) sigmoid(x)
    with quiet(input):  # a weight near the largest float: the gradient may exceed it
        if pos_weight is not None:
            positive = pos_weight * positive
        grad = (positive + negative) * g
        # the weight last: one near the largest float overflows only where the gradient does
        return grad if weight is None else grad * weight
