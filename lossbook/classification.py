"""Multi-class classification: log-sum-exp, softmax, log-softmax, cross-entropy and NLL.

Every function takes NumPy arrays or torch tensors, follows PyTorch's names, defaults and
shape conventions (classes on dim 1, or dim 0 for an unbatched input of shape (C,)), and has
a hand-derived gradient ``<name>_grad`` beside it.

Accuracy: the log-sum-exp is split as ``m + log1p(T)``, where ``m`` is the largest logit and
``T`` the sum of ``exp(x_j - m)`` over the *other* entries. Then ``log_softmax(x)_c =
(x_c - m) - log1p(T)`` adds two non-positive numbers and never cancels, so a tiny loss keeps
all its significant digits: logits [40, 0] with target 0 give 4.248354255291589e-18, where
the textbook ``logsumexp(x) - x_y`` (and PyTorch) return 0.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

from lossbook import _math
from lossbook._array import Array, device, float_input, namespace
from lossbook._reduction import check_reduction, reduce, reduce_grad
from lossbook._validation import (
    check_class_indices,
    check_distribution,
    check_non_empty,
    shape_str,
)

__all__ = [
    "cross_entropy",
    "cross_entropy_grad",
    "log_softmax",
    "log_softmax_grad",
    "logsumexp",
    "logsumexp_grad",
    "nll_loss",
    "nll_loss_grad",
    "softmax",
    "softmax_grad",
]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _check_dim(x: Array, dim: int) -> int:
    """Normalise ``dim`` to a non-negative axis of ``x``, or raise a ValueError naming it."""
    if isinstance(dim, bool) or not isinstance(dim, Integral):
        raise TypeError(f"dim must be an int; got {type(dim).__name__}")
    if x.ndim == 0:
        raise ValueError("input must have at least one dimension to reduce over; got shape ()")
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(
            f"dim must be within [{-x.ndim}, {x.ndim}) for input of shape {shape_str(x)}; got {dim}"
        )
    return int(dim) % x.ndim


def _grad_output(g: Array | None, like: Array, shape: tuple[int, ...], name: str) -> Array:
    xp = namespace(like)
    if g is None:
        return xp.ones(shape, dtype=like.dtype, device=device(like))
    float_input(g, name)
    namespace(like, g)
    if tuple(g.shape) != tuple(shape):
        raise ValueError(
            f"{name} must have the output's shape {tuple(shape)}; got {shape_str(g)}"
        )
    return g


def _class_dim(input: Array) -> int:
    if input.ndim == 0:
        raise ValueError(
            "input must have shape (C,), (N, C) or (N, C, d1, ..., dK) with the classes on "
            "dim 1 (dim 0 if unbatched); got shape ()"
        )
    return 0 if input.ndim == 1 else 1


def _check_index_target(input: Array, target: Array, cd: int) -> None:
    expected = tuple(int(d) for i, d in enumerate(input.shape) if i != cd)
    if tuple(int(d) for d in target.shape) != expected:
        raise ValueError(
            f"target of class indices must have shape {expected} for input of shape "
            f"{shape_str(input)} (the input's shape without the class dim {cd}); "
            f"got {shape_str(target)}"
        )


def _check_weight(weight: Array | None, input: Array, cd: int) -> Array | None:
    """Validate ``weight`` (one value per class) and return it reshaped to broadcast on ``cd``."""
    if weight is None:
        return None
    xp = namespace(input, weight)
    if not xp.isdtype(weight.dtype, "real floating"):
        raise TypeError(
            "weight must have a real floating dtype (float16/32/64), got "
            f"{str(weight.dtype).removeprefix('torch.')}"
        )
    n = int(input.shape[cd])
    if tuple(weight.shape) != (n,):
        raise ValueError(
            f"weight must have shape ({n},), one value per class of input {shape_str(input)}; "
            f"got {shape_str(weight)}"
        )
    shape = [1] * input.ndim
    shape[cd] = n
    return xp.reshape(xp.astype(weight, input.dtype), tuple(shape))


def _check_ignore_index(ignore_index: int) -> None:
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, Integral):
        raise TypeError(f"ignore_index must be an int; got {type(ignore_index).__name__}")


def _check_label_smoothing(label_smoothing: float) -> float:
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, Real):
        raise TypeError(
            f"label_smoothing must be a real number; got {type(label_smoothing).__name__}"
        )
    if not 0.0 <= float(label_smoothing) <= 1.0:  # NaN fails too
        raise ValueError(f"label_smoothing must be within [0, 1]; got {label_smoothing!r}")
    return float(label_smoothing)


def _index_mask(input: Array, target: Array, cd: int, ignore_index: int) -> tuple[Array, Array]:
    """(selected, valid): ``selected[..., c, ...]`` is True where c is a non-ignored target."""
    xp = namespace(input)
    n = input.shape[cd]
    shape = [1] * input.ndim
    shape[cd] = n
    classes = xp.reshape(xp.arange(n, dtype=target.dtype, device=device(target)), tuple(shape))
    valid = target != ignore_index
    t = xp.expand_dims(target, axis=cd)
    selected = xp.logical_and(t == classes, xp.expand_dims(valid, axis=cd))
    return selected, valid


def _prepare(
    input: Array, target: Array, weight: Array | None, ignore_index: int, reduction: str,
    label_smoothing: float, validate: bool, *, allow_probabilities: bool,
) -> dict[str, Any]:
    """All checks of cross_entropy / nll_loss; returns what both the loss and its grad need."""
    xp = float_input(input, "input")
    check_reduction(reduction)
    cd = _class_dim(input)
    namespace(input, target)
    check_non_empty(input)
    _check_ignore_index(ignore_index)
    label_smoothing = _check_label_smoothing(label_smoothing)
    wb = _check_weight(weight, input, cd)
    n_classes = int(input.shape[cd])
    if xp.isdtype(target.dtype, "real floating") and allow_probabilities:
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
            check_distribution(target, axis=cd, name="target")
        kind = "probabilities"
    else:
        if not xp.isdtype(target.dtype, "integral"):
            what = "integer class indices" + (
                " or floating class probabilities" if allow_probabilities else ""
            )
            raise TypeError(
                f"target must hold {what}; got dtype {str(target.dtype).removeprefix('torch.')}"
            )
        _check_index_target(input, target, cd)
        if validate:
            check_class_indices(target, n_classes, ignore_index)
        kind = "indices"
    return {"xp": xp, "cd": cd, "wb": wb, "C": n_classes, "kind": kind, "ls": label_smoothing}


def _shape_without(input: Array, cd: int) -> tuple[int, ...]:
    """The input's shape without the class dim: the shape of the per-element losses."""
    return tuple(int(d) for i, d in enumerate(input.shape) if i != cd)


