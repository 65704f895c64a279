"""Stable primitives every loss family shares: log-sum-exp, softmax, sigmoid, softplus and friends.

Each formula avoids overflow and cancellation without an epsilon or a clamp:

- log-sum-exp is split as ``m + log1p(T)``, with ``m`` the maximum and ``T`` the sum of the other
  ``exp(x_j - m)``: no ``exp`` overflows, and a tiny ``T`` keeps its relative accuracy;
- ``softplus(x) = max(x, 0) + log1p(exp(-|x|))`` and ``log_sigmoid(x) = -softplus(-x)`` never
  take ``exp`` of a positive number, and ``log1p`` keeps the tiny values accurate;
- ``sigmoid(x)`` is ``1 / (1 + e)`` or ``e / (1 + e)`` with ``e = exp(-|x|)``: a few ulps for any
  ``x``, also where it is tiny;
- ``log1mexp(x) = log(1 - exp(x))`` switches between ``log(-expm1(x))`` and ``log1p(-exp(x))``
  at ``x = -ln 2`` (Mächler 2012);
- ``xlogy(x, y) = 0`` where ``x = 0`` (so ``0 log 0 = 0``), with a gradient that is 0 there, not NaN.

The public functions take a real floating NumPy array or torch tensor (the result has its type,
dtype and device; torch tensors keep autograd) and PyTorch's argument names; the unary ones
have a hand-derived gradient ``<name>_grad(input, *, grad_output=None, ...)`` beside them. The
private kernels ``_name(xp, ...)`` check nothing: the loss families call them with the array
namespace they resolved once.
"""

from __future__ import annotations

import math
from typing import Any

from lossbook._array import Array, check_float, device, float_input, is_torch, namespace, quiet
from lossbook._reduction import reduce_grad
from lossbook._validation import (
    check_dim,
    check_log_probabilities,
    check_non_empty,
    check_option,
    check_same_shape,
)

__all__ = [
    "log1mexp",
    "log1mexp_grad",
    "log_sigmoid",
    "log_sigmoid_grad",
    "log_softmax",
    "log_softmax_grad",
    "logsumexp",
    "logsumexp_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "softmax_grad",
    "softplus",
    "softplus_grad",
    "xlog1py",
    "xlogy",
]


# --- kernels: no checks, the namespace passed in -----------------------------------------------


def _logsumexp_parts(xp: Any, x: Array, dim: int) -> tuple[Array, Array]:
    """Split logsumexp(x) along ``dim`` as ``m + log1p(T)``, both with keepdims.

    ``m`` is the entry at the (first) argmax and ``T = sum_{j != argmax} exp(x_j - m)``.
    Unlike ``log(sum(exp(x - m)))``, ``log1p(T)`` keeps its relative accuracy when ``T`` is
    tiny (logits [40, 0]: T = 4.2e-18, where 1 + T rounds to 1). ``m`` is picked out with a
    mask (not ``max``), so autograd sends its gradient to one entry only, which keeps the
    derivative exact when the maximum is tied.
    """
    n = x.shape[dim]
    shape = [1] * x.ndim
    shape[dim] = n
    classes = xp.reshape(xp.arange(n, device=device(x)), tuple(shape))
    top = classes == xp.argmax(x, axis=dim, keepdims=True)
    zero = xp.zeros_like(x)
    m = xp.sum(xp.where(top, x, zero), axis=dim, keepdims=True)
    shift = xp.where(xp.isfinite(m), m, xp.zeros_like(m))  # all -inf: lse = -inf, not NaN
    rest = xp.where(top, zero, xp.exp(x - shift))
    return m, xp.log1p(xp.sum(rest, axis=dim, keepdims=True))


def _log_softmax(xp: Any, x: Array, dim: int) -> Array:
    """(x - m) - log1p(T): two non-positive terms, so every entry keeps its relative accuracy,
    also where softmax itself underflows to 0 or rounds to 1."""
    m, log1p_t = _logsumexp_parts(xp, x, dim)
    # a row whose maximum is +inf has no log-softmax (inf - inf): NaN throughout, as PyTorch
    log1p_t = xp.where(m == math.inf, xp.full_like(log1p_t, math.nan), log1p_t)
    return (x - m) - log1p_t


