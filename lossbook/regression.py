"""Regression losses: MSE, L1, SmoothL1 and Huber, each with its hand-derived gradient.

All four are functions of the residual :math:`r = \\text{input} - \\text{target}` alone, applied
element by element and then reduced ("none", "mean" or "sum", as in PyTorch). They differ in how
they treat large residuals: MSE grows quadratically (a Gaussian noise model, the minimiser is
the mean), L1 linearly (a Laplace noise model, the minimiser is the median), SmoothL1 and Huber
are quadratic near zero and linear beyond ``beta`` / ``delta``.

Input and target must have the same shape: PyTorch only warns when a (N, 1) input meets a
(N,) target and broadcasts them to (N, N), a silent wrong loss; lossbook raises a ValueError.
"""

from __future__ import annotations

from typing import Any

from lossbook._array import Array, check_float, namespace, quiet
from lossbook._reduction import check_reduction, reduce, reduce_grad
from lossbook._validation import check_non_empty, check_non_negative, check_same_shape

__all__ = [
    "huber_loss",
    "huber_loss_grad",
    "l1_loss",
    "l1_loss_grad",
    "mse_loss",
    "mse_loss_grad",
    "smooth_l1_loss",
    "smooth_l1_loss_grad",
]


def _residual(
    input: Array, target: Array, reduction: str, grad_output: Array | None = None
) -> tuple[Any, Array]:
    """Validate the shared arguments and return ``(xp, input - target)``."""
    xp = namespace(input=input, target=target, grad_output=grad_output)
    check_float(xp, input, "input")
    check_float(xp, target, "target", like=input)
    check_reduction(reduction)
    check_same_shape(input, target)
    check_non_empty(input)
    with quiet(input):
        return xp, input - target


def _check_delta(delta: Any) -> float:
    d = check_non_negative(delta, "delta")
    if d == 0:
        raise ValueError(
            "delta must be a finite number > 0 (Huber with delta = 0 is identically zero, "
            f"and PyTorch refuses it too); got {delta!r}"
        )
    return d


def _inside(xp: Any, r: Array, a: Array, bound: float) -> tuple[Array, Array]:
    """The mask ``|r| < bound`` and ``r`` where it holds, 0 elsewhere.

    Feeding the quadratic branch only the residuals it is used for keeps the branch that
    ``where`` discards finite, so its (zero) gradient never turns into ``0 * inf = NaN``.
    """
    inside = a < bound
    return inside, xp.where(inside, r, xp.zeros_like(r))


# --- MSE --------------------------------------------------------------------------------------


def mse_loss(input: Array, target: Array, *, reduction: str = "mean") -> Array:
    """Mean squared error, ``torch.nn.functional.mse_loss``.

    .. math::
        \\ell_i = (x_i - y_i)^2

    Parameters
    ----------
    input : array
        Predictions :math:`x`, a real floating NumPy array or torch tensor.
    target : array
        Targets :math:`y`, the same shape, type and dtype as ``input``.
    reduction : {"none", "mean", "sum"}
        Return the per-element losses, their mean or their sum.

    Returns
    -------
    array
        The loss, of ``input``'s type, dtype and device (0-d unless reduction="none").

    Raises
    ------
    TypeError
        Non-floating input or target, or different dtypes.
    ValueError
        Different shapes (no broadcasting), empty input, unknown reduction.

    See Also
    --------
    mse_loss_grad : Its hand-derived gradient.
    huber_loss : Quadratic near 0, linear beyond delta.
    05_regression_losses.ipynb : The notebook that derives it.

    Notes
    -----
    The maximum-likelihood loss for Gaussian noise: :math:`-\\log p(y\\mid x) =
    (y-x)^2/(2\\sigma^2) + \\text{const}`; the constant that minimises it is the mean.
    Each element costs one subtraction and one multiplication, so it is accurate to about
    one ulp; a residual above about 1.3e154 overflows to ``inf``, as the true value does
    not fit in float64 either.

    PyTorch accepts a (N, 1) input against a (N,) target with only a warning and returns
    the mean over an (N, N) broadcast; lossbook raises a ValueError.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.mse_loss``.

    Examples
    --------
    >>> import numpy as np
    >>> loss = mse_loss(np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 2.0]))
    >>> print(f"{float(loss):.6f}")
    1.416667
    """
    xp, r = _residual(input, target, reduction)
    with quiet(input):
        return reduce(r * r, reduction, xp=xp)


