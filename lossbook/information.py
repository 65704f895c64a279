"""Information theory: surprisal, entropy, cross-entropy and divergences between distributions.

The distribution functions take probability vectors ``p`` and ``q`` laid out along ``dim``
(any leading or trailing batch dimensions) and measure information in nats (``base=None``,
natural logarithm) or in bits (``base=2``). They follow the conventions of information theory:

- ``0 * log 0 = 0``: an outcome with probability 0 contributes nothing;
- ``q = 0`` where ``p > 0`` gives ``inf`` (the model calls impossible what happens), not NaN.

``kl_div`` is PyTorch's ``torch.nn.functional.kl_div``, argument for argument: its ``input`` is
log-probabilities, its ``target`` probabilities (or log-probabilities with ``log_target=True``),
and its reductions include ``"batchmean"``, the one that is the KL divergence per sample.

Every function with a differentiable input has its hand-derived gradient beside it:
``surprisal_grad`` and ``entropy_grad`` w.r.t. ``p``; ``cross_entropy_between_grad``,
``kl_divergence_grad`` and ``js_divergence_grad`` w.r.t. ``q`` (the model's distribution, the one
training moves); ``kl_div_grad`` w.r.t. ``input``.
"""

from __future__ import annotations

import math
from typing import Any

from lossbook._array import Array, check_float, namespace, quiet
from lossbook._reduction import check_reduction, reduce, reduce_grad
from lossbook._validation import (
    check_dim,
    check_distribution,
    check_log_probabilities,
    check_non_empty,
    check_option,
    check_probabilities,
    check_same_shape,
)
from lossbook.primitives import _xlogy

__all__ = [
    "cross_entropy_between",
    "cross_entropy_between_grad",
    "entropy",
    "entropy_grad",
    "js_divergence",
    "js_divergence_grad",
    "kl_div",
    "kl_div_grad",
    "kl_divergence",
    "kl_divergence_grad",
    "surprisal",
    "surprisal_grad",
]

KL_DIV_REDUCTIONS = ("none", "mean", "sum", "batchmean")


# --- checks shared by the functions below ---------------------------------------------------------
def _log_base(base: float | None) -> float:
    """ln(base): the divisor that turns nats into units of ``base`` (1.0 for nats)."""
    if base is None:
        return 1.0
    b = check_option(base, "base", float)
    if not math.isfinite(b) or b <= 1:
        raise ValueError(
            f"base must be None (nats), 2 (bits) or another finite number > 1; got {base!r}"
        )
    return math.log(b)


def _without(p: Array, dim: int) -> tuple[int, ...]:
    """``p``'s shape without ``dim``: the shape of a result per distribution."""
    return tuple(int(n) for i, n in enumerate(p.shape) if i != dim)


def _probabilities(validate: Any, grad_output: Array | None = None, *, p: Array) -> Any:
    """The checks of the elementwise functions of probabilities; returns the namespace."""
    xp = namespace(p=p, grad_output=grad_output)
    check_float(xp, p, "p")
    check_non_empty(p, "p")
    if check_option(validate, "validate", bool):
        check_probabilities(xp, p, "p")
    return xp


def _distributions(
    dim: Any, validate: Any, grad_output: Array | None = None, **arrays: Array
) -> tuple[Any, int]:
    """The checks of the distribution functions: every array (``p``, and ``q`` of ``p``'s shape
    and dtype) real floating and not empty, ``dim`` one of their axes, and with ``validate`` a
    distribution along it. Returns the namespace and the normalised ``dim``."""
    xp = namespace(**arrays, grad_output=grad_output)
    (first, x0), *rest = arrays.items()
    check_float(xp, x0, first)
    for name, x in rest:
        check_float(xp, x, name, like=x0, like_name=first)
        check_same_shape(x0, x, (first, name))
    d = check_dim(x0, dim, first, "holding the distribution")
    check_non_empty(x0, first)
    if check_option(validate, "validate", bool):
        for name, x in arrays.items():  # the message names dim as it was given
            check_distribution(xp, x, check_option(dim, "dim", int), name)
    return xp, d


