"""Multi-class classification: cross-entropy and negative log-likelihood.

Every function takes NumPy arrays or torch tensors, follows PyTorch's names, defaults and
shape conventions (classes on dim 1, or dim 0 for an unbatched input of shape (C,)), and has
a hand-derived gradient ``<name>_grad`` beside it. The primitives they stand on (log-sum-exp,
softmax, log-softmax) are in :mod:`lossbook.primitives`.

Accuracy: the log-sum-exp is split as ``m + log1p(T)``, where ``m`` is the largest logit and
``T`` the sum of ``exp(x_j - m)`` over the *other* entries. Then ``log_softmax(x)_c =
(x_c - m) - log1p(T)`` adds two non-positive numbers and never cancels, so a tiny loss keeps
all its significant digits: logits [40, 0] with target 0 give 4.248354255291589e-18, where
the textbook ``logsumexp(x) - x_y`` (and PyTorch) return 0.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from lossbook._array import Array, check_float, class_mask, namespace, quiet
from lossbook._reduction import check_reduction, reduce, reduce_grad, scale_to_one
from lossbook._validation import (
    check_class_dim,
    check_class_indices,
    check_class_weights,
    check_distribution,
    check_index_target,
    check_non_empty,
    check_non_negative_values,
    check_option,
    shape_str,
)
from lossbook.primitives import _log_softmax, _softmax

__all__ = [
    "cross_entropy",
    "cross_entropy_grad",
    "nll_loss",
    "nll_loss_grad",
]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


class _Checked(NamedTuple):
    """What the checks of cross_entropy and nll_loss hand to the loss and its gradient."""

    xp: Any
    dim: int  # the class dim
    weight: Array | None  # one weight per class, shaped to broadcast on dim
    num_classes: int
    probabilities: bool  # a floating target of class probabilities (else class indices)
    ignore_index: int
    label_smoothing: float


def _check(
    input: Array, target: Array, weight: Array | None, ignore_index: Any, reduction: str,
    label_smoothing: Any, validate: Any, grad_output: Array | None, *, allow_probabilities: bool,
) -> _Checked:
    """All checks of cross_entropy / nll_loss and their gradients."""
    xp = namespace(input=input, target=target, weight=weight, grad_output=grad_output)
    check_float(xp, input, "input")
    check_reduction(reduction)
    cd = check_class_dim(input)
    check_non_empty(input)
    ignore_index = check_option(ignore_index, "ignore_index", int)
    label_smoothing = check_option(label_smoothing, "label_smoothing", float)
    if not 0.0 <= label_smoothing <= 1.0:  # NaN fails too
        raise ValueError(f"label_smoothing must be within [0, 1]; got {label_smoothing!r}")
    validate = check_option(validate, "validate", bool)
    wb = None
    if weight is not None:
        wb = check_class_weights(xp, weight, input, cd, "weight")
        if validate:
            check_non_negative_values(xp, weight, "weight")
    n_classes = int(input.shape[cd])
    probabilities = allow_probabilities and xp.isdtype(target.dtype, "real floating")
    if probabilities:
        check_float(xp, target, "target", like=input)
        if tuple(target.shape) != tuple(input.shape):
            raise ValueError(
                f"target must have shape {_shape_without(input, cd)} (class indices, an integer "
                f"dtype) or {shape_str(input)} (class probabilities, a floating dtype) for input "
                f"of shape {shape_str(input)}; got a floating target of shape {shape_str(target)}"
            )
        if ignore_index >= 0:
            raise ValueError(
                "ignore_index is not supported for probability targets (as in PyTorch); "
                f"got ignore_index={ignore_index}"
            )
        if validate:
            check_distribution(xp, target, cd, "target")
    else:
        what = "integer class indices" + (
            " or floating class probabilities" if allow_probabilities else "")
        check_index_target(xp, input, target, cd, what)
        if validate:
            check_class_indices(xp, target, n_classes, ignore_index)
    return _Checked(xp, cd, wb, n_classes, probabilities, ignore_index, label_smoothing)


def _shape_without(input: Array, cd: int) -> tuple[int, ...]:
    """The input's shape without the class dim: the shape of the per-element losses."""
    return tuple(int(d) for i, d in enumerate(input.shape) if i != cd)