def _softmax(xp: Any, x: Array, dim: int) -> Array:
    """exp(x - max) / sum(exp(x - max)): no overflow for any finite logits."""
    # an infinite maximum is subtracted too: inf - inf makes the row NaN, as in PyTorch
    m = _detach(xp.max(x, axis=dim, keepdims=True))
    e = xp.exp(x - m)
    return e / xp.sum(e, axis=dim, keepdims=True)


def _sigmoid_pair(xp: Any, x: Array) -> tuple[Array, Array]:
    """(sigmoid(x), sigmoid(-x)) from one ``e = exp(-|x|)``: ``1/(1+e)`` and ``e/(1+e)``.

    Both are a quotient of accurate positive numbers, so each is within a few ulps of itself for
    every ``x`` (the smaller one too, where ``1 - sigmoid`` would round to 0).
    """
    nonneg = x >= 0
    # |x| written as a where, so autograd gives it slope 1 at x = 0 (abs has slope 0 there,
    # which would make sigmoid's derivative 0 instead of 1/4 at 0)
    e = xp.exp(-xp.where(nonneg, x, -x))
    big, small = 1 / (1 + e), e / (1 + e)
    return xp.where(nonneg, big, small), xp.where(nonneg, small, big)


def _sigmoid(xp: Any, x: Array) -> Array:
    """The logistic sigmoid ``1 / (1 + exp(-x))``, stable for every ``x`` (see _sigmoid_pair)."""
    return _sigmoid_pair(xp, x)[0]


def _softplus_pair(xp: Any, x: Array) -> tuple[Array, Array]:
    """(softplus(-x), softplus(x)), each ``max(±x, 0) + log1p(exp(-|x|))``.

    Both share log1p(exp(-|x|)) (as |-x| = |x|), so a fused kernel computes one exp and one
    log1p per element instead of two of each (torch.compile does not see that abs(-x) = abs(x)).
    ``log_sigmoid(x) = -softplus(-x)`` and ``log_sigmoid(-x) = -softplus(x)``.
    """
    zero = xp.zeros_like(x)
    tail = xp.log1p(xp.exp(-xp.abs(x)))
    return xp.maximum(-x, zero) + tail, xp.maximum(x, zero) + tail


def _softplus(xp: Any, x: Array) -> Array:
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): exact for large |x| of either sign."""
    return xp.maximum(x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))


def _log_sigmoid(xp: Any, x: Array) -> Array:
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)) = -softplus(-x)."""
    return xp.minimum(x, xp.zeros_like(x)) - xp.log1p(xp.exp(-xp.abs(x)))


def _log1mexp(xp: Any, x: Array) -> Array:
    """log(1 - exp(x)) for x <= 0: log(-expm1(x)) above -ln 2, log1p(-exp(x)) below."""
    near = x > -math.log(2.0)
    # each branch sees a harmless argument where it is not selected (no log 0 in autograd)
    x_near = xp.where(near, x, xp.full_like(x, -1.0))
    x_far = xp.where(near, xp.full_like(x, -1.0), x)
    return xp.where(near, xp.log(-xp.expm1(x_near)), xp.log1p(-xp.exp(x_far)))


def _safe_div(xp: Any, num: Array, den: Array, ok: Array | None = None) -> Array:
    """num / den where ``ok`` (default: den != 0), and 0 elsewhere.

    The denominator is replaced by 1 where it is not used, so neither the value nor autograd's
    gradient meets 0/0 there. Each caller says why 0 is the right value where ``ok`` is False.
    """
    if ok is None:
        ok = den != 0
    return xp.where(ok, num / xp.where(ok, den, xp.ones_like(den)), xp.zeros_like(num))


def _times_nonzero(xp: Any, c: Array, v: Array) -> Array:
    """c * v, with 0 where c == 0 even if v is infinite (0 * log 0 = 0, 0 * inf = 0).

    Only an infinite ``v`` is replaced (by 0, where c == 0), so the product stays linear in
    ``c``: its derivative in ``c`` is ``v`` at c = 0 too, the same as at c = 1e-9 (a target
    gradient without a jump at the hard labels).
    """
    replace = xp.logical_and(c == 0, xp.isinf(v))
    return c * xp.where(replace, xp.zeros_like(v), v)


def _xlogy(xp: Any, x: Array, y: Array) -> Array:
    """x * log(y), with 0 where x == 0 (so 0 * log 0 = 0) and a finite gradient there."""
    zero = x == 0
    return xp.where(zero, xp.zeros_like(x), x * xp.log(xp.where(zero, xp.ones_like(y), y)))