def mse_loss_grad(
    input: Array, target: Array, *, grad_output: Array | None = None, reduction: str = "mean"
) -> Array:
    """Gradient of :func:`mse_loss` with respect to ``input``.

    .. math::
        \\frac{\\partial L}{\\partial x_i} = 2 (x_i - y_i)\\, s,
        \\qquad s = \\bar g / n \\text{ for "mean", } \\bar g \\text{ otherwise}

    where :math:`\\bar g` is ``grad_output`` (1 by default).

    Parameters
    ----------
    input, target, reduction
        As in :func:`mse_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        The gradient, shaped like ``input`` (for reduction="none", of the sum of the losses).

    See Also
    --------
    mse_loss : The loss.
    05_regression_losses.ipynb : The notebook that derives the gradient.

    Notes
    -----
    By the chain rule, :math:`\\frac{d}{dx}(x-y)^2 = 2(x-y)\\cdot\\frac{d}{dx}(x-y) = 2(x-y)`;
    the mean divides each term by the number of elements :math:`n`. The gradient grows
    without bound with the residual: one outlier can dominate a whole batch. The factor 2 goes
    on the upstream gradient before it meets the residual, so the gradient is finite wherever
    its exact value is (PyTorch forms :math:`2(x - y)` first: inf for a residual above half the
    largest float, even where the upstream gradient brings it back below).

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.mse_loss``.

    Examples
    --------
    >>> import numpy as np
    >>> g = mse_loss_grad(np.array([1.0, 3.0]), np.array([0.0, 0.0]))
    >>> print(f"{float(g[1]):.6f}")
    3.000000
    """
    xp, r = _residual(input, target, reduction, grad_output)
    with quiet(input):
        return (2 * reduce_grad(r.shape, reduction, grad_output, like=input, xp=xp)) * r


# --- L1 ---------------------------------------------------------------------------------------


def l1_loss(input: Array, target: Array, *, reduction: str = "mean") -> Array:
    """Mean absolute error, ``torch.nn.functional.l1_loss``.

    .. math::
        \\ell_i = |x_i - y_i|

    Parameters
    ----------
    input : array
        Predictions :math:`x`, a real floating NumPy array or torch tensor.
    target : array
        Targets :math:`y`, the same shape, type and dtype as ``input``.
    reduction : {"none", "mean", "sum"}
        Return the per-element losses, their mean or their sum.

    Returns
    -------
    array
        The loss, of ``input``'s type, dtype and device (0-d unless reduction="none").

    Raises
    ------
    TypeError
        Non-floating input or target, or different dtypes.
    ValueError
        Different shapes (no broadcasting), empty input, unknown reduction.

    See Also
    --------
    l1_loss_grad : Its hand-derived gradient.
    smooth_l1_loss : L1 with a quadratic piece below beta.
    05_regression_losses.ipynb : The notebook that derives it.

    Notes
    -----
    The maximum-likelihood loss for Laplace noise: :math:`-\\log p(y\\mid x) = |y-x|/b +
    \\text{const}`; the constant that minimises it is the median. Exact up to the rounding
    of the subtraction.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.l1_loss``.

    Examples
    --------
    >>> import numpy as np
    >>> loss = l1_loss(np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 2.0]))
    >>> print(f"{float(loss):.6f}")
    0.833333
    """
    xp, r = _residual(input, target, reduction)
    with quiet(input):
        return reduce(xp.abs(r), reduction, xp=xp)