def _log_ratio(xp: Any, p: Array, q: Array) -> Array:
    """ln(p / q) for p > 0 to a few ulps relative to the result, for any p, q >= 0.

    Three regimes, each chosen with ``where`` (no Python branch):

    - ``p / q`` in [1/2, 2]: ``log1p((p - q) / q)``. ``p - q`` is exact there (Sterbenz), so a
      tiny log-ratio keeps its relative accuracy; ``ln(p / q)`` would round ``p / q`` near 1 to
      an absolute ``2^-53``, and ``ln p - ln q`` would subtract two numbers near -690 for
      p, q near 1e-300.
    - ``p / q`` a normal number: ``ln(p / q)``, one rounding.
    - ``p / q`` overflows or underflows (p = 1e-10, q = 1e-320): ``ln p - ln q``, accurate
      there since the logs differ by more than 700; ``+inf`` where ``q = 0``.

    Each branch sees harmless inputs (0 / 1, 1 / 1) where it is not selected, so autograd
    never multiplies a zero upstream gradient by an infinite local one (no NaN).
    """
    ratio = p / q  # only to choose the branch; no gradient flows through a comparison
    near = xp.logical_and(ratio >= 0.5, ratio <= 2.0)
    normal = xp.logical_and(ratio >= xp.finfo(p.dtype).smallest_normal,
                            ratio <= xp.finfo(p.dtype).max)
    far = xp.logical_and(normal, xp.logical_not(near))
    other = xp.logical_not(normal)
    one_q, one_p = xp.ones_like(q), xp.ones_like(p)
    near_value = xp.log1p(xp.where(near, p - q, xp.zeros_like(p)) / xp.where(near, q, one_q))
    far_value = xp.log(xp.where(far, p, one_p) / xp.where(far, q, one_q))
    other_value = xp.log(xp.where(other, p, one_p)) - xp.log(xp.where(other, q, one_q))
    return xp.where(near, near_value, xp.where(far, far_value, other_value))


def _kl_terms(xp: Any, p: Array, q: Array) -> Array:
    """p ln(p / q) with 0 where p == 0 and +inf where q == 0 < p; no NaN in autograd."""
    zero = p == 0
    safe_p = xp.where(zero, xp.ones_like(p), p)
    safe_q = xp.where(zero, xp.ones_like(q), q)
    return xp.where(zero, xp.zeros_like(p), p * _log_ratio(xp, safe_p, safe_q))


# --- surprisal ------------------------------------------------------------------------------------
def surprisal(p: Array, *, base: float | None = None, validate: bool = True) -> Array:
    """Surprisal (self-information) of outcomes with probabilities ``p``: ``-log p``.

    .. math::
        I(p) = -\\log_b p = -\\frac{\\ln p}{\\ln b}

    Parameters
    ----------
    p : array
        Probabilities in [0, 1], any shape (elementwise).
    base : float, optional
        Logarithm base: ``None`` for nats (natural log), ``2`` for bits.
    validate : bool
        Check that every value lies in [0, 1].

    Returns
    -------
    array
        ``-log_b p`` elementwise, same type, shape, dtype and device as ``p``; ``+inf`` where
        ``p == 0`` (an impossible outcome is infinitely surprising).

    See Also
    --------
    surprisal_grad : Its hand-derived gradient.
    entropy : Its mean under the distribution.
    01_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    A certain outcome (``p = 1``) carries no information; halving its probability adds one bit.
    Surprisal is additive over independent events, since ``-log(p1 p2) = -log p1 - log p2``,
    which is why the logarithm is the measure of information. PyTorch has no function of this
    name; ``-torch.log(p)`` is its twin.

    References
    ----------
    .. [1] C. E. Shannon, "A Mathematical Theory of Communication", Bell System Technical
       Journal 27, 1948.
    .. [2] T. M. Cover, J. A. Thomas, *Elements of Information Theory*, 2nd ed., Wiley, 2006,
       ch. 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(surprisal(np.asarray(0.25), base=2)):.6f}")
    2.000000
    """
    xp = _probabilities(validate, p=p)
    ln_b = _log_base(base)
    with quiet(p):
        out = 0.0 - xp.log(p)  # 0 - log 1 = +0.0, where -log 1 would print as -0.0
    return out if base is None else out / ln_b


def surprisal_grad(
    p: Array, *, grad_output: Array | None = None, base: float | None = None, validate: bool = True
) -> Array:
    """Gradient of ``sum(surprisal(p))`` with respect to ``p``: ``-1 / (p ln b)``.

    .. math::
        \\frac{\\partial}{\\partial p_i} \\sum_j -\\frac{\\ln p_j}{\\ln b} = -\\frac{1}{p_i \\ln b}

    Parameters
    ----------
    p : array
        Probabilities in [0, 1].
    base : float, optional
        Logarithm base: ``None`` for nats, ``2`` for bits.
    validate : bool
        Check that every value lies in [0, 1].
    grad_output : array, optional
        The upstream gradient, of the output's shape (``p``'s shape) and ``p``'s dtype; the
        result is its vector-Jacobian product. Default: 1 (the gradient of the sum).

    Returns
    -------
    array
        Same type, shape, dtype and device as ``p``; ``-inf`` where ``p == 0``.

    See Also
    --------
    surprisal : The loss.
    01_entropy.ipynb : The notebook that derives the gradient.

    Notes
    -----
    Derivation: ``d/dp ln p = 1/p`` and the base only divides by the constant ``ln b``.

    References
    ----------
    .. [1] C. E. Shannon, "A Mathematical Theory of Communication", Bell System Technical
       Journal 27, 1948.
    .. [2] T. M. Cover, J. A. Thomas, *Elements of Information Theory*, 2nd ed., Wiley, 2006,
       ch. 2.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(surprisal_grad(np.asarray(0.5))):.6f}")
    -2.000000
    """
    xp = _probabilities(validate, grad_output, p=p)
    ln_b = _log_base(base)
    upstream = reduce_grad(p.shape, "none", grad_output, like=p, like_name="p", xp=xp)
    with quiet(p):
        return upstream * (-1.0 / (p * ln_b))