def _weighted_target(
    c: _Checked, input: Array, target: Array, reduction: str
) -> tuple[Array, Array | None]:
    """The weighted target distribution ``w_c q_c`` (input's shape) and the mean's denominator.

    ``q`` is the one-hot vector of the class index (0 for an ignored element), or the given
    probabilities, mixed with the uniform distribution by ``label_smoothing``. The denominator
    is the total weight of the non-ignored index targets, or None (the number of losses) for
    probability targets, as in PyTorch. For that weighted mean the weights are first divided
    by a power of two that brings the largest target weight into [1/2, 1): the mean is
    unchanged (exactly: a power of two), and neither total overflows for weights near the
    largest float, where the unscaled ones give inf / inf = NaN. The scale comes from the
    targets' weights, not from every class weight, so that targets whose classes carry small
    weights beside one huge unused weight keep a normal, exact denominator.
    """
    xp, eps, n = c.xp, c.label_smoothing, c.num_classes
    weight = c.weight
    if c.probabilities:
        w = xp.ones_like(input) if weight is None else weight * xp.ones_like(input)
        q = target if eps == 0 else target * (1 - eps) + eps / n
        return q * w, None
    selected, valid = class_mask(xp, target, n, c.dim, c.ignore_index)
    zero = xp.zeros_like(input)
    if weight is None:
        w = xp.ones_like(input)
        w_y = xp.sum(xp.where(selected, w, zero), axis=c.dim)
    else:
        w_y = xp.sum(xp.where(selected, weight, zero), axis=c.dim)
        if reduction == "mean":
            w_y, weight = scale_to_one(xp, w_y, weight)
        w = weight * xp.ones_like(input)
    wq = xp.where(selected, (1 - eps) * w, zero)
    if eps > 0:
        wq = wq + xp.where(xp.expand_dims(valid, axis=c.dim), (eps / n) * w, zero)
    return wq, xp.sum(w_y)


def _minus_sum_xlogy(xp: Any, wq: Array, logp: Array, dim: int) -> Array:
    """-sum_c wq_c logp_c along dim, with 0 where wq_c = 0 (0 log 0 = 0, no 0 * -inf)."""
    terms = xp.where(wq == 0, xp.zeros_like(logp), wq * logp)
    return 0.0 - xp.sum(terms, axis=dim)  # 0 - 0 = +0.0 for an ignored element


# --------------------------------------------------------------------------------------------
# cross-entropy and NLL
# --------------------------------------------------------------------------------------------


