"""The multi-class hinge (SVM) loss and its relatives, with PyTorch's semantics.

A linear SVM asks the score of the true class to beat every other score by a margin; the
hinge :math:`\\max(0, m - x_y + x_j)` is zero once it does, and so is its gradient. Softmax
cross-entropy never stops pushing: its gradient is zero only at infinite scores. The four
losses here are PyTorch's:

- ``multi_margin_loss``: the multi-class hinge (Weston and Watkins 1999; CS231n's "SVM
  loss"), one class per sample, with ``p`` (1 or 2), ``margin`` and class ``weight``;
- ``multilabel_margin_loss``: the same hinge between every listed label and every unlisted
  class, labels listed by index and padded with -1;
- ``soft_margin_loss``: the logistic loss :math:`\\log(1 + e^{-yx})`, a smooth hinge for
  labels :math:`\\pm 1`;
- ``multilabel_soft_margin_loss``: binary cross-entropy on logits, averaged over the classes.

PyTorch's documentation and its code disagree on some target formats; lossbook follows the
code and each docstring says where. Subgradients at a kink are PyTorch's: its kernels count a
hinge term only where :math:`m - x_y + x_j > 0`, so at 0 the slope is 0.
"""

from __future__ import annotations

from typing import Any

from lossbook._array import (
    Array,
    check_float,
    check_integer,
    device,
    int_outside,
    namespace,
    quiet,
)
from lossbook._reduction import check_reduction, reduce, reduce_grad
from lossbook._validation import (
    check_class_indices,
    check_non_empty,
    check_non_negative,
    check_non_negative_values,
    check_option,
    check_same_shape,
    shape_str,
)
from lossbook.binary import _check as _check_with_logits
from lossbook.binary import _logit_slopes, _logit_terms
from lossbook.margin import _check_labels
from lossbook.primitives import _sigmoid, _softplus

__all__ = [
    "multi_margin_loss",
    "multi_margin_loss_grad",
    "multilabel_margin_loss",
    "multilabel_margin_loss_grad",
    "multilabel_soft_margin_loss",
    "multilabel_soft_margin_loss_grad",
    "soft_margin_loss",
    "soft_margin_loss_grad",
]


def _scores(xp: Any, input: Array) -> None:
    """Scores of shape (C,) or (N, C), as PyTorch's multi-class margin kernels take them."""
    check_float(xp, input, "input")
    if input.ndim not in (1, 2):
        raise ValueError(
            f"input must hold class scores of shape (N, C) or (C,); got shape {shape_str(input)}"
        )
    check_non_empty(input, "input")


def _hinge(xp: Any, z: Array) -> Array:
    """max(0, z) that is 0 at z = 0 (PyTorch's kernels test z > 0) and keeps NaN as NaN."""
    return xp.where(z <= 0, xp.zeros_like(z), z)


def _active(xp: Any, z: Array, mask: Array) -> Array:
    """1.0 where the hinge counts (z > 0, or NaN) inside ``mask``, else 0.0."""
    return xp.astype(xp.logical_and(mask, xp.logical_not(z <= 0)), z.dtype)


def _per_row(xp: Any, g: Array | float) -> Array | float:
    return g if isinstance(g, float) else g[..., None]


# --- multi_margin_loss ------------------------------------------------------------------------


def _check_p(p: Any) -> int:
    pi = check_option(p, "p", int)
    if pi not in (1, 2):
        raise ValueError(f"p must be 1 or 2 (PyTorch supports only these); got {pi}")
    return pi


