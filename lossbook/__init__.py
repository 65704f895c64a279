"""lossbook: exact, tested reference implementations of the loss functions the course derives.

Every loss takes NumPy arrays or torch tensors (the result has the input's type, dtype and
device; torch tensors keep autograd), PyTorch's argument names and defaults, and has a
hand-derived gradient ``<loss>_grad`` beside it. Each family lives in its own module
(``lossbook.information``, ``classification``, ``binary``, ``regression``, ``focal``,
``segmentation``, ``embedding``, ``box``, ``hinge``, ``perceptual``); every public function is
also importable from here.
"""

from __future__ import annotations

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
from lossbook.check import compare
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
from lossbook.exercises import check
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
from lossbook.plotting import savefig, use_style
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


def setup_notebook(seed: int = 0, precision: int = 4) -> None:
    """Make a notebook reproducible: seeds, one thread, print precision and the figure style.

    Seeds Python's, NumPy's global and torch's generators with ``seed``, runs torch on one
    thread, prints NumPy arrays and torch tensors with ``precision`` digits, and applies the
    course's figure style. On the CPU with one thread torch's kernels give the same bits on
    every run (strict nbval checks every stored output), so the notebooks do not call
    ``torch.use_deterministic_algorithms``: it would only import torch's compiler (about a
    second at every notebook start) to set a flag the course does not need.

    Examples
    --------
    >>> setup_notebook()
    >>> import numpy as np
    >>> print(np.array([1 / 3]))
    [0.3333]
    """
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (learners call np.random.* directly)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    np.set_printoptions(precision=precision, suppress=True)
    torch.set_printoptions(precision=precision, sci_mode=False)
    use_style()
