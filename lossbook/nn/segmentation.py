"""Overlap losses as modules: MONAI's DiceLoss (Jaccard with ``jaccard=True``) and TverskyLoss.

All three share one form, lossbook's cancellation-free ratio per (sample, class):

.. math::
    \\ell = \\frac{E + (s_{dr} - s_{nr})}{a\\,TP + E + s_{dr}}, \\qquad
    \\frac{\\partial \\ell}{\\partial p_i} = \\frac{D\\, \\partial E / \\partial p_i
    - a\\,\\ell\\, t_i}{S}, \\qquad D = 1 - \\ell = \\frac{a\\,TP + s_{nr}}{S}

with :math:`S` the denominator, :math:`TP = \\sum_i p_i t_i` and the error term :math:`E`:
:math:`\\alpha FP + \\beta FN` (Tversky; Dice and Jaccard have :math:`\\alpha = \\beta = 1`) or
:math:`\\sum_i (p_i - t_i)^2` (``squared_pred``); :math:`a = 2` for Dice, 1 for Jaccard and
Tversky. :math:`FP = \\sum_i p_i (1 - t_i)` and :math:`FN = \\sum_i (1 - p_i) t_i` are sums of
non-negative terms, never differences, so a near-perfect prediction keeps its loss. The
gradient then goes through the activation (sigmoid or softmax over the channels).
"""

from __future__ import annotations

from typing import Any

import array_api_compat.torch as _NS  # the namespace of the library's checks, for tensors
import torch

from lossbook._array import float_input
from lossbook._validation import check_non_empty, check_non_negative
from lossbook.nn._base import Loss, inplace
from lossbook.segmentation import _check_masks

__all__ = ["DiceLoss", "TverskyLoss"]


def _checks(input, target, *, include_background, to_onehot_y, sigmoid, softmax, smooth_nr,
            smooth_dr, validate) -> None:
    """lossbook.segmentation's checks, with its messages (tests/test_nn.py holds them equal)."""
    float_input(input, "input")
    check_non_empty(input, "input")
    check_non_negative(smooth_nr, "smooth_nr")
    check_non_negative(smooth_dr, "smooth_dr")
    if not isinstance(target, torch.Tensor):
        float_input(target, "target")  # the library's TypeError for a non-array
    _check_masks(_NS, input, target, include_background=include_background,
                 to_onehot_y=to_onehot_y, sigmoid=sigmoid, softmax=softmax, validate=validate)


def _activate(input: torch.Tensor, sigmoid: bool, softmax: bool) -> torch.Tensor:
    if sigmoid:
        return torch.sigmoid(input)
    if softmax:
        return torch.softmax(input, 1)
    return input