# --- entropy --------------------------------------------------------------------------------------
def entropy(p: Array, *, dim: int = -1, base: float | None = None, validate: bool = True) -> Array:
    """Shannon entropy of the distributions ``p`` along ``dim``: the mean surprisal.

    .. math::
        H(p) = -\\sum_i p_i \\log_b p_i, \\qquad 0 \\log 0 = 0

    Parameters
    ----------
    p : array
        Probabilities summing to 1 along ``dim``; the other dimensions are batch dimensions.
    dim : int
        The dimension holding the outcomes (PyTorch's name for an axis).
    base : float, optional
        Logarithm base: ``None`` for nats (natural log), ``2`` for bits.
    validate : bool
        Check that ``p`` holds probabilities summing to 1 along ``dim`` (to a few hundred
        ulps per term).

    Returns
    -------
    array
        ``p``'s shape without ``dim``; same type, dtype and device as ``p``.

    See Also
    --------
    entropy_grad : Its hand-derived gradient.
    cross_entropy_between : H(p, q) >= H(p), equal at q = p.
    01_entropy.ipynb : The notebook that derives it.

    Notes
    -----
    ``0 log 0 = 0`` (the limit of ``x log x`` as ``x -> 0``) through ``xlogy``, so outcomes of
    probability zero contribute nothing and never produce NaN. ``0 <= H(p) <= log_b n`` for
    ``n`` outcomes, the maximum at the uniform distribution.

    PyTorch: ``torch.distributions.Categorical(probs=p).entropy()`` gives the same value in
    nats along the last axis (it renormalises ``p`` first, so its gradient is the projected
    one); ``torch.special.entr(p).sum(-1)`` is the same formula as this function, gradient
    included.

    References
    ----------
    .. [1] C. E. Shannon, "A Mathematical Theory of Communication", Bell System Technical
       Journal 27, 1948.
    .. [2] T. M. Cover, J. A. Thomas, *Elements of Information Theory*, 2nd ed., Wiley, 2006,
       ch. 2.
    .. [3] PyTorch: ``torch.special.entr``.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(entropy(np.array([0.5, 0.25, 0.25]), base=2)):.6f}")
    1.500000
    """
    xp, d = _distributions(dim, validate, p=p)
    ln_b = _log_base(base)
    with quiet(p):
        h = 0.0 - xp.sum(_xlogy(xp, p, p), axis=d)  # +0.0, not -0.0, for a certain outcome
    return h if base is None else h / ln_b


def entropy_grad(
    p: Array,
    *,
    grad_output: Array | None = None,
    dim: int = -1,
    base: float | None = None,
    validate: bool = True,
) -> Array:
    """Gradient of ``sum(entropy(p))`` with respect to ``p``: ``-(ln p + 1) / ln b``.

    .. math::
        \\frac{\\partial H}{\\partial p_i} = -\\frac{\\ln p_i + 1}{\\ln b}

    Parameters
    ----------
    p : array
        Probabilities summing to 1 along ``dim``.
    dim : int
        The dimension holding the outcomes (PyTorch's name for an axis).
    base : float, optional
        Logarithm base: ``None`` for nats, ``2`` for bits.
    validate : bool
        Check that ``p`` is a distribution along ``dim``.
    grad_output : array, optional
        The upstream gradient, of the output's shape (``p``'s shape without ``dim``) and ``p``'s dtype; the
        result is its vector-Jacobian product. Default: 1 (the gradient of the sum).

    Returns
    -------
    array
        Same type, shape, dtype and device as ``p``.

    See Also
    --------
    entropy : The loss.
    01_entropy.ipynb : The notebook that derives the gradient.

    Notes
    -----
    Derivation: ``H = -sum_j p_j ln p_j / ln b``; only the term ``j = i`` depends on ``p_i``,
    and by the product rule ``d/dp (p ln p) = ln p + p (1/p) = ln p + 1``.

    This is the gradient with every ``p_i`` a free variable (as autograd sees it), not the
    gradient along the simplex. At ``p_i = 0`` it is ``+inf``: the one-sided derivative of
    ``-p ln p`` there, the same as ``torch.special.entr``'s backward (autograd through
    ``xlogy`` reports 0 there instead).

    References
    ----------
    .. [1] C. E. Shannon, "A Mathematical Theory of Communication", Bell System Technical
       Journal 27, 1948.
    .. [2] T. M. Cover, J. A. Thomas, *Elements of Information Theory*, 2nd ed., Wiley, 2006,
       ch. 2.
    .. [3] PyTorch: ``torch.special.entr``.

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(entropy_grad(np.array([0.5, 0.5]))[0]):.6f}")
    -0.306853
    """
    xp, d = _distributions(dim, validate, grad_output, p=p)
    ln_b = _log_base(base)
    upstream = reduce_grad(_without(p, d), "none", grad_output, like=p, like_name="p",
                           expand=d, xp=xp)
    with quiet(p):
        g = -(xp.log(p) + 1.0)
    return upstream * (g if base is None else g / ln_b)