def _target_weights(p: dict[str, Any], input: Array, target: Array, ignore_index: int):
    """For index targets: the mask of selected classes, the valid mask and each element's w_y."""
    xp = p["xp"]
    cd = p["cd"]
    selected, valid = _index_mask(input, target, cd, ignore_index)
    if p["wb"] is None:
        w_y = xp.astype(valid, input.dtype)
    else:
        w_y = xp.sum(xp.where(selected, p["wb"], xp.zeros_like(input)), axis=cd)
    return selected, valid, w_y




# --------------------------------------------------------------------------------------------
# log-sum-exp, softmax, log-softmax
# --------------------------------------------------------------------------------------------


def logsumexp(input: Array, *, dim: int = -1, keepdim: bool = False) -> Array:
    r"""Log of the sum of exponentials along ``dim``, without overflow or loss of tiny values.

    .. math::
        \operatorname{LSE}(x) = \log \sum_j e^{x_j} = m + \log\Bigl(1 + \sum_{j \ne k} e^{x_j - m}\Bigr),
        \qquad k = \arg\max_j x_j,\ m = x_k

    Parameters
    ----------
    input : array
        Real floating values, at least one dimension, not empty.
    dim : int
        The dimension to reduce (PyTorch's name; ``torch.logsumexp`` has no default, lossbook
        uses the last dimension).
    keepdim : bool
        Keep the reduced dimension with size 1.

    Returns
    -------
    array
        Same type, dtype and device as ``input``; ``dim`` removed unless ``keepdim``.

    Notes
    -----
    Shifting by the maximum makes the largest exponential exactly 1, so nothing overflows
    (``exp(1000)`` is ``inf`` in float64). Writing the sum as ``1 + T`` and taking
    ``log1p(T)`` keeps the answer accurate when ``T`` is tiny: ``logsumexp([0, -40])`` is
    4.248e-18, where ``log(1 + T)`` rounds to 0. All ``-inf`` gives ``-inf``, as in PyTorch.
    The gradient is ``softmax(input)`` (see :func:`logsumexp_grad`).

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(logsumexp(np.array([1000.0, 1000.0]))):.6f}")
    1000.693147
    """
    float_input(input, "input")
    axis = _check_dim(input, dim)
    check_non_empty(input)
    xp = namespace(input)
    m, log1p_t = _math.logsumexp_parts(input, axis)
    out = m + log1p_t
    return out if keepdim else xp.squeeze(out, axis=axis)


