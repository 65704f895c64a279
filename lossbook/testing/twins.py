"""Every twin lossbook is held against, defined once, with lossbook's signature.

A twin computes the same quantity as a lossbook function on torch tensors, with the same
argument names and defaults, so ``compare(ours, twin, ...)`` can pass one set of options to both.
Where PyTorch has the function itself (``torch.nn.functional.cross_entropy``, ...) the
registry uses it directly; the twins here are

* thin PyTorch wrappers where PyTorch spells the function differently (``torch.softmax`` takes
  no default ``dim``; log1mexp is ``log(-expm1(x))``; entropy, cross-entropy and KL between
  distributions are sums of ``torch.special.entr``, ``torch.special.xlogy`` and ``F.kl_div``);
* torchvision's ``sigmoid_focal_loss`` and its box losses (``generalized_box_iou_loss``,
  ``distance_box_iou_loss``, ``complete_box_iou_loss``), reproduced from its source
  (torchvision has no wheel for the pinned torch here; the formulas are copied line for line
  and cited);
* MONAI's losses (``DiceLoss``, ``TverskyLoss``, the softmax focal term) with lossbook's names
  and shapes;
* the feature-space distances of perceptual losses: Johnson et al.'s feature reconstruction
  loss written with ``F.mse_loss`` / ``F.l1_loss``, and LPIPS's normalisation and distance
  reproduced from its source.

Options a twin has no use for (``validate``) are accepted and ignored.
"""

from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F

