"""Focal losses as modules: MONAI's FocalLoss, and torchvision's sigmoid focal loss as a module.

torchvision offers the sigmoid focal loss only as a function (``torchvision.ops.sigmoid_focal_loss``);
its module here is named :class:`SigmoidFocalLoss`, with the function's arguments and defaults.
``FocalLoss`` is MONAI's class (``monai.losses.FocalLoss``): sigmoid (default) or softmax
(``use_softmax=True``) over the channels of an (N, C, *spatial) input, MONAI's ``alpha`` and
``weight`` conventions and reductions.

Both forwards are lossbook's log-space forms (:func:`lossbook.sigmoid_focal_loss`,
:func:`lossbook.focal_loss`), finite for every finite logit and exact for tiny losses, and both
backwards are lossbook's hand-derived gradients. Every per-element focal term touches only its
own logits (one element, or one pixel's row of C logits), so the vector-Jacobian product with
an upstream gradient is the gradient of the sum times that upstream gradient, element by
element.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import Any

import torch

from lossbook import focal
from lossbook._array import float_input
from lossbook._validation import (
    check_class_indices,
    check_in_set,
    check_non_empty,
    check_non_negative,
    check_same_shape,
    shape_str,
)
from lossbook.nn._base import Loss, refuse_grad, scaled

__all__ = ["FocalLoss", "SigmoidFocalLoss"]

_TARGET_GRAD = " (the focal modulating factor is not differentiated with respect to targets)"


# --- torchvision's sigmoid focal loss as a module --------------------------------------------------


class _SigmoidFocal(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, target, alpha, gamma, reduction):
        ctx.save_for_backward(input, target)
        ctx.options = (alpha, gamma, reduction)
        return focal.sigmoid_focal_loss(input, target, alpha=alpha, gamma=gamma,
                                        reduction=reduction, validate=False)

    @staticmethod
    def backward(ctx: Any, grad_output):
        input, target = ctx.saved_tensors
        alpha, gamma, reduction = ctx.options
        local = focal.sigmoid_focal_loss_grad(input, target, alpha=alpha, gamma=gamma,
                                              reduction="none", validate=False)
        return local * scaled(grad_output, reduction, input.numel()), None, None, None, None


class SigmoidFocalLoss(Loss):
    r"""torchvision's sigmoid focal loss as a module (torchvision has only the function), exact.

    .. math::
        \ell = \alpha_t (1 - p_t)^\gamma \bigl(-t \log\sigma(x) - (1 - t)\log\sigma(-x)\bigr),
        \qquad p_t = t\,\sigma(x) + (1 - t)(1 - \sigma(x)),\quad
        \alpha_t = \alpha t + (1 - \alpha)(1 - t)

    Parameters
    ----------
    alpha : float in [0, 1] or None
        Weight of the positives; ``None`` switches the weighting off (torchvision's ``-1``).
    gamma : float >= 0
        Exponent of the modulating factor.
    reduction : {"none", "mean", "sum"}
        torchvision's default is "none", and so is this module's.
    validate : bool
        Keyword-only. Check that the target holds values in [0, 1].

    Notes
    -----
    The forward is :func:`lossbook.sigmoid_focal_loss` (every factor in log space: finite for
    every finite logit, exact where torchvision's formula rounds :math:`1 - p_t` to 0); the
    backward is :func:`lossbook.sigmoid_focal_loss_grad`, finite at :math:`p_t = 1` for every
    :math:`\gamma \ge 0`. Soft targets follow torchvision's formula. A target that requires
    grad is refused with a ValueError.

    See Also
    --------
    lossbook.sigmoid_focal_loss, lossbook.sigmoid_focal_loss_grad : the reference.
    FocalLoss : MONAI's class, sigmoid or softmax.
    notebooks/06_focal_loss.ipynb : the derivation.

    References
    ----------
    T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal Loss for Dense Object
    Detection", ICCV 2017, arXiv:1708.02002; torchvision, ``torchvision/ops/focal_loss.py``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import SigmoidFocalLoss
    >>> x, t = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1.0, 0.0, 0.0])
    >>> print(f"{SigmoidFocalLoss(reduction='mean')(x, t).item():.6f}")
    0.100168
    """

    def __init__(self, alpha: float | None = 0.25, gamma: float = 2.0,
                 reduction: str = "none", *, validate: bool = True) -> None:
        super().__init__(reduction, validate=validate)
        if alpha is not None:
            focal._check_scalar_alpha(alpha)
        check_non_negative(gamma, "gamma")
        self.alpha = None if alpha is None else float(alpha)
        self.gamma = float(gamma)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, gamma={self.gamma}, {super().extra_repr()}"

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        focal._sigmoid_checks(input, target, self.alpha, self.gamma, self.reduction,
                              self.validate)
        refuse_grad(target, "target", _TARGET_GRAD)
        if target.dtype != input.dtype:
            target = target.to(input.dtype)
        return _SigmoidFocal.apply(input, target, self.alpha, self.gamma, self.reduction)


# --- MONAI's FocalLoss ----------------------------------------------------------------------------


def _per_class(value: Any, name: str) -> float | torch.Tensor | None:
    """MONAI's scalar-or-sequence option: None, a float, or a 1-d float64 tensor."""
    if value is None:
        return None
    if isinstance(value, Real) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, torch.Tensor) and value.ndim == 0:
        return float(value)
    if isinstance(value, (Sequence, torch.Tensor)) and not isinstance(value, str):
        t = torch.as_tensor(value, dtype=torch.float64)
        if t.ndim != 1:
            raise ValueError(f"{name} must be a number or a sequence of one value per class; "
                             f"got shape {shape_str(t)}")
        return t
    raise TypeError(f"{name} must be None, a number or a sequence of numbers; "
                    f"got {type(value).__name__}")