def logsumexp_grad(
    input: Array, *, dim: int = -1, keepdim: bool = False, grad_output: Array | None = None
) -> Array:
    r"""Gradient of :func:`logsumexp` (of its sum, or its vector-Jacobian product with ``grad_output``).

    .. math::
        \frac{\partial}{\partial x_i} \log \sum_j e^{x_j} = \frac{e^{x_i}}{\sum_j e^{x_j}}
        = \operatorname{softmax}(x)_i

    Parameters
    ----------
    input : array
        As for :func:`logsumexp`.
    dim, keepdim : int, bool
        As for :func:`logsumexp`.
    grad_output : array, optional
        Upstream gradient with the output's shape; default ones (the gradient of the sum).

    Returns
    -------
    array
        ``grad_output * softmax(input)``, shape of ``input``.

    Notes
    -----
    By the chain rule, d/dx_i log(S) = (1/S) dS/dx_i = e^{x_i}/S with S = sum_j e^{x_j}.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(logsumexp_grad(np.array([0.0, 0.0]))[0]):.6f}")
    0.500000
    """
    float_input(input, "input")
    axis = _check_dim(input, dim)
    check_non_empty(input)
    xp = namespace(input)
    shape = list(input.shape)
    shape[axis] = 1
    out_shape = tuple(shape) if keepdim else tuple(d for i, d in enumerate(shape) if i != axis)
    g = _grad_output(grad_output, input, out_shape, "grad_output")
    if not keepdim:
        g = xp.expand_dims(g, axis=axis)
    return g * _math.softmax(input, axis=axis)


def softmax(input: Array, *, dim: int = -1) -> Array:
    r"""Softmax along ``dim``: positive values that sum to 1.

    .. math::
        \operatorname{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}
        = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \qquad m = \max_j x_j

    Parameters
    ----------
    input : array
        Real floating logits, at least one dimension, not empty.
    dim : int
        The dimension that sums to 1. PyTorch's ``dim=None`` (an implicit, deprecated choice)
        is not offered: lossbook defaults to the last dimension.

    Returns
    -------
    array
        Same shape, type, dtype and device as ``input``.

    Notes
    -----
    Computed as ``lossbook._math.softmax``: shifted by the maximum, so no ``exp`` overflows
    and each entry is accurate to a few ulps relative to itself (a quotient of two accurate
    positive numbers). It is invariant to adding a constant to every logit.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(softmax(np.array([1000.0, 0.0]))[1]):.6e}")
    0.000000e+00
    """
    float_input(input, "input")
    axis = _check_dim(input, dim)
    check_non_empty(input)
    return _math.softmax(input, axis=axis)