def _multi_margin_check(input, target, p, margin, weight, reduction, validate, grad_output=None):
    """The checks of multi_margin_loss and its gradient: namespace, p and margin."""
    xp = namespace(input=input, target=target, weight=weight, grad_output=grad_output)
    _scores(xp, input)
    num_classes = int(input.shape[-1])
    rows = tuple(int(d) for d in input.shape[:-1])
    allowed = [rows] if input.ndim == 2 else [(), (1,)]
    if tuple(int(d) for d in target.shape) not in allowed:
        expected = " or ".join(str(s) for s in allowed)
        raise ValueError(
            f"target must hold one class index per row of input, shape {expected} for input "
            f"{shape_str(input)}; got target {shape_str(target)}"
        )
    pi = _check_p(p)
    margin = check_non_negative(margin, "margin")
    check_reduction(reduction)
    if weight is not None:
        check_float(xp, weight, "weight", like=input)
        if tuple(weight.shape) != (num_classes,):
            raise ValueError(f"weight must hold one weight per class, shape ({num_classes},); "
                             f"got {shape_str(weight)}")
    check_integer(xp, target, "target")
    if check_option(validate, "validate", bool):
        check_class_indices(xp, target, num_classes)
        if weight is not None:
            check_non_negative_values(xp, weight, "weight")
    return xp, pi, margin


def _multi_margin_parts(xp, input, target, margin, weight):
    """The one-hot target mask, z_j = margin - x_y + x_j and the target's weight w_y / C."""
    num_classes = int(input.shape[-1])
    t = xp.reshape(target, tuple(input.shape[:-1]))
    classes = xp.arange(num_classes, device=device(input))  # int64: no narrow index wraps
    onehot = t[..., None] == classes
    zero = xp.zeros_like(input)
    x_y = xp.sum(xp.where(onehot, input, zero), axis=-1, keepdims=True)
    z = (input - x_y) + margin  # the difference first: exact for nearby scores (Notes)
    if weight is None:
        scale = xp.full(tuple(t.shape), 1 / num_classes, dtype=input.dtype, device=device(input))
    else:
        scale = xp.sum(xp.where(onehot, weight, zero), axis=-1) / num_classes
    return onehot, z, scale