def _xlog1py(xp: Any, x: Array, y: Array) -> Array:
    """x * log1p(y) = x * log(1 + y), accurate for tiny y, with 0 where x == 0."""
    zero = x == 0
    return xp.where(zero, xp.zeros_like(x), x * xp.log1p(xp.where(zero, xp.zeros_like(y), y)))


def _detach(x: Array) -> Array:
    # The shift of a log-sum-exp cancels exactly, so it needs no gradient (torch only).
    return x.detach() if is_torch(x) else x


def _reduced_input(
    input: Array, dim: Any, grad_output: Array | None = None
) -> tuple[Any, int]:
    """The checks of the functions that reduce along ``dim``: namespace and normalised dim."""
    xp = namespace(input=input, grad_output=grad_output)
    check_float(xp, input, "input")
    d = check_dim(input, dim)
    check_non_empty(input)
    return xp, d


# --- log-sum-exp, softmax, log-softmax ---------------------------------------------------------


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

    See Also
    --------
    logsumexp_grad : Its gradient, the softmax.
    log_softmax : ``x - logsumexp(x)`` without the cancellation.
    02_cross_entropy.ipynb : The notebook that derives it (the log-sum-exp trick).

    Notes
    -----
    Shifting by the maximum makes the largest exponential exactly 1, so nothing overflows
    (``exp(1000)`` is ``inf`` in float64). Writing the sum as ``1 + T`` and taking
    ``log1p(T)`` keeps the answer accurate when ``T`` is tiny: ``logsumexp([0, -40])`` is
    4.248e-18, where ``log(1 + T)`` rounds to 0. All ``-inf`` gives ``-inf``, as in PyTorch.

    References
    ----------
    .. [1] P. Blanchard, D. J. Higham, N. J. Higham, "Accurately computing the log-sum-exp and
       softmax functions", IMA Journal of Numerical Analysis 41(4), 2021.
    .. [2] PyTorch: ``torch.logsumexp``.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(logsumexp(np.array([1000.0, 1000.0]))):.6f}")
    1000.693147
    """
    xp, d = _reduced_input(input, dim)
    keepdim = check_option(keepdim, "keepdim", bool)
    with quiet(input):
        m, log1p_t = _logsumexp_parts(xp, input, d)
        out = m + log1p_t
    return out if keepdim else xp.squeeze(out, axis=d)


def logsumexp_grad(
    input: Array, *, grad_output: Array | None = None, dim: int = -1, keepdim: bool = False
) -> Array:
    r"""Gradient of :func:`logsumexp` (of its sum, or its vector-Jacobian product with ``grad_output``).

    .. math::
        \frac{\partial}{\partial x_i} \log \sum_j e^{x_j} = \frac{e^{x_i}}{\sum_j e^{x_j}}
        = \operatorname{softmax}(x)_i

    Parameters
    ----------
    input : array
        As for :func:`logsumexp`.
    grad_output : array, optional
        Upstream gradient with the output's shape and ``input``'s dtype; default ones (the
        gradient of the sum).
    dim, keepdim : int, bool
        As for :func:`logsumexp`.

    Returns
    -------
    array
        ``grad_output * softmax(input)``, shape of ``input``.

    See Also
    --------
    logsumexp : The function.
    softmax : Its gradient.
    02_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    By the chain rule, d/dx_i log(S) = (1/S) dS/dx_i = e^{x_i}/S with S = sum_j e^{x_j}.
    A row with a ``+inf`` logit gives NaN throughout, as :func:`softmax` does (PyTorch's
    backward, ``exp(x - logsumexp(x))``, gives 0 at its finite entries).

    References
    ----------
    .. [1] PyTorch: ``logsumexp_backward`` in ``torch/csrc/autograd/FunctionsManual.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(logsumexp_grad(np.array([0.0, 0.0]))[0]):.6f}")
    0.500000
    """
    xp, d = _reduced_input(input, dim, grad_output)
    keepdim = check_option(keepdim, "keepdim", bool)
    shape = [int(n) for n in input.shape]
    shape[d] = 1
    out_shape = tuple(shape) if keepdim else tuple(n for i, n in enumerate(shape) if i != d)
    g = reduce_grad(out_shape, "none", grad_output, like=input, xp=xp,
                    expand=None if keepdim else d)
    with quiet(input):
        return g * _softmax(xp, input, d)


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

    See Also
    --------
    softmax_grad : Its vector-Jacobian product.
    log_softmax : Its logarithm, accurate where the softmax underflows.
    02_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    Shifted by the maximum, so no ``exp`` overflows and each entry is accurate to a few ulps
    relative to itself (a quotient of two accurate positive numbers). It is invariant to adding
    a constant to every logit. A row with a ``+inf`` logit is NaN throughout (its shift
    ``inf - inf`` has no value), as in PyTorch.

    References
    ----------
    .. [1] P. Blanchard, D. J. Higham, N. J. Higham, "Accurately computing the log-sum-exp and
       softmax functions", IMA Journal of Numerical Analysis 41(4), 2021.
    .. [2] PyTorch: ``torch.nn.functional.softmax``.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(softmax(np.array([1000.0, 0.0]))[1]):.6e}")
    0.000000e+00
    """
    xp, d = _reduced_input(input, dim)
    with quiet(input):
        return _softmax(xp, input, d)