def _one_hot(input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    classes = torch.arange(input.shape[1], device=input.device)
    classes = classes.reshape((1, input.shape[1]) + (1,) * (input.ndim - 2))
    return (target.to(torch.int64) == classes).to(input.dtype)


class _Overlap(torch.autograd.Function):
    """(E + s_dr - s_nr) / (a TP + E + s_dr) per (sample, class); see the module docstring."""

    @staticmethod
    def forward(ctx: Any, input, target, opts):
        ctx.save_for_backward(input, target)
        ctx.opts = opts
        p, t = _probabilities_and_target(input, target, opts)
        tp, err = _fast_sums(p, t, opts)
        # kept for one backward: the (N, C) sums, and the probabilities (no higher peak: the
        # backward would allocate them again at the same moment)
        ctx.sums = (tp, err, p if p is not input else None) if ctx.needs_input_grad[0] else None
        first = 0 if opts["include_background"] else 1
        tp, err = tp[:, first:], err[:, first:]
        if opts["batch"]:
            tp, err = tp.sum(0, keepdim=True), err.sum(0, keepdim=True)
        loss = (err + (opts["smooth_dr"] - opts["smooth_nr"])) / (opts["a"] * tp + err
                                                                  + opts["smooth_dr"])
        return _reduce(loss.reshape(loss.shape + (1,) * (input.ndim - 2)), opts)

    @staticmethod
    def backward(ctx: Any, grad_output):
        input, target = ctx.saved_tensors
        sums, ctx.sums = ctx.sums, None  # consumed: a later backward recomputes them
        if not inplace() or ctx.needs_input_grad[1]:
            return _reference_backward(ctx, input, target, grad_output)
        opts = ctx.opts
        if sums is not None and sums[2] is not None:
            tp, err, p = sums
            t = _one_hot(input, target) if opts["to_onehot_y"] else target.contiguous()
        else:
            p, t = _probabilities_and_target(input, target, opts)
            tp, err = sums[:2] if sums is not None else _fast_sums(p, t, opts)
        a, s_nr, s_dr = opts["a"], opts["smooth_nr"], opts["smooth_dr"]
        if opts["batch"]:
            tp, err = tp.sum(0, keepdim=True), err.sum(0, keepdim=True)
        den = a * tp + err + s_dr
        score = (a * tp + s_nr) / den  # D = 1 - loss, no subtraction
        loss = (err + (s_dr - s_nr)) / den
        counted = loss if opts["include_background"] else loss[:, 1:]
        keep = counted.shape + (1,) * (input.ndim - 2)
        up = _upstream(grad_output, counted.reshape(keep), opts).expand(keep)
        up = up.reshape(counted.shape) / den[:, -counted.shape[1]:]
        if not opts["include_background"]:  # channel 0 gets no gradient
            up = torch.cat([torch.zeros_like(up[:, :1]), up], dim=1)
        shape = up.shape + (1,) * (input.ndim - 2)
        score, loss = score.reshape(shape), loss.reshape(shape)
        up = up.reshape(shape)
        if opts["squared"]:  # (2 D (p - t) - a loss t) up / S, in the p - t buffer
            dp = torch.sub(p, t).mul_(2 * score * up).addcmul_(t, (-a) * loss * up)
        else:  # (alpha D (1 - t) - (beta D + a loss) t) up / S
            al, be = opts["alpha"], opts["beta"]
            first, second = al * score * up, (be * score + a * loss) * up
            if al <= be:  # A - (A + B) t in one pass: at t = 1 the error is below 2 ulps of B
                dp = torch.addcmul(first, t, -(first + second))
            else:  # A (1 - t) - B t: A / B is unbounded when beta < alpha and the loss is tiny
                dp = torch.rsub(t, 1).mul_(first).addcmul_(t, -second)
        if opts["sigmoid"]:  # sigma'(x) = sigma(x) sigma(-x), never 1 - sigma(x)
            dp.mul_(p)
            return dp.mul_(torch.neg(input, out=p).sigmoid_()), None, None
        if opts["softmax"]:  # p (dp - sum_c p dp), in the dp buffer
            dp.mul_(p)
            return dp.addcmul_(p, dp.sum(1, keepdim=True), value=-1), None, None
        return dp, None, None


def _probabilities_and_target(input, target, opts):
    """Contiguous probabilities and target (a one-hot target from F.one_hot(...).movedim is
    channels-last in memory: one copy here instead of one per product)."""
    p = _activate(input.contiguous(), opts["sigmoid"], opts["softmax"])
    t = _one_hot(input, target) if opts["to_onehot_y"] else target.contiguous()
    return p, t


def _row_dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """sum over the spatial axes of a * b per (sample, channel), without a full-size temporary:
    one BLAS dot per (sample, channel) in eager mode (the fastest on the CPU for the few long
    rows of a segmentation batch), a fused product-sum under torch.compile."""
    n, c = a.shape[:2]
    a, b = a.reshape(n * c, -1), b.reshape(n * c, -1)
    if torch.compiler.is_compiling():
        return (a * b).sum(-1).reshape(n, c)
    if n * c <= _DOT_ROWS:
        return torch.stack([torch.dot(a[i], b[i]) for i in range(n * c)]).reshape(n, c)
    return torch.bmm(a.unsqueeze(1), b.unsqueeze(2)).reshape(n, c)


_DOT_ROWS = 1024  # above this many (sample, channel) rows, one batched product instead


def _fast_sums(p, t, opts):
    """TP and E per (sample, channel), every channel, as sums of non-negative terms."""
    tp = _row_dot(p, t)
    if opts["squared"]:
        d = torch.sub(p, t)
        return tp, _row_dot(d, d)
    spare = torch.rsub(t, 1)
    fp = _row_dot(p, spare)  # sum p (1 - t)
    fn = _row_dot(torch.sub(1, p, out=spare), t)  # sum (1 - p) t, in the same buffer
    al, be = opts["alpha"], opts["beta"]
    return tp, (fp + fn if al == be == 1 else al * fp + be * fn)


def _reference_backward(ctx, input, target, grad_output):
    """The out-of-place backward: for a second backward (differentiable) and target gradients."""
    opts = ctx.opts
    p_full = _activate(input, opts["sigmoid"], opts["softmax"])
    t = _one_hot(input, target) if opts["to_onehot_y"] else target
    p = p_full if opts["include_background"] else p_full[:, 1:]
    t = t if opts["include_background"] else t[:, 1:]
    axes = _axes(input, opts)
    tp, err = _sums(p, t, axes, opts)
    a, s_nr, s_dr = opts["a"], opts["smooth_nr"], opts["smooth_dr"]
    den = a * tp + err + s_dr
    score = (a * tp + s_nr) / den  # D = 1 - loss, no subtraction
    loss = (err + (s_dr - s_nr)) / den
    up = _upstream(grad_output, loss, opts) / den
    grad_input = grad_target = None
    if ctx.needs_input_grad[0]:
        if opts["squared"]:
            dp = (2 * score * (p - t) - (a * loss) * t) * up
        else:
            al, be = opts["alpha"], opts["beta"]
            dp = ((al * score) * (1 - t) - (be * score + a * loss) * t) * up
        grad_input = _through_activation(input, p_full, dp, opts)
    if ctx.needs_input_grad[1]:
        if opts["squared"]:
            dt = (-2 * score * (p - t) - (a * loss) * p) * up
        else:
            al, be = opts["alpha"], opts["beta"]
            dt = ((be * score) * (1 - p) - (al * score + a * loss) * p) * up
        if not opts["include_background"]:
            dt = torch.cat([torch.zeros_like(dt[:, :1]), dt], dim=1)
        grad_target = dt
    return grad_input, grad_target, None


def _axes(input: torch.Tensor, opts: dict[str, Any]) -> tuple[int, ...]:
    axes = tuple(range(2, input.ndim))
    return (0, *axes) if opts["batch"] else axes


def _parts(input, target, opts):
    p = _activate(input, opts["sigmoid"], opts["softmax"])
    t = _one_hot(input, target) if opts["to_onehot_y"] else target
    if not opts["include_background"]:
        p, t = p[:, 1:], t[:, 1:]
    return p, t, _axes(input, opts)


def _sums(p, t, axes, opts):
    """TP and the error term E, each a sum of non-negative terms."""
    tp = (p * t).sum(axes, keepdim=True)
    if opts["squared"]:
        return tp, torch.square(p - t).sum(axes, keepdim=True)
    fp = (p * (1 - t)).sum(axes, keepdim=True)
    fn = ((1 - p) * t).sum(axes, keepdim=True)
    al, be = opts["alpha"], opts["beta"]
    if al == be == 1:
        return tp, fp + fn
    return tp, al * fp + be * fn


def _reduce(loss: torch.Tensor, opts: dict[str, Any]) -> torch.Tensor:
    reduction = opts["reduction"]
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if opts["monai_none_shape"]:  # MONAI's DiceLoss: (N, C, 1, ...), or (C, 1, ...) with batch
        return loss.squeeze(0) if opts["batch"] else loss
    return loss.reshape(loss.shape[1:2] if opts["batch"] else loss.shape[:2])


def _upstream(grad_output, loss, opts):
    """d(reduced)/d(per-class loss) times grad_output, broadcast like the per-class losses."""
    if opts["reduction"] == "mean":
        return grad_output / loss.numel()
    if opts["reduction"] == "sum":
        return grad_output
    return grad_output.reshape(loss.shape)


def _through_activation(input, p_full, dp, opts):
    if not opts["include_background"]:
        dp = torch.cat([torch.zeros_like(dp[:, :1]), dp], dim=1)
    if opts["sigmoid"]:  # sigma'(x) = sigma(x) sigma(-x), never 1 - sigma(x)
        return dp * (p_full * torch.sigmoid(-input))
    if opts["softmax"]:  # Jacobian-vector product of the softmax over the channels
        return p_full * (dp - (p_full * dp).sum(1, keepdim=True))
    return dp


_NOT_MODELLED = "is not modelled by lossbook (see lossbook.dice_loss Notes); got"


def _refuse(**options: Any) -> None:
    for name, value in options.items():
        if value not in (None, False):
            raise ValueError(f"{name} {_NOT_MODELLED} {name}={value!r}")


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool; got {type(value).__name__}")
    return value


class DiceLoss(Loss):
    r"""Soft Dice loss (or Jaccard), a drop-in for MONAI's ``monai.losses.DiceLoss``, exact.

    .. math::
        \ell_{nc} = 1 - \frac{2 \sum_i p_i t_i + s_{nr}}{\sum_i p_i^k + \sum_i t_i^k + s_{dr}}
        = \frac{M + (s_{dr} - s_{nr})}{2\,TP + M + s_{dr}}, \qquad
        \frac{\partial \ell}{\partial p_i} = \frac{D\, \partial M / \partial p_i
        - 2 \ell\, t_i}{2\,TP + M + s_{dr}}

    with :math:`M = FP + FN` (or :math:`\sum_i (p_i - t_i)^2` with ``squared_pred``),
    :math:`D = 1 - \ell`; with ``jaccard=True``, :math:`\ell = 1 - (2\,TP + s_{nr}) /
    (2\,U + s_{dr})`, :math:`U = TP + M`, MONAI's definition.

    Parameters
    ----------
    include_background, to_onehot_y, sigmoid, softmax, squared_pred, batch : bool
        As MONAI's ``DiceLoss`` (and :func:`lossbook.dice_loss`).
    other_act, weight, ignore_index : None
        MONAI's options that lossbook does not model: anything but ``None`` raises.
    jaccard : bool
        The soft Jaccard (IoU) loss, as MONAI's ``DiceLoss(jaccard=True)``.
    reduction : {"mean", "sum", "none"}
        "none" returns MONAI's shape (N, C, 1, ..., 1), or (C, 1, ..., 1) with ``batch``.
    smooth_nr, smooth_dr : float
        Added to numerator and denominator (>= 0; MONAI's defaults 1e-5).
    soft_label : bool
        Must be False (lossbook's intersection is :math:`\sum p t` for soft targets too, as
        MONAI's default).
    validate : bool
        Keyword-only. Check probabilities and targets in [0, 1], or class indices in range.

    Notes
    -----
    The per-(sample, class) loss is computed without forming ``1 - ratio``: a near-perfect
    prediction (loss 1e-12) keeps 15 digits where MONAI's subtraction keeps 4, and an empty
    mask with a prediction of 1e-300 gives 1e-295 instead of 0. It equals
    :func:`lossbook.dice_loss` (``jaccard=True``: :func:`lossbook.jaccard_loss` with half the
    smoothing, which is MONAI's ``(2 TP + s) / (2 U + s)``). The backward recomputes the
    activation and the sums from the saved input and target (a per-class reduction per step,
    no full-size tensor kept), and differentiates through the sigmoid as
    :math:`\sigma(x)\sigma(-x)` and through the softmax as its Jacobian-vector product. A float
    target that requires grad gets :math:`(D\, \partial M / \partial t_i - 2 \ell p_i) / S`.
    One-channel input with ``softmax``, ``to_onehot_y`` or ``include_background=False``
    raises (MONAI warns and ignores the option), as does input without a spatial axis.

    See Also
    --------
    lossbook.dice_loss, lossbook.dice_loss_grad : the reference and its gradient.
    lossbook.jaccard_loss : the Jaccard reference.
    TverskyLoss : separate weights on false positives and false negatives.
    notebooks/07_dice_loss.ipynb : the derivation.

    References
    ----------
    F. Milletari, N. Navab and S.-A. Ahmadi, "V-Net", 3DV 2016; MONAI, ``monai/losses/dice.py``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import DiceLoss
    >>> p = torch.tensor([[[0.9, 0.8, 0.1, 0.2]]])
    >>> t = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]])
    >>> print(f"{DiceLoss()(p, t).item():.6f}")
    0.150000
    """

    def __init__(self, include_background: bool = True, to_onehot_y: bool = False,
                 sigmoid: bool = False, softmax: bool = False, other_act: Any = None,
                 squared_pred: bool = False, jaccard: bool = False, reduction: str = "mean",
                 smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
                 weight: Any = None, soft_label: bool = False, ignore_index: int | None = None,
                 *, validate: bool = True) -> None:
        super().__init__(reduction, validate=validate)
        _refuse(other_act=other_act, weight=weight, soft_label=soft_label,
                ignore_index=ignore_index)
        check_non_negative(smooth_nr, "smooth_nr")
        check_non_negative(smooth_dr, "smooth_dr")
        self.include_background = _flag(include_background, "include_background")
        self.to_onehot_y = _flag(to_onehot_y, "to_onehot_y")
        self.sigmoid = _flag(sigmoid, "sigmoid")
        self.softmax = _flag(softmax, "softmax")
        self.squared_pred = _flag(squared_pred, "squared_pred")
        self.jaccard = _flag(jaccard, "jaccard")
        self.batch = _flag(batch, "batch")
        self.smooth_nr, self.smooth_dr = float(smooth_nr), float(smooth_dr)

    def extra_repr(self) -> str:
        return (f"{super().extra_repr()}, jaccard={self.jaccard}, sigmoid={self.sigmoid}, "
                f"softmax={self.softmax}, squared_pred={self.squared_pred}, batch={self.batch}")

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _checks(input, target, include_background=self.include_background,
                to_onehot_y=self.to_onehot_y, sigmoid=self.sigmoid, softmax=self.softmax,
                smooth_nr=self.smooth_nr, smooth_dr=self.smooth_dr, validate=self.validate)
        # Jaccard: MONAI's (2 TP + s_nr) / (2 U + s_dr) is (TP + s_nr/2) / (U + s_dr/2)
        half = 0.5 if self.jaccard else 1.0
        opts = dict(
            a=1.0 if self.jaccard else 2.0, alpha=1.0, beta=1.0, squared=self.squared_pred,
            smooth_nr=half * self.smooth_nr, smooth_dr=half * self.smooth_dr,
            include_background=self.include_background, to_onehot_y=self.to_onehot_y,
            sigmoid=self.sigmoid, softmax=self.softmax, batch=self.batch,
            reduction=self.reduction, monai_none_shape=True,
        )
        return _Overlap.apply(input, _as_dtype(target, input), opts)


def _as_dtype(target: torch.Tensor, input: torch.Tensor) -> torch.Tensor:
    if target.dtype.is_floating_point and target.dtype != input.dtype:
        return target.to(input.dtype)
    return target


class TverskyLoss(Loss):
    r"""Tversky loss, a drop-in for MONAI's ``monai.losses.TverskyLoss``, exact.

    .. math::
        \ell_{nc} = 1 - \frac{TP + s_{nr}}{TP + \alpha FP + \beta FN + s_{dr}}
        = \frac{\alpha FP + \beta FN + (s_{dr} - s_{nr})}{TP + \alpha FP + \beta FN + s_{dr}},
        \qquad \frac{\partial \ell}{\partial p_i} = \frac{\alpha T (1 - t_i)
        - (\beta T + \ell)\, t_i}{S}

    with :math:`T = 1 - \ell` and :math:`S` the denominator.

    Parameters
    ----------
    include_background, to_onehot_y, sigmoid, softmax, batch : bool
        As MONAI's ``TverskyLoss`` (and :func:`lossbook.tversky_loss`).
    other_act, ignore_index : None
        MONAI's options that lossbook does not model: anything but ``None`` raises.
    alpha, beta : float
        Weights of the false positives and the false negatives (>= 0; MONAI's 0.5, 0.5).
    reduction : {"mean", "sum", "none"}
        "none" returns shape (N, C), or (C,) with ``batch``, as MONAI's ``TverskyLoss``.
    smooth_nr, smooth_dr : float
        Added to numerator and denominator (>= 0; MONAI's defaults 1e-5).
    soft_label : bool
        Must be False.
    validate : bool
        Keyword-only. Check probabilities and targets in [0, 1], or class indices in range.

    Notes
    -----
    :math:`FP = \sum p (1 - t)` and :math:`FN = \sum (1 - p) t` are sums of non-negative terms
    and the loss is never formed as ``1 - ratio``, so a tiny loss keeps its relative accuracy;
    it equals :func:`lossbook.tversky_loss`. The backward recomputes the activation and the
    per-class sums from the saved input and target and goes through the activation as
    :class:`DiceLoss` does; a float target that requires grad gets
    :math:`(T (\beta (1 - p_i) - \alpha p_i) - \ell p_i) / S`.

    See Also
    --------
    lossbook.tversky_loss, lossbook.tversky_loss_grad : the reference and its gradient.
    DiceLoss : ``alpha = beta = 0.5`` with doubled smoothing.
    notebooks/07_dice_loss.ipynb : the derivation.

    References
    ----------
    S. S. M. Salehi, D. Erdogmus and A. Gholipour, "Tversky loss function for image
    segmentation using 3D fully convolutional deep networks", MLMI 2017; MONAI,
    ``monai/losses/tversky.py``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import TverskyLoss
    >>> p = torch.tensor([[[0.9, 0.6, 0.1, 0.2]]])
    >>> t = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]])
    >>> print(f"{TverskyLoss(alpha=0.3, beta=0.7)(p, t).item():.6f}")
    0.226803
    """

    def __init__(self, include_background: bool = True, to_onehot_y: bool = False,
                 sigmoid: bool = False, softmax: bool = False, other_act: Any = None,
                 alpha: float = 0.5, beta: float = 0.5, reduction: str = "mean",
                 smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
                 soft_label: bool = False, ignore_index: int | None = None, *,
                 validate: bool = True) -> None:
        super().__init__(reduction, validate=validate)
        _refuse(other_act=other_act, soft_label=soft_label, ignore_index=ignore_index)
        check_non_negative(alpha, "alpha")
        check_non_negative(beta, "beta")
        check_non_negative(smooth_nr, "smooth_nr")
        check_non_negative(smooth_dr, "smooth_dr")
        self.include_background = _flag(include_background, "include_background")
        self.to_onehot_y = _flag(to_onehot_y, "to_onehot_y")
        self.sigmoid = _flag(sigmoid, "sigmoid")
        self.softmax = _flag(softmax, "softmax")
        self.batch = _flag(batch, "batch")
        self.alpha, self.beta = float(alpha), float(beta)
        self.smooth_nr, self.smooth_dr = float(smooth_nr), float(smooth_dr)

    def extra_repr(self) -> str:
        return (f"{super().extra_repr()}, alpha={self.alpha}, beta={self.beta}, "
                f"sigmoid={self.sigmoid}, softmax={self.softmax}, batch={self.batch}")

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _checks(input, target, include_background=self.include_background,
                to_onehot_y=self.to_onehot_y, sigmoid=self.sigmoid, softmax=self.softmax,
                smooth_nr=self.smooth_nr, smooth_dr=self.smooth_dr, validate=self.validate)
        opts = dict(
            a=1.0, alpha=self.alpha, beta=self.beta, squared=False,
            smooth_nr=self.smooth_nr, smooth_dr=self.smooth_dr,
            include_background=self.include_background, to_onehot_y=self.to_onehot_y,
            sigmoid=self.sigmoid, softmax=self.softmax, batch=self.batch,
            reduction=self.reduction, monai_none_shape=False,
        )
        return _Overlap.apply(input, _as_dtype(target, input), opts)