def multi_margin_loss(
    input: Array,
    target: Array,
    *,
    p: int = 1,
    margin: float = 1.0,
    weight: Array | None = None,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Multi-class hinge (SVM) loss, ``torch.nn.functional.multi_margin_loss``.

    .. math::
        \\ell_i = \\frac{w_{y_i}}{C} \\sum_{j \\ne y_i} \\max(0,\\; m - x_{i,y_i} + x_{i,j})^p

    Parameters
    ----------
    input : array
        Scores :math:`x`, shape (N, C) or (C,), real floating.
    target : array
        Class indices :math:`y` in [0, C), shape (N,) for (N, C) scores, () or (1,) for (C,)
        scores; any integer dtype.
    p : {1, 2}
        The hinge's power: 1 (the SVM hinge) or 2 (the squared hinge).
    margin : float
        :math:`m \\ge 0`, by how much the true score must beat each other score. PyTorch also
        accepts m < 0, which gives zero loss to some misclassified samples; lossbook refuses
        it, as it refuses a negative margin in the other margin losses.
    weight : array, optional
        Class weights :math:`w`, shape (C,), finite and >= 0, of ``input``'s dtype; a sample
        is weighted by the weight of its target class.
    reduction : {"none", "mean", "sum"}
        Per-sample losses (the target's shape), their mean or their sum. The mean divides by
        N, not by the weights' total.
    validate : bool
        Check the class indices and the weights (a pass over the data).

    Returns
    -------
    array
        The loss, of ``input``'s type, dtype and device.

    Raises
    ------
    TypeError
        Non-floating input or weight, a weight of another dtype, a non-integer target,
        p not an integer, arrays from different libraries.
    ValueError
        Scores not (N, C) or (C,), empty input, a target of the wrong shape, indices out of
        range, p not 1 or 2, margin < 0, a weight of the wrong shape or with negative or
        non-finite values, an unknown reduction.

    See Also
    --------
    multi_margin_loss_grad : Its hand-derived gradient.
    multilabel_margin_loss : Several labels per sample.
    lossbook.cross_entropy : The softmax loss it is compared with.
    09_multiclass_hinge.ipynb : The notebook that derives it (sections 2-4).

    Notes
    -----
    *Where PyTorch's documentation and code differ.* The code (``LossMultiMargin.cpp``)
    multiplies the hinge term by :math:`w_{y}` after the power, :math:`w_y \\max(0, z)^p`, as
    the formula above and ``nn.MultiMarginLoss``'s current docstring say; older
    documentation (still copied by other libraries) puts the weight inside,
    :math:`\\max(0, w_y z)^p`, which differs for p = 2. ``F.multi_margin_loss``'s docstring
    calls ``weight`` "weights for each sample"; the code takes one weight per *class*,
    indexed by the target. For (C,) scores the code accepts a target of shape (1,) as well as
    the documented (), and returns shape (1,) for reduction="none"; so does lossbook.
    lossbook accepts any integer target dtype (PyTorch only int64).

    *Kinks and NaN.* PyTorch's kernel adds a term only where :math:`z > 0`, so the
    subgradient at :math:`z = 0` is 0; lossbook's too. The kernel also skips a NaN score
    (``NaN > 0`` is false) and returns a finite loss; lossbook returns NaN. With margin 0 a
    sample whose true score is strictly the largest has loss 0.

    *Accuracy.* :math:`z` is formed as :math:`(x_j - x_y) + m`, the difference of the
    scores first, which is exact when they are close; PyTorch forms :math:`(m - x_y) + x_j`
    and loses :math:`m` next to scores of size :math:`10^{16}` (float64): at scores
    :math:`(10^{16}, 10^{16} + 2)` and :math:`m = 1` it gives 2/2 instead of 3/2.

    PyTorch returns uninitialised memory for an empty batch with reduction="mean" (torch
    2.13); lossbook refuses empty input. PyTorch has no float16 kernel on the CPU; lossbook
    computes in any floating dtype.

    References
    ----------
    .. [1] J. Weston and C. Watkins, "Support Vector Machines for Multi-Class Pattern
       Recognition", ESANN 1999.
    .. [2] CS231n, "Linear classification: Multiclass SVM loss",
       https://cs231n.github.io/linear-classify/.
    .. [3] PyTorch, ``aten/src/ATen/native/LossMultiMargin.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> scores = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0]])
    >>> print(f"{float(multi_margin_loss(scores, np.array([0, 1]), reduction='sum')):.6f}")
    0.966667
    """
    xp, pi, margin = _multi_margin_check(input, target, p, margin, weight, reduction, validate)
    with quiet(input):
        onehot, z, scale = _multi_margin_parts(xp, input, target, margin, weight)
        h = xp.where(onehot, xp.zeros_like(z), _hinge(xp, z))
        per_row = scale * xp.sum(h if pi == 1 else h * h, axis=-1)
        return reduce(xp.reshape(per_row, tuple(target.shape)), reduction, xp=xp)


def multi_margin_loss_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    p: int = 1,
    margin: float = 1.0,
    weight: Array | None = None,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Gradient of :func:`multi_margin_loss` with respect to ``input``.

    .. math::
        \\frac{\\partial \\ell_i}{\\partial x_{i,j}} = \\frac{w_{y_i}}{C}\\, p\\,
        z_{ij}^{p-1} [z_{ij} > 0] \\;(j \\ne y_i), \\qquad
        \\frac{\\partial \\ell_i}{\\partial x_{i,y_i}} = -\\sum_{j \\ne y_i}
        \\frac{\\partial \\ell_i}{\\partial x_{i,j}}, \\qquad z_{ij} = m - x_{i,y_i} + x_{i,j}

    Parameters
    ----------
    input, target, p, margin, weight, reduction, validate
        As in :func:`multi_margin_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's output shape and ``input``'s dtype; ``None``
        means ones (for reduction="none", the gradient of the sum).

    Returns
    -------
    array
        The vector-Jacobian product, of ``input``'s shape, type and dtype.

    See Also
    --------
    multi_margin_loss : The loss.
    09_multiclass_hinge.ipynb : The notebook that derives the gradient (section 3).

    Notes
    -----
    Each active term :math:`z_{ij}^p` has derivative :math:`p z^{p-1}` with respect to
    :math:`z`, and :math:`z_{ij}` grows with :math:`x_{ij}` and falls with
    :math:`x_{i,y_i}`: every violating class pushes its own score down and the true score
    up by the same amount. Terms with :math:`z \\le 0` contribute nothing, as in PyTorch's
    kernel (``LossMultiMargin.cpp``). A NaN score counts as active: the slope autograd takes
    through :func:`multi_margin_loss`, whose value is NaN there (PyTorch's kernel skips it, with
    slope 0).

    References
    ----------
    .. [1] PyTorch, ``aten/src/ATen/native/LossMultiMargin.cpp``
       (``multi_margin_loss_backward_cpu_kernel``).

    Examples
    --------
    >>> import numpy as np
    >>> scores = np.array([[3.2, 5.1, -1.7]])
    >>> g = multi_margin_loss_grad(scores, np.array([0]), reduction="sum")
    >>> print(f"{float(g[0, 0]):.6f}")
    -0.333333
    """
    xp, pi, margin = _multi_margin_check(input, target, p, margin, weight, reduction, validate,
                                         grad_output)
    up = reduce_grad(tuple(target.shape), reduction, grad_output, xp=xp, like=input)
    if reduction == "none" and not isinstance(up, float):
        up = xp.reshape(up, tuple(input.shape[:-1]))  # a (1,) target of (C,) scores
    with quiet(input):
        onehot, z, scale = _multi_margin_parts(xp, input, target, margin, weight)
        others = _active(xp, z, xp.logical_not(onehot))
        d = others if pi == 1 else 2 * xp.where(others > 0, z, xp.zeros_like(z))
        d = d * scale[..., None]
        g = d - xp.where(onehot, xp.sum(d, axis=-1, keepdims=True), xp.zeros_like(d))
        return g * _per_row(xp, up)