# --- cross-entropy between distributions ----------------------------------------------------------
def cross_entropy_between(
    p: Array, q: Array, *, dim: int = -1, base: float | None = None, validate: bool = True
) -> Array:
    """Cross-entropy H(p, q) between distributions: the mean surprisal under ``q`` of draws from ``p``.

    .. math::
        H(p, q) = -\\sum_i p_i \\log_b q_i = H(p) + D_{KL}(p \\,\\|\\, q)

    Parameters
    ----------
    p : array
        The true distribution along ``dim`` (probabilities summing to 1).
    q : array
        The model's distribution, same shape as ``p``.
    dim : int
        The dimension holding the outcomes (PyTorch's name for an axis).
    base : float, optional
        Logarithm base: ``None`` for nats, ``2`` for bits.
    validate : bool
        Check that ``p`` and ``q`` are distributions along ``dim``.

    Returns
    -------
    array
        ``p``'s shape without ``dim``; same type, dtype and device as ``p``. ``+inf`` where
        ``q_i = 0 < p_i`` for some ``i``.

    See Also
    --------
    cross_entropy_between_grad : Its hand-derived gradient.
    kl_divergence : H(p, q) - H(p).
    03_kl_divergence.ipynb : The notebook that derives it.

    Notes
    -----
    Named ``cross_entropy_between`` so as not to clash with ``lossbook.classification.cross_entropy``,
    PyTorch's loss on logits. Computed as ``-sum(xlogy(p, q))``: terms with ``p_i = 0`` are 0
    even where ``q_i = 0``. ``H(p, q) >= H(p)``, with equality only at ``q = p`` (Gibbs'
    inequality). With one-hot ``p`` it is the negative log-likelihood of the true class.

    PyTorch twin: ``-torch.special.xlogy(p, q).sum(dim)``, or
    ``torch.nn.functional.cross_entropy(torch.log(q), p)`` along the class axis 1.

    References
    ----------
    .. [1] T. M. Cover, J. A. Thomas, *Elements of Information Theory*, 2nd ed., Wiley, 2006,
       ch. 2 and 5.
    .. [2] PyTorch: ``torch.special.xlogy``.

    Examples
    --------
    >>> import numpy as np
    >>> p, q = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    >>> print(f"{float(cross_entropy_between(p, q, base=2)):.6f}")
    1.207519
    """
    xp, d = _distributions(dim, validate, p=p, q=q)
    ln_b = _log_base(base)
    with quiet(p):
        h = 0.0 - xp.sum(_xlogy(xp, p, q), axis=d)
    return h if base is None else h / ln_b


def _minus_p_over_q(xp: Any, p: Array, q: Array) -> Array:
    """-p / q, with 0 where p == 0 (even where q == 0) and -inf where q == 0 < p."""
    zero = p == 0
    safe_q = xp.where(zero, xp.ones_like(q), q)
    return xp.where(zero, xp.zeros_like(p), -p / safe_q)


def cross_entropy_between_grad(
    p: Array,
    q: Array,
    *,
    grad_output: Array | None = None,
    dim: int = -1,
    base: float | None = None,
    validate: bool = True,
) -> Array:
    """Gradient of ``sum(cross_entropy_between(p, q))`` with respect to ``q``: ``-p / (q ln b)``.

    .. math::
        \\frac{\\partial H(p, q)}{\\partial q_i} = -\\frac{p_i}{q_i \\ln b}

    Parameters
    ----------
    p : array
        The true distribution along ``dim``.
    q : array
        The model's distribution, same shape.
    dim : int
        The dimension holding the outcomes (PyTorch's name for an axis).
    base : float, optional
        Logarithm base: ``None`` for nats, ``2`` for bits.
    validate : bool
        Check that ``p`` and ``q`` are distributions along ``dim``.
    grad_output : array, optional
        The upstream gradient, of the output's shape (``p``'s shape without ``dim``) and ``q``'s dtype; the
        result is its vector-Jacobian product. Default: 1 (the gradient of the sum).

    Returns
    -------
    array
        Same type, shape, dtype and device as ``q``.

    See Also
    --------
    cross_entropy_between : The loss.
    03_kl_divergence.ipynb : The notebook that derives the gradient.

    Notes
    -----
    Derivation: only the term ``-p_i ln q_i / ln b`` depends on ``q_i``, and
    ``d/dq ln q = 1/q``. Where ``p_i = 0`` the term is identically 0, so its derivative is 0
    (also at ``q_i = 0``); where ``q_i = 0 < p_i`` it is ``-inf``. As for autograd, every ``q_i``
    is a free variable (no simplex constraint).

    References
    ----------
    .. [1] T. M. Cover, J. A. Thomas, *Elements of Information Theory*, 2nd ed., Wiley, 2006,
       ch. 2 and 5.
    .. [2] PyTorch: ``torch.special.xlogy``.

    Examples
    --------
    >>> import numpy as np
    >>> p, q = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    >>> print(f"{float(cross_entropy_between_grad(p, q)[0]):.6f}")
    -2.000000
    """
    xp, d = _distributions(dim, validate, grad_output, p=p, q=q)
    ln_b = _log_base(base)
    upstream = reduce_grad(_without(q, d), "none", grad_output, like=q, like_name="q",
                           expand=d, xp=xp)
    with quiet(p):
        g = _minus_p_over_q(xp, p, q)
    return upstream * (g if base is None else g / ln_b)


