"""Registered cases of ``lossbook.box``: box_iou_loss, generalized_box_iou_loss,
distance_box_iou_loss and complete_box_iou_loss, against torchvision's formulas."""

from __future__ import annotations

from typing import Any

import array_api_compat
import numpy as np

from lossbook import box
from lossbook._reduction import reduce
from lossbook.testing import twins
from lossbook.testing.registry import Case, Documented, Tag, reductions

__all__ = ["CASES", "DOCUMENTED", "MODULE"]

MODULE = "lossbook.box"


def _box_pairs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Twelve (N, 4) pairs, three of each kind: overlapping, one inside the other, apart along
    one axis, apart diagonally. Coordinates are drawn from a continuous law, so no two tie and
    no overlap is exactly 0 (the kinks of max, min and the intersection's mask)."""
    def boxes(n, lo, hi, size):
        xy = rng.uniform(lo, hi, size=(n, 2))
        return np.concatenate([xy, xy + rng.uniform(*size, size=(n, 2))], axis=1)

    target = boxes(12, -5.0, 5.0, (1.0, 4.0))
    w, h = target[:, 2] - target[:, 0], target[:, 3] - target[:, 1]
    pred = np.empty_like(target)
    pred[:3] = target[:3] + rng.uniform(-0.4, 0.4, size=(3, 4)) * np.stack([w, h, w, h], 1)[:3]
    inner = rng.uniform(0.1, 0.4, size=(3, 4)) * np.stack([w, h, -w, -h], 1)[3:6]
    pred[3:6] = target[3:6] + inner
    gap = rng.uniform(0.2, 2.0, size=3)
    pred[6:9] = target[6:9] + np.stack([w[6:9] + gap, 0.3 * h[6:9], w[6:9] + gap + 1.5,
                                        0.3 * h[6:9] + 0.8], 1)
    pred[9:] = target[9:] + np.stack([w[9:] + gap, h[9:] + gap, w[9:] + gap + 2.0,
                                      h[9:] + gap + 0.5], 1)
    return pred, target


def _ciou_alpha_held(point: Any, boxes1: Any, boxes2: Any, *, reduction: str = "none",
                    eps: float = 1e-7, validate: bool = True) -> Any:
    """CIoU with alpha evaluated at ``point`` and held there: DIoU + alpha(point) v. Its
    derivative at ``point`` is what ``complete_box_iou_loss_grad`` computes (alpha is a
    constant for the gradient, torchvision's ``torch.no_grad()``)."""
    xp = array_api_compat.array_namespace(point, boxes1, boxes2)
    v_at_point, _, _ = box._aspect(xp, point, boxes2)
    alpha = box._ciou_alpha(xp, box._overlap(xp, point, boxes2, eps), v_at_point, eps)
    v, _, _ = box._aspect(xp, boxes1, boxes2)
    per_box = box.distance_box_iou_loss(boxes1, boxes2, eps=eps, validate=validate) + alpha * v
    return reduce(per_box, reduction, xp=xp)


_OPTIONS = [*reductions(), *reductions(eps=0.0), *reductions(eps=1e-3)]
_TAGS = frozenset({Tag.REDUCTION, Tag.FLOAT_INPUT, Tag.NON_EMPTY, Tag.SAME_SHAPE})

CASES: list[Case] = [
    Case(box.box_iou_loss, twins.torchvision_box_iou_loss, _box_pairs,
         grad=box.box_iou_loss_grad, options=_OPTIONS, tags=_TAGS),
    Case(box.generalized_box_iou_loss, twins.torchvision_generalized_box_iou_loss, _box_pairs,
         grad=box.generalized_box_iou_loss_grad, options=_OPTIONS, tags=_TAGS),
    Case(box.distance_box_iou_loss, twins.torchvision_distance_box_iou_loss, _box_pairs,
         grad=box.distance_box_iou_loss_grad, options=_OPTIONS, tags=_TAGS),
    # torchvision's CIoU passes eps to alpha only (its twin's docstring): registered at the
    # default eps, where the two definitions agree; tests/test_box.py covers other eps.
    Case(box.complete_box_iou_loss, twins.torchvision_complete_box_iou_loss, _box_pairs,
         grad=box.complete_box_iou_loss_grad, options=reductions(),
         tags=_TAGS | {Tag.FROZEN_TERM}, frozen=_ciou_alpha_held),
    Case(box.complete_box_iou_loss, twins.torchvision_complete_box_iou_loss,
         lambda rng: tuple(b[4] for b in _box_pairs(rng)),  # one (4,) pair: a 0-d loss
         grad=box.complete_box_iou_loss_grad, options=reductions(),
         tags=_TAGS | {Tag.FROZEN_TERM}, frozen=_ciou_alpha_held),
]

# lossbook's documented choices where it differs from a twin on a special value.
DOCUMENTED: list[Documented] = [
    # a box reaching -1.8e308: lengths divided by the enclosing extent first, no area overflows
    *(Documented(f"{name}{suffix}", argument, "-max", "finite",
                 "the loss stays finite where torchvision's areas overflow")
      for name in ("generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss")
      for suffix in ("", "_grad") for argument in ("boxes1", "boxes2")),
]