def cross_entropy(
    input: Array,
    target: Array,
    *,
    weight: Array | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    validate: bool = True,
) -> Array:
    r"""Cross-entropy between the softmax of logits and a target class (or distribution).

    .. math::
        \ell_n = -\sum_{c=1}^{C} w_c\, q_{n,c} \log \frac{e^{x_{n,c}}}{\sum_j e^{x_{n,j}}},
        \qquad q_{n,c} = (1-\varepsilon)\, y_{n,c} + \frac{\varepsilon}{C}

    where :math:`y_n` is the one-hot vector of the class index (or the given probabilities),
    :math:`\varepsilon` is ``label_smoothing`` and :math:`w_c` the class ``weight`` (1 if
    None). Ignored targets have :math:`\ell_n = 0`. With index targets "mean" is
    :math:`\sum_n \ell_n / \sum_{n\ \text{not ignored}} w_{y_n}`; with probability targets it
    is :math:`\sum_n \ell_n / N` (N = number of elements, d1...dK included).

    Parameters
    ----------
    input : array
        Logits (unnormalised scores) of shape (C,), (N, C) or (N, C, d1, ..., dK): classes on
        dim 1, or dim 0 if unbatched. Real floating.
    target : array
        Either class indices, an integer array of shape (), (N,) or (N, d1, ..., dK) with
        values in [0, C) or ``ignore_index``; or class probabilities, a floating array of the
        input's shape that sums to 1 over the class dim.
    weight : array, optional
        Shape (C,): a weight per class (rescales each target class's term).
    ignore_index : int
        Index targets equal to it add nothing and leave the mean's denominator. Only negative
        values (never a class) are allowed with probability targets, as in PyTorch.
    reduction : {"none", "mean", "sum"}
        "none" returns one loss per target element.
    label_smoothing : float
        Within [0, 1]: mixes the target with the uniform distribution, weight :math:`\varepsilon`.
    validate : bool
        Check index ranges (index targets) or that each target row is a distribution
        (probability targets). Shape, dtype and option checks always run.

    Returns
    -------
    array
        0-d for "mean" and "sum", else the target's shape without the class dim; the input's
        type, dtype and device.

    See Also
    --------
    cross_entropy_grad : Its hand-derived gradient.
    nll_loss : The same loss on log-probabilities.
    02_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    Identical to ``torch.nn.functional.cross_entropy`` in every option, including PyTorch's
    label smoothing with weights and ignore_index (LossNLL.cpp,
    ``cross_entropy_loss_label_smoothing``): the smoothing term of sample n is
    :math:`-\tfrac{\varepsilon}{C}\sum_c w_c \log s_{n,c}` and, like the NLL term, is
    divided by the total weight of the non-ignored targets for "mean".

    *All targets ignored.* For "mean" the loss is :math:`0/0`, NaN, exactly as PyTorch: no
    target contributes to the sum and the denominator (the weight of the non-ignored targets)
    is 0. "sum" gives 0 and "none" zeros. No NumPy RuntimeWarning is raised; the gradient
    is 0, as PyTorch's.

    *Weights near the largest float.* The weighted mean :math:`\sum_n \ell_n / \sum_n
    w_{y_n}` does not change when every weight is divided by one number, so lossbook first
    divides them by the power of two that brings the largest target weight into [1/2, 1)
    (exact, so ordinary weights give the same bits). Both totals then stay finite: weights
    near the largest float give the exact mean, where PyTorch's totals overflow and its
    "mean" is inf / inf = NaN. With probability targets the "mean" divides by N, which cannot
    overflow; like every mean over N (and like PyTorch) it is inf where the total of the
    losses exceeds the largest float.

    *Accuracy.* The log-probabilities come from :func:`log_softmax`, written as
    :math:`(x_c - m) - \operatorname{log1p}(\sum_{j\ne k} e^{x_j-m})`, a sum of two
    non-positive numbers, so a tiny loss is exact to rounding: logits [40, 0] with target 0
    give 4.248354255291589e-18 (PyTorch's ``logsumexp(x) - x_y`` gives 0).

    *Probability targets.* Where :math:`q_{n,c} = 0` the term is 0 even if the logit is
    ``-inf`` (0 log 0 = 0); PyTorch gives NaN there. Elsewhere the values agree.

    Shapes follow PyTorch, except that lossbook tells the two kinds of target apart by dtype
    (integers are indices, floats are probabilities) and refuses empty input (PyTorch returns
    NaN for "mean"). The gradient is :func:`cross_entropy_grad`.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.cross_entropy``;
       ``cross_entropy_loss_label_smoothing`` in ``aten/src/ATen/native/LossNLL.cpp``.
    .. [2] C. Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", CVPR
       2016, arXiv:1512.00567 (label smoothing).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> loss = cross_entropy(x, np.array([0, 2]))
    >>> print(f"{float(loss):.6f}")
    0.896378
    """
    c = _check(input, target, weight, ignore_index, reduction, label_smoothing, validate, None,
               allow_probabilities=True)
    with quiet(input):  # a weight near the largest float: products and totals may be inf
        wq, denominator = _weighted_target(c, input, target, reduction)
        losses = _minus_sum_xlogy(c.xp, wq, _log_softmax(c.xp, input, c.dim), c.dim)
    return reduce(losses, reduction, denominator=denominator, xp=c.xp)