def softmax_grad(input: Array, *, grad_output: Array | None = None, dim: int = -1) -> Array:
    r"""Vector-Jacobian product of :func:`softmax` (by default of the sum of its outputs, = 0).

    .. math::
        \frac{\partial s_j}{\partial x_i} = s_j(\delta_{ij} - s_i), \qquad
        \Bigl(g^\top \frac{\partial s}{\partial x}\Bigr)_i = s_i\Bigl(g_i - \sum_j g_j s_j\Bigr)

    Parameters
    ----------
    input : array
        As for :func:`softmax`.
    grad_output : array, optional
        Upstream gradient, shape and dtype of ``input``; default ones. With ones the result is
        0 up to rounding, because the outputs always sum to 1.
    dim : int
        As for :func:`softmax`.

    Returns
    -------
    array
        Shape of ``input``.

    See Also
    --------
    softmax : The function.
    log_softmax_grad : The same for its logarithm.
    02_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    With s_j = e^{x_j}/S: for i = j the quotient rule gives (e^{x_j} S - e^{x_j} e^{x_j})/S^2
    = s_j - s_j^2; for i != j, -e^{x_j} e^{x_i}/S^2 = -s_j s_i. Summing g_j times these over j
    gives s_i g_i - s_i sum_j g_j s_j.

    References
    ----------
    .. [1] PyTorch: ``_softmax_backward_data`` in ``aten/src/ATen/native/SoftMax.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> g = softmax_grad(np.array([0.0, 0.0]), grad_output=np.array([1.0, 0.0]))
    >>> print(f"{float(g[0]):.6f}")
    0.250000
    """
    xp, d = _reduced_input(input, dim, grad_output)
    g = reduce_grad(tuple(input.shape), "none", grad_output, like=input, xp=xp)
    with quiet(input):
        s = _softmax(xp, input, d)
        return s * (g - xp.sum(g * s, axis=d, keepdims=True))


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

    See Also
    --------
    log_softmax_grad : Its vector-Jacobian product.
    logsumexp : The normaliser it subtracts.
    02_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    ``log(softmax(x))`` gives ``-inf`` where softmax underflows to 0 (logit gap above ~745 in
    float64); this form does not. Both terms are <= 0, so their sum never cancels, and the
    ``log1p`` keeps values near 0 accurate: ``log_softmax([40, 0])[0]`` is -4.248e-18, where
    ``x - logsumexp(x)`` (and ``torch.log_softmax``) give 0. This is why
    ``lossbook.cross_entropy`` can return a tiny loss with full relative accuracy. A row with
    a ``+inf`` logit is NaN throughout (``inf - inf`` has no value), as in PyTorch.

    References
    ----------
    .. [1] P. Blanchard, D. J. Higham, N. J. Higham, "Accurately computing the log-sum-exp and
       softmax functions", IMA Journal of Numerical Analysis 41(4), 2021.
    .. [2] PyTorch: ``torch.nn.functional.log_softmax``.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(log_softmax(np.array([1000.0, 0.0]))[1]):.6f}")
    -1000.000000
    """
    xp, d = _reduced_input(input, dim)
    with quiet(input):
        return _log_softmax(xp, input, d)


def log_softmax_grad(input: Array, *, grad_output: Array | None = None, dim: int = -1) -> Array:
    r"""Vector-Jacobian product of :func:`log_softmax` (by default of the sum of its outputs).

    .. math::
        \frac{\partial \log s_j}{\partial x_i} = \delta_{ij} - s_i, \qquad
        \Bigl(g^\top \frac{\partial \log s}{\partial x}\Bigr)_i = g_i - s_i \sum_j g_j

    Parameters
    ----------
    input : array
        As for :func:`log_softmax`.
    grad_output : array, optional
        Upstream gradient, shape and dtype of ``input``; default ones (then the result is
        1 - C s_i).
    dim : int
        As for :func:`log_softmax`.

    Returns
    -------
    array
        Shape of ``input``.

    See Also
    --------
    log_softmax : The function.
    softmax_grad : The same for the softmax itself.
    02_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    log s_j = x_j - LSE(x), and d LSE / d x_i = s_i (see :func:`logsumexp_grad`).

    References
    ----------
    .. [1] PyTorch: ``_log_softmax_backward_data`` in ``aten/src/ATen/native/SoftMax.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(log_softmax_grad(np.array([0.0, 0.0]))[0]):.6f}")
    0.000000
    """
    xp, d = _reduced_input(input, dim, grad_output)
    # the upstream gradient as an array of the input's shape, since it is summed along dim
    g = reduce_grad(tuple(input.shape), "none", grad_output, like=input, xp=xp) * xp.ones_like(input)
    with quiet(input):
        s = _softmax(xp, input, d)
        return g - s * xp.sum(g, axis=d, keepdims=True)


# --- sigmoid, log-sigmoid, softplus ------------------------------------------------------------


def _elementwise_grad(input: Array, grad_output: Array | None) -> tuple[Any, Array | float]:
    """The namespace and the upstream gradient of an elementwise primitive's ``_grad``."""
    xp = namespace(input=input, grad_output=grad_output)
    check_float(xp, input, "input")
    return xp, reduce_grad(tuple(input.shape), "none", grad_output, like=input, xp=xp)