# --- multilabel_margin_loss -------------------------------------------------------------------


def _multilabel_check(input, target, reduction, validate, grad_output=None):
    """The checks of multilabel_margin_loss and its gradient; returns the namespace."""
    xp = namespace(input=input, target=target, grad_output=grad_output)
    _scores(xp, input)
    check_integer(xp, target, "target", "integer class indices padded with -1")
    check_same_shape(input, target)
    check_reduction(reduction)
    if check_option(validate, "validate", bool):
        num_classes = int(input.shape[-1])
        bad = int_outside(xp, target, -1, num_classes)
        if bool(xp.any(bad)):
            raise ValueError(
                f"target must hold class indices within [0, {num_classes}), padded with -1 "
                f"after the last label; got {int(target[bad][0])}"
            )
    return xp


def _multilabel_parts(xp, input, target):
    """How often each class is listed (before the first -1), the pairs (label j, other i) the
    hinge compares, and z_ji = 1 - x_j + x_i."""
    num_classes = int(input.shape[-1])
    classes = xp.arange(num_classes, device=device(input))
    stop = target < 0
    first = xp.where(xp.any(stop, axis=-1), xp.argmax(xp.astype(stop, xp.int8), axis=-1),
                     xp.full(tuple(target.shape[:-1]), num_classes, dtype=classes.dtype,
                             device=device(input)))
    listed = classes < first[..., None]  # positions before the first -1
    hits = xp.logical_and(target[..., :, None] == classes, listed[..., :, None])
    counts = xp.sum(xp.astype(hits, input.dtype), axis=-2)  # times class j is listed
    is_label = counts > 0
    pairs = xp.logical_and(is_label[..., :, None], xp.logical_not(is_label)[..., None, :])
    z = (input[..., None, :] - input[..., :, None]) + 1  # z[..., j, i] = 1 - x_j + x_i
    return counts, pairs, z


