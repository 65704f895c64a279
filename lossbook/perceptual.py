"""Perceptual (feature-space) loss: a distance between feature maps instead of pixels.

Two images that differ by a one-pixel shift are far apart pixel by pixel and close to the eye;
a blurred image is the opposite. A perceptual loss compares what a network *sees*: the feature
maps :math:`\\phi_l(x)` of a few of its layers, each of shape (N, C_l, H_l, W_l). The network is
the caller's (a pretrained VGG in Johnson et al. 2016, AlexNet or VGG with learned channel
weights in LPIPS, Zhang et al. 2018); :func:`feature_loss` takes the feature maps it produced
and computes the weighted distance, with its gradient with respect to the input's features (the
caller's autograd carries it back through the network).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np

from lossbook._array import Array, check_float, namespace, quiet
from lossbook._reduction import check_reduction, reduce, reduce_grad
from lossbook._validation import (
    check_non_empty,
    check_non_negative,
    check_non_negative_values,
    check_option,
    shape_str,
)
from lossbook.primitives import _safe_div

__all__ = ["feature_loss", "feature_loss_grad"]


def _layers(features: Any, name: str) -> list[Array]:
    if not isinstance(features, list | tuple):
        raise TypeError(f"{name} must be a list or tuple of feature maps, one array per layer; "
                        f"got {type(features).__name__}")
    if len(features) == 0:
        raise ValueError(f"{name} must hold at least one feature map; got an empty "
                         f"{type(features).__name__}")
    return list(features)


def _is_number(w: Any) -> bool:
    """A layer weight given as a number (NumPy scalars included; bool is not a number)."""
    return isinstance(w, Real | np.generic) and not isinstance(w, bool | np.bool_)


def _check(features_input, features_target, weights, p, normalize, eps, reduction, validate,
           grad_output=None):
    """The checks of feature_loss and its gradient: namespace, layers, options, weights."""
    inputs = _layers(features_input, "features_input")
    targets = _layers(features_target, "features_target")
    if len(targets) != len(inputs):
        raise ValueError(f"features_target must hold one feature map per layer of "
                         f"features_input ({len(inputs)}); got {len(targets)}")
    if weights is not None and (not isinstance(weights, list | tuple)
                                or len(weights) != len(inputs)):
        got = (f"{len(weights)} weights" if isinstance(weights, list | tuple)
               else type(weights).__name__)
        raise (ValueError if isinstance(weights, list | tuple) else TypeError)(
            f"weights must be a list or tuple of one weight per layer ({len(inputs)}); got {got}")
    for i, w in enumerate(weights or ()):
        if not _is_number(w) and not hasattr(w, "shape"):
            raise TypeError(f"weights[{i}] must be a number or an array of one weight per "
                            f"channel; got {type(w).__name__}")
    arrays = {f"features_input[{i}]": a for i, a in enumerate(inputs)}
    arrays |= {f"features_target[{i}]": b for i, b in enumerate(targets)}
    arrays |= {f"weights[{i}]": w for i, w in enumerate(weights or ()) if not _is_number(w)}
    xp = namespace(**arrays, grad_output=grad_output)
    first = inputs[0]
    check_float(xp, first, "features_input[0]")
    batch = int(first.shape[0]) if first.ndim else None
    for layer, (a, b) in enumerate(zip(inputs, targets, strict=True)):
        for name, x in ((f"features_input[{layer}]", a), (f"features_target[{layer}]", b)):
            check_float(xp, x, name, like=first, like_name="features_input[0]")
        if a.ndim < 2:
            raise ValueError(f"features_input[{layer}] must have a batch and a channel axis, "
                             f"shape (N, C, ...); got {shape_str(a)}")
        if tuple(b.shape) != tuple(a.shape):
            raise ValueError(f"features_input[{layer}] and features_target[{layer}] must have "
                             f"the same shape (no broadcasting); got {shape_str(a)} and "
                             f"{shape_str(b)}")
        check_non_empty(a, f"features_input[{layer}]")
        if int(a.shape[0]) != batch:
            raise ValueError(f"features_input[{layer}] must have the batch size of "
                             f"features_input[0] ({batch}); got shape {shape_str(a)}")
    pi = check_option(p, "p", int)
    if pi not in (1, 2):
        raise ValueError(f"p must be 1 (absolute differences) or 2 (squared differences); "
                         f"got {pi}")
    normalize = check_option(normalize, "normalize", bool)
    validate = check_option(validate, "validate", bool)
    eps = check_non_negative(eps, "eps")
    check_reduction(reduction)
    ws = _weights(xp, weights, inputs, validate)
    return xp, inputs, targets, pi, normalize, eps, ws


def _weights(xp: Any, weights: Any, inputs: list[Array], validate: bool) -> list[Any]:
    """One weight per layer: a number, or an array of one weight per channel (C_l,), shaped to
    broadcast against the layer."""
    if weights is None:
        return [1.0] * len(inputs)
    out = []
    for layer, (w, a) in enumerate(zip(weights, inputs, strict=True)):
        name = f"weights[{layer}]"
        if _is_number(w):
            out.append(check_non_negative(w, name))
            continue
        check_float(xp, w, name, like=a, like_name="the features")
        channels = int(a.shape[1])
        if tuple(w.shape) != (channels,):
            raise ValueError(f"{name} must hold one weight per channel, shape ({channels},); "
                             f"got {shape_str(w)}")
        if validate:
            check_non_negative_values(xp, w, name)
        out.append(xp.reshape(w, (1, channels) + (1,) * (a.ndim - 2)))
    return out


def _unit(xp: Any, f: Array, eps: float) -> tuple[Array, Array, Array]:
    """f / (|f| + eps) over the channel axis, the unit vector e = f / |f| (0 where f = 0) and
    s = |f| + eps.

    |f| is formed as m sqrt(sum (f / m)^2), m = max |f_c|, so it neither overflows nor
    underflows where it is representable (float16 features above 256 would overflow f^2).
    """
    m = xp.max(xp.abs(f), axis=1, keepdims=True)
    nonzero = m > 0
    safe_m = xp.where(nonzero, m, xp.ones_like(m))
    scaled = f / safe_m
    total = xp.sum(scaled * scaled, axis=1, keepdims=True)
    root = xp.sqrt(xp.where(nonzero, total, xp.ones_like(total)))
    length = xp.where(nonzero, m * root, xp.zeros_like(m))
    e = xp.where(nonzero, scaled / root, xp.zeros_like(f))
    s = length + eps
    # s > 0 rather than != 0: s is 0 for a zero vector with eps = 0, NaN for one holding NaN or
    # infinity, and both give 0
    return _safe_div(xp, f, s, s > 0), e, s


def _times(xp: Any, x: Array, w: Any, up: Any = 1.0) -> Array:
    """x times the layer weight w and the upstream gradient up (one per sample), each factor
    skipped where it is the number 1."""
    if not isinstance(w, float) or w != 1.0:
        x = x * w
    if not isinstance(up, float):
        x = x * xp.reshape(up, (-1,) + (1,) * (x.ndim - 1))
    elif up != 1.0:
        x = x * up
    return x


def feature_loss(
    features_input: Sequence[Array],
    features_target: Sequence[Array],
    *,
    weights: Sequence[float | Array] | None = None,
    p: int = 2,
    normalize: bool = False,
    eps: float = 1e-10,
    reduction: str = "mean",
    validate: bool = True,
) -> Array:
    """Perceptual loss: a weighted distance between feature maps, summed over layers.

    .. math::
        \\ell_n = \\sum_l \\frac{1}{C_l H_l W_l} \\sum_{c, h, w} w_{l,c}
        \\bigl|\\hat\\phi_l(x)_{n,c,h,w} - \\hat\\phi_l(y)_{n,c,h,w}\\bigr|^p

    with :math:`\\hat\\phi_l = \\phi_l` (``normalize=False``) or the feature vector at each
    position divided by its length over the channels,
    :math:`\\hat\\phi_l = \\phi_l / (\\lVert\\phi_l\\rVert_c + \\epsilon)` (``normalize=True``).

    Parameters
    ----------
    features_input : list or tuple of arrays
        The feature maps :math:`\\phi_l(x)` of the image being judged (the prediction), one
        array per layer, each of shape (N, C_l, ...) (batch, channels, any spatial axes),
        real floating, one dtype and library for all.
    features_target : list or tuple of arrays
        The feature maps :math:`\\phi_l(y)` of the reference image: as many, each of the
        shape of its ``features_input`` layer (no broadcasting).
    weights : list or tuple, optional
        One weight per layer: a number :math:`\\lambda_l \\ge 0` (every channel alike) or an
        array of shape (C_l,) of per-channel weights :math:`w_{l,c} \\ge 0` (LPIPS's learned
        ``lin`` layers). Default: 1 for every layer.
    p : {2, 1}
        2: squared differences (the mean squared error of the features); 1: absolute
        differences.
    normalize : bool
        Divide each feature vector (over the channel axis 1) by its length first, as LPIPS
        does, so the distance compares directions, not magnitudes.
    eps : float
        >= 0, added to each length in ``normalize`` (LPIPS's 1e-10); unused otherwise. With
        eps = 0 a zero feature vector stays 0.
    reduction : {"none", "mean", "sum"}
        Per-sample losses (N,), their mean or their sum.
    validate : bool
        Check that array weights are finite and >= 0.

    Returns
    -------
    array
        The loss, of the features' type, dtype and device.

    Raises
    ------
    TypeError
        Features not given as a list or tuple, non-floating or mixed dtypes or libraries,
        p or normalize or validate of the wrong type, a weight that is neither a number nor an
        array.
    ValueError
        An empty list, lists of different lengths, a layer with fewer than 2 axes, shapes that
        differ, batch sizes that differ, empty features, p not 1 or 2, weights of the wrong
        count or shape or negative, eps < 0, an unknown reduction.

    See Also
    --------
    feature_loss_grad : Its hand-derived gradient, one array per layer.
    lossbook.mse_loss, lossbook.l1_loss : The same distances on pixels.
    11_perceptual_loss.ipynb : The loss derived, with a feature network trained on stripes.

    Notes
    -----
    *Johnson et al. (2016)*'s feature reconstruction loss at layer :math:`j` is
    :math:`\\frac{1}{C_j H_j W_j}\\lVert\\phi_j(\\hat y) - \\phi_j(y)\\rVert_2^2`: this function
    with one layer and ``p=2`` (``torch.nn.functional.mse_loss`` of the two feature maps, per
    sample); their layer weights are ``weights``.

    *LPIPS (Zhang et al. 2018)* unit-normalises each layer's features over the channels,
    weights the squared differences per channel (:math:`w_l \\ge 0`, a 1x1 convolution
    without bias), sums over the channels, averages over the positions and sums over the
    layers: :math:`d = \\sum_l \\frac{1}{H_l W_l}\\sum_{h,w}\\sum_c w_{l,c}
    (\\hat\\phi_{l,c} - \\hat\\psi_{l,c})^2`. This function averages over the channels as
    well, so LPIPS is ``feature_loss(..., normalize=True, weights=[C_l * w_l, ...],
    reduction="none")`` (tests/test_perceptual.py holds the two equal). The network (VGG,
    AlexNet) and the learned weights are LPIPS's; they are not part of lossbook.

    *Stability.* The channel length is formed as :math:`m \\sqrt{\\sum_c (\\phi_c/m)^2}` with
    :math:`m = \\max_c |\\phi_c|`, so it cannot overflow where it is representable (in
    float16 a feature of 256 already has a square beyond 65504). The squared or absolute
    differences are averaged as they are: a loss beyond the dtype's range is infinite.

    References
    ----------
    .. [1] J. Johnson, A. Alahi and L. Fei-Fei, "Perceptual Losses for Real-Time Style
       Transfer and Super-Resolution", ECCV 2016, arXiv:1603.08155.
    .. [2] R. Zhang, P. Isola, A. A. Efros, E. Shechtman and O. Wang, "The Unreasonable
       Effectiveness of Deep Features as a Perceptual Metric", CVPR 2018, arXiv:1801.03924;
       code: https://github.com/richzhang/PerceptualSimilarity (``lpips/lpips.py``).

    Examples
    --------
    >>> import numpy as np
    >>> f1 = [np.ones((1, 2, 2, 2)), np.zeros((1, 4, 1, 1))]
    >>> f2 = [np.zeros((1, 2, 2, 2)), np.ones((1, 4, 1, 1))]
    >>> print(f"{float(feature_loss(f1, f2, weights=[1.0, 0.5])):.6f}")
    1.500000
    """
    xp, inputs, targets, k, normalize, eps, ws = _check(  # xp: NumPy or torch; k: the checked p
        features_input, features_target, weights, p, normalize, eps, reduction, validate)
    with quiet(inputs[0]):  # a square beyond the largest float is inf, without a warning
        total = None
        for a, b, w in zip(inputs, targets, ws, strict=True):  # one layer: phi(y_hat), phi(y), w
            if normalize:  # each position's vector over the channels divided by its length
                a, b = _unit(xp, a, eps)[0], _unit(xp, b, eps)[0]
            r = a - b
            per_element = _times(xp, r * r if k == 2 else xp.abs(r), w)  # w |r|^k
            n = int(r.shape[0])
            per_sample = xp.mean(xp.reshape(per_element, (n, -1)), axis=1)  # over C_l H_l W_l
            total = per_sample if total is None else total + per_sample  # sum over the layers
        return reduce(total, reduction, xp=xp)


def feature_loss_grad(
    features_input: Sequence[Array],
    features_target: Sequence[Array],
    *,
    grad_output: Array | None = None,
    weights: Sequence[float | Array] | None = None,
    p: int = 2,
    normalize: bool = False,
    eps: float = 1e-10,
    reduction: str = "mean",
    validate: bool = True,
) -> list[Array]:
    """Gradient of :func:`feature_loss` with respect to each of ``features_input``.

    .. math::
        \\frac{\\partial \\ell_n}{\\partial \\hat\\phi_{l,n,c,h,w}} = \\frac{w_{l,c}}{C_l H_l W_l}
        \\cdot \\begin{cases} 2 (\\hat\\phi - \\hat\\psi) & p = 2 \\\\
        \\operatorname{sign}(\\hat\\phi - \\hat\\psi) & p = 1 \\end{cases}, \\qquad
        \\frac{\\partial \\ell}{\\partial \\phi} = \\frac{u - e\\,(\\hat\\phi \\cdot u)}
        {\\lVert\\phi\\rVert + \\epsilon}

    the second (``normalize=True``) with :math:`u` the gradient with respect to
    :math:`\\hat\\phi` and :math:`e = \\phi / \\lVert\\phi\\rVert`, per position.

    Parameters
    ----------
    features_input, features_target, weights, p, normalize, eps, reduction, validate
        As in :func:`feature_loss`.
    grad_output : array, optional
        The upstream gradient, of the loss's output shape ((N,) for "none", else 0-d) and the
        features' dtype; ``None`` means ones (for reduction="none", the gradient of the sum).

    Returns
    -------
    list of arrays
        One gradient per layer, each of its feature map's shape, type and dtype. The caller's
        autograd carries them back through the network (``torch.autograd.backward(features,
        grads)``).

    See Also
    --------
    feature_loss : The loss.
    11_perceptual_loss.ipynb : The loss derived, with a feature network trained on stripes.

    Notes
    -----
    The mean over a layer's :math:`C_l H_l W_l` elements gives each element the factor
    :math:`1/(C_l H_l W_l)`; :math:`d|z|/dz = \\operatorname{sign}(z)`, 0 at 0, as PyTorch's
    ``abs``. For the normalisation :math:`\\hat\\phi = \\phi/s`,
    :math:`s = \\lVert\\phi\\rVert + \\epsilon`: :math:`\\partial\\hat\\phi/\\partial\\phi = I/s -
    \\phi\\phi^\\top/(\\lVert\\phi\\rVert s^2)`, so the vector-Jacobian product is
    :math:`u/s - e\\,(\\phi\\cdot u)/s^2`, the formula above. At a zero feature vector
    it is :math:`u/\\epsilon` (the limit), and 0 if also :math:`\\epsilon = 0`.

    References
    ----------
    .. [1] R. Zhang et al., CVPR 2018, arXiv:1801.03924 (the normalisation); J. Johnson et
       al., ECCV 2016, arXiv:1603.08155 (the feature reconstruction loss).

    Examples
    --------
    >>> import numpy as np
    >>> g = feature_loss_grad([np.array([[1.0, 3.0]])], [np.array([[0.0, 0.0]])])
    >>> print(f"{float(g[0][0, 1]):.6f}")
    3.000000
    """
    xp, inputs, targets, k, normalize, eps, ws = _check(  # xp: NumPy or torch; k: the checked p
        features_input, features_target, weights, p, normalize, eps, reduction, validate,
        grad_output)
    up = reduce_grad((int(inputs[0].shape[0]),), reduction, grad_output, xp=xp, like=inputs[0],
                     like_name="features_input")  # the upstream gradient of each sample's loss
    grads = []
    with quiet(inputs[0]):  # a gradient beyond the largest float is inf, without a warning
        for a, b, w in zip(inputs, targets, ws, strict=True):  # one layer: phi(y_hat), phi(y), w
            if normalize:
                unit, e, s = _unit(xp, a, eps)  # phi / s, e = phi / |phi|, s = |phi| + eps
                r = unit - _unit(xp, b, eps)[0]
            else:
                r = a - b
            count = math.prod(a.shape[1:])  # C_l H_l W_l
            u = _times(xp, (2 * r if k == 2 else xp.sign(r)) / count, w, up)  # d loss / d phi_hat
            if normalize:
                along = xp.sum(unit * u, axis=1, keepdims=True)  # phi_hat . u, at each position
                u = _safe_div(xp, u - e * along, s, s > 0)  # 0 where s = 0 (phi = 0 and eps = 0)
            grads.append(u)
    return grads