def sigmoid(input: Array) -> Array:
    r"""The logistic sigmoid, elementwise, accurate to a few ulps for every input.

    .. math::
        \sigma(x) = \frac{1}{1 + e^{-x}} = \begin{cases} 1 / (1 + e^{-|x|}) & x \ge 0 \\
        e^{-|x|} / (1 + e^{-|x|}) & x < 0 \end{cases}

    Parameters
    ----------
    input : array
        Real floating array of logits, any shape.

    Returns
    -------
    array
        :math:`\sigma(x)` elementwise, same type, shape, dtype and device as ``input``.

    See Also
    --------
    sigmoid_grad : Its gradient, :math:`\sigma(x)\sigma(-x)`.
    log_sigmoid : Its logarithm.
    04_binary_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    ``exp`` is only taken of :math:`-|x| \le 0`, so nothing overflows, and for negative ``x``
    the small value :math:`e^{x}/(1 + e^{x})` is formed directly rather than as
    :math:`1 - \sigma(-x)`, which rounds to 0 below :math:`x \approx -37` in float64.

    References
    ----------
    .. [1] PyTorch: ``torch.sigmoid``.
    .. [2] M. Mächler, "Accurately Computing log(1 - exp(-|a|)), Assessed by the Rmpfr package",
       Rmpfr vignette, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(sigmoid(np.array(-700.0))):.6e}")
    9.859677e-305
    """
    xp = float_input(input, "input")
    return _sigmoid(xp, input)


def sigmoid_grad(input: Array, *, grad_output: Array | None = None) -> Array:
    r"""Gradient of ``sum(sigmoid(input))``: :math:`\sigma(x)\,\sigma(-x)`.

    .. math::
        \frac{d}{dx}\sigma(x) = \frac{e^{-x}}{(1 + e^{-x})^2} = \sigma(x)\,\sigma(-x)

    Parameters
    ----------
    input : array
        Real floating array of logits.
    grad_output : array, optional
        The upstream gradient, of ``input``'s shape and dtype; default ones.

    Returns
    -------
    array
        Same type, shape, dtype and device as ``input``.

    See Also
    --------
    sigmoid : The function.
    04_binary_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    Both factors come from one stable evaluation, so the product is accurate where
    :math:`\sigma(x)(1 - \sigma(x))` would round to 0 (large :math:`|x|`).

    References
    ----------
    .. [1] PyTorch: ``sigmoid_backward`` in ``aten/src/ATen/native/BinaryOps.cpp``, which
       computes :math:`g\,\sigma(1 - \sigma)`.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(sigmoid_grad(np.array(0.0))):.6f}")
    0.250000
    """
    xp, g = _elementwise_grad(input, grad_output)
    pos, neg = _sigmoid_pair(xp, input)
    return g * (pos * neg)