def softmax_grad(input: Array, *, dim: int = -1, grad_output: Array | None = None) -> Array:
    r"""Vector-Jacobian product of :func:`softmax` (by default of the sum of its outputs, = 0).

    .. math::
        \frac{\partial s_j}{\partial x_i} = s_j(\delta_{ij} - s_i), \qquad
        \Bigl(g^\top \frac{\partial s}{\partial x}\Bigr)_i = s_i\Bigl(g_i - \sum_j g_j s_j\Bigr)

    Parameters
    ----------
    input : array
        As for :func:`softmax`.
    dim : int
        As for :func:`softmax`.
    grad_output : array, optional
        Upstream gradient, shape of ``input``; default ones. With ones the result is 0 up to
        rounding, because the outputs always sum to 1.

    Returns
    -------
    array
        Shape of ``input``.

    Notes
    -----
    With s_j = e^{x_j}/S: for i = j the quotient rule gives (e^{x_j} S - e^{x_j} e^{x_j})/S^2
    = s_j - s_j^2; for i != j, -e^{x_j} e^{x_i}/S^2 = -s_j s_i. Summing g_j times these over j
    gives s_i g_i - s_i sum_j g_j s_j.

    Examples
    --------
    >>> import numpy as np
    >>> g = softmax_grad(np.array([0.0, 0.0]), grad_output=np.array([1.0, 0.0]))
    >>> print(f"{float(g[0]):.6f}")
    0.250000
    """
    float_input(input, "input")
    axis = _check_dim(input, dim)
    check_non_empty(input)
    xp = namespace(input)
    g = _grad_output(grad_output, input, tuple(input.shape), "grad_output")
    s = _math.softmax(input, axis=axis)
    return s * (g - xp.sum(g * s, axis=axis, keepdims=True))


def log_softmax(input: Array, *, dim: int = -1) -> Array:
    r"""Log of the softmax along ``dim``, accurate also where it is tiny or hugely negative.

    .. math::
        \log \operatorname{softmax}(x)_i = x_i - \log \sum_j e^{x_j}
        = (x_i - m) - \log\Bigl(1 + \sum_{j \ne k} e^{x_j - m}\Bigr),
        \qquad k = \arg\max_j x_j,\ m = x_k

    Parameters
    ----------
    input : array
        Real floating logits, at least one dimension, not empty.
    dim : int
        The class dimension (lossbook defaults to the last; PyTorch's implicit ``dim=None``
        is deprecated there).

    Returns
    -------
    array
        Same shape, type, dtype and device as ``input``; every entry <= 0.

    Notes
    -----
    ``log(softmax(x))`` gives ``-inf`` where softmax underflows to 0 (logit gap above ~745 in
    float64); this form does not. Both terms are <= 0, so their sum never cancels, and the
    ``log1p`` keeps values near 0 accurate: ``log_softmax([40, 0])[0]`` is -4.248e-18, where
    ``x - logsumexp(x)`` (and ``torch.log_softmax``) give 0. This is why
    :func:`cross_entropy` can return a tiny loss with full relative accuracy.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(log_softmax(np.array([1000.0, 0.0]))[1]):.6f}")
    -1000.000000
    """
    float_input(input, "input")
    axis = _check_dim(input, dim)
    check_non_empty(input)
    return _math.log_softmax(input, axis)