def multilabel_margin_loss(
    input: Array,
    target: Array,
    *,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Multi-label hinge loss, ``torch.nn.functional.multilabel_margin_loss``.

    .. math::
        \\ell = \\frac{1}{C} \\sum_{k} \\sum_{i \\notin Y} \\max(0,\\; 1 - x_{y_k} + x_i),
        \\qquad Y = \\{y_k\\}

    with :math:`y_0, y_1, \\dots` the labels listed in ``target`` before its first -1.

    Parameters
    ----------
    input : array
        Scores :math:`x`, shape (N, C) or (C,), real floating.
    target : array
        Integer class indices of ``input``'s shape: each row lists its labels first, then
        -1, then anything within [-1, C) (ignored). Any integer dtype.
    reduction : {"none", "mean", "sum"}
        Per-sample losses (shape (N,), or () for (C,) scores), their mean or their sum.
    validate : bool
        Check that every entry of ``target`` lies within [-1, C), as PyTorch always does.

    Returns
    -------
    array
        The loss, of ``input``'s type, dtype and device.

    Raises
    ------
    TypeError
        Non-floating input, a non-integer target, arrays from different libraries.
    ValueError
        Scores not (N, C) or (C,), empty input, a target of another shape, entries outside
        [-1, C), an unknown reduction.

    See Also
    --------
    multilabel_margin_loss_grad : Its hand-derived gradient.
    multi_margin_loss : One label per sample.
    multilabel_soft_margin_loss : The logistic version, with 0/1 targets.
    09_multiclass_hinge.ipynb : The notebook that derives it (section 5).

    Notes
    -----
    *The target format, as the code reads it* (``LossMultiLabelMargin.cpp``): a row
    ``[3, 0, -1, 1]`` means labels {3, 0}; the entries after the first -1 are ignored,
    though still range-checked. A label listed twice counts twice (the kernel sums over the
    list, not over the set); the documentation says nothing about either. With no label
    (the row starts with -1) the loss is 0. The margin is fixed at 1 and the hinge counts only
    where :math:`1 - x_j + x_i > 0` (subgradient 0 at the kink), as in PyTorch. A NaN score
    gives NaN (PyTorch's kernel skips it). :math:`z` is formed as :math:`(x_i - x_j) + 1`,
    exact for nearby scores, where PyTorch's :math:`(1 - x_j) + x_i` loses the 1 next to
    scores of size :math:`10^{16}` (as in :func:`multi_margin_loss`).

    The pairs are compared at once, an (N, C, C) array: memory grows with :math:`C^2`.

    References
    ----------
    .. [1] PyTorch, ``aten/src/ATen/native/LossMultiLabelMargin.cpp`` and
       ``torch.nn.MultiLabelMarginLoss``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.1, 0.2, 0.4, 0.8]])
    >>> y = np.array([[3, 0, -1, 1]])
    >>> print(f"{float(multilabel_margin_loss(x, y)):.6f}")
    0.850000
    """
    xp = _multilabel_check(input, target, reduction, validate)
    with quiet(input):
        counts, pairs, z = _multilabel_parts(xp, input, target)
        h = xp.where(pairs, _hinge(xp, z), xp.zeros_like(z))
        per_row = xp.sum(counts * xp.sum(h, axis=-1), axis=-1) / int(input.shape[-1])
        return reduce(per_row, reduction, xp=xp)


def multilabel_margin_loss_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Gradient of :func:`multilabel_margin_loss` with respect to ``input``.

    .. math::
        \\frac{\\partial \\ell}{\\partial x_i} = \\frac{1}{C} \\sum_{j \\in Y} n_j
        [1 - x_j + x_i > 0] \\;(i \\notin Y), \\qquad
        \\frac{\\partial \\ell}{\\partial x_j} = -\\frac{n_j}{C} \\sum_{i \\notin Y}
        [1 - x_j + x_i > 0] \\;(j \\in Y)

    with :math:`n_j` the number of times label :math:`j` is listed.

    Parameters
    ----------
    input, target, reduction, validate
        As in :func:`multilabel_margin_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's output shape and ``input``'s dtype; ``None``
        means ones (for reduction="none", the gradient of the sum).

    Returns
    -------
    array
        The vector-Jacobian product, of ``input``'s shape, type and dtype.

    See Also
    --------
    multilabel_margin_loss : The loss.
    09_multiclass_hinge.ipynb : The notebook that derives the gradient (section 5).

    Notes
    -----
    Each active pair (label :math:`j`, other class :math:`i`) adds :math:`1/C` to the
    gradient of :math:`x_i` and :math:`-1/C` to that of :math:`x_j`, as PyTorch's backward
    kernel does. A NaN score counts as active: the slope autograd takes through
    :func:`multilabel_margin_loss`, whose value is NaN there (PyTorch's kernel skips it, with
    slope 0).

    References
    ----------
    .. [1] PyTorch, ``aten/src/ATen/native/LossMultiLabelMargin.cpp``
       (``multilabel_margin_loss_backward_out_frame``).

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([[3, 0, -1, 1]])
    >>> print(f"{float(multilabel_margin_loss_grad(x, y)[0, 0]):.6f}")
    -0.500000
    """
    xp = _multilabel_check(input, target, reduction, validate, grad_output)
    up = reduce_grad(tuple(input.shape[:-1]), reduction, grad_output, xp=xp, like=input)
    with quiet(input):
        counts, pairs, z = _multilabel_parts(xp, input, target)
        act = _active(xp, z, pairs) * counts[..., :, None]  # act[..., j, i]
        g = (xp.sum(act, axis=-2) - xp.sum(act, axis=-1)) / int(input.shape[-1])
        return g * _per_row(xp, up)