__all__ = [
    "lpips_distance",
    "lpips_normalize_tensor",
    "monai_dice_loss",
    "monai_jaccard_loss",
    "monai_softmax_focal_loss",
    "monai_tversky_loss",
    "torch_cross_entropy_between",
    "torch_entropy",
    "torch_feature_loss",
    "torch_js_divergence",
    "torch_kl_div",
    "torch_kl_divergence",
    "torch_log1mexp",
    "torch_log_softmax",
    "torch_logsumexp",
    "torch_softmax",
    "torch_surprisal",
    "torchvision_box_iou_loss",
    "torchvision_complete_box_iou_loss",
    "torchvision_distance_box_iou_loss",
    "torchvision_generalized_box_iou_loss",
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


# --- box regression --------------------------------------------------------------------------
# torchvision's box losses, reproduced: pytorch/vision, torchvision/ops/_utils.py
# (_upcast_non_float, _loss_inter_union), giou_loss.py (from fvcore), diou_loss.py and
# ciou_loss.py (from detectron2), https://github.com/pytorch/vision, copied line for line from
# the versions that carry the "Check reduction option" block (2023-2025); torchvision's logging
# and its ValueError for an unknown reduction are left out.


def _tv_upcast_non_float(t):
    """``_upcast_non_float``: float16 and bfloat16 boxes are computed in float32."""
    if t.dtype not in (torch.float32, torch.float64):
        return t.float()
    return t


def _tv_loss_inter_union(boxes1, boxes2):
    """``_loss_inter_union``."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    # Intersection keypoints
    xkis1 = torch.max(x1, x1g)
    ykis1 = torch.max(y1, y1g)
    xkis2 = torch.min(x2, x2g)
    ykis2 = torch.min(y2, y2g)
    intsctk = torch.zeros_like(x1)
    mask = (ykis2 > ykis1) & (xkis2 > xkis1)
    intsctk[mask] = (xkis2[mask] - xkis1[mask]) * (ykis2[mask] - ykis1[mask])
    unionk = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intsctk
    return intsctk, unionk


def _tv_reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    return loss


def torchvision_box_iou_loss(boxes1, boxes2, *, reduction="none", eps=1e-7, validate=True):
    """1 - IoU as the first lines of torchvision's ``generalized_box_iou_loss`` compute it
    (torchvision has no plain IoU loss): ``intsctk, unionk = _loss_inter_union(boxes1, boxes2)``,
    ``iouk = intsctk / (unionk + eps)``."""
    boxes1 = _tv_upcast_non_float(boxes1)
    boxes2 = _tv_upcast_non_float(boxes2)
    intsctk, unionk = _tv_loss_inter_union(boxes1, boxes2)
    iouk = intsctk / (unionk + eps)
    return _tv_reduce(1 - iouk, reduction)


def torchvision_generalized_box_iou_loss(boxes1, boxes2, *, reduction="none", eps=1e-7,
                                         validate=True):
    """``torchvision.ops.generalized_box_iou_loss`` (giou_loss.py)."""
    boxes1 = _tv_upcast_non_float(boxes1)
    boxes2 = _tv_upcast_non_float(boxes2)
    intsctk, unionk = _tv_loss_inter_union(boxes1, boxes2)
    iouk = intsctk / (unionk + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    # smallest enclosing box
    xc1 = torch.min(x1, x1g)
    yc1 = torch.min(y1, y1g)
    xc2 = torch.max(x2, x2g)
    yc2 = torch.max(y2, y2g)
    area_c = (xc2 - xc1) * (yc2 - yc1)
    miouk = iouk - ((area_c - unionk) / (area_c + eps))
    loss = 1 - miouk
    return _tv_reduce(loss, reduction)


def _tv_diou_iou_loss(boxes1, boxes2, eps=1e-7):
    """``_diou_iou_loss`` (diou_loss.py): the DIoU loss and the IoU."""
    intsct, union = _tv_loss_inter_union(boxes1, boxes2)
    iou = intsct / (union + eps)
    # smallest enclosing box
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xc1 = torch.min(x1, x1g)
    yc1 = torch.min(y1, y1g)
    xc2 = torch.max(x2, x2g)
    yc2 = torch.max(y2, y2g)
    # The diagonal distance of the smallest enclosing box squared
    diagonal_distance_squared = ((xc2 - xc1) ** 2) + ((yc2 - yc1) ** 2) + eps
    # centers of boxes
    x_p = (x2 + x1) / 2
    y_p = (y2 + y1) / 2
    x_g = (x1g + x2g) / 2
    y_g = (y1g + y2g) / 2
    # The distance between boxes' centers squared.
    centers_distance_squared = ((x_p - x_g) ** 2) + ((y_p - y_g) ** 2)
    loss = 1 - iou + (centers_distance_squared / diagonal_distance_squared)
    return loss, iou


def torchvision_distance_box_iou_loss(boxes1, boxes2, *, reduction="none", eps=1e-7,
                                      validate=True):
    """``torchvision.ops.distance_box_iou_loss`` (diou_loss.py)."""
    boxes1 = _tv_upcast_non_float(boxes1)
    boxes2 = _tv_upcast_non_float(boxes2)
    loss, _ = _tv_diou_iou_loss(boxes1, boxes2, eps)
    return _tv_reduce(loss, reduction)


def torchvision_complete_box_iou_loss(boxes1, boxes2, *, reduction="none", eps=1e-7,
                                      validate=True):
    """``torchvision.ops.complete_box_iou_loss`` (ciou_loss.py).

    As in torchvision, ``eps`` reaches only alpha: ``_diou_iou_loss(boxes1, boxes2)`` is called
    with its default eps (lossbook uses ``eps`` everywhere; the two agree at eps = 1e-7), and
    alpha is computed under ``torch.no_grad()``.
    """
    boxes1 = _tv_upcast_non_float(boxes1)
    boxes2 = _tv_upcast_non_float(boxes2)
    diou_loss, iou = _tv_diou_iou_loss(boxes1, boxes2)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    # width and height of boxes
    w_pred = x2 - x1
    h_pred = y2 - y1
    w_gt = x2g - x1g
    h_gt = y2g - y1g
    v = (4 / (torch.pi**2)) * torch.pow((torch.atan(w_gt / h_gt) - torch.atan(w_pred / h_pred)), 2)
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    loss = diou_loss + alpha * v
    return _tv_reduce(loss, reduction)


# --- perceptual ------------------------------------------------------------------------------
def lpips_normalize_tensor(in_feat, eps=1e-10):
    """LPIPS's ``normalize_tensor`` (richzhang/PerceptualSimilarity, ``lpips/__init__.py``)::

        norm_factor = torch.sqrt(torch.sum(in_feat**2,dim=1,keepdim=True))
        return in_feat/(norm_factor+eps)
    """
    norm_factor = torch.sqrt(torch.sum(in_feat**2, dim=1, keepdim=True))
    return in_feat / (norm_factor + eps)


def torch_feature_loss(features_input, features_target, *, weights=None, p=2, normalize=False,
                       eps=1e-10, reduction="mean", validate=True):
    """The weighted feature distance written directly in PyTorch: per layer, LPIPS's
    ``normalize_tensor`` if asked, then ``F.mse_loss`` (p = 2, Johnson et al. 2016's feature
    reconstruction loss, 1/(C H W) ||phi(x) - phi(y)||^2) or ``F.l1_loss`` (p = 1) per sample,
    times the layer's weight (per channel for a tensor), summed over the layers."""
    total = 0
    for layer, (a, b) in enumerate(zip(features_input, features_target, strict=True)):
        if normalize:
            a, b = lpips_normalize_tensor(a, eps), lpips_normalize_tensor(b, eps)
        distance = F.mse_loss if p == 2 else F.l1_loss
        per_element = distance(a, b, reduction="none")
        w = 1.0 if weights is None else weights[layer]
        if isinstance(w, torch.Tensor):
            w = w.reshape(1, -1, *([1] * (a.dim() - 2)))
        total = total + (per_element * w).flatten(1).mean(dim=1)
    if reduction == "mean":
        return total.mean()
    if reduction == "sum":
        return total.sum()
    return total


def lpips_distance(features0, features1, lin_weights):
    """LPIPS's distance from given features (richzhang/PerceptualSimilarity, ``lpips/lpips.py``,
    ``LPIPS.forward`` with ``lpips=True, spatial=False``): ``normalize_tensor``, squared
    difference, the 1x1 ``NetLinLayer`` convolution (no bias) with weights ``lin_weights[l]`` of
    shape (C_l,), ``spatial_average`` (mean over H, W), summed over the layers. Shape
    (N, 1, 1, 1)."""
    val = 0
    for f0, f1, w in zip(features0, features1, lin_weights, strict=True):
        diff = (lpips_normalize_tensor(f0) - lpips_normalize_tensor(f1)) ** 2
        res = F.conv2d(diff, w.reshape(1, -1, 1, 1)).mean([2, 3], keepdim=True)
        val = val + res
    return val