def log_softmax_grad(input: Array, *, dim: int = -1, grad_output: Array | None = None) -> Array:
    r"""Vector-Jacobian product of :func:`log_softmax` (by default of the sum of its outputs).

    .. math::
        \frac{\partial \log s_j}{\partial x_i} = \delta_{ij} - s_i, \qquad
        \Bigl(g^\top \frac{\partial \log s}{\partial x}\Bigr)_i = g_i - s_i \sum_j g_j

    Parameters
    ----------
    input : array
        As for :func:`log_softmax`.
    dim : int
        As for :func:`log_softmax`.
    grad_output : array, optional
        Upstream gradient, shape of ``input``; default ones (then the result is 1 - C s_i).

    Returns
    -------
    array
        Shape of ``input``.

    Notes
    -----
    log s_j = x_j - LSE(x), and d LSE / d x_i = s_i (see :func:`logsumexp_grad`).

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(log_softmax_grad(np.array([0.0, 0.0]))[0]):.6f}")
    0.000000
    """
    float_input(input, "input")
    axis = _check_dim(input, dim)
    check_non_empty(input)
    xp = namespace(input)
    g = _grad_output(grad_output, input, tuple(input.shape), "grad_output")
    s = _math.softmax(input, axis=axis)
    return g - s * xp.sum(g, axis=axis, keepdims=True)


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

    Notes
    -----
    Identical to ``torch.nn.functional.cross_entropy`` in every option, including PyTorch's
    label smoothing with weights and ignore_index (LossNLL.cpp,
    ``cross_entropy_loss_label_smoothing``): the smoothing term of sample n is
    :math:`-\tfrac{\varepsilon}{C}\sum_c w_c \log s_{n,c}` and, like the NLL term, is
    divided by the total weight of the non-ignored targets for "mean".

    *All targets ignored.* For "mean" the loss is :math:`0/0`, NaN, exactly as PyTorch: no
    target contributes to the sum and the denominator (the weight of the non-ignored targets)
    is 0. "sum" gives 0 and "none" zeros. NumPy may warn "invalid value encountered in
    divide"; the gradient is 0, as PyTorch's.

    *Accuracy.* The log-probabilities come from :func:`log_softmax`, written as
    :math:`(x_c - m) - \operatorname{log1p}(\sum_{j\ne k} e^{x_j-m})`, a sum of two
    non-positive numbers, so a tiny loss is exact to rounding: logits [40, 0] with target 0
    give 4.248354255291589e-18 (PyTorch's ``logsumexp(x) - x_y`` gives 0).

    *Probability targets.* Where :math:`q_{n,c} = 0` the term is 0 even if the logit is
    ``-inf`` (0 log 0 = 0); PyTorch gives NaN there. Elsewhere the values agree.

    Shapes follow PyTorch, except that lossbook tells the two kinds of target apart by dtype
    (integers are indices, floats are probabilities) and refuses empty input (PyTorch returns
    NaN for "mean"). The gradient is :func:`cross_entropy_grad`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    >>> loss = cross_entropy(x, np.array([0, 2]))
    >>> print(f"{float(loss):.6f}")
    0.896378
    """
    p = _prepare(input, target, weight, ignore_index, reduction, label_smoothing, validate,
                 allow_probabilities=True)
    xp, cd, wb, n_classes, eps = p["xp"], p["cd"], p["wb"], p["C"], p["ls"]
    logp = _math.log_softmax(input, cd)
    zero = xp.zeros_like(input)
    if p["kind"] == "probabilities":
        q = target if eps == 0 else target * (1 - eps) + eps / n_classes
        q = xp.astype(q, input.dtype)
        wq = q if wb is None else q * wb
        terms = -wq * xp.where(wq == 0, zero, logp)  # 0 * log 0 = 0, no 0 * inf
        return reduce(xp.sum(terms, axis=cd), reduction, xp=xp)

    selected, valid, w_y = _target_weights(p, input, target, ignore_index)
    neg_logp_w = -logp if wb is None else -logp * wb
    losses = xp.sum(xp.where(selected, neg_logp_w, zero), axis=cd)
    if eps > 0:
        smooth = xp.where(valid, xp.sum(neg_logp_w, axis=cd), xp.zeros_like(losses))
        losses = (1 - eps) * losses + (eps / n_classes) * smooth
    return reduce(losses, reduction, denominator=xp.sum(w_y), xp=xp)


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

    Examples
    --------
    >>> import numpy as np
    >>> g = cross_entropy_grad(np.array([[0.0, 0.0]]), np.array([0]))
    >>> print(f"{float(g[0, 0]):.6f}")
    -0.500000
    """
    p = _prepare(input, target, weight, ignore_index, reduction, label_smoothing, validate,
                 allow_probabilities=True)
    xp, cd, wb, n_classes, eps = p["xp"], p["cd"], p["wb"], p["C"], p["ls"]
    s = _math.softmax(input, axis=cd)
    zero = xp.zeros_like(input)
    if p["kind"] == "probabilities":
        q = target if eps == 0 else target * (1 - eps) + eps / n_classes
        q = xp.astype(q, input.dtype)
        wq = q if wb is None else q * wb
        g = s * xp.sum(wq, axis=cd, keepdims=True) - wq
        return g * reduce_grad(_shape_without(input, cd), reduction, grad_output,
                               like=input, expand=cd, xp=xp)

    selected, valid, w_y = _target_weights(p, input, target, ignore_index)
    w = xp.ones_like(input) if wb is None else wb * xp.ones_like(input)
    wq = xp.where(selected, (1 - eps) * w, zero)
    if eps > 0:
        wq = wq + xp.where(xp.expand_dims(valid, axis=cd), (eps / n_classes) * w, zero)
    g = s * xp.sum(wq, axis=cd, keepdims=True) - wq
    return g * reduce_grad(tuple(target.shape), reduction, grad_output, like=input,
                           denominator=xp.sum(w_y), expand=cd, xp=xp)


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

    Notes
    -----
    ``nll_loss(log_softmax(x, dim=1), y) == cross_entropy(x, y)``. The input is not
    checked to be log-probabilities (PyTorch does not either): any real numbers are picked
    the same way. "mean" with weights divides by the total weight of the non-ignored
    targets, not by their count, as in PyTorch; all targets ignored gives 0/0 = NaN for
    "mean" (0 for "sum"), as in PyTorch.

    Examples
    --------
    >>> import numpy as np
    >>> logp = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    >>> print(f"{float(nll_loss(logp, np.array([0, 2]))):.6f}")
    0.289909
    """
    p = _prepare(input, target, weight, ignore_index, reduction, 0.0, validate,
                 allow_probabilities=False)
    xp, cd, wb = p["xp"], p["cd"], p["wb"]
    selected, _, w_y = _target_weights(p, input, target, ignore_index)
    neg = -input if wb is None else -input * wb
    losses = xp.sum(xp.where(selected, neg, xp.zeros_like(input)), axis=cd)
    return reduce(losses, reduction, denominator=xp.sum(w_y), xp=xp)


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

    Notes
    -----
    The loss picks one entry per sample and multiplies it by :math:`-w_{y_n}`: a linear
    function whose derivative is that constant at the picked entry and 0 at the others. The
    mean's denominator does not depend on the input. All targets ignored: 0, as PyTorch.

    Examples
    --------
    >>> import numpy as np
    >>> g = nll_loss_grad(np.zeros((2, 3)), np.array([0, 2]))
    >>> print(f"{float(g[0, 0]):.6f}")
    -0.500000
    """
    p = _prepare(input, target, weight, ignore_index, reduction, 0.0, validate,
                 allow_probabilities=False)
    xp, cd, wb = p["xp"], p["cd"], p["wb"]
    selected, _, w_y = _target_weights(p, input, target, ignore_index)
    w = -xp.ones_like(input) if wb is None else -wb * xp.ones_like(input)
    g = xp.where(selected, w, xp.zeros_like(input))
    return g * reduce_grad(tuple(target.shape), reduction, grad_output, like=input,
                           denominator=xp.sum(w_y), expand=cd, xp=xp)