# --- KL divergence between distributions ----------------------------------------------------------
def kl_divergence(
    p: Array, q: Array, *, dim: int = -1, base: float | None = None, validate: bool = True
) -> Array:
    """Kullback-Leibler divergence D_KL(p || q): the extra code length for coding ``p`` with ``q``.

    .. math::
        D_{KL}(p \\,\\|\\, q) = \\sum_i p_i \\log_b \\frac{p_i}{q_i} = H(p, q) - H(p)

    Parameters
    ----------
    p : array
        The true distribution along ``dim`` (probabilities summing to 1).
    q : array
        The model's distribution, same shape as ``p``.
    dim : int
        The dimension holding the outcomes (PyTorch's name for an axis).
    base : float, optional
        Logarithm base: ``None`` for nats, ``2`` for bits.
    validate : bool
        Check that ``p`` and ``q`` are distributions along ``dim``.

    Returns
    -------
    array
        ``p``'s shape without ``dim``; same type, dtype and device as ``p``. ``+inf`` where
        ``q_i = 0 < p_i`` for some ``i``.

    See Also
    --------
    kl_divergence_grad : Its hand-derived gradient.
    kl_div : PyTorch's form, on log-probabilities.
    03_kl_divergence.ipynb : The notebook that derives it.

    Notes
    -----
    Each term is ``p_i ln(p_i / q_i)`` with the log-ratio accurate to a few ulps of itself:
    ``log1p((p_i - q_i) / q_i)`` where ``q_i`` is within a factor 2 of ``p_i`` (the difference is
    exact there), ``ln(p_i / q_i)`` elsewhere, and ``ln p_i - ln q_i`` only where the ratio
    overflows (``p_i = 1e-10, q_i = 1e-320``). The naive ``ln p_i - ln q_i`` cancels for tiny
    probabilities: 1e-300 against 5e-301 subtracts two numbers near -690 to get 0.69 and loses
    three digits. ``KL(p, p)`` is exactly 0, and terms with ``p_i = 0`` are exactly 0, NaN-free
    in autograd too.
    ``D_KL >= 0`` (Gibbs' inequality) and it is not symmetric.

    PyTorch twins: ``torch.nn.functional.kl_div(torch.log(q), p, reduction="none").sum(dim)``
    (note the swapped order and the log on the model side) and
    ``torch.distributions.kl_divergence(Categorical(probs=p), Categorical(probs=q))``.

    References
    ----------
    .. [1] S. Kullback, R. A. Leibler, "On Information and Sufficiency", Annals of Mathematical
       Statistics 22(1), 1951.
    .. [2] PyTorch: ``torch.distributions.kl_divergence`` (``torch/distributions/kl.py``).

    Examples
    --------
    >>> import numpy as np
    >>> p, q = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    >>> print(f"{float(kl_divergence(p, q, base=2)):.6f}")
    0.207519
    """
    xp, d = _distributions(dim, validate, p=p, q=q)
    ln_b = _log_base(base)
    with quiet(p):
        kl = xp.sum(_kl_terms(xp, p, q), axis=d)
    return kl if base is None else kl / ln_b


def kl_divergence_grad(
    p: Array,
    q: Array,
    *,
    grad_output: Array | None = None,
    dim: int = -1,
    base: float | None = None,
    validate: bool = True,
) -> Array:
    """Gradient of ``sum(kl_divergence(p, q))`` with respect to ``q``: ``-p / (q ln b)``.

    .. math::
        \\frac{\\partial D_{KL}(p\\,\\|\\,q)}{\\partial q_i} = -\\frac{p_i}{q_i \\ln b}

    Parameters
    ----------
    p : array
        The true distribution along ``dim``.
    q : array
        The model's distribution, same shape.
    dim : int
        The dimension holding the outcomes (PyTorch's name for an axis).
    base : float, optional
        Logarithm base: ``None`` for nats, ``2`` for bits.
    validate : bool
        Check that ``p`` and ``q`` are distributions along ``dim``.
    grad_output : array, optional
        The upstream gradient, of the output's shape (``p``'s shape without ``dim``) and ``q``'s dtype; the
        result is its vector-Jacobian product. Default: 1 (the gradient of the sum).

    Returns
    -------
    array
        Same type, shape, dtype and device as ``q``.

    See Also
    --------
    kl_divergence : The loss.
    03_kl_divergence.ipynb : The notebook that derives the gradient.

    Notes
    -----
    Derivation: ``D_KL = sum_i p_i ln p_i / ln b - sum_i p_i ln q_i / ln b``; the first sum does
    not depend on ``q``, so the gradient is that of the cross-entropy: ``-p_i / (q_i ln b)``,
    0 where ``p_i = 0`` and ``-inf`` where ``q_i = 0 < p_i``. Minimising KL or cross-entropy
    over ``q`` is the same problem.

    References
    ----------
    .. [1] S. Kullback, R. A. Leibler, "On Information and Sufficiency", Annals of Mathematical
       Statistics 22(1), 1951.
    .. [2] PyTorch: ``torch.distributions.kl_divergence`` (``torch/distributions/kl.py``).

    Examples
    --------
    >>> import numpy as np
    >>> p, q = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    >>> print(f"{float(kl_divergence_grad(p, q)[1]):.6f}")
    -0.666667
    """
    xp, d = _distributions(dim, validate, grad_output, p=p, q=q)
    ln_b = _log_base(base)
    upstream = reduce_grad(_without(q, d), "none", grad_output, like=q, like_name="q",
                           expand=d, xp=xp)
    with quiet(p):
        g = _minus_p_over_q(xp, p, q)
    return upstream * (g if base is None else g / ln_b)


