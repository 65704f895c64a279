"""One small call of every public lossbook function, built from one vector of six values.

``SAMPLES[name](x)`` returns ``(args, kwargs)`` for ``lossbook.<name>``: ``x`` (a float NumPy
array or torch tensor of shape (6,)) fills the first argument, reshaped as the function needs;
the other arrays are valid targets, labels or distributions of ``x``'s type and dtype. A
gradient ``<name>_grad`` takes the same call. ``FLOATING[name]`` names the floating array
arguments after the first (the ones the dtype policy ties to the first one's dtype).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

Call = tuple[tuple[Any, ...], dict[str, Any]]


def like(x: Any, values: Any, dtype: Any = None) -> Any:
    """An array of ``x``'s library with ``values``, of ``x``'s dtype or ``dtype``."""
    if isinstance(x, torch.Tensor):
        return torch.tensor(values, dtype=x.dtype if dtype is None else dtype)
    return np.asarray(values, dtype=x.dtype if dtype is None else dtype)


def _int(x: Any, values: Any) -> Any:
    return like(x, values, torch.int64 if isinstance(x, torch.Tensor) else np.int64)


def _dist(x: Any) -> Any:
    return like(x, [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])


def _r(x: Any, *shape: int) -> Any:
    return x.reshape(shape)


SAMPLES: dict[str, Callable[[Any], Call]] = {
    # primitives
    "logsumexp": lambda x: ((_r(x, 2, 3),), {}),
    "softmax": lambda x: ((_r(x, 2, 3),), {}),
    "log_softmax": lambda x: ((_r(x, 2, 3),), {}),
    "sigmoid": lambda x: ((x,), {}),
    "log_sigmoid": lambda x: ((x,), {}),
    "softplus": lambda x: ((x,), {}),
    "log1mexp": lambda x: ((x,), {"validate": False}),
    "xlogy": lambda x: ((x, like(x, [0.0, 0.5, 1.0, 2.0, 0.0, 3.0])), {}),
    "xlog1py": lambda x: ((x, like(x, [0.0, 0.5, -1.0, 2.0, 0.0, 3.0])), {}),
    # information
    "surprisal": lambda x: ((x,), {"validate": False}),
    "entropy": lambda x: ((_r(x, 2, 3),), {"validate": False}),
    "cross_entropy_between": lambda x: ((_dist(x), _r(x, 2, 3)), {"validate": False}),
    "kl_divergence": lambda x: ((_dist(x), _r(x, 2, 3)), {"validate": False}),
    "js_divergence": lambda x: ((_dist(x), _r(x, 2, 3)), {"validate": False}),
    "kl_div": lambda x: ((_r(x, 2, 3), _dist(x)), {"validate": False, "reduction": "batchmean"}),
    # classification
    "cross_entropy": lambda x: ((_r(x, 2, 3), _int(x, [0, 2])), {"weight": like(x, [1.0, 2.0, 0.5])}),
    "nll_loss": lambda x: ((_r(x, 2, 3), _int(x, [0, 2])), {"weight": like(x, [1.0, 2.0, 0.5])}),
    # binary
    "binary_cross_entropy": lambda x: ((x, like(x, [0.0, 1.0, 0.0, 1.0, 0.5, 1.0])),
                                       {"validate": False}),
    "binary_cross_entropy_with_logits": lambda x: (
        (x, like(x, [0.0, 1.0, 0.0, 1.0, 0.5, 1.0])), {"pos_weight": like(x, [2.0] * 6)}),
    # regression
    "mse_loss": lambda x: ((x, like(x, [0.0, 1.0, -1.0, 0.5, 2.0, 0.0])), {}),
    "l1_loss": lambda x: ((x, like(x, [0.0, 1.0, -1.0, 0.5, 2.0, 0.0])), {}),
    "smooth_l1_loss": lambda x: ((x, like(x, [0.0, 1.0, -1.0, 0.5, 2.0, 0.0])), {"beta": 0.5}),
    "huber_loss": lambda x: ((x, like(x, [0.0, 1.0, -1.0, 0.5, 2.0, 0.0])), {"delta": 0.5}),
    # focal
    "sigmoid_focal_loss": lambda x: ((x, like(x, [0.0, 1.0, 0.0, 1.0, 0.3, 1.0])),
                                     {"gamma": 0.5, "reduction": "mean"}),
    "focal_loss": lambda x: ((_r(x, 2, 3), _int(x, [0, 2])),
                             {"gamma": 0.5, "alpha": like(x, [0.2, 0.3, 0.5])}),
    # segmentation
    "dice_loss": lambda x: ((_r(x, 1, 2, 3), like(x, [[[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]])),
                            {"sigmoid": True}),
    "jaccard_loss": lambda x: ((_r(x, 1, 2, 3), _int(x, [[[0, 1, 1]]])),
                               {"softmax": True, "to_onehot_y": True}),
    "tversky_loss": lambda x: ((_r(x, 1, 2, 3), like(x, [[[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]])),
                               {"sigmoid": True, "alpha": 0.3, "beta": 0.7}),
    # margin
    "triplet_margin_loss": lambda x: ((_r(x, 2, 3), like(x, [[0.0] * 3] * 2),
                                       like(x, [[1.0] * 3] * 2)), {"swap": True}),
    "margin_ranking_loss": lambda x: ((x, like(x, [0.0] * 6), like(x, [1.0, -1.0] * 3)),
                                      {"margin": 0.5}),
    "hinge_embedding_loss": lambda x: ((x, _int(x, [1, -1] * 3)), {}),
    "cosine_embedding_loss": lambda x: ((_r(x, 2, 3), like(x, [[1.0, 0.0, 1.0]] * 2),
                                         like(x, [1.0, -1.0])), {"margin": 0.1}),
    # box: the first four values are one box (x1, y1, x2, y2)
    "box_iou_loss": lambda x: ((_r(x[:4], 1, 4), like(x, [[0.0, -1.0, 1.0, 1.0]])), {}),
    "generalized_box_iou_loss": lambda x: ((_r(x[:4], 1, 4), like(x, [[0.0, -1.0, 1.0, 1.0]])),
                                           {"reduction": "mean"}),
    "distance_box_iou_loss": lambda x: ((_r(x[:4], 1, 4), like(x, [[0.0, -1.0, 1.0, 1.0]])),
                                        {"eps": 0.0}),
    "complete_box_iou_loss": lambda x: ((_r(x[:4], 1, 4), like(x, [[0.0, -1.0, 1.0, 1.0]])),
                                        {"reduction": "sum"}),
    # hinge
    "multi_margin_loss": lambda x: ((_r(x, 2, 3), _int(x, [0, 2])),
                                    {"p": 2, "margin": 0.5, "weight": like(x, [1.0, 2.0, 0.5])}),
    "multilabel_margin_loss": lambda x: ((_r(x, 2, 3), _int(x, [[0, -1, 1], [2, 1, -1]])), {}),
    "soft_margin_loss": lambda x: ((x, like(x, [1.0, -1.0] * 3)), {}),
    "multilabel_soft_margin_loss": lambda x: ((_r(x, 2, 3), like(x, [[0.0, 1.0, 0.3]] * 2)),
                                              {"weight": like(x, [1.0, 2.0, 0.5])}),
    # perceptual: two layers of one sample
    "feature_loss": lambda x: (([_r(x[:4], 1, 2, 2), _r(x[4:], 1, 2)],
                                [like(x, [[[0.0, 1.0], [1.0, 0.0]]]), like(x, [[1.0, -1.0]])]),
                               {"weights": [0.5, like(x, [1.0, 2.0])], "normalize": True}),
}

# The floating array arguments after the first, by name: the dtype policy ties them to it.
FLOATING: dict[str, tuple[str, ...]] = {
    "xlogy": ("other",), "xlog1py": ("other",),
    "cross_entropy_between": ("q",), "kl_divergence": ("q",), "js_divergence": ("q",),
    "kl_div": ("target",),
    "cross_entropy": ("weight",), "nll_loss": ("weight",),
    "binary_cross_entropy": ("target",), "binary_cross_entropy_with_logits": ("target", "pos_weight"),
    "mse_loss": ("target",), "l1_loss": ("target",), "smooth_l1_loss": ("target",),
    "huber_loss": ("target",),
    "sigmoid_focal_loss": ("target",), "focal_loss": ("alpha",),
    "dice_loss": ("target",), "tversky_loss": ("target",),
    "triplet_margin_loss": ("positive", "negative"), "margin_ranking_loss": ("input2", "target"),
    "cosine_embedding_loss": ("input2", "target"),
    "box_iou_loss": ("boxes2",), "generalized_box_iou_loss": ("boxes2",),
    "distance_box_iou_loss": ("boxes2",), "complete_box_iou_loss": ("boxes2",),
    "multi_margin_loss": ("weight",), "soft_margin_loss": ("target",),
    "multilabel_soft_margin_loss": ("target", "weight"),
}

# Functions whose distributions go in first (p) and whose gradient is taken w.r.t. the second (q)
FIRST_IS_TARGET = ("cross_entropy_between", "kl_divergence", "js_divergence")