# --- soft_margin_loss -------------------------------------------------------------------------


def _soft_margin_check(input, target, reduction, grad_output=None):
    """The checks of soft_margin_loss and its gradient: namespace and the labels as floats."""
    xp = namespace(input=input, target=target, grad_output=grad_output)
    check_float(xp, input, "input")
    # any real label, as PyTorch's code takes it (its documentation says -1 or 1): no value check
    y = _check_labels(xp, target, input, False)
    check_same_shape(input, target)
    check_non_empty(input, "input")
    check_reduction(reduction)
    return xp, y


def soft_margin_loss(input: Array, target: Array, *, reduction: str = "mean") -> Array:
    """Soft margin (logistic) loss, ``torch.nn.functional.soft_margin_loss``.

    .. math::
        \\ell_i = \\log\\bigl(1 + e^{-y_i x_i}\\bigr) = \\mathrm{softplus}(-y_i x_i)

    Parameters
    ----------
    input : array
        Scores :math:`x`, any shape, real floating.
    target : array
        Labels :math:`y`, of ``input``'s shape (no broadcasting): -1 or 1, as floats of
        ``input``'s dtype or as integers. As in PyTorch's code, any real value is accepted.
    reduction : {"none", "mean", "sum"}
        Per-element losses, their mean or their sum.

    Returns
    -------
    array
        The loss, of ``input``'s type, dtype and device.

    Raises
    ------
    TypeError
        Non-floating input, a floating target of another dtype, a boolean or complex target,
        arrays from different libraries.
    ValueError
        Different shapes, empty input, an unknown reduction.

    See Also
    --------
    soft_margin_loss_grad : Its hand-derived gradient.
    lossbook.binary_cross_entropy_with_logits : The same loss with labels 1 and 0.
    09_multiclass_hinge.ipynb : The notebook that teaches it (section 6).

    Notes
    -----
    *Stability.* PyTorch computes ``log1p(exp(-y * x))``, which overflows once
    :math:`-yx` passes 88.7 in float32 (709.8 in float64): it returns ``inf`` for a loss of
    100, and a NaN gradient. lossbook uses
    :math:`\\mathrm{softplus}(z) = \\max(z, 0) + \\mathrm{log1p}(e^{-|z|})`, exact for any
    finite score.

    *Where PyTorch's documentation and code differ.* The documentation says the target holds
    1 or -1; the code takes any real :math:`y` (0 gives :math:`\\log 2`, :math:`|y| \\ne 1`
    rescales the score), and so does lossbook. PyTorch broadcasts a target of another shape
    silently; lossbook refuses it.

    It is :func:`lossbook.binary_cross_entropy_with_logits` with labels :math:`\\pm 1`
    instead of 1/0: :math:`\\mathrm{softplus}(-yx)` is :math:`-\\log\\sigma(x)` for
    :math:`y = 1` and :math:`-\\log(1 - \\sigma(x))` for :math:`y = -1`.

    References
    ----------
    .. [1] PyTorch, ``torch.nn.SoftMarginLoss`` and ``aten/src/ATen/native/Loss.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.array([2.0, -0.5, 0.0]), np.array([1.0, 1.0, -1.0])
    >>> print(f"{float(soft_margin_loss(x, y)):.6f}")
    0.598051
    """
    xp, y = _soft_margin_check(input, target, reduction)
    with quiet(input):
        return reduce(_softplus(xp, -(y * input)), reduction, xp=xp)