# --- Jensen-Shannon divergence --------------------------------------------------------------------
def js_divergence(
    p: Array, q: Array, *, dim: int = -1, base: float | None = None, validate: bool = True
) -> Array:
    """Jensen-Shannon divergence: the mean KL of ``p`` and ``q`` to their mixture ``m``.

    .. math::
        JS(p, q) = \\tfrac12 D_{KL}(p \\,\\|\\, m) + \\tfrac12 D_{KL}(q \\,\\|\\, m),
        \\qquad m = \\tfrac12 (p + q)

    Parameters
    ----------
    p, q : array
        Distributions along ``dim``, same shape.
    dim : int
        The dimension holding the outcomes (PyTorch's name for an axis).
    base : float, optional
        Logarithm base: ``None`` for nats, ``2`` for bits.
    validate : bool
        Check that ``p`` and ``q`` are distributions along ``dim``.

    Returns
    -------
    array
        ``p``'s shape without ``dim``; same type, dtype and device as ``p``.

    See Also
    --------
    js_divergence_grad : Its hand-derived gradient.
    kl_divergence : The divergence it averages.
    12_choosing_a_loss.ipynb : The notebook that derives it.

    Notes
    -----
    Symmetric (exactly, in floating point too: ``p + q == q + p``), always finite since
    ``m_i >= p_i / 2``, and ``0 <= JS <= log_b 2``, the maximum for disjoint supports (one bit).
    Its square root is a metric. PyTorch has no JS function; the twin builds it from
    ``torch.nn.functional.kl_div``.

    References
    ----------
    .. [1] J. Lin, "Divergence measures based on the Shannon entropy", IEEE Transactions on
       Information Theory 37(1), 1991.

    Examples
    --------
    >>> import numpy as np
    >>> p, q = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> print(f"{float(js_divergence(p, q, base=2)):.6f}")
    1.000000
    """
    xp, d = _distributions(dim, validate, p=p, q=q)
    ln_b = _log_base(base)
    m = 0.5 * (p + q)
    with quiet(p):
        kl_pm = xp.sum(_kl_terms(xp, p, m), axis=d)
        kl_qm = xp.sum(_kl_terms(xp, q, m), axis=d)
    js = 0.5 * (kl_pm + kl_qm)
    return js if base is None else js / ln_b