class _MonaiFocal(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, input, labels, factor, opts):
        """``labels``: hard 0/1 targets (sigmoid) or class indices with -1 for none (softmax);
        ``factor``: the per-element weight (alpha and class weight), of the loss's shape."""
        ctx.save_for_backward(input, labels, factor)
        ctx.opts = opts
        x = input if opts["include_background"] else input[:, 1:]
        gamma = opts["gamma"]
        if opts["use_softmax"]:
            per_pixel = focal.focal_loss(x, labels, alpha=None, gamma=gamma, ignore_index=-1,
                                         reduction="none", validate=False)
            per_pixel = per_pixel * factor
            return _monai_reduce(per_pixel, labels, x, opts)
        loss = focal.sigmoid_focal_loss(x, labels, alpha=None, gamma=gamma, reduction="none",
                                        validate=False) * factor
        return _monai_reduce(loss, None, x, opts)

    @staticmethod
    def backward(ctx: Any, grad_output):
        input, labels, factor = ctx.saved_tensors
        opts = ctx.opts
        x = input if opts["include_background"] else input[:, 1:]
        gamma = opts["gamma"]
        if opts["use_softmax"]:
            if opts["reduction"] == "none":  # the upstream gradient at each pixel's target class
                safe = torch.where(labels >= 0, labels, torch.zeros_like(labels))
                up = grad_output.gather(1, safe.unsqueeze(1)).squeeze(1)
            else:
                up = _monai_scale(grad_output, x, opts)
            local = focal.focal_loss_grad(x, labels, alpha=None, gamma=gamma, ignore_index=-1,
                                          reduction="none", validate=False)
            grad = local * (up * factor).unsqueeze(1)
        else:
            up = grad_output if opts["reduction"] == "none" else _monai_scale(grad_output, x, opts)
            local = focal.sigmoid_focal_loss_grad(x, labels, alpha=None, gamma=gamma,
                                                  reduction="none", validate=False)
            grad = local * (up * factor)
        if not opts["include_background"]:
            grad = torch.cat([torch.zeros_like(input[:, :1]), grad], dim=1)
        return grad, None, None, None


def _monai_scale(grad_output, x, opts):
    """d(reduced)/d(element): MONAI's "mean" divides by N C' prod(spatial), its "sum" (a sum of
    spatial means) by prod(spatial)."""
    spatial = x[0, 0].numel()
    if opts["reduction"] == "mean":
        return grad_output / (x.shape[0] * x.shape[1] * spatial)
    return grad_output / spatial


def _monai_reduce(loss, labels, x, opts):
    reduction = opts["reduction"]
    spatial = x[0, 0].numel()
    if reduction == "mean":
        return loss.sum() / (x.shape[0] * x.shape[1] * spatial)
    if reduction == "sum":
        return loss.sum() / spatial
    if labels is None:
        return loss
    # softmax: MONAI's (N, C', *spatial) tensor, the focal term at each pixel's class, 0 elsewhere
    out = torch.zeros_like(x)
    safe = torch.where(labels >= 0, labels, torch.zeros_like(labels)).unsqueeze(1)
    return out.scatter(1, safe, loss.unsqueeze(1))