def log_sigmoid(input: Array) -> Array:
    r"""Elementwise logarithm of the logistic sigmoid, without overflow or underflow.

    .. math::
        \log \sigma(x) = \log \frac{1}{1 + e^{-x}} = \min(x, 0) - \log\left(1 + e^{-|x|}\right)

    Parameters
    ----------
    input : array
        Real floating array of logits, any shape (the empty array gives an empty result).

    Returns
    -------
    array
        :math:`\log\sigma(x)` elementwise, same type, shape, dtype and device as ``input``.

    Raises
    ------
    TypeError
        If ``input`` is not a floating NumPy array or torch tensor.

    See Also
    --------
    log_sigmoid_grad : Its gradient, :math:`\sigma(-x)`.
    softplus : :math:`\log\sigma(x) = -\mathrm{softplus}(-x)`.
    04_binary_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    The naive ``log(1 / (1 + exp(-x)))`` overflows in ``exp`` for large negative ``x``
    (giving ``-inf`` instead of about ``x``) and rounds ``sigmoid(x)`` to 1 for large positive
    ``x`` (giving 0 instead of about :math:`-e^{-x}`). The form above takes ``exp`` only of
    :math:`-|x| \le 0`, and ``log1p`` keeps :math:`\log(1 + t) \approx t` exact for tiny ``t``.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.logsigmoid``.
    .. [2] M. Mächler, "Accurately Computing log(1 - exp(-|a|)), Assessed by the Rmpfr package",
       Rmpfr vignette, 2012 (``log1pexp``).

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(log_sigmoid(np.array(-1000.0))):.6f}")
    -1000.000000
    """
    xp = float_input(input, "input")
    return _log_sigmoid(xp, input)


def log_sigmoid_grad(input: Array, *, grad_output: Array | None = None) -> Array:
    r"""Gradient of ``sum(log_sigmoid(input))`` with respect to ``input``: :math:`\sigma(-x)`.

    .. math::
        \frac{d}{dx} \log \sigma(x) = 1 - \sigma(x) = \sigma(-x)

    Parameters
    ----------
    input : array
        Real floating array of logits.
    grad_output : array, optional
        The upstream gradient, of ``input``'s shape and dtype; the result is its
        vector-Jacobian product ``grad_output * sigmoid(-input)``. Default: 1.

    Returns
    -------
    array
        :math:`\sigma(-x)` elementwise, same type, shape, dtype and device as ``input``.

    See Also
    --------
    log_sigmoid : The function.
    04_binary_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    With :math:`\sigma(x) = 1 / (1 + e^{-x})`, the chain rule gives
    :math:`\frac{d}{dx}\log\sigma(x) = \sigma'(x) / \sigma(x)` and
    :math:`\sigma'(x) = e^{-x} / (1 + e^{-x})^2 = \sigma(x)\,(1 - \sigma(x))`, so the
    derivative is :math:`1 - \sigma(x) = e^{-x}/(1 + e^{-x}) = \sigma(-x)`. It is computed as
    :math:`\sigma(-x)` directly (not as ``1 - sigmoid(x)``, which rounds to 0 for large ``x``).

    References
    ----------
    .. [1] PyTorch: ``log_sigmoid_backward`` in ``aten/src/ATen/native/Activation.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(log_sigmoid_grad(np.array(0.0))):.6f}")
    0.500000
    """
    xp, g = _elementwise_grad(input, grad_output)
    return g * _sigmoid(xp, -input)


def softplus(input: Array) -> Array:
    r"""Softplus, :math:`\log(1 + e^{x})`, elementwise, exact for large inputs of either sign.

    .. math::
        \mathrm{softplus}(x) = \log(1 + e^{x}) = \max(x, 0) + \log\left(1 + e^{-|x|}\right)

    Parameters
    ----------
    input : array
        Real floating array, any shape.

    Returns
    -------
    array
        Same type, shape, dtype and device as ``input``; every value >= 0.

    See Also
    --------
    softplus_grad : Its gradient, the sigmoid.
    log_sigmoid : :math:`-\mathrm{softplus}(-x)`.
    04_binary_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    ``log(1 + exp(x))`` overflows for :math:`x > 709` in float64 and loses a tiny value for
    :math:`x < -37` (``1 + exp(x)`` rounds to 1); this form does neither. PyTorch's
    ``torch.nn.functional.softplus`` (``beta=1``, ``threshold=20``) returns ``x`` itself above
    20, off by :math:`e^{-20} \approx 2 \times 10^{-9}` relative there.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.softplus``.
    .. [2] M. Mächler, "Accurately Computing log(1 - exp(-|a|)), Assessed by the Rmpfr package",
       Rmpfr vignette, 2012 (``log1pexp``).

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(softplus(np.array(-40.0))):.6e}")
    4.248354e-18
    """
    xp = float_input(input, "input")
    return _softplus(xp, input)


