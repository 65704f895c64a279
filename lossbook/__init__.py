"""lossbook: exact, tested reference implementations of the loss functions the course derives.

Every loss takes NumPy arrays or torch tensors (the result has the input's type, dtype and
device; torch tensors keep autograd), PyTorch's argument names and defaults, and has a
hand-derived gradient ``<loss>_grad`` beside it. Each family lives in its own module
(``lossbook.information``, ``classification``, ``binary``, ``regression``, ``focal``,
``segmentation``, ``embedding``, ``box``, ``hinge``, ``perceptual``); every public function is
also importable from here.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from lossbook._lazy import lazy_names
from lossbook.binary import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
    log_sigmoid,
    log_sigmoid_grad,
)
from lossbook.box import (
    box_iou_loss,
    box_iou_loss_grad,
    complete_box_iou_loss,
    complete_box_iou_loss_grad,
    distance_box_iou_loss,
    distance_box_iou_loss_grad,
    generalized_box_iou_loss,
    generalized_box_iou_loss_grad,
)
from lossbook.classification import (
    cross_entropy,
    cross_entropy_grad,
    log_softmax,
    log_softmax_grad,
    logsumexp,
    logsumexp_grad,
    nll_loss,
    nll_loss_grad,
    softmax,
    softmax_grad,
)
from lossbook.course.checker import check
from lossbook.embedding import (
    cosine_embedding_loss,
    cosine_embedding_loss_grad,
    hinge_embedding_loss,
    hinge_embedding_loss_grad,
    margin_ranking_loss,
    margin_ranking_loss_grad,
    triplet_margin_loss,
    triplet_margin_loss_grad,
)
from lossbook.focal import (
    focal_loss,
    focal_loss_grad,
    sigmoid_focal_loss,
    sigmoid_focal_loss_grad,
)
from lossbook.hinge import (
    multi_margin_loss,
    multi_margin_loss_grad,
    multilabel_margin_loss,
    multilabel_margin_loss_grad,
    multilabel_soft_margin_loss,
    multilabel_soft_margin_loss_grad,
    soft_margin_loss,
    soft_margin_loss_grad,
)
from lossbook.information import (
    cross_entropy_between,
    cross_entropy_between_grad,
    entropy,
    entropy_grad,
    js_divergence,
    js_divergence_grad,
    kl_div,
    kl_div_grad,
    kl_divergence,
    kl_divergence_grad,
    surprisal,
    surprisal_grad,
)
from lossbook.perceptual import feature_loss, feature_loss_grad
from lossbook.regression import (
    huber_loss,
    huber_loss_grad,
    l1_loss,
    l1_loss_grad,
    mse_loss,
    mse_loss_grad,
    smooth_l1_loss,
    smooth_l1_loss_grad,
)
from lossbook.segmentation import (
    dice_loss,
    dice_loss_grad,
    jaccard_loss,
    jaccard_loss_grad,
    tversky_loss,
    tversky_loss_grad,
)

__all__ = [
    "__version__",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "box_iou_loss",
    "box_iou_loss_grad",
    "check",
    "compare",
    "complete_box_iou_loss",
    "complete_box_iou_loss_grad",
    "cosine_embedding_loss",
    "cosine_embedding_loss_grad",
    "cross_entropy",
    "cross_entropy_between",
    "cross_entropy_between_grad",
    "cross_entropy_grad",
    "dice_loss",
    "dice_loss_grad",
    "distance_box_iou_loss",
    "distance_box_iou_loss_grad",
    "entropy",
    "entropy_grad",
    "feature_loss",
    "feature_loss_grad",
    "focal_loss",
    "focal_loss_grad",
    "generalized_box_iou_loss",
    "generalized_box_iou_loss_grad",
    "hinge_embedding_loss",
    "hinge_embedding_loss_grad",
    "huber_loss",
    "huber_loss_grad",
    "jaccard_loss",
    "jaccard_loss_grad",
    "js_divergence",
    "js_divergence_grad",
    "kl_div",
    "kl_div_grad",
    "kl_divergence",
    "kl_divergence_grad",
    "l1_loss",
    "l1_loss_grad",
    "log_sigmoid",
    "log_sigmoid_grad",
    "log_softmax",
    "log_softmax_grad",
    "logsumexp",
    "logsumexp_grad",
    "margin_ranking_loss",
    "margin_ranking_loss_grad",
    "mse_loss",
    "mse_loss_grad",
    "multi_margin_loss",
    "multi_margin_loss_grad",
    "multilabel_margin_loss",
    "multilabel_margin_loss_grad",
    "multilabel_soft_margin_loss",
    "multilabel_soft_margin_loss_grad",
    "nll_loss",
    "nll_loss_grad",
    "savefig",
    "setup_notebook",
    "sigmoid_focal_loss",
    "sigmoid_focal_loss_grad",
    "smooth_l1_loss",
    "smooth_l1_loss_grad",
    "soft_margin_loss",
    "soft_margin_loss_grad",
    "softmax",
    "softmax_grad",
    "surprisal",
    "surprisal_grad",
    "triplet_margin_loss",
    "triplet_margin_loss_grad",
    "tversky_loss",
    "tversky_loss_grad",
    "use_style",
]

__version__ = "0.1.0"


# The course toolkit and the test kit: notebooks import these names from here today. They load
# on first use, so that ``import lossbook`` imports neither torch nor matplotlib.
_LAZY = {
    "compare": "lossbook.check",
    "savefig": "lossbook.course.plotting",
    "use_style": "lossbook.course.plotting",
    "setup_notebook": "lossbook.course.notebook",
}


__getattr__, __dir__ = lazy_names(globals(), _LAZY)


class _Package(types.ModuleType):
    """``lossbook.check`` stays the exercise checker when the submodule ``lossbook.check``
    (which holds ``compare``) is imported: Python would otherwise bind the submodule there."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "check" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
