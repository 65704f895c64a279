"""Every twin lossbook is held against, defined once, with lossbook's signature.

A twin computes the same quantity as a lossbook function on torch tensors, with the same
argument names and defaults, so ``compare(ours, twin, ...)`` can pass one set of options to both.
Where PyTorch has the function itself (``torch.nn.functional.cross_entropy``, ...) the
registry uses it directly; the twins here are

* thin PyTorch wrappers where PyTorch spells the function differently (``torch.softmax`` takes
  no default ``dim``; log1mexp is ``log(-expm1(x))``; entropy, cross-entropy and KL between
  distributions are sums of ``torch.special.entr``, ``torch.special.xlogy`` and ``F.kl_div``);
* torchvision's ``sigmoid_focal_loss``, reproduced from its source (torchvision has no wheel for
  the pinned torch here; the formula is copied line for line and cited);
* MONAI's losses (``DiceLoss``, ``TverskyLoss``, the softmax focal term) with lossbook's names
  and shapes.

Options a twin has no use for (``validate``) are accepted and ignored.
"""

from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F

__all__ = [
    "monai_dice_loss",
    "monai_jaccard_loss",
    "monai_softmax_focal_loss",
    "monai_tversky_loss",
    "torch_cross_entropy_between",
    "torch_entropy",
    "torch_js_divergence",
    "torch_kl_div",
    "torch_kl_divergence",
    "torch_log1mexp",
    "torch_log_softmax",
    "torch_logsumexp",
    "torch_softmax",
    "torch_surprisal",
    "torchvision_sigmoid_focal_loss",
]


# --- information -----------------------------------------------------------------------------
def _ln_base(base: float | None) -> float:
    return 1.0 if base is None else math.log(base)


def torch_surprisal(p, *, base=None, validate=True):
    """-log p in PyTorch."""
    return -torch.log(p) / _ln_base(base)


def torch_entropy(p, *, dim=-1, base=None, validate=True):
    """``torch.special.entr`` summed along ``dim``.

    ``torch.distributions.Categorical(probs=p).entropy()`` is not used: it renormalises ``p``.
    """
    return torch.special.entr(p).sum(dim=dim) / _ln_base(base)


def torch_cross_entropy_between(p, q, *, dim=-1, base=None, validate=True):
    """-sum xlogy(p, q) in PyTorch."""
    return -torch.special.xlogy(p, q).sum(dim=dim) / _ln_base(base)


def torch_kl_divergence(p, q, *, dim=-1, base=None, validate=True):
    """``F.kl_div(log q, p)`` pointwise, summed along ``dim`` (note the swapped order)."""
    return F.kl_div(torch.log(q), p, reduction="none").sum(dim=dim) / _ln_base(base)


def torch_js_divergence(p, q, *, dim=-1, base=None, validate=True):
    """Jensen-Shannon from ``F.kl_div``: (KL(p||m) + KL(q||m)) / 2, m = (p + q) / 2."""
    log_m = torch.log((p + q) / 2)
    kl_pm = F.kl_div(log_m, p, reduction="none").sum(dim=dim)
    kl_qm = F.kl_div(log_m, q, reduction="none").sum(dim=dim)
    return 0.5 * (kl_pm + kl_qm) / _ln_base(base)


def torch_kl_div(input, target, *, reduction="mean", log_target=False, validate=True):
    """``F.kl_div``, with its warning that reduction="mean" is not the KL divergence silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="reduction: 'mean' divides")
        return F.kl_div(input, target, reduction=reduction, log_target=log_target)


# --- primitives ----------------------------------------------------------------------------------
def torch_logsumexp(input, *, dim=-1, keepdim=False):
    """``torch.logsumexp`` with lossbook's default ``dim=-1``."""
    return torch.logsumexp(input, dim=dim, keepdim=keepdim)


def torch_softmax(input, *, dim=-1):
    """``torch.softmax`` with lossbook's default ``dim=-1``."""
    return torch.softmax(input, dim=dim)


def torch_log_softmax(input, *, dim=-1):
    """``torch.log_softmax`` with lossbook's default ``dim=-1``."""
    return torch.log_softmax(input, dim=dim)