def cross_entropy_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    weight: Array | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    validate: bool = True,
) -> Array:
    r"""Gradient of :func:`cross_entropy` with respect to the logits: softmax minus target.

    .. math::
        \frac{\partial \ell_n}{\partial x_{n,i}}
        = s_{n,i} \sum_c w_c q_{n,c} - w_i q_{n,i}
        \;\overset{w = 1}{=}\; s_{n,i} - q_{n,i}

    times 1 for "sum" and "none" (gradient of the sum), or divided by the mean's denominator.

    Parameters
    ----------
    input, target, weight, ignore_index, reduction, label_smoothing, validate
        As for :func:`cross_entropy`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        Shape of ``input``; zero rows for ignored targets.

    See Also
    --------
    cross_entropy : The loss.
    02_cross_entropy.ipynb : The notebook that derives the gradient.

    Notes
    -----
    Write :math:`\ell = -\sum_c w_c q_c \log s_c` with
    :math:`\log s_c = x_c - \log\sum_j e^{x_j}`. Then
    :math:`\partial \log s_c / \partial x_i = \delta_{ci} - s_i`, because the derivative of
    :math:`\log\sum_j e^{x_j}` is the softmax :math:`s_i` (see :func:`logsumexp_grad`). So

    .. math::
        \frac{\partial \ell}{\partial x_i} = -\sum_c w_c q_c (\delta_{ci} - s_i)
        = s_i \sum_c w_c q_c - w_i q_i .

    Without weights :math:`\sum_c q_c = 1` and this is :math:`s - q`: the prediction minus
    the (smoothed) target. For index targets, :math:`q` is the one-hot vector of the class
    mixed with :math:`\varepsilon / C`. The mean divides by the same denominator as the
    loss; when every target is ignored the gradient is 0 (there is no term), as in PyTorch.
    The upstream gradient multiplies last, after the weighted softmax minus target: with a
    weight near the largest float the gradient is the exact value (inf only where that exceeds
    the largest float), where PyTorch's backward multiplies the weight by the upstream gradient
    first and overflows to inf, or NaN where two infinities meet. For "mean" the weights are
    scaled as in :func:`cross_entropy`, so the gradient is the exact value where PyTorch's
    total weight overflows to inf and its gradient falls to 0.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.cross_entropy``;
       ``cross_entropy_loss_label_smoothing`` in ``aten/src/ATen/native/LossNLL.cpp``.
    .. [2] C. Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", CVPR
       2016, arXiv:1512.00567 (label smoothing).

    Examples
    --------
    >>> import numpy as np
    >>> g = cross_entropy_grad(np.array([[0.0, 0.0]]), np.array([0]))
    >>> print(f"{float(g[0, 0]):.6f}")
    -0.500000
    """
    c = _check(input, target, weight, ignore_index, reduction, label_smoothing, validate,
               grad_output, allow_probabilities=True)
    xp = c.xp
    with quiet(input):  # a weight near the largest float: products and totals may be inf
        wq, denominator = _weighted_target(c, input, target, reduction)
        s = _softmax(xp, input, c.dim)
        g = s * xp.sum(wq, axis=c.dim, keepdims=True) - wq
        return g * reduce_grad(_shape_without(input, c.dim), reduction, grad_output,
                               like=input, denominator=denominator, expand=c.dim, xp=xp)


