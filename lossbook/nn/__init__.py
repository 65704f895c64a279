"""lossbook.nn: ``torch.nn.Module`` drop-ins for PyTorch's and MONAI's losses, exact and fast.

Each module has PyTorch's (or MONAI's) class name and constructor arguments, and runs a
``torch.autograd.Function``: the forward is lossbook's stable formula (PyTorch's fused kernel
where that kernel computes the same formula, proven on the adversarial accuracy suite), and the
backward is lossbook's hand-derived gradient, computed from the saved inputs alone. A module
equals its functional twin in :mod:`lossbook` (the reference the notebooks teach) and its twin
in ``torch.nn`` or MONAI wherever those are accurate. Values are checked as the functional
losses check them; ``validate=False`` (keyword-only) skips the checks that read the data, for
training loops and ``torch.compile``.

=====================  ==========================================  ==========================
module                 drop-in for                                 functional reference
=====================  ==========================================  ==========================
CrossEntropyLoss       torch.nn.CrossEntropyLoss                   lossbook.cross_entropy
NLLLoss                torch.nn.NLLLoss                            lossbook.nll_loss
BCELoss                torch.nn.BCELoss                            binary_cross_entropy
BCEWithLogitsLoss      torch.nn.BCEWithLogitsLoss                  ..._with_logits
KLDivLoss              torch.nn.KLDivLoss                          lossbook.kl_div
MSELoss                torch.nn.MSELoss                            lossbook.mse_loss
L1Loss                 torch.nn.L1Loss                             lossbook.l1_loss
SmoothL1Loss           torch.nn.SmoothL1Loss                       lossbook.smooth_l1_loss
HuberLoss              torch.nn.HuberLoss                          lossbook.huber_loss
MarginRankingLoss      torch.nn.MarginRankingLoss                  margin_ranking_loss
HingeEmbeddingLoss     torch.nn.HingeEmbeddingLoss                 hinge_embedding_loss
CosineEmbeddingLoss    torch.nn.CosineEmbeddingLoss                cosine_embedding_loss
TripletMarginLoss      torch.nn.TripletMarginLoss                  triplet_margin_loss
DiceLoss               monai.losses.DiceLoss (jaccard=True too)    dice_loss, jaccard_loss
TverskyLoss            monai.losses.TverskyLoss                    lossbook.tversky_loss
FocalLoss              monai.losses.FocalLoss                      focal_loss, sigmoid_focal_loss
SigmoidFocalLoss       torchvision.ops.sigmoid_focal_loss (a       sigmoid_focal_loss
                       function in torchvision; a module here)
MultiMarginLoss        torch.nn.MultiMarginLoss                    multi_margin_loss
MultiLabelMarginLoss   torch.nn.MultiLabelMarginLoss               multilabel_margin_loss
SoftMarginLoss         torch.nn.SoftMarginLoss                     soft_margin_loss
MultiLabelSoftMargin-  torch.nn.MultiLabelSoftMarginLoss           multilabel_soft_margin_loss
Loss
BoxIoULoss             torchvision.ops.box_iou (1 - IoU)           box_iou_loss
GeneralizedBoxIoULoss  torchvision.ops.generalized_box_iou_loss    generalized_box_iou_loss
DistanceBoxIoULoss     torchvision.ops.distance_box_iou_loss       distance_box_iou_loss
CompleteBoxIoULoss     torchvision.ops.complete_box_iou_loss       complete_box_iou_loss
FeatureLoss            (no module elsewhere: feature maps in)      feature_loss
=====================  ==========================================  ==========================

torchvision has the box losses as functions only; their modules here are named after those
functions in PyTorch's ``...Loss`` style and take their options. The hinge, box and perceptual
modules run the functional loss forward and its hand gradient ``<loss>_grad`` backward
(``lossbook.nn._base.Hand``); the others have forwards written for speed with torch
operations, checked against the functional loss.

The measures of :mod:`lossbook.information` other than ``kl_div`` (entropy, cross-entropy and
KL or JS divergence between two distributions) have no loss module in PyTorch or MONAI; use the
functions, which keep autograd on tensors.

Examples
--------
A tiny classifier trained with the drop-in (``validate=False``, as in any training loop):

>>> import torch
>>> from lossbook.nn import CrossEntropyLoss
>>> _ = torch.manual_seed(0)
>>> x = torch.randn(64, 2, dtype=torch.float64)
>>> y = (x[:, 0] + x[:, 1] > 0).long()
>>> model = torch.nn.Linear(2, 2, dtype=torch.float64)
>>> criterion = CrossEntropyLoss(validate=False)
>>> optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
>>> for step in range(100):
...     optimizer.zero_grad()
...     loss = criterion(model(x), y)
...     loss.backward()
...     optimizer.step()
>>> print(f"loss {loss.item():.3f}, accuracy {(model(x).argmax(1) == y).double().mean():.2f}")
loss 0.142, accuracy 0.98
"""

from __future__ import annotations

from lossbook.nn.binary import BCELoss, BCEWithLogitsLoss
from lossbook.nn.box import (
    BoxIoULoss,
    CompleteBoxIoULoss,
    DistanceBoxIoULoss,
    GeneralizedBoxIoULoss,
)
from lossbook.nn.classification import CrossEntropyLoss, NLLLoss
from lossbook.nn.focal import FocalLoss, SigmoidFocalLoss
from lossbook.nn.hinge import (
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    SoftMarginLoss,
)
from lossbook.nn.information import KLDivLoss
from lossbook.nn.margin import (
    CosineEmbeddingLoss,
    HingeEmbeddingLoss,
    MarginRankingLoss,
    TripletMarginLoss,
)
from lossbook.nn.perceptual import FeatureLoss
from lossbook.nn.regression import HuberLoss, L1Loss, MSELoss, SmoothL1Loss
from lossbook.nn.segmentation import DiceLoss, TverskyLoss

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "BoxIoULoss",
    "CompleteBoxIoULoss",
    "CosineEmbeddingLoss",
    "CrossEntropyLoss",
    "DiceLoss",
    "DistanceBoxIoULoss",
    "FeatureLoss",
    "FocalLoss",
    "GeneralizedBoxIoULoss",
    "HingeEmbeddingLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "MarginRankingLoss",
    "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "NLLLoss",
    "SigmoidFocalLoss",
    "SmoothL1Loss",
    "SoftMarginLoss",
    "TripletMarginLoss",
    "TverskyLoss",
]