def torch_log1mexp(input, *, validate=True):
    """log(1 - exp(x)) in PyTorch, which has no function of that name: ``log(-expm1(x))``."""
    return torch.log(-torch.expm1(input))


# --- focal -----------------------------------------------------------------------------------
def torchvision_sigmoid_focal_loss(input, target, *, alpha=0.25, gamma=2.0, reduction="none",
                                   validate=True):
    """``torchvision.ops.sigmoid_focal_loss``, reproduced: torchvision has no CPU wheel here.

    The body is torchvision's, line for line: pytorch/vision, ``torchvision/ops/focal_loss.py``
    (itself from fvcore; Lin et al., "Focal Loss for Dense Object Detection", arXiv:1708.02002),
    with torchvision's ``inputs``/``targets`` named ``input``/``target`` and lossbook's
    ``alpha=None`` mapped to torchvision's ``alpha=-1`` (no weighting).
    """
    alpha = -1 if alpha is None else alpha
    p = torch.sigmoid(input)
    ce_loss = F.binary_cross_entropy_with_logits(input, target, reduction="none")
    p_t = p * target + (1 - p) * (1 - target)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * target + (1 - alpha) * (1 - target)
        loss = alpha_t * loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def monai_softmax_focal_loss(input, target, *, alpha=None, gamma=2.0, ignore_index=-100,
                             reduction="mean", validate=True):
    """MONAI's per-element softmax focal term (``monai.losses.focal_loss.softmax_focal_loss``).

    MONAI's ``FocalLoss`` module casts to float32 and averages over the class dimension too, so
    this twin uses its float64-clean core function: one-hot targets, per-class alpha (a scalar
    lossbook alpha becomes C equal weights, since MONAI reads a scalar as
    (1 - alpha, alpha, ..., alpha)), then lossbook's reductions (mean over the non-ignored
    elements).
    """
    from monai.losses.focal_loss import softmax_focal_loss

    num_classes = input.shape[1]
    valid = target != ignore_index
    safe = torch.where(valid, target, torch.zeros_like(target))
    onehot = F.one_hot(safe.long(), num_classes).movedim(-1, 1).to(input.dtype)
    if alpha is not None and not isinstance(alpha, torch.Tensor):
        alpha = torch.full((num_classes,), float(alpha), dtype=input.dtype)
    loss = softmax_focal_loss(input, onehot, gamma, alpha).sum(1) * valid
    if reduction == "mean":
        return loss.sum() / valid.sum()
    if reduction == "sum":
        return loss.sum()
    return loss


# --- segmentation ----------------------------------------------------------------------------
def monai_dice_loss(input, target, *, include_background=True, to_onehot_y=False,
                    sigmoid=False, softmax=False, squared_pred=False, smooth_nr=1e-5,
                    smooth_dr=1e-5, batch=False, reduction="mean", validate=True, jaccard=False):
    """MONAI's ``DiceLoss`` with lossbook's signature (reduction="none" squeezed to (N, C) or
    (C,) with ``batch=True``, where MONAI keeps singleton spatial axes)."""
    from monai.losses import DiceLoss

    loss = DiceLoss(include_background=include_background, to_onehot_y=to_onehot_y,
                    sigmoid=sigmoid, softmax=softmax, squared_pred=squared_pred,
                    jaccard=jaccard, smooth_nr=smooth_nr, smooth_dr=smooth_dr, batch=batch,
                    reduction=reduction)(input, target)
    if reduction == "none":
        loss = loss.reshape(loss.shape[:1] if batch else loss.shape[:2])
    return loss


def monai_jaccard_loss(input, target, *, smooth_nr=1e-5, smooth_dr=1e-5, **options):
    """MONAI's ``DiceLoss(jaccard=True)``, whose smoothing acts at half strength: it computes
    (2I + s_nr) / (2U + s_dr), so lossbook's (I + s_nr) / (U + s_dr) is MONAI's with 2 s."""
    return monai_dice_loss(input, target, jaccard=True, smooth_nr=2 * smooth_nr,
                           smooth_dr=2 * smooth_dr, **options)


def monai_tversky_loss(input, target, *, validate=True, **options):
    """MONAI's ``TverskyLoss`` (lossbook's names, defaults and shapes already)."""
    from monai.losses import TverskyLoss

    return TverskyLoss(**options)(input, target)