def nll_loss(
    input: Array,
    target: Array,
    *,
    weight: Array | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    r"""Negative log-likelihood: minus the (weighted) log-probability of the target class.

    .. math::
        \ell_n = -w_{y_n}\, x_{n, y_n}, \qquad
        \text{mean} = \frac{\sum_n \ell_n}{\sum_{n\ \text{not ignored}} w_{y_n}}

    Parameters
    ----------
    input : array
        Log-probabilities (e.g. from :func:`log_softmax`) of shape (C,), (N, C) or
        (N, C, d1, ..., dK); classes on dim 1 (dim 0 if unbatched). Real floating.
    target : array
        Integer class indices of shape (), (N,) or (N, d1, ..., dK), in [0, C) or
        ``ignore_index``.
    weight : array, optional
        Shape (C,): a weight per class.
    ignore_index : int
        Targets equal to it add nothing and leave the mean's denominator.
    reduction : {"none", "mean", "sum"}
        "none" returns one loss per target element.
    validate : bool
        Check that every target is a class index or ``ignore_index``.

    Returns
    -------
    array
        0-d for "mean" and "sum", else the target's shape; the input's type, dtype, device.

    See Also
    --------
    nll_loss_grad : Its hand-derived gradient.
    cross_entropy : The same loss on logits.
    02_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    ``nll_loss(log_softmax(x, dim=1), y) == cross_entropy(x, y)``. The input is not
    checked to be log-probabilities (PyTorch does not either): any real numbers are picked
    the same way. "mean" with weights divides by the total weight of the non-ignored
    targets, not by their count, as in PyTorch; all targets ignored gives 0/0 = NaN for
    "mean" (0 for "sum"), as in PyTorch, without a NumPy RuntimeWarning.

    With weights near the largest float the "mean" is the exact value, where PyTorch's
    totals overflow and give inf / inf = NaN: as in :func:`cross_entropy`, the weights are
    first divided by a power of two, which changes no value.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.nll_loss``; ``nll_loss`` in
       ``aten/src/ATen/native/LossNLL.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> logp = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    >>> print(f"{float(nll_loss(logp, np.array([0, 2]))):.6f}")
    0.289909
    """
    c = _check(input, target, weight, ignore_index, reduction, 0.0, validate, None,
               allow_probabilities=False)
    with quiet(input):  # a weight near the largest float: products and totals may be inf
        wq, denominator = _weighted_target(c, input, target, reduction)
        losses = _minus_sum_xlogy(c.xp, wq, input, c.dim)
    return reduce(losses, reduction, denominator=denominator, xp=c.xp)


def nll_loss_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    weight: Array | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    r"""Gradient of :func:`nll_loss` with respect to the input log-probabilities.

    .. math::
        \frac{\partial \ell_n}{\partial x_{n,i}} = -w_i\, [i = y_n]

    times 1 for "sum" and "none", or divided by :math:`\sum_{n\ \text{not ignored}} w_{y_n}`
    for "mean".

    Parameters
    ----------
    input, target, weight, ignore_index, reduction, validate
        As for :func:`nll_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        Shape of ``input``: :math:`-w_y` at each non-ignored target, 0 elsewhere.

    See Also
    --------
    nll_loss : The loss.
    02_cross_entropy.ipynb : The notebook that derives the gradient.

    Notes
    -----
    The loss picks one entry per sample and multiplies it by :math:`-w_{y_n}`: a linear
    function whose derivative is that constant at the picked entry and 0 at the others. The
    mean's denominator does not depend on the input. All targets ignored: 0, as PyTorch.
    With weights near the largest float the "mean" gradient is the exact value
    :math:`-w_i / \sum_n w_{y_n}`, where PyTorch's total weight overflows to inf and its
    gradient falls to 0.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.nll_loss``; ``nll_loss`` in
       ``aten/src/ATen/native/LossNLL.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> g = nll_loss_grad(np.zeros((2, 3)), np.array([0, 2]))
    >>> print(f"{float(g[0, 0]):.6f}")
    -0.500000
    """
    c = _check(input, target, weight, ignore_index, reduction, 0.0, validate, grad_output,
               allow_probabilities=False)
    with quiet(input):  # a weight near the largest float: products and totals may be inf
        wq, denominator = _weighted_target(c, input, target, reduction)
        minus_wq = 0.0 - wq  # +0.0, not -0.0, away from the targets
        return minus_wq * reduce_grad(tuple(target.shape), reduction, grad_output, like=input,
                                      denominator=denominator, expand=c.dim, xp=c.xp)