def js_divergence_grad(
    p: Array,
    q: Array,
    *,
    grad_output: Array | None = None,
    dim: int = -1,
    base: float | None = None,
    validate: bool = True,
) -> Array:
    """Gradient of ``sum(js_divergence(p, q))`` with respect to ``q``: ``ln(q / m) / (2 ln b)``.

    .. math::
        \\frac{\\partial JS}{\\partial q_i} = \\frac{1}{2 \\ln b} \\ln \\frac{q_i}{m_i},
        \\qquad m_i = \\tfrac12 (p_i + q_i)

    Parameters
    ----------
    p, q : array
        Distributions along ``dim``, same shape.
    dim : int
        The dimension holding the outcomes (PyTorch's name for an axis).
    base : float, optional
        Logarithm base: ``None`` for nats, ``2`` for bits.
    validate : bool
        Check that ``p`` and ``q`` are distributions along ``dim``.
    grad_output : array, optional
        The upstream gradient, of the output's shape (``p``'s shape without ``dim``) and ``q``'s dtype; the
        result is its vector-Jacobian product. Default: 1 (the gradient of the sum).

    Returns
    -------
    array
        Same type, shape, dtype and device as ``q``.

    See Also
    --------
    js_divergence : The loss.
    12_choosing_a_loss.ipynb : The notebook that derives the gradient.

    Notes
    -----
    Derivation (nats; divide by ``ln b`` for base ``b``). With ``m_i = (p_i + q_i)/2`` and
    ``dm_i/dq_i = 1/2``, only the ``i``-th terms of the two sums depend on ``q_i``:

    ``d/dq_i [ 1/2 p_i ln(p_i/m_i) ] = -p_i / (4 m_i)`` and
    ``d/dq_i [ 1/2 q_i ln(q_i/m_i) ] = 1/2 ln(q_i/m_i) + 1/2 - q_i / (4 m_i)``.

    Their sum is ``1/2 ln(q_i/m_i) + 1/2 - (p_i + q_i)/(4 m_i) = 1/2 ln(q_i/m_i)``, since
    ``p_i + q_i = 2 m_i``. It is ``-inf`` where ``q_i = 0 < p_i`` and ``ln(2)/2`` where
    ``p_i = q_i = 0`` (its limit there, the one-sided derivative).

    References
    ----------
    .. [1] J. Lin, "Divergence measures based on the Shannon entropy", IEEE Transactions on
       Information Theory 37(1), 1991.

    Examples
    --------
    >>> import numpy as np
    >>> p, q = np.array([0.5, 0.5]), np.array([0.5, 0.5])
    >>> print(f"{float(js_divergence_grad(p, q)[0]):.6f}")
    0.000000
    """
    xp, d = _distributions(dim, validate, grad_output, p=p, q=q)
    ln_b = _log_base(base)
    both_zero = xp.logical_and(p == 0, q == 0)
    safe_q = xp.where(both_zero, xp.ones_like(q), q)
    safe_p = xp.where(both_zero, xp.zeros_like(p), p)
    upstream = reduce_grad(_without(q, d), "none", grad_output, like=q, like_name="q",
                           expand=d, xp=xp)
    with quiet(p):
        # ln(q / m) = ln(2q / (p + q)), accurate also for tiny p and q (see _log_ratio)
        g = 0.5 * _log_ratio(xp, 2 * safe_q, safe_p + safe_q)
    return upstream * (g if base is None else g / ln_b)


# --- PyTorch's kl_div -----------------------------------------------------------------------------
def _kl_div_checks(
    input: Array, target: Array, reduction: str, log_target: bool, validate: bool,
    grad_output: Array | None = None,
) -> tuple[Any, bool]:
    """The checks of kl_div and its gradient; returns the namespace and ``log_target``."""
    xp = namespace(input=input, target=target, grad_output=grad_output)
    check_float(xp, input, "input")
    check_float(xp, target, "target", like=input)
    check_reduction(reduction, KL_DIV_REDUCTIONS)
    log_target = check_option(log_target, "log_target", bool)
    check_same_shape(input, target)
    check_non_empty(input, "input")
    if check_option(validate, "validate", bool):
        check_log_probabilities(xp, input, "input")
        if log_target:
            check_log_probabilities(xp, target, "target (log_target=True)")
        else:
            check_probabilities(xp, target, "target")
    return xp, log_target


def kl_div(
    input: Array,
    target: Array,
    *,
    reduction: str = "mean",
    log_target: bool = False,
    validate: bool = True,
) -> Array:
    """PyTorch's ``kl_div``: pointwise KL terms of ``target`` against log-probabilities ``input``.

    .. math::
        \\ell_i = t_i (\\ln t_i - x_i) \\quad (\\text{log\\_target=False}), \\qquad
        \\ell_i = e^{t_i} (t_i - x_i) \\quad (\\text{log\\_target=True})

    with ``x = input`` (the model's log-probabilities) and ``t = target``, then reduced:
    ``"none"`` keeps ``ell``, ``"sum"`` adds, ``"mean"`` divides the sum by the number of
    elements and ``"batchmean"`` by the batch size ``input.shape[0]``.

    Parameters
    ----------
    input : array
        Log-probabilities of the model (e.g. ``log_softmax(logits)``), any shape, batch first.
    target : array
        Probabilities, or log-probabilities if ``log_target``; same shape as ``input``.
    reduction : {"none", "mean", "sum", "batchmean"}
        How to reduce; ``"batchmean"`` is the KL divergence averaged over the batch.
    log_target : bool
        Whether ``target`` holds log-probabilities.
    validate : bool
        Check that ``input`` holds log-probabilities (``<= 0``) and ``target`` probabilities in
        [0, 1] (log-probabilities ``<= 0`` if ``log_target``). Sums are not checked, as in
        PyTorch, which does not know which axis holds the classes.

    Returns
    -------
    array
        The pointwise terms for ``"none"``, else a 0-d array; same type, dtype and device as
        ``input``.

    See Also
    --------
    kl_div_grad : Its hand-derived gradient.
    kl_divergence : The same divergence between probability vectors.
    03_kl_divergence.ipynb : The notebook that derives it.

    Notes
    -----
    The argument order is the reverse of the mathematical ``D_KL(target || model)`` and the
    model side is in log space: ``kl_div(log q, p, reduction="batchmean")`` is
    ``kl_divergence(p, q)`` averaged over the rows. ``"mean"`` divides by the number of
    elements ``N * C``, not by ``N``: it is the KL divergence divided by ``C``, and PyTorch warns
    about it. For 0-d input ``"batchmean"`` is the sum, as in PyTorch.

    Each term is computed as ``t (ln t - x)``, which rounds once less than PyTorch's
    ``xlogy(t, t) - t x`` (two products of size ``|t ln t|`` that cancel for tiny ``t``).
    ``target = 0`` contributes 0, as in PyTorch (``xlogy(0, 0) = 0``), for finite input.
    Where PyTorch gives NaN, lossbook gives the limit 0 of a zero-probability term: ``target = 0``
    with ``input = -inf``, and ``log_target=True`` with ``target = -inf`` (PyTorch computes
    ``exp(-inf) * (-inf - x) = 0 * -inf``). Everywhere else the values agree with
    ``torch.nn.functional.kl_div`` to rounding.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.kl_div`` (``torch/nn/functional.py``) and ``kl_div``
       in ``aten/src/ATen/native/Loss.cpp``.
    .. [2] G. Hinton, O. Vinyals, J. Dean, "Distilling the Knowledge in a Neural Network",
       arXiv:1503.02531, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> log_q = np.log(np.array([[0.25, 0.75]]))
    >>> p = np.array([[0.5, 0.5]])
    >>> print(f"{float(kl_div(log_q, p, reduction='batchmean')):.6f}")
    0.143841
    """
    xp, log_target = _kl_div_checks(input, target, reduction, log_target, validate)
    with quiet(input):
        if log_target:
            pt = xp.exp(target)
            zero = pt == 0
            safe_t = xp.where(zero, xp.zeros_like(target), target)
            safe_x = xp.where(zero, xp.zeros_like(input), input)
            terms = xp.where(zero, xp.zeros_like(input), pt * (safe_t - safe_x))
        else:
            # t (ln t - x): one rounding less than PyTorch's xlogy(t, t) - t x, which cancels
            zero = target == 0
            safe_t = xp.where(zero, xp.ones_like(target), target)
            safe_x = xp.where(zero, xp.zeros_like(input), input)
            terms = xp.where(zero, xp.zeros_like(input), target * (xp.log(safe_t) - safe_x))
        return reduce(terms, reduction, xp=xp)