def softplus_grad(input: Array, *, grad_output: Array | None = None) -> Array:
    r"""Gradient of ``sum(softplus(input))``: the sigmoid :math:`\sigma(x)`.

    .. math::
        \frac{d}{dx}\log(1 + e^{x}) = \frac{e^{x}}{1 + e^{x}} = \sigma(x)

    Parameters
    ----------
    input : array
        Real floating array.
    grad_output : array, optional
        The upstream gradient, of ``input``'s shape and dtype; default ones.

    Returns
    -------
    array
        Same type, shape, dtype and device as ``input``.

    See Also
    --------
    softplus : The function.
    04_binary_cross_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    Chain rule: the derivative of :math:`\log u` is :math:`u'/u` with :math:`u = 1 + e^{x}`.

    References
    ----------
    .. [1] PyTorch: ``softplus_backward`` in ``aten/src/ATen/native/Activation.cpp``.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(softplus_grad(np.array(0.0))):.6f}")
    0.500000
    """
    xp, g = _elementwise_grad(input, grad_output)
    return g * _sigmoid(xp, input)


# --- log1mexp ----------------------------------------------------------------------------------


def log1mexp(input: Array, *, validate: bool = True) -> Array:
    r"""``log(1 - exp(x))`` for :math:`x \le 0`: the log of a complement probability, accurately.

    .. math::
        \operatorname{log1mexp}(x) = \log(1 - e^{x}) = \begin{cases}
        \log(-\operatorname{expm1}(x)) & x > -\ln 2 \\
        \operatorname{log1p}(-e^{x}) & x \le -\ln 2 \end{cases}

    Parameters
    ----------
    input : array
        Real floating log-probabilities :math:`x \le 0`, any shape.
    validate : bool
        Check that every value is <= 0.

    Returns
    -------
    array
        Same type, shape, dtype and device as ``input``; ``-inf`` at ``x = 0``.

    See Also
    --------
    log1mexp_grad : Its gradient.
    log_sigmoid : :math:`\log(1 - \sigma(x)) = \log\sigma(-x)`, the same idea for logits.
    06_focal_loss.ipynb : The notebook that uses :math:`\log(1 - p_t)`.

    Notes
    -----
    Near 0, :math:`1 - e^{x}` cancels: ``log(1 - exp(-1e-20))`` is ``-inf`` in float64, where
    the value is :math:`\log(10^{-20}) = -46.05`; ``expm1`` keeps it. Far below,
    ``-expm1(x)`` rounds to 1 and its log to 0, where ``log1p(-exp(x))`` keeps the tiny
    :math:`-e^{x}`. The switch at :math:`-\ln 2` is where both are accurate (Mächler).

    References
    ----------
    .. [1] M. Mächler, "Accurately Computing log(1 - exp(-|a|)), Assessed by the Rmpfr package",
       Rmpfr vignette, 2012. PyTorch has no twin; ``torch.log(-torch.expm1(x))`` is the same
       function.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(log1mexp(np.array(-1e-20))):.6f}")
    -46.051702
    """
    xp = float_input(input, "input")
    if check_option(validate, "validate", bool):
        check_log_probabilities(xp, input)
    with quiet(input):
        return _log1mexp(xp, input)