def l1_loss_grad(
    input: Array, target: Array, *, grad_output: Array | None = None, reduction: str = "mean"
) -> Array:
    """(Sub)gradient of :func:`l1_loss` with respect to ``input``.

    .. math::
        \\frac{\\partial L}{\\partial x_i} = \\operatorname{sign}(x_i - y_i)\\, s,
        \\qquad \\operatorname{sign}(0) = 0

    Parameters
    ----------
    input, target, reduction
        As in :func:`l1_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        The gradient, shaped like ``input`` (for reduction="none", of the sum of the losses).

    See Also
    --------
    l1_loss : The loss.
    05_regression_losses.ipynb : The notebook that derives the gradient.

    Notes
    -----
    :math:`|r|` has slope :math:`-1` for :math:`r<0` and :math:`+1` for :math:`r>0`. At
    :math:`r = 0` it has a kink and any value in :math:`[-1, 1]` is a subgradient; PyTorch's
    autograd returns 0 there (the derivative of ``abs`` is ``sign``), and so does this
    function. ``s`` is ``grad_output`` (1 by default), divided by :math:`n` for "mean". The
    gradient has the same size however close the prediction is to the target, so gradient
    descent with a fixed step keeps overshooting around the optimum. A NaN residual gives a
    NaN gradient, as in every regression loss here (PyTorch's L1 backward returns 0 there,
    ``torch.sign(nan)`` being 0, while its smooth L1 and Huber backwards return NaN).

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.l1_loss``.

    Examples
    --------
    >>> import numpy as np
    >>> g = l1_loss_grad(np.array([1.0, 3.0]), np.array([0.0, 0.0]), reduction="sum")
    >>> print(f"{float(g[1]):.6f}")
    1.000000
    """
    xp, r = _residual(input, target, reduction, grad_output)
    with quiet(input):
        return reduce_grad(r.shape, reduction, grad_output, like=input, xp=xp) * xp.sign(r)


# --- SmoothL1 ---------------------------------------------------------------------------------


def smooth_l1_loss(
    input: Array, target: Array, *, reduction: str = "mean", beta: float = 1.0
) -> Array:
    """Smooth L1 loss, ``torch.nn.functional.smooth_l1_loss``.

    .. math::
        \\ell_i = \\begin{cases} \\dfrac{r_i^2}{2\\beta} & |r_i| < \\beta \\\\[4pt]
        |r_i| - \\dfrac{\\beta}{2} & \\text{otherwise} \\end{cases}
        \\qquad r_i = x_i - y_i

    Parameters
    ----------
    input : array
        Predictions :math:`x`, a real floating NumPy array or torch tensor.
    target : array
        Targets :math:`y`, the same shape, type and dtype as ``input``.
    reduction : {"none", "mean", "sum"}
        Return the per-element losses, their mean or their sum.
    beta : float
        Where the quadratic part turns linear, :math:`\\beta \\ge 0`. ``beta = 0`` is the L1
        loss, as in PyTorch.

    Returns
    -------
    array
        The loss, of ``input``'s type, dtype and device (0-d unless reduction="none").

    Raises
    ------
    TypeError
        Non-floating input or target, different dtypes, non-numeric ``beta``.
    ValueError
        Negative or non-finite ``beta``, different shapes, empty input, unknown reduction.

    See Also
    --------
    smooth_l1_loss_grad : Its hand-derived gradient.
    huber_loss : delta times SmoothL1 with beta = delta.
    05_regression_losses.ipynb : The notebook that derives it.

    Notes
    -----
    Continuous with a continuous slope at :math:`|r| = \\beta` (both pieces give
    :math:`\\beta/2` and slope :math:`\\pm 1`), and its gradient never exceeds 1 in size.
    As :math:`\\beta \\to 0` it tends to L1, uniformly: :math:`0 \\le |r| -
    \\ell \\le \\beta/2`. :func:`huber_loss` is the same curve scaled by
    :math:`\\beta`: :math:`\\text{Huber}_\\delta = \\delta\\cdot\\text{SmoothL1}_{\\beta=\\delta}`.

    The quadratic piece is evaluated as :math:`\\tfrac12 |r| (|r|/\\beta)` rather than
    :math:`r^2/(2\\beta)`, so :math:`r^2` cannot underflow or overflow on its own: the result
    is accurate to about two ulps wherever it is a normal float64. PyTorch computes
    ``0.5 * r * r / beta`` and loses digits when ``r * r`` is subnormal but the loss is not
    (a ``beta`` well below 1). ``beta = 0`` takes the L1 branch directly, as PyTorch does,
    so no ``r / 0`` is ever formed. The quadratic branch only sees the residuals it is used
    for, so autograd never meets ``0 * inf``.

    References
    ----------
    .. [1] R. Girshick, "Fast R-CNN", ICCV 2015, arXiv:1504.08083.
    .. [2] PyTorch: ``torch.nn.functional.smooth_l1_loss``.

    Examples
    --------
    >>> import numpy as np
    >>> loss = smooth_l1_loss(np.array([0.5, 3.0]), np.array([0.0, 0.0]), beta=1.0)
    >>> print(f"{float(loss):.6f}")
    1.312500
    """
    beta = check_non_negative(beta, "beta")
    xp, r = _residual(input, target, reduction)
    with quiet(input):
        a = xp.abs(r)
        if beta == 0:  # an option, not data: no graph break under torch.compile
            return reduce(a, reduction, xp=xp)
        inside, r_in = _inside(xp, r, a, beta)
        quadratic = (0.5 * r_in) * (r_in / beta)
        return reduce(xp.where(inside, quadratic, a - 0.5 * beta), reduction, xp=xp)