def soft_margin_loss_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    reduction: str = "mean",
) -> Array:
    """Gradient of :func:`soft_margin_loss` with respect to ``input``.

    .. math::
        \\frac{\\partial \\ell_i}{\\partial x_i} = -y_i\\,\\sigma(-y_i x_i)

    Parameters
    ----------
    input, target, reduction
        As in :func:`soft_margin_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's output shape and ``input``'s dtype; ``None``
        means ones (for reduction="none", the gradient of the sum).

    Returns
    -------
    array
        The vector-Jacobian product, of ``input``'s shape, type and dtype.

    See Also
    --------
    soft_margin_loss : The loss.
    09_multiclass_hinge.ipynb : The notebook that teaches the loss (section 6).

    Notes
    -----
    :math:`\\mathrm{softplus}'(z) = \\sigma(z)`, and :math:`\\partial(-yx)/\\partial x = -y`.
    The sigmoid is formed from :math:`e^{-|z|}`, so it never overflows: PyTorch's backward
    divides two overflowing exponentials and returns NaN once :math:`-yx > 88.7` (float32).
    An infinite label gives an infinite slope, the limit of :math:`-y\\,\\sigma(-yx)`, where
    PyTorch's is NaN; so does a finite label whose slope exceeds the largest float.

    References
    ----------
    .. [1] PyTorch, ``torch.nn.SoftMarginLoss`` and ``aten/src/ATen/native/Loss.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> g = soft_margin_loss_grad(np.array([0.0]), np.array([1.0]))
    >>> print(f"{float(g[0]):.6f}")
    -0.500000
    """
    xp, y = _soft_margin_check(input, target, reduction, grad_output)
    up = reduce_grad(tuple(input.shape), reduction, grad_output, xp=xp, like=input)
    with quiet(input):
        return -y * _sigmoid(xp, -(y * input)) * up


# --- multilabel_soft_margin_loss --------------------------------------------------------------


def _multilabel_soft_check(input, target, weight, reduction, validate, grad_output=None):
    """binary_cross_entropy_with_logits' checks, and a class axis; returns the namespace."""
    xp = _check_with_logits(input, target, weight, None, reduction, validate, grad_output,
                            probabilities=False)
    if input.ndim == 0:
        raise ValueError("input must have a class axis (the last one), shape (N, C) or (C,); "
                         "got shape ()")
    return xp