def kl_div_grad(
    input: Array,
    target: Array,
    *,
    grad_output: Array | None = None,
    reduction: str = "mean",
    log_target: bool = False,
    validate: bool = True,
) -> Array:
    """Gradient of the reduced ``kl_div`` with respect to ``input``: ``-target`` times the scale.

    .. math::
        \\frac{\\partial \\ell_i}{\\partial x_i} = -t_i \\quad (\\text{log\\_target=False}),
        \\qquad \\frac{\\partial \\ell_i}{\\partial x_i} = -e^{t_i} \\quad (\\text{log\\_target=True})

    Parameters
    ----------
    input : array
        Log-probabilities of the model, any shape, batch first.
    target : array
        Probabilities, or log-probabilities if ``log_target``; same shape.
    reduction : {"none", "mean", "sum", "batchmean"}
        The reduction whose result is differentiated ("none": the sum of the terms).
    log_target : bool
        Whether ``target`` holds log-probabilities.
    validate : bool
        As in ``kl_div``.
    grad_output : array, optional
        The upstream gradient, of the loss's shape (0-d unless "none") and ``input``'s
        dtype; the result is its vector-Jacobian product. Default: 1.

    Returns
    -------
    array
        Same type, shape, dtype and device as ``input``.

    See Also
    --------
    kl_div : The loss.
    03_kl_divergence.ipynb : The notebook that derives the gradient.

    Notes
    -----
    Derivation: ``ell_i = t_i ln t_i - t_i x_i``; the first term does not depend on ``x_i``, so
    ``d ell_i / d x_i = -t_i``; with ``log_target`` the probability is ``e^{t_i}``. Each
    reduction multiplies by a constant: 1 for "none" and "sum", ``1/numel`` for "mean" and
    ``1/input.shape[0]`` for "batchmean". The gradient w.r.t. logits ``z`` with
    ``x = log_softmax(z)`` then follows by the chain rule: ``softmax(z) * sum(t) - t`` per row,
    ``q - p`` for a target distribution ``p``.

    References
    ----------
    .. [1] PyTorch: ``torch.nn.functional.kl_div`` (``torch/nn/functional.py``) and ``kl_div``
       in ``aten/src/ATen/native/Loss.cpp``.
    .. [2] G. Hinton, O. Vinyals, J. Dean, "Distilling the Knowledge in a Neural Network",
       arXiv:1503.02531, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> log_q = np.log(np.array([[0.25, 0.75]]))
    >>> p = np.array([[0.5, 0.5]])
    >>> print(f"{float(kl_div_grad(log_q, p, reduction='batchmean')[0, 0]):.6f}")
    -0.500000
    """
    xp, log_target = _kl_div_checks(input, target, reduction, log_target, validate, grad_output)
    g = -xp.exp(target) if log_target else -target
    return g * reduce_grad(input.shape, reduction, grad_output, like=input, xp=xp)