def smooth_l1_loss_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Array:
    """(Sub)gradient of :func:`smooth_l1_loss` with respect to ``input``.

    .. math::
        \\frac{\\partial L}{\\partial x_i} = s \\cdot \\begin{cases} r_i / \\beta &
        |r_i| < \\beta \\\\ \\operatorname{sign}(r_i) & \\text{otherwise} \\end{cases}

    Parameters
    ----------
    input, target, reduction, beta
        As in :func:`smooth_l1_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        The gradient, shaped like ``input`` (for reduction="none", of the sum of the losses).

    See Also
    --------
    smooth_l1_loss : The loss.
    05_regression_losses.ipynb : The notebook that derives the gradient.

    Notes
    -----
    Inside, :math:`\\frac{d}{dr}\\frac{r^2}{2\\beta} = \\frac{r}{\\beta}`; outside,
    :math:`\\frac{d}{dr}(|r| - \\beta/2) = \\operatorname{sign}(r)`; and
    :math:`\\partial r/\\partial x = 1`. At :math:`|r| = \\beta` both pieces give
    :math:`\\pm 1`, so the gradient is continuous and no choice is needed: it equals
    PyTorch's. For ``beta = 0`` (L1) the only kink is :math:`r = 0`, where PyTorch's
    autograd returns 0 and so does this function (``sign(0) = 0``); for ``beta > 0`` the
    gradient at :math:`r = 0` is :math:`0/\\beta = 0` anyway. ``s`` is ``grad_output``
    (1 by default), divided by :math:`n` for "mean". The per-element slope is bounded:
    :math:`|\\partial \\ell_i/\\partial x_i| \\le 1`.

    References
    ----------
    .. [1] R. Girshick, "Fast R-CNN", ICCV 2015, arXiv:1504.08083.
    .. [2] PyTorch: ``torch.nn.functional.smooth_l1_loss``.

    Examples
    --------
    >>> import numpy as np
    >>> g = smooth_l1_loss_grad(np.array([0.5, 3.0]), np.array([0.0, 0.0]), reduction="sum")
    >>> print(f"{float(g[0]):.6f}")
    0.500000
    """
    beta = check_non_negative(beta, "beta")
    xp, r = _residual(input, target, reduction, grad_output)
    with quiet(input):
        scale = reduce_grad(r.shape, reduction, grad_output, like=input, xp=xp)
        if beta == 0:
            return scale * xp.sign(r)
        inside, r_in = _inside(xp, r, xp.abs(r), beta)
        return scale * xp.where(inside, r_in / beta, xp.sign(r))


# --- Huber ------------------------------------------------------------------------------------