def log1mexp_grad(
    input: Array, *, grad_output: Array | None = None, validate: bool = True
) -> Array:
    r"""Gradient of ``sum(log1mexp(input))``: :math:`-1 / \operatorname{expm1}(-x)`.

    .. math::
        \frac{d}{dx}\log(1 - e^{x}) = \frac{-e^{x}}{1 - e^{x}} = \frac{-1}{e^{-x} - 1}
        = \frac{-1}{\operatorname{expm1}(-x)}

    Parameters
    ----------
    input : array
        As for :func:`log1mexp`.
    grad_output : array, optional
        The upstream gradient, of ``input``'s shape and dtype; default ones.
    validate : bool
        As for :func:`log1mexp`.

    Returns
    -------
    array
        Same type, shape, dtype and device as ``input``; ``-inf`` at ``x = 0``.

    See Also
    --------
    log1mexp : The function.
    06_focal_loss.ipynb : The notebook that uses :math:`\log(1 - p_t)`.

    Notes
    -----
    ``expm1(-x)`` is accurate for every :math:`x \le 0`, so the gradient is too: near 0 it is
    about :math:`1/x`, far below about :math:`-e^{x}`.

    References
    ----------
    .. [1] M. Mächler, "Accurately Computing log(1 - exp(-|a|)), Assessed by the Rmpfr package",
       Rmpfr vignette, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(log1mexp_grad(np.array(-np.log(2.0)))):.6f}")
    -1.000000
    """
    xp, g = _elementwise_grad(input, grad_output)
    if check_option(validate, "validate", bool):
        check_log_probabilities(xp, input)
    with quiet(input):
        return g * (-1 / xp.expm1(-input))


# --- xlogy, xlog1py ----------------------------------------------------------------------------


def _pair_input(input: Array, other: Array) -> Any:
    xp = namespace(input=input, other=other)
    check_float(xp, input, "input")
    check_float(xp, other, "other", like=input)
    check_same_shape(input, other, ("input", "other"))
    return xp


def xlogy(input: Array, other: Array) -> Array:
    r"""``input * log(other)``, with 0 where ``input`` is 0: the terms of an entropy.

    .. math::
        \operatorname{xlogy}(x, y) = \begin{cases} 0 & x = 0 \\ x \log y & \text{otherwise}
        \end{cases}

    Parameters
    ----------
    input : array
        The factor :math:`x`, real floating.
    other : array
        The argument of the logarithm :math:`y \ge 0`; same shape and dtype (no broadcasting).

    Returns
    -------
    array
        Same type, shape, dtype and device as ``input``; ``-inf`` where ``x > 0`` and ``y = 0``.

    See Also
    --------
    xlog1py : The same with ``log1p``.
    01_entropy.ipynb : The notebook that derives :math:`0 \log 0 = 0`.

    Notes
    -----
    :math:`x \log y \to 0` as :math:`x \to 0` for every fixed :math:`y > 0`, and the limit of
    :math:`x \log x` is 0 too, so entropy and cross-entropy terms of probability 0 vanish.
    Autograd through this function gives a finite gradient at :math:`x = 0, y = 0` (the
    logarithm only sees :math:`y = 1` there), where ``x * log(y)`` gives NaN.

    References
    ----------
    .. [1] PyTorch: ``torch.special.xlogy``; SciPy: ``scipy.special.xlogy``.

    Examples
    --------
    >>> import numpy as np
    >>> print(xlogy(np.array([0.0, 0.5]), np.array([0.0, 0.25])).tolist())
    [0.0, -0.6931471805599453]
    """
    xp = _pair_input(input, other)
    with quiet(input):
        return _xlogy(xp, input, other)


def xlog1py(input: Array, other: Array) -> Array:
    r"""``input * log1p(other)``, with 0 where ``input`` is 0: accurate for tiny ``other``.

    .. math::
        \operatorname{xlog1py}(x, y) = \begin{cases} 0 & x = 0 \\ x \log(1 + y) &
        \text{otherwise} \end{cases}

    Parameters
    ----------
    input : array
        The factor :math:`x`, real floating.
    other : array
        :math:`y \ge -1`; same shape and dtype (no broadcasting).

    Returns
    -------
    array
        Same type, shape, dtype and device as ``input``.

    See Also
    --------
    xlogy : The same with ``log``.
    04_binary_cross_entropy.ipynb : The notebook that uses it for :math:`(1 - y)\log(1 - p)`.

    Notes
    -----
    ``log1p(y)`` keeps :math:`\log(1 + y) \approx y` for tiny :math:`y`, where ``log(1 + y)``
    rounds ``1 + y`` first: binary cross-entropy's :math:`\log(1 - p)` for :math:`p = 10^{-20}`.

    References
    ----------
    .. [1] PyTorch: ``torch.special.xlog1py``; SciPy: ``scipy.special.xlog1py``.

    Examples
    --------
    >>> import numpy as np
    >>> print(xlog1py(np.array([0.0, 1.0]), np.array([-1.0, -1e-20])).tolist())
    [0.0, -1e-20]
    """
    xp = _pair_input(input, other)
    with quiet(input):
        return _xlog1py(xp, input, other)