def multilabel_soft_margin_loss(
    input: Array,
    target: Array,
    *,
    weight: Array | None = None,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Multi-label soft margin loss, ``torch.nn.functional.multilabel_soft_margin_loss``.

    .. math::
        \\ell_n = \\frac{1}{C} \\sum_{c} w_c \\bigl[y_{nc}\\,\\mathrm{softplus}(-x_{nc})
        + (1 - y_{nc})\\,\\mathrm{softplus}(x_{nc})\\bigr]

    Parameters
    ----------
    input : array
        Logits :math:`x` with the classes along the last axis: (N, C), (C,), or more leading
        axes; real floating.
    target : array
        Targets :math:`y` in [0, 1] of ``input``'s shape (no broadcasting): 0/1 labels or
        soft targets.
    weight : array, optional
        Weights :math:`w` >= 0 that broadcast to ``input``'s shape without enlarging it: (C,)
        for one weight per class.
    reduction : {"none", "mean", "sum"}
        Per-sample losses (``input.shape[:-1]``), their mean or their sum.
    validate : bool
        Check that the targets lie in [0, 1] and the weights are >= 0.

    Returns
    -------
    array
        The loss, of ``input``'s type, dtype and device.

    Raises
    ------
    TypeError, ValueError
        As :func:`lossbook.binary_cross_entropy_with_logits`, and a 0-d input.

    See Also
    --------
    multilabel_soft_margin_loss_grad : Its hand-derived gradient.
    lossbook.binary_cross_entropy_with_logits : Per element, without the mean over classes.
    multilabel_margin_loss : The hinge version, with listed labels.
    09_multiclass_hinge.ipynb : The notebook that teaches it (section 6).

    Notes
    -----
    It is :func:`lossbook.binary_cross_entropy_with_logits` (``reduction="none"``) averaged
    over the last axis, which is how PyTorch's ``functional.py`` computes it (with
    ``logsigmoid``), and lossbook computes it so: softplus in its stable form, an infinite
    logit with the matching hard label gives 0.

    *Where PyTorch's documentation and code differ.* The documentation gives shapes (N, C)
    and targets in {0, 1}; the code takes any number of leading axes (the classes are the last
    one) and any real target. lossbook follows the code for shapes and for soft targets in
    [0, 1], and refuses targets outside [0, 1] (``validate=True``), as its
    ``binary_cross_entropy_with_logits`` does. PyTorch broadcasts a target of another shape
    silently; lossbook refuses it.

    References
    ----------
    .. [1] PyTorch, ``torch/nn/functional.py`` (``multilabel_soft_margin_loss``).

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.array([[2.0, -1.0, 0.5]]), np.array([[1.0, 0.0, 1.0]])
    >>> print(f"{float(multilabel_soft_margin_loss(x, y)):.6f}")
    0.304756
    """
    xp = _multilabel_soft_check(input, target, weight, reduction, validate)
    with quiet(input):
        positive, negative = _logit_terms(xp, input, target)
        per_element = positive + negative if weight is None else (positive + negative) * weight
        return reduce(xp.mean(per_element, axis=-1), reduction, xp=xp)


def multilabel_soft_margin_loss_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    weight: Array | None = None,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Gradient of :func:`multilabel_soft_margin_loss` with respect to ``input``.

    .. math::
        \\frac{\\partial \\ell_n}{\\partial x_{nc}} = \\frac{w_c}{C}\\bigl(\\sigma(x_{nc})
        - y_{nc}\\bigr)

    Parameters
    ----------
    input, target, weight, reduction, validate
        As in :func:`multilabel_soft_margin_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's output shape and ``input``'s dtype; ``None``
        means ones (for reduction="none", the gradient of the sum).

    Returns
    -------
    array
        The vector-Jacobian product, of ``input``'s shape, type and dtype.

    See Also
    --------
    multilabel_soft_margin_loss : The loss.
    09_multiclass_hinge.ipynb : The notebook that teaches the loss (section 6).

    Notes
    -----
    The gradient of :func:`lossbook.binary_cross_entropy_with_logits` per element,
    divided by C for the mean over classes.

    References
    ----------
    .. [1] PyTorch, ``torch/nn/functional.py`` (``multilabel_soft_margin_loss``).

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]])
    >>> print(f"{float(multilabel_soft_margin_loss_grad(x, y)[0, 0]):.6f}")
    -0.250000
    """
    xp = _multilabel_soft_check(input, target, weight, reduction, validate, grad_output)
    up = reduce_grad(tuple(input.shape[:-1]), reduction, grad_output, xp=xp, like=input)
    with quiet(input):
        positive, negative = _logit_slopes(xp, input, target)
        g = positive + negative if weight is None else (positive + negative) * weight
        return g / int(input.shape[-1]) * _per_row(xp, up)
