"""lossbook: exact, tested reference implementations of the loss functions the course derives.

Every loss takes NumPy arrays or torch tensors (the result has the input's type, dtype and
device; torch tensors keep autograd), PyTorch's argument names and defaults, and has a
hand-derived gradient ``<loss>_grad(..., *, grad_output=None, ...)`` beside it: the
vector-Jacobian product of the loss with ``grad_output`` (for ``reduction="none"`` without it,
the gradient of the sum). Each family lives in its own module (``lossbook.information``,
``classification``, ``binary``, ``regression``, ``focal``, ``segmentation``, ``margin``,
``box``, ``hinge``, ``perceptual``), the stable primitives they share in
``lossbook.primitives``; every public function is also importable from here.

Input contract
--------------
Every call either returns the twin's result (PyTorch's, MONAI's or torchvision's formula, each
named in the function's References) or raises a ``TypeError`` or ``ValueError`` whose message
names the offending argument, what was expected and what came.

- **Arrays.** NumPy arrays or torch tensors, all of one library; a Python list or number where
  an array is expected is refused by name (``target must be a NumPy array or a torch tensor,
  got list``), and so is a mix (``target must come from the same library as input (torch);
  got numpy``). Shapes are never broadcast silently: ``input`` (N, 1) with ``target`` (N,) is
  an error. Empty input to a loss is refused (a mean over nothing is not a loss).
- **Dtypes.** Floating arrays that meet in one computation (``input``, a floating ``target``,
  ``weight``, ``pos_weight``, ``alpha``, ``grad_output``) share one dtype: float16, bfloat16,
  float32 or float64. Another floating dtype is a ``TypeError`` naming the argument; nothing is
  promoted or cast. Integer or boolean logits, and complex values anywhere, are refused.
- **Integer targets.** Class indices of any integer width (int8 ... int64, uint8, ...) are
  compared as the numbers they hold, never wrapped into their dtype: a uint8 class 156 is not
  ``ignore_index=-100``, 300 classes work with uint8 indices, a uint8 label 255 is not -1.
  bool is not a number: boolean targets are refused where indices or labels are expected.
- **Options.** A flag must be ``True`` or ``False``; an integer option an integer, a real option
  a real number. NumPy scalars (``np.bool_``, ``np.int64``, ``np.float64``) count as the Python
  value they hold. Out-of-range options (negative ``gamma``, ``label_smoothing`` above 1, an
  unknown ``reduction``) are ``ValueError``s.
- **Values.** With ``validate=True`` (the default) index ranges, probabilities, distributions,
  labels in {-1, 1} and weights (finite, >= 0) are checked; ``validate=False`` skips these
  passes over the data for training, never the checks of shapes, dtypes and options.
- **NaN and inf.** They flow through as the mathematics says, never hidden and never turned
  into an error: ``log 0 = -inf`` gives an infinite loss where the model calls the truth
  impossible, a NaN input gives a NaN loss, and each function's Notes say where its value or
  gradient differs from the twin's on purpose (a limit where PyTorch computes 0 * inf or
  inf / inf). NumPy's overflow, divide and invalid warnings are not raised on the way.
"""

from __future__ import annotations

from lossbook.binary import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
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
    nll_loss,
    nll_loss_grad,
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
from lossbook.margin import (
    cosine_embedding_loss,
    cosine_embedding_loss_grad,
    hinge_embedding_loss,
    hinge_embedding_loss_grad,
    margin_ranking_loss,
    margin_ranking_loss_grad,
    triplet_margin_loss,
    triplet_margin_loss_grad,
)
from lossbook.perceptual import feature_loss, feature_loss_grad
from lossbook.primitives import (
    log1mexp,
    log1mexp_grad,
    log_sigmoid,
    log_sigmoid_grad,
    log_softmax,
    log_softmax_grad,
    logsumexp,
    logsumexp_grad,
    sigmoid,
    sigmoid_grad,
    softmax,
    softmax_grad,
    softplus,
    softplus_grad,
    xlog1py,
    xlogy,
)
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
    "log1mexp",
    "log1mexp_grad",
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
    "sigmoid",
    "sigmoid_focal_loss",
    "sigmoid_focal_loss_grad",
    "sigmoid_grad",
    "smooth_l1_loss",
    "smooth_l1_loss_grad",
    "soft_margin_loss",
    "soft_margin_loss_grad",
    "softmax",
    "softmax_grad",
    "softplus",
    "softplus_grad",
    "surprisal",
    "surprisal_grad",
    "triplet_margin_loss",
    "triplet_margin_loss_grad",
    "tversky_loss",
    "tversky_loss_grad",
    "xlog1py",
    "xlogy",
]

__version__ = "0.1.0"