class FocalLoss(Loss):
    r"""MONAI's focal loss, a drop-in for ``monai.losses.FocalLoss`` with hand-derived backward.

    .. math::
        \ell_{nci} = -w_c\, a_{nci}\,(1 - p_{t})^\gamma \log p_{t},

    per sample, channel and pixel, with :math:`p_t` the probability of the right answer: from
    the sigmoid of each channel (default; :math:`a = \alpha t + (1 - \alpha)(1 - t)` for a
    scalar ``alpha``, :math:`\alpha_c` on positives for a sequence), or from the softmax over
    the channels (``use_softmax=True``; nonzero only at the target class, :math:`a =
    (1 - \alpha, \alpha, \ldots, \alpha)_c` for a scalar ``alpha``).

    Parameters
    ----------
    include_background : bool
        If False, channel 0 is dropped before the activation, as MONAI does.
    to_onehot_y : bool
        The target holds class indices of shape (N, 1, *spatial).
    gamma : float
        Exponent of the modulating factor, >= 0.
    alpha : float, sequence of float or None
        MONAI's alpha (see above); a scalar is ignored with ``use_softmax=True`` and
        ``include_background=False``, as MONAI does.
    weight : float, sequence of float or None
        Class weights (>= 0), one per channel counted.
    reduction : {"mean", "sum", "none"}
        MONAI's: "mean" averages over every element (N C' prod(spatial)), "sum" adds the
        spatial means, "none" returns the (N, C', *spatial) tensor.
    use_softmax : bool
        Softmax over the channels instead of a sigmoid per channel.
    ignore_index : None
        MONAI's option that lossbook does not model: anything but ``None`` raises.
    validate : bool
        Keyword-only. Check that targets are hard (0/1; one-hot per pixel with
        ``use_softmax``) or class indices in range.

    Notes
    -----
    Each focal term is lossbook's: :func:`lossbook.sigmoid_focal_loss` (``alpha=None``) per
    element, or :func:`lossbook.focal_loss` (``alpha=None``) per pixel, multiplied by MONAI's
    alpha and class weights; the backward is their hand-derived gradients. Targets must be
    hard: for soft targets MONAI's sigmoid form (:math:`\sigma(-x(2t - 1))` as
    :math:`1 - p_t`) and torchvision's differ, and lossbook follows torchvision
    (:class:`SigmoidFocalLoss`); a pixel whose one-hot target is all zero contributes 0, as in
    MONAI. Unlike MONAI, the input is not cast to float32: float64 stays float64. A target that
    requires grad is refused with a ValueError.

    See Also
    --------
    lossbook.focal_loss, lossbook.sigmoid_focal_loss : the references.
    SigmoidFocalLoss : torchvision's definition, soft targets included.
    notebooks/06_focal_loss.ipynb : the derivation.

    References
    ----------
    T.-Y. Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017, arXiv:1708.02002;
    MONAI, ``monai/losses/focal_loss.py``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import FocalLoss
    >>> x = torch.tensor([[[2.0, -1.0]], [[0.5, 0.0]]])      # (N=2, C=1, 2 pixels)
    >>> t = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]])
    >>> print(f"{FocalLoss()(x, t).item():.6f}")
    0.143790
    """

    def __init__(self, include_background: bool = True, to_onehot_y: bool = False,
                 gamma: float = 2.0, alpha: float | Sequence[float] | None = None,
                 weight: float | Sequence[float] | torch.Tensor | None = None,
                 reduction: str = "mean", use_softmax: bool = False,
                 ignore_index: int | None = None, *, validate: bool = True) -> None:
        super().__init__(reduction, validate=validate)
        if ignore_index is not None:
            raise ValueError(
                "ignore_index is not modelled by lossbook.nn.FocalLoss (see lossbook.dice_loss "
                f"Notes); got ignore_index={ignore_index!r}")
        for name, value in (("include_background", include_background),
                            ("to_onehot_y", to_onehot_y), ("use_softmax", use_softmax)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be a bool; got {type(value).__name__}")
        check_non_negative(gamma, "gamma")
        self.alpha = _per_class(alpha, "alpha")
        if isinstance(self.alpha, float):
            focal._check_scalar_alpha(self.alpha)
        elif self.alpha is not None and not bool(((self.alpha >= 0) & (self.alpha <= 1)).all()):
            raise ValueError(f"alpha must hold values within [0, 1]; got {alpha!r}")
        self.class_weight = _per_class(weight, "weight")
        if self.class_weight is not None and not bool(
                (torch.as_tensor(self.class_weight) >= 0).all()):
            raise ValueError(f"weight must hold values >= 0; got {weight!r}")
        self.include_background, self.to_onehot_y = include_background, to_onehot_y
        self.use_softmax, self.gamma = use_softmax, float(gamma)

    def extra_repr(self) -> str:
        return (f"{super().extra_repr()}, gamma={self.gamma}, alpha={self.alpha}, "
                f"use_softmax={self.use_softmax}, include_background={self.include_background}")

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        labels, factor = self._prepare(input, target)
        opts = dict(include_background=self.include_background, use_softmax=self.use_softmax,
                    gamma=self.gamma, reduction=self.reduction)
        return _MonaiFocal.apply(input, labels, factor, opts)

    def _prepare(self, input: torch.Tensor, target: torch.Tensor):
        """Checks; the labels (hard targets, or class indices with -1 for none) and factors."""
        float_input(input, "input")
        check_non_empty(input, "input")
        if input.ndim < 3:
            raise ValueError("input must have shape (N, C, *spatial) with at least one spatial "
                             f"axis; got shape {shape_str(input)}")
        refuse_grad(target, "target", _TARGET_GRAD)
        n_classes = int(input.shape[1])
        counted = n_classes - (0 if self.include_background else 1)
        if counted < (2 if self.use_softmax else 1):
            raise ValueError(
                f"input must have at least {2 if self.use_softmax else 1} channels counted "
                f"(use_softmax={self.use_softmax}, include_background="
                f"{self.include_background}); got shape {shape_str(input)}")
        if self.to_onehot_y:
            expected = (int(input.shape[0]), 1, *(int(d) for d in input.shape[2:]))
            if tuple(int(d) for d in target.shape) != expected:
                raise ValueError(
                    "with to_onehot_y=True, target must hold class indices of shape "
                    f"(N, 1, *spatial) = {expected} for input {shape_str(input)}; got target "
                    f"{shape_str(target)}")
            if target.dtype.is_floating_point or target.dtype == torch.bool:
                raise TypeError("with to_onehot_y=True, target must hold integer class "
                                f"indices; got dtype {str(target.dtype).removeprefix('torch.')}")
            if self.validate:
                check_class_indices(target, n_classes, name="target")
            index = target[:, 0].to(torch.int64)
            onehot = None
        else:
            float_input(target, "target")
            check_same_shape(input, target)
            if self.validate:
                check_in_set(target, (0, 1), "target")
                if self.use_softmax and not bool((target.sum(1) <= 1).all()):
                    raise ValueError("with use_softmax=True, target must be one-hot along "
                                     "dim 1 (at most one 1 per pixel)")
            onehot = target.to(input.dtype)
            index = None
        first = 0 if self.include_background else 1
        alpha, weight = self._factors(counted, input)
        if self.use_softmax:
            if index is None:
                hit = onehot.amax(1) > 0
                index = torch.where(hit, onehot.argmax(1), torch.full_like(hit, -1, dtype=torch.int64))
            labels = torch.where(index >= first, index - first, torch.full_like(index, -1))
            safe = torch.where(labels >= 0, labels, torch.zeros_like(labels))
            factor = torch.ones(labels.shape, dtype=input.dtype, device=input.device)
            for per_class in (alpha, weight):
                if per_class is not None:
                    factor = factor * per_class[safe]
            return labels, torch.where(labels >= 0, factor, torch.zeros_like(factor))
        if onehot is None:
            classes = torch.arange(n_classes, device=input.device)
            classes = classes.reshape((1, n_classes) + (1,) * (input.ndim - 2))
            onehot = (index.unsqueeze(1) == classes).to(input.dtype)
        t = onehot[:, first:]
        shape = (1, counted) + (1,) * (input.ndim - 2)
        if alpha is None:
            factor = torch.ones_like(t)
        elif alpha.ndim == 0:  # scalar: alpha t + (1 - alpha)(1 - t)
            factor = alpha * t + (1 - alpha) * (1 - t)
        else:  # a sequence weights the positives of each class only
            factor = torch.where(t == 1, alpha.reshape(shape), torch.ones_like(t))
        if weight is not None:
            factor = factor * (weight if weight.ndim == 0 else weight.reshape(shape))
        return t, factor

    def _factors(self, counted: int, input: torch.Tensor):
        """MONAI's alpha and class weight as tensors of the input's dtype (or None)."""
        def tensor(v):
            return None if v is None else torch.as_tensor(v, dtype=input.dtype,
                                                          device=input.device)
        alpha, weight = self.alpha, self.class_weight
        if self.use_softmax and isinstance(alpha, float):
            # MONAI: (1 - alpha) for the background, alpha for the others; ignored without it
            alpha = None if not self.include_background else (
                [1 - alpha] + [alpha] * (counted - 1))
        for name, v in (("alpha", alpha), ("weight", weight)):
            if isinstance(v, torch.Tensor) and v.numel() != counted:
                raise ValueError(
                    f"{name} must have one value per channel counted ({counted}"
                    f"{'' if self.include_background else ', background excluded'}); "
                    f"got {v.numel()}")
        if isinstance(weight, float) and not self.use_softmax:
            weight = torch.tensor(weight)
        if isinstance(weight, float):
            weight = [weight] * counted
        return tensor(alpha), tensor(weight)