def huber_loss(
    input: Array, target: Array, *, reduction: str = "mean", delta: float = 1.0
) -> Array:
    """Huber loss, ``torch.nn.functional.huber_loss``.

    .. math::
        \\ell_i = \\begin{cases} \\tfrac12 r_i^2 & |r_i| < \\delta \\\\[2pt]
        \\delta\\,\\bigl(|r_i| - \\tfrac12\\delta\\bigr) & \\text{otherwise} \\end{cases}
        \\qquad r_i = x_i - y_i

    Parameters
    ----------
    input : array
        Predictions :math:`x`, a real floating NumPy array or torch tensor.
    target : array
        Targets :math:`y`, the same shape, type and dtype as ``input``.
    reduction : {"none", "mean", "sum"}
        Return the per-element losses, their mean or their sum.
    delta : float
        Where the quadratic part turns linear, :math:`\\delta > 0`.

    Returns
    -------
    array
        The loss, of ``input``'s type, dtype and device (0-d unless reduction="none").

    Raises
    ------
    TypeError
        Non-floating input or target, different dtypes, non-numeric ``delta``.
    ValueError
        ``delta <= 0`` or non-finite (PyTorch refuses 0 too: the loss would be identically
        zero), different shapes, empty input, unknown reduction.

    See Also
    --------
    huber_loss_grad : Its hand-derived gradient.
    smooth_l1_loss : Huber divided by delta.
    05_regression_losses.ipynb : The notebook that derives it.

    Notes
    -----
    Huber's (1964) robust loss: MSE/2 for small residuals, L1 with slope :math:`\\delta` for
    large ones, so its gradient is bounded by :math:`\\delta`. It is
    :math:`\\delta\\cdot\\text{SmoothL1}_{\\beta=\\delta}`: the same shape, but SmoothL1 keeps
    the linear part's slope at 1 for every ``beta`` while Huber keeps the quadratic part
    fixed at :math:`r^2/2` for every ``delta``. For ``delta = 1`` they coincide.

    The quadratic piece is :math:`(\\tfrac12 r)\\,r`: one rounding, no hidden epsilon. It
    is computed only for the residuals it is used for, so autograd never meets ``0 * inf``.

    References
    ----------
    .. [1] P. J. Huber, "Robust Estimation of a Location Parameter", Annals of Mathematical
       Statistics 35(1), 1964.
    .. [2] PyTorch: ``torch.nn.functional.huber_loss``.

    Examples
    --------
    >>> import numpy as np
    >>> loss = huber_loss(np.array([0.5, 3.0]), np.array([0.0, 0.0]), delta=2.0)
    >>> print(f"{float(loss):.6f}")
    2.062500
    """
    delta = _check_delta(delta)
    xp, r = _residual(input, target, reduction)
    with quiet(input):
        a = xp.abs(r)
        inside, r_in = _inside(xp, r, a, delta)
        quadratic = (0.5 * r_in) * r_in
        return reduce(xp.where(inside, quadratic, delta * (a - 0.5 * delta)), reduction, xp=xp)


def huber_loss_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    reduction: str = "mean",
    delta: float = 1.0,
) -> Array:
    """Gradient of :func:`huber_loss` with respect to ``input``.

    .. math::
        \\frac{\\partial L}{\\partial x_i} = s \\cdot \\begin{cases} r_i & |r_i| < \\delta
        \\\\ \\delta \\operatorname{sign}(r_i) & \\text{otherwise} \\end{cases}

    Parameters
    ----------
    input, target, reduction, delta
        As in :func:`huber_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d for "mean" and "sum") and
        ``input``'s dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        The gradient, shaped like ``input`` (for reduction="none", of the sum of the losses).

    See Also
    --------
    huber_loss : The loss.
    05_regression_losses.ipynb : The notebook that derives the gradient.

    Notes
    -----
    Inside, :math:`\\frac{d}{dr}\\tfrac12 r^2 = r`; outside,
    :math:`\\frac{d}{dr}\\delta(|r| - \\delta/2) = \\delta\\operatorname{sign}(r)`; and
    :math:`\\partial r/\\partial x = 1`. Both give :math:`\\pm\\delta` at :math:`|r| = \\delta`
    and 0 at :math:`r = 0`: the gradient is continuous (it is :math:`r` clipped to
    :math:`[-\\delta, \\delta]`), so it needs no subgradient choice and equals PyTorch's
    everywhere. ``s`` is ``grad_output`` (1 by default), divided by :math:`n` for "mean".

    References
    ----------
    .. [1] P. J. Huber, "Robust Estimation of a Location Parameter", Annals of Mathematical
       Statistics 35(1), 1964.
    .. [2] PyTorch: ``torch.nn.functional.huber_loss``.

    Examples
    --------
    >>> import numpy as np
    >>> g = huber_loss_grad(np.array([0.5, 3.0]), np.array([0.0, 0.0]), reduction="sum")
    >>> print(f"{float(g[1]):.6f}")
    1.000000
    """
    delta = _check_delta(delta)
    xp, r = _residual(input, target, reduction, grad_output)
    with quiet(input):
        inside, r_in = _inside(xp, r, xp.abs(r), delta)
        scale = reduce_grad(r.shape, reduction, grad_output, like=input, xp=xp)
        return scale * xp.where(inside, r_in, delta * xp.sign(r))
