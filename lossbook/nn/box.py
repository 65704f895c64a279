"""Bounding-box regression losses as modules: BoxIoULoss, GeneralizedBoxIoULoss,
DistanceBoxIoULoss, CompleteBoxIoULoss.

torchvision has these losses as functions (``torchvision.ops.generalized_box_iou_loss``, ...),
not modules; the modules here are named after those functions, in PyTorch's ``...Loss`` style,
and take their options (``reduction="none"`` and ``eps=1e-7`` by default, as torchvision).
Each forward is the functional loss of :mod:`lossbook.box` and each backward its hand-derived
gradient with ``grad_output`` (:class:`lossbook.nn._base.Hand`), with respect to ``boxes1``
(the prediction); ``boxes2`` (the target) gets none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from lossbook import box
from lossbook._validation import check_non_negative
from lossbook.nn._base import Loss, hand, refuse_grad

__all__ = ["BoxIoULoss", "CompleteBoxIoULoss", "DistanceBoxIoULoss", "GeneralizedBoxIoULoss"]


class _BoxLoss(Loss):
    """The shared constructor and forward of the box losses."""

    _loss: Callable[..., Any]
    _grad: Callable[..., Any]

    def __init__(self, reduction: str = "none", eps: float = 1e-7, *,
                 validate: bool = True) -> None:
        super().__init__(reduction, validate=validate)
        self.eps = check_non_negative(eps, "eps")

    def extra_repr(self) -> str:
        return f"eps={self.eps}, {super().extra_repr()}"

    def forward(self, boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
        refuse_grad(boxes2, "boxes2", " boxes1")
        return hand(type(self)._loss, type(self)._grad, boxes1, boxes2,
                    reduction=self.reduction, eps=self.eps, validate=self.validate)


class BoxIoULoss(_BoxLoss):
    r"""IoU loss of boxes :math:`(x_1, y_1, x_2, y_2)`, as a module.

    .. math::

        \ell = 1 - \frac{|B_1 \cap B_2|}{|B_1 \cup B_2| + \epsilon}

    Parameters
    ----------
    reduction : {"none", "mean", "sum"}
        torchvision's default "none": one loss per pair of boxes.
    eps : float
        >= 0, added to the denominators where torchvision adds it.
    validate : bool
        Check that every box is finite with x1 <= x2 and y1 <= y2 (keyword-only); ``False``
        for training loops.

    Notes
    -----
    The module form of torchvision has no plain IoU loss; ``torchvision.ops.box_iou`` gives the IoU it subtracts from 1. Forward :func:`lossbook.box_iou_loss`,
    backward :func:`lossbook.box_iou_loss_grad` (with respect to ``boxes1``).
    See Also
    --------
    lossbook.box_iou_loss : the functional reference (notebook 10).

    References
    ----------
    torchvision, ``torchvision/ops/boxes.py`` (``box_iou``).

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import BoxIoULoss
    >>> b1 = torch.tensor([[0.0, 0.0, 2.0, 2.0]], dtype=torch.float64)
    >>> b2 = torch.tensor([[1.0, 1.0, 3.0, 3.0]], dtype=torch.float64)
    >>> print(f"{BoxIoULoss(reduction='sum')(b1, b2).item():.6f}")
    0.857143
    """

    _loss = staticmethod(box.box_iou_loss)
    _grad = staticmethod(box.box_iou_loss_grad)


class GeneralizedBoxIoULoss(_BoxLoss):
    r"""Generalized IoU loss (Rezatofighi et al., 2019) of boxes :math:`(x_1, y_1, x_2, y_2)`, as a module.

    .. math::

        \ell = 1 - \mathrm{IoU} + \frac{|C| - |B_1 \cup B_2|}{|C| + \epsilon}

    Parameters
    ----------
    reduction : {"none", "mean", "sum"}
        torchvision's default "none": one loss per pair of boxes.
    eps : float
        >= 0, added to the denominators where torchvision adds it.
    validate : bool
        Check that every box is finite with x1 <= x2 and y1 <= y2 (keyword-only); ``False``
        for training loops.

    Notes
    -----
    The module form of ``torchvision.ops.generalized_box_iou_loss``. Forward :func:`lossbook.generalized_box_iou_loss`,
    backward :func:`lossbook.generalized_box_iou_loss_grad` (with respect to ``boxes1``).
    See Also
    --------
    lossbook.generalized_box_iou_loss : the functional reference (notebook 10).

    References
    ----------
    torchvision, ``torchvision/ops/giou_loss.py``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import GeneralizedBoxIoULoss
    >>> b1 = torch.tensor([[0.0, 0.0, 2.0, 2.0]], dtype=torch.float64)
    >>> b2 = torch.tensor([[1.0, 1.0, 3.0, 3.0]], dtype=torch.float64)
    >>> print(f"{GeneralizedBoxIoULoss(reduction='sum')(b1, b2).item():.6f}")
    1.079365
    """

    _loss = staticmethod(box.generalized_box_iou_loss)
    _grad = staticmethod(box.generalized_box_iou_loss_grad)


class DistanceBoxIoULoss(_BoxLoss):
    r"""Distance IoU loss (Zheng et al., 2020) of boxes :math:`(x_1, y_1, x_2, y_2)`, as a module.

    .. math::

        \ell = 1 - \mathrm{IoU} + \frac{\rho^2(b_1, b_2)}{c^2 + \epsilon}

    Parameters
    ----------
    reduction : {"none", "mean", "sum"}
        torchvision's default "none": one loss per pair of boxes.
    eps : float
        >= 0, added to the denominators where torchvision adds it.
    validate : bool
        Check that every box is finite with x1 <= x2 and y1 <= y2 (keyword-only); ``False``
        for training loops.

    Notes
    -----
    The module form of ``torchvision.ops.distance_box_iou_loss``. Forward :func:`lossbook.distance_box_iou_loss`,
    backward :func:`lossbook.distance_box_iou_loss_grad` (with respect to ``boxes1``).
    See Also
    --------
    lossbook.distance_box_iou_loss : the functional reference (notebook 10).

    References
    ----------
    torchvision, ``torchvision/ops/diou_loss.py``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import DistanceBoxIoULoss
    >>> b1 = torch.tensor([[0.0, 0.0, 2.0, 2.0]], dtype=torch.float64)
    >>> b2 = torch.tensor([[1.0, 1.0, 3.0, 3.0]], dtype=torch.float64)
    >>> print(f"{DistanceBoxIoULoss(reduction='sum')(b1, b2).item():.6f}")
    0.968254
    """

    _loss = staticmethod(box.distance_box_iou_loss)
    _grad = staticmethod(box.distance_box_iou_loss_grad)


class CompleteBoxIoULoss(_BoxLoss):
    r"""Complete IoU loss (Zheng et al., 2020) of boxes :math:`(x_1, y_1, x_2, y_2)`, as a module.

    .. math::

        \ell = 1 - \mathrm{IoU} + \frac{\rho^2(b_1, b_2)}{c^2 + \epsilon} + \alpha v

    Parameters
    ----------
    reduction : {"none", "mean", "sum"}
        torchvision's default "none": one loss per pair of boxes.
    eps : float
        >= 0, added to the denominators where torchvision adds it.
    validate : bool
        Check that every box is finite with x1 <= x2 and y1 <= y2 (keyword-only); ``False``
        for training loops.

    Notes
    -----
    The module form of ``torchvision.ops.complete_box_iou_loss``. Forward :func:`lossbook.complete_box_iou_loss`,
    backward :func:`lossbook.complete_box_iou_loss_grad` (with respect to ``boxes1``).
    The gradient holds :math:`\\alpha` constant, as the definition does (torchvision computes it
    under ``torch.no_grad()``).

    See Also
    --------
    lossbook.complete_box_iou_loss : the functional reference (notebook 10).

    References
    ----------
    torchvision, ``torchvision/ops/ciou_loss.py``.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import CompleteBoxIoULoss
    >>> b1 = torch.tensor([[0.0, 0.0, 2.0, 2.0]], dtype=torch.float64)
    >>> b2 = torch.tensor([[1.0, 1.0, 3.0, 3.0]], dtype=torch.float64)
    >>> print(f"{CompleteBoxIoULoss(reduction='sum')(b1, b2).item():.6f}")
    0.968254
    """

    _loss = staticmethod(box.complete_box_iou_loss)
    _grad = staticmethod(box.complete_box_iou_loss_grad)
