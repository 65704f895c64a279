"""The perceptual (feature) loss as a module: FeatureLoss.

Neither PyTorch nor MONAI has a module for the distance between given feature maps (MONAI's
``PerceptualLoss`` builds in its network; LPIPS's ``lpips.LPIPS`` too). ``FeatureLoss`` takes
the feature maps a network computed, as :func:`lossbook.feature_loss` does, so any network
can supply them. Its forward is that function and its backward the hand-derived gradient
:func:`lossbook.feature_loss_grad` with ``grad_output`` (:class:`lossbook.nn._base.Hand`),
for every map of ``features_input``; the target's maps get none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from lossbook import perceptual
from lossbook._validation import check_non_negative, check_option
from lossbook.nn._base import Loss, hand_layers, refuse_grad

__all__ = ["FeatureLoss"]


class FeatureLoss(Loss):
    r"""Perceptual loss: a weighted distance between feature maps, summed over layers.

    .. math::

        \ell_n = \sum_l \frac{1}{C_l H_l W_l} \sum_{c, h, w} w_{l,c}
        \bigl|\hat\phi_l(x)_{n,c,h,w} - \hat\phi_l(y)_{n,c,h,w}\bigr|^p

    with :math:`\hat\phi_l = \phi_l`, or each feature vector divided by its length over the
    channels (``normalize=True``, LPIPS's normalisation).

    Parameters
    ----------
    weights : sequence, optional
        One weight per layer: a number, or a tensor of one weight per channel (kept as a
        buffer of the module). Default: 1 for every layer.
    p : {2, 1}
        Squared (2) or absolute (1) differences.
    normalize : bool
        Divide each feature vector by its length over the channel axis first.
    eps : float
        >= 0, added to each length when normalising (LPIPS's 1e-10).
    reduction : {"mean", "sum", "none"}
        Per-sample losses (N,), their mean or their sum.
    validate : bool
        Check the weights' signs (keyword-only); ``False`` for training loops.

    Notes
    -----
    ``forward(features_input, features_target)`` takes two lists (or tuples) of feature maps
    (N, C_l, ...), one per layer, as :func:`lossbook.feature_loss` does.

    See Also
    --------
    lossbook.feature_loss : the functional reference (notebook 11).

    References
    ----------
    Johnson, Alahi and Fei-Fei, "Perceptual losses for real-time style transfer and
    super-resolution", ECCV 2016; Zhang et al., "The unreasonable effectiveness of deep
    features as a perceptual metric" (LPIPS), CVPR 2018.

    Examples
    --------
    >>> import torch
    >>> from lossbook.nn import FeatureLoss
    >>> a = [torch.ones(1, 2, 2, 2, dtype=torch.float64), torch.ones(1, 3, dtype=torch.float64)]
    >>> b = [torch.zeros(1, 2, 2, 2, dtype=torch.float64), torch.ones(1, 3, dtype=torch.float64)]
    >>> print(f"{FeatureLoss(weights=[0.5, 2.0])(a, b).item():.6f}")
    0.500000
    """

    def __init__(self, weights: Sequence[float | torch.Tensor] | None = None, p: int = 2,
                 normalize: bool = False, eps: float = 1e-10, reduction: str = "mean", *,
                 validate: bool = True) -> None:
        super().__init__(reduction, validate=validate)
        self.p = check_option(p, "p", int)
        if self.p not in (1, 2):
            raise ValueError(f"p must be 1 (absolute differences) or 2 (squared differences); "
                             f"got {self.p}")
        self.normalize = check_option(normalize, "normalize", bool)
        self.eps = check_non_negative(eps, "eps")
        self._numbers: list[Any] | None = None if weights is None else []
        for i, w in enumerate(weights or ()):
            if isinstance(w, torch.Tensor):
                self.register_buffer(f"weight{i}", w)
                self._numbers.append(None)
            else:
                self._numbers.append(w)

    def extra_repr(self) -> str:
        return (f"p={self.p}, normalize={self.normalize}, eps={self.eps}, "
                f"{super().extra_repr()}")

    def _weights(self) -> tuple[Any, ...] | None:
        if self._numbers is None:
            return None
        return tuple(getattr(self, f"weight{i}") if w is None else w
                     for i, w in enumerate(self._numbers))

    def forward(self, features_input: Sequence[torch.Tensor],
                features_target: Sequence[torch.Tensor]) -> torch.Tensor:
        weights = self._weights()
        for i, t in enumerate(features_target):
            refuse_grad(t, f"features_target[{i}]", " features_input")
        for i, w in enumerate(weights or ()):
            refuse_grad(w if isinstance(w, torch.Tensor) else None, f"weights[{i}]")
        inputs = perceptual._layers(features_input, "features_input")
        targets = perceptual._layers(features_target, "features_target")
        if len(targets) != len(inputs):  # the library's message, before the split by layers
            perceptual._check(inputs, targets, weights, self.p, self.normalize, self.eps,
                              self.reduction, self.validate)
        return hand_layers(perceptual.feature_loss, perceptual.feature_loss_grad, inputs,
                           targets, weights=weights, p=self.p, normalize=self.normalize,
                           eps=self.eps, reduction=self.reduction, validate=self.validate)
