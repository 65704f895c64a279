"""The test registry: one entry per lossbook function, with its twin, gradient and inputs.

test_registry.py runs every entry through ``lossbook.compare`` for every option set and
backend, through ``gradcheck``, and through the bad-input rules its tags select; the
completeness test fails when a public function of a loss-family module has no entry here
(scikit-learn's test_common works the same way).

Each family keeps its entries in its own section below.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CASES", "FAMILIES", "Case"]

# The loss-family modules whose public functions must all be registered.
FAMILIES = (
    "lossbook.information",
    "lossbook.classification",
    "lossbook.binary",
    "lossbook.regression",
    "lossbook.focal",
    "lossbook.segmentation",
    "lossbook.embedding",
    "lossbook.box",
    "lossbook.hinge",
)


@dataclass(frozen=True)
class Case:
    """One registered function.

    Parameters
    ----------
    ours : callable
        The lossbook function.
    theirs : callable
        Its twin on torch tensors with the same signature: a ``torch.nn.functional`` function,
        or a wrapper around an external reference (torchvision's formula, MONAI).
    make_inputs : callable
        ``make_inputs(rng) -> tuple`` of NumPy reference inputs (float64 data, int64 indices),
        kept away from kinks where the gradient is not unique.
    grad : callable, optional
        The hand-derived gradient ``<name>_grad``.
    options : sequence of dict
        Every option combination to test (reduction, weight, ...).
    tags : frozenset of str
        Which generic rules apply: "elementwise" (input and target of one shape, so (N,1) vs
        (N,) must raise), "reduction" (takes reduction=), "float_input" (integer input must
        raise TypeError), "non_empty" (empty input must raise ValueError), "frozen_term" (the
        gradient holds a term of the loss constant, as the loss's definition says: CIoU's
        alpha, computed under no_grad by torchvision; finite differences of the loss are then
        not its gradient, so the generic gradcheck does not apply and the family's test file
        runs gradcheck against the loss with that term frozen).
    rtol, atol : float, optional
        Looser tolerances, each with a comment at the entry saying why.
    """

    ours: Callable[..., Any]
    theirs: Callable[..., Any]
    make_inputs: Callable[[np.random.Generator], tuple[Any, ...]]
    grad: Callable[..., Any] | None = None
    options: Sequence[dict[str, Any]] = ({},)
    tags: frozenset[str] = field(default_factory=frozenset)
    rtol: float | None = None
    atol: float | None = None

    @property
    def name(self) -> str:
        return self.ours.__name__


def _reductions(**fixed: Any) -> list[dict[str, Any]]:
    """The three reductions, each with ``fixed`` options."""
    return [dict(fixed, reduction=r) for r in ("none", "mean", "sum")]


STANDARD = frozenset({"reduction", "float_input", "non_empty"})

# --- information (lossbook/information.py) ----------------------------------------------------
import math as _info_pymath  # noqa: E402
import warnings as _info_warnings  # noqa: E402

import torch as _info_torch  # noqa: E402
import torch.nn.functional as _info_F  # noqa: E402

from lossbook import _math as _info_math  # noqa: E402
from lossbook import information as _information  # noqa: E402


def _info_ln_base(base: float | None) -> float:
    return 1.0 if base is None else _info_pymath.log(base)


def torch_surprisal(p, *, base=None, validate=True):
    """-log p in PyTorch."""
    return -_info_torch.log(p) / _info_ln_base(base)


def torch_entropy(p, *, axis=-1, base=None, validate=True):
    """torch.special.entr summed along axis (Categorical.entropy() renormalises, see tests)."""
    return _info_torch.special.entr(p).sum(dim=axis) / _info_ln_base(base)


def torch_cross_entropy_between(p, q, *, axis=-1, base=None, validate=True):
    """-sum xlogy(p, q) in PyTorch."""
    return -_info_torch.special.xlogy(p, q).sum(dim=axis) / _info_ln_base(base)


def torch_kl_divergence(p, q, *, axis=-1, base=None, validate=True):
    """F.kl_div(log q, p) pointwise, summed along axis."""
    return _info_F.kl_div(_info_torch.log(q), p, reduction="none").sum(dim=axis) / _info_ln_base(base)


def torch_js_divergence(p, q, *, axis=-1, base=None, validate=True):
    """Jensen-Shannon from F.kl_div: (KL(p||m) + KL(q||m)) / 2, m = (p + q) / 2."""
    log_m = _info_torch.log((p + q) / 2)
    kl_pm = _info_F.kl_div(log_m, p, reduction="none").sum(dim=axis)
    kl_qm = _info_F.kl_div(log_m, q, reduction="none").sum(dim=axis)
    return 0.5 * (kl_pm + kl_qm) / _info_ln_base(base)


def torch_kl_div(input, target, *, reduction="mean", log_target=False, validate=True):
    """F.kl_div, with its warning about reduction="mean" silenced (the tests know)."""
    with _info_warnings.catch_warnings():
        _info_warnings.filterwarnings("ignore", message="reduction: 'mean' divides")
        return _info_F.kl_div(input, target, reduction=reduction, log_target=log_target)


def _info_probabilities(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Probabilities in about [0.05, 0.95], away from 0 where log and its gradient blow up."""
    return rng.uniform(0.05, 0.95, size=shape)


def _info_distribution_pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    p = _info_math.softmax(rng.normal(size=(3, 5)))
    q = _info_math.softmax(rng.normal(size=(3, 5)))
    return p, q


# gradcheck perturbs p off the simplex, so the distribution functions are registered with
# validate=False; test_information.py checks validation and validate=True values. Their
# gradients are with respect to q, the second argument, which the registry cannot express:
# test_information.py holds them against autograd and gradcheck.
_INFO_DISTRIBUTION_OPTIONS = [
    {"validate": False},
    {"axis": 0, "validate": False},
    {"base": 2, "validate": False},
    {"axis": -2, "base": 10.0, "validate": False},
]
_KL_DIV_REDUCTIONS = ("none", "mean", "sum", "batchmean")

INFORMATION: list[Case] = [
    Case(
        _information.surprisal, torch_surprisal,
        make_inputs=lambda rng: (_info_probabilities(rng, (3, 4)),),
        grad=_information.surprisal_grad,
        options=[{}, {"base": 2}, {"base": 10.0}],
        tags=frozenset({"non_empty"}),
    ),
    Case(
        _information.entropy, torch_entropy,
        make_inputs=lambda rng: (_info_math.softmax(rng.normal(size=(3, 5))),),
        grad=_information.entropy_grad,
        options=_INFO_DISTRIBUTION_OPTIONS,
        tags=frozenset({"non_empty"}),
    ),
    Case(
        _information.cross_entropy_between, torch_cross_entropy_between,
        make_inputs=_info_distribution_pair,
        options=_INFO_DISTRIBUTION_OPTIONS,
        tags=frozenset({"non_empty"}),
    ),
    Case(
        _information.kl_divergence, torch_kl_divergence,
        make_inputs=_info_distribution_pair,
        options=_INFO_DISTRIBUTION_OPTIONS,
        tags=frozenset({"non_empty"}),
    ),
    Case(
        _information.js_divergence, torch_js_divergence,
        make_inputs=_info_distribution_pair,
        options=_INFO_DISTRIBUTION_OPTIONS,
        tags=frozenset({"non_empty"}),
    ),
    # kl_div with probability targets ...
    Case(
        _information.kl_div, torch_kl_div,
        make_inputs=lambda rng: (_info_math.log_softmax(rng.normal(size=(4, 5))),
                                 _info_math.softmax(rng.normal(size=(4, 5)))),
        grad=_information.kl_div_grad,
        options=[{"reduction": r} for r in _KL_DIV_REDUCTIONS],
        tags=STANDARD | {"elementwise"},
    ),
    # ... and with log-probability targets (log_target=True), a second entry with its own inputs.
    Case(
        _information.kl_div, torch_kl_div,
        make_inputs=lambda rng: (_info_math.log_softmax(rng.normal(size=(4, 5))),
                                 _info_math.log_softmax(rng.normal(size=(4, 5)))),
        grad=_information.kl_div_grad,
        options=[{"reduction": r, "log_target": True} for r in _KL_DIV_REDUCTIONS],
        tags=frozenset({"elementwise", "non_empty"}),
    ),
]

# --- classification (lossbook/classification.py) ----------------------------------------------
import torch as _torch  # noqa: E402

from lossbook import classification as _cls  # noqa: E402


def _torch_logsumexp(input, *, dim=-1, keepdim=False):
    return _torch.logsumexp(input, dim=dim, keepdim=keepdim)


def _torch_softmax(input, *, dim=-1):
    return _torch.softmax(input, dim=dim)


def _torch_log_softmax(input, *, dim=-1):
    return _torch.log_softmax(input, dim=dim)


def _logits(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.normal(scale=2.0, size=shape)


def _probs(rng: np.random.Generator, shape: tuple[int, ...], axis: int) -> np.ndarray:
    e = rng.uniform(0.1, 1.0, size=shape)
    return e / e.sum(axis=axis, keepdims=True)


def _cls_batch(rng):  # (N, C) = (5, 4); class 1 appears twice so ignore_index=1 drops two
    return _logits(rng, 5, 4), np.array([0, 1, 3, 1, 2])


def _cls_nd(rng):  # (N, C, d1, d2) = (2, 4, 3, 2); one target is the default ignore_index
    target = np.array([[[0, 1], [3, 2], [1, -100]], [[2, 2], [0, 3], [1, 0]]])
    return _logits(rng, 2, 4, 3, 2), target


def _cls_unbatched(rng):  # input (C,) with a 0-d target
    return _logits(rng, 4), np.array(2)


def _cls_prob(rng):
    return _logits(rng, 5, 4), _probs(rng, (5, 4), 1)


def _cls_prob_nd(rng):
    return _logits(rng, 2, 4, 3), _probs(rng, (2, 4, 3), 1)


def _cls_prob_unbatched(rng):
    return _logits(rng, 4), _probs(rng, (4,), 0)


def _logp(make):
    def make_log_probs(rng):
        x, target = make(rng)
        axis = 0 if x.ndim == 1 else 1
        return x - np.log(np.exp(x).sum(axis=axis, keepdims=True)), target
    return make_log_probs


def _softmax_inputs(rng):
    return (_logits(rng, 3, 4, 2),)


_W4 = np.array([0.5, 1.0, 2.0, 0.25])
_SOFTMAX_TAGS = frozenset({"float_input", "non_empty"})
_DIMS = [{"dim": -1}, {"dim": 0}, {"dim": 1}]
_INDEX_OPTIONS = [
    *_reductions(),
    *_reductions(weight=_W4),
    *_reductions(ignore_index=1),
    *_reductions(weight=_W4, ignore_index=1),
    *_reductions(label_smoothing=0.2),
    *_reductions(label_smoothing=0.2, weight=_W4),
    *_reductions(label_smoothing=0.2, ignore_index=1),
    *_reductions(label_smoothing=0.2, weight=_W4, ignore_index=1),
    *_reductions(label_smoothing=1.0, weight=_W4),
]
_ND_OPTIONS = [
    *_reductions(),
    *_reductions(weight=_W4),
    *_reductions(label_smoothing=0.1, weight=_W4),
    *_reductions(label_smoothing=0.1),
]
_SMALL_OPTIONS = [*_reductions(), *_reductions(weight=_W4),
                  *_reductions(label_smoothing=0.3, weight=_W4)]
_PROB_OPTIONS = [
    *_reductions(),
    *_reductions(weight=_W4),
    *_reductions(label_smoothing=0.2),
    *_reductions(label_smoothing=0.2, weight=_W4),
]
_NLL_OPTIONS = [
    *_reductions(),
    *_reductions(weight=_W4),
    *_reductions(ignore_index=1),
    *_reductions(weight=_W4, ignore_index=1),
]


def _ce_case(make, options):
    return Case(_cls.cross_entropy, _torch.nn.functional.cross_entropy, make,
                grad=_cls.cross_entropy_grad, options=options, tags=STANDARD)


def _nll_case(make, options):
    return Case(_cls.nll_loss, _torch.nn.functional.nll_loss, _logp(make),
                grad=_cls.nll_loss_grad, options=options, tags=STANDARD)


CLASSIFICATION: list[Case] = [
    Case(_cls.logsumexp, _torch_logsumexp, _softmax_inputs, grad=_cls.logsumexp_grad,
         options=[*_DIMS, {"dim": 1, "keepdim": True}, {"dim": 2, "keepdim": True}],
         tags=_SOFTMAX_TAGS),
    Case(_cls.softmax, _torch_softmax, _softmax_inputs, grad=_cls.softmax_grad,
         options=_DIMS, tags=_SOFTMAX_TAGS),
    Case(_cls.log_softmax, _torch_log_softmax, _softmax_inputs, grad=_cls.log_softmax_grad,
         options=_DIMS, tags=_SOFTMAX_TAGS),
    _ce_case(_cls_batch, _INDEX_OPTIONS),
    _ce_case(_cls_nd, _ND_OPTIONS),
    _ce_case(_cls_unbatched, _SMALL_OPTIONS),
    _ce_case(_cls_prob, _PROB_OPTIONS),
    _ce_case(_cls_prob_nd, _SMALL_OPTIONS),
    _ce_case(_cls_prob_unbatched, _SMALL_OPTIONS),
    _nll_case(_cls_batch, _NLL_OPTIONS),
    _nll_case(_cls_nd, [*_reductions(), *_reductions(weight=_W4)]),
    _nll_case(_cls_unbatched, [*_reductions(), *_reductions(weight=_W4)]),
]

# --- binary (lossbook/binary.py) --------------------------------------------------------------
import torch.nn.functional as _F_binary  # noqa: E402

from lossbook import binary as _binary  # noqa: E402

_BINARY_N, _BINARY_C = 5, 3


def _binary_targets(rng: np.random.Generator) -> np.ndarray:
    """Multi-label targets of shape (N, C): about half hard 0/1 labels, half soft in (0, 1)."""
    soft = rng.uniform(0.05, 0.95, size=(_BINARY_N, _BINARY_C))
    hard = rng.random(size=soft.shape) < 0.5
    return np.where(hard, np.round(soft), soft)


def _binary_probability_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Probabilities in [0.05, 0.95]: far from 0 and 1, where PyTorch's forward clamps each log
    # at -100 (p < e^-100) and its backward divides by max(p(1-p), 1e-12) (p < ~1e-12); there
    # both are exact, and tests/test_binary.py checks the extreme region against mpmath.
    p = rng.uniform(0.05, 0.95, size=(_BINARY_N, _BINARY_C))
    return p, _binary_targets(rng)


def _binary_logit_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = 3.0 * rng.normal(size=(_BINARY_N, _BINARY_C))
    return x, _binary_targets(rng)


def _log_sigmoid_inputs(rng: np.random.Generator) -> tuple[np.ndarray]:
    x = np.concatenate([4.0 * rng.normal(size=10), [-30.0, -2.5, 1.5, 30.0]])
    return (x,)


_BINARY_CLASS_WEIGHT = np.array([0.5, 1.0, 2.0])  # one weight per label, shape (C,)
_BINARY_SAMPLE_WEIGHT = np.linspace(0.2, 1.8, _BINARY_N)[:, None]  # one per sample, (N, 1)
_BINARY_POS_WEIGHT = np.array([0.5, 2.0, 3.0])  # shape (C,), broadcast along the last dim

BINARY: list[Case] = [
    Case(_binary.log_sigmoid, _F_binary.logsigmoid, _log_sigmoid_inputs,
         grad=_binary.log_sigmoid_grad, tags=frozenset({"float_input"})),
    Case(_binary.binary_cross_entropy, _F_binary.binary_cross_entropy,
         _binary_probability_inputs, grad=_binary.binary_cross_entropy_grad,
         options=[*_reductions(), *_reductions(weight=_BINARY_CLASS_WEIGHT),
                  *_reductions(weight=_BINARY_SAMPLE_WEIGHT)],
         tags=STANDARD | {"elementwise"}),
    Case(_binary.binary_cross_entropy_with_logits, _F_binary.binary_cross_entropy_with_logits,
         _binary_logit_inputs, grad=_binary.binary_cross_entropy_with_logits_grad,
         options=[*_reductions(), *_reductions(weight=_BINARY_CLASS_WEIGHT),
                  *_reductions(pos_weight=_BINARY_POS_WEIGHT),
                  *_reductions(weight=_BINARY_SAMPLE_WEIGHT, pos_weight=_BINARY_POS_WEIGHT)],
         tags=STANDARD | {"elementwise"}),
]

# --- regression (lossbook/regression.py) ------------------------------------------------------
import torch.nn.functional as _reg_F  # noqa: E402

from lossbook import regression as _regression  # noqa: E402

_REG_KINKS = (0.5, 1.0, 5.0)  # the beta/delta values inside the residuals' range


def _regression_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A (4, 5) input and target whose residuals span 0.1..12 in size, both signs, and stay
    at least 0.05 from 0 and from every beta/delta tested, where the slope or curvature jumps."""
    target = rng.normal(size=(4, 5))
    while True:
        size = rng.uniform(0.1, 12.0, size=(4, 5))
        if min(abs(size - k).min() for k in _REG_KINKS) > 0.05:
            break
    sign = np.where(rng.random((4, 5)) < 0.5, -1.0, 1.0)
    return target + sign * size, target


REGRESSION: list[Case] = [
    Case(_regression.mse_loss, _reg_F.mse_loss, _regression_inputs, grad=_regression.mse_loss_grad,
         options=_reductions(), tags=STANDARD | {"elementwise"}),
    Case(_regression.l1_loss, _reg_F.l1_loss, _regression_inputs, grad=_regression.l1_loss_grad,
         options=_reductions(), tags=STANDARD | {"elementwise"}),
    Case(_regression.smooth_l1_loss, _reg_F.smooth_l1_loss, _regression_inputs,
         grad=_regression.smooth_l1_loss_grad,
         options=[*_reductions(),
                  *(o for b in (0.0, 0.5, 1.0, 5.0, 1e3) for o in _reductions(beta=b))],
         tags=STANDARD | {"elementwise"}),
    # delta = 0 is refused (by PyTorch too): tests/test_regression.py checks the error.
    Case(_regression.huber_loss, _reg_F.huber_loss, _regression_inputs,
         grad=_regression.huber_loss_grad,
         options=[*_reductions(),
                  *(o for d in (0.5, 1.0, 5.0, 1e3) for o in _reductions(delta=d))],
         tags=STANDARD | {"elementwise"}),
]

# --- focal (lossbook/focal.py) ----------------------------------------------------------------
import torch as _focal_torch  # noqa: E402

from lossbook import focal as _focal  # noqa: E402


def torchvision_sigmoid_focal_loss(input, target, *, alpha=0.25, gamma=2.0, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss, reproduced: torchvision has no CPU wheel here.

    Formula copied from pytorch/vision torchvision/ops/focal_loss.py (itself from fvcore,
    RetinaNet, arXiv:1708.02002), with lossbook's ``alpha=None`` mapped to its ``alpha=-1``::

        p = torch.sigmoid(inputs)
        ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
        p_t = p * targets + (1 - p) * (1 - targets)
        loss = ce_loss * ((1 - p_t) ** gamma)
        if alpha >= 0:
            alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
            loss = alpha_t * loss
        # then "mean" -> loss.mean(), "sum" -> loss.sum()
    """
    import torch.nn.functional as F

    alpha = -1 if alpha is None else alpha
    p = _focal_torch.sigmoid(input)
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
                             reduction="mean"):
    """MONAI's per-element softmax focal term (monai.losses.focal_loss.softmax_focal_loss).

    MONAI's ``FocalLoss`` module casts to float32 and averages over the class dimension too, so
    the registry uses its float64-clean core function: one-hot targets, per-class alpha (a
    scalar lossbook alpha becomes C equal weights, since MONAI reads a scalar as
    (1 - alpha, alpha, ..., alpha)), then lossbook's reductions (mean over non-ignored
    elements). tests/test_focal.py holds lossbook against the ``FocalLoss`` module itself.
    """
    from monai.losses.focal_loss import softmax_focal_loss

    num_classes = input.shape[1]
    valid = target != ignore_index
    safe = _focal_torch.where(valid, target, _focal_torch.zeros_like(target))
    onehot = _focal_torch.nn.functional.one_hot(safe, num_classes).movedim(-1, 1).to(input.dtype)
    if alpha is not None and not isinstance(alpha, _focal_torch.Tensor):
        alpha = _focal_torch.full((num_classes,), float(alpha), dtype=input.dtype)
    loss = softmax_focal_loss(input, onehot, gamma, alpha).sum(1) * valid
    if reduction == "mean":
        return loss.sum() / valid.sum()
    if reduction == "sum":
        return loss.sum()
    return loss


def _sigmoid_focal_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = 2.0 * rng.normal(size=(6, 4))
    t = rng.integers(0, 2, size=(6, 4)).astype(np.float64)
    t[:, -1] = rng.uniform(0.05, 0.95, size=6)  # soft targets: torchvision's formula takes them
    return x, t


def _focal_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = 2.0 * rng.normal(size=(5, 3, 2))
    y = rng.integers(0, 3, size=(5, 2))
    y[0, 1] = -100  # one ignored element (the default ignore_index)
    return x, y


FOCAL: list[Case] = [
    Case(
        _focal.sigmoid_focal_loss, torchvision_sigmoid_focal_loss, _sigmoid_focal_inputs,
        grad=_focal.sigmoid_focal_loss_grad,
        options=[
            *_reductions(),
            *_reductions(alpha=None, gamma=0.0),
            *_reductions(alpha=0.75, gamma=0.5),
            dict(alpha=None, gamma=3.5, reduction="mean"),
        ],
        tags=STANDARD | {"elementwise"},
    ),
    Case(
        _focal.focal_loss, monai_softmax_focal_loss, _focal_inputs,
        grad=_focal.focal_loss_grad,
        options=[
            *_reductions(),
            *_reductions(gamma=0.0),
            *_reductions(alpha=np.array([0.2, 0.5, 0.9]), gamma=0.5),
            dict(alpha=0.25, gamma=1.0, reduction="mean"),
        ],
        tags=STANDARD,
    ),
]

# --- segmentation (lossbook/segmentation.py) --------------------------------------------------
from lossbook import segmentation as _segmentation  # noqa: E402


def monai_dice_loss(input, target, *, include_background=True, to_onehot_y=False,
                    sigmoid=False, softmax=False, squared_pred=False, smooth_nr=1e-5,
                    smooth_dr=1e-5, batch=False, reduction="mean"):
    """MONAI's DiceLoss with lossbook's signature (reduction="none" squeezed to (N, C) / (C,))."""
    from monai.losses import DiceLoss

    loss = DiceLoss(include_background=include_background, to_onehot_y=to_onehot_y,
                    sigmoid=sigmoid, softmax=softmax, squared_pred=squared_pred,
                    smooth_nr=smooth_nr, smooth_dr=smooth_dr, batch=batch,
                    reduction=reduction)(input, target)
    if reduction == "none":
        loss = loss.reshape(loss.shape[:1] if batch else loss.shape[:2])
    return loss


def monai_jaccard_loss(input, target, *, smooth_nr=1e-5, smooth_dr=1e-5, **options):
    """MONAI's DiceLoss(jaccard=True), whose smoothing acts at half strength: it computes
    (2I + s_nr) / (2U + s_dr), so lossbook's (I + s_nr) / (U + s_dr) is MONAI's with 2 s."""
    from monai.losses import DiceLoss

    reduction = options.pop("reduction", "mean")
    batch = options.get("batch", False)
    loss = DiceLoss(jaccard=True, smooth_nr=2 * smooth_nr, smooth_dr=2 * smooth_dr,
                    reduction=reduction, **options)(input, target)
    if reduction == "none":
        loss = loss.reshape(loss.shape[:1] if batch else loss.shape[:2])
    return loss


def monai_tversky_loss(input, target, **options):
    """MONAI's TverskyLoss with lossbook's signature (same names, defaults and shapes)."""
    from monai.losses import TverskyLoss

    return TverskyLoss(**options)(input, target)


def _seg_probabilities(rng):
    # probabilities and soft targets in (0, 1): valid as they are, and as logits too
    shape = (2, 3, 4, 5)
    return rng.uniform(0.05, 0.95, shape), rng.uniform(0.0, 1.0, shape)


def _seg_logits(rng):
    # logits and a one-hot float target, three spatial axes; every class present in each sample
    labels = rng.integers(0, 3, size=(2, 3, 3, 3))
    labels[:, 0, 0, :3] = [0, 1, 2]
    onehot = (labels[:, None] == np.arange(3)[None, :, None, None, None]).astype(np.float64)
    return rng.normal(0.0, 2.0, (2, 3, 3, 3, 3)), onehot


def _seg_indices(rng):
    # logits and integer class indices (N, 1, L), one spatial axis
    labels = rng.integers(0, 4, size=(3, 1, 8))
    labels[:, 0, :4] = [0, 1, 2, 3]
    return rng.normal(0.0, 2.0, (3, 4, 8)), labels


_SEG_ON_PROBABILITIES = [
    *_reductions(),
    *_reductions(include_background=False),
    *_reductions(squared_pred=True),
    *_reductions(batch=True),
    *_reductions(smooth_nr=0.0, smooth_dr=0.0),
    *_reductions(smooth_nr=1.0, smooth_dr=0.5, batch=True, include_background=False),
]
_SEG_ON_LOGITS = [
    *_reductions(sigmoid=True),
    *_reductions(softmax=True),
    *_reductions(softmax=True, include_background=False),
    *_reductions(sigmoid=True, squared_pred=True, batch=True),
    dict(softmax=True, squared_pred=True, smooth_nr=0.0, smooth_dr=0.0),
]
_SEG_ON_INDICES = [
    *_reductions(to_onehot_y=True, softmax=True),
    *_reductions(to_onehot_y=True, softmax=True, include_background=False, batch=True),
    dict(to_onehot_y=True, sigmoid=True, squared_pred=True),
]


def _no_squared(options_list):
    # TverskyLoss has no squared_pred
    return [o for o in options_list if "squared_pred" not in o]


_TVERSKY_EXTRA = [
    *_reductions(alpha=0.3, beta=0.7),
    *_reductions(alpha=0.0, beta=1.0, batch=True, smooth_nr=0.0, smooth_dr=0.0),
    *_reductions(alpha=2.0, beta=0.25, include_background=False),
]

SEGMENTATION: list[Case] = [
    *(Case(_segmentation.dice_loss, monai_dice_loss, make, grad=_segmentation.dice_loss_grad,
           options=options, tags=STANDARD)
      for make, options in ((_seg_probabilities, _SEG_ON_PROBABILITIES),
                            (_seg_logits, _SEG_ON_LOGITS), (_seg_indices, _SEG_ON_INDICES))),
    *(Case(_segmentation.jaccard_loss, monai_jaccard_loss, make,
           grad=_segmentation.jaccard_loss_grad, options=options, tags=STANDARD)
      for make, options in ((_seg_probabilities, _SEG_ON_PROBABILITIES),
                            (_seg_logits, _SEG_ON_LOGITS), (_seg_indices, _SEG_ON_INDICES))),
    *(Case(_segmentation.tversky_loss, monai_tversky_loss, make,
           grad=_segmentation.tversky_loss_grad, options=options, tags=STANDARD)
      for make, options in ((_seg_probabilities, _no_squared(_SEG_ON_PROBABILITIES) + _TVERSKY_EXTRA),
                            (_seg_logits, _no_squared(_SEG_ON_LOGITS)),
                            (_seg_indices, _no_squared(_SEG_ON_INDICES)))),
]

# --- embedding (lossbook/embedding.py) --------------------------------------------------------
import math as _math  # noqa: E402

import torch.nn.functional as _F  # noqa: E402

from lossbook import embedding as _embedding  # noqa: E402


def _triplets(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Six (N, D) triplets: three hard (negative near), three easy (far); in each group the
    swap picks d(p, n) for some rows and keeps d(a, n) for others, never near a tie."""
    anchor = rng.normal(size=(6, 3))
    u = rng.normal(size=(6, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    side = np.array([1.0, -1.0, -1.0, -1.0, 1.0, -1.0])[:, None]  # +1: negative beyond positive
    positive = anchor + 0.1 * u
    scale = np.array([0.3, 0.3, 0.3, 30.0, 30.0, 30.0])[:, None]
    negative = anchor + side * scale * u
    return anchor, positive, negative


def _triplet_1d(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One (D,) triplet, active for every option tested."""
    anchor = rng.normal(size=4)
    return anchor, anchor + 0.1 * rng.normal(size=4), anchor + 0.2 * rng.normal(size=4)


def _ranking(rng: np.random.Generator, shape: tuple[int, ...] = (8,)) -> tuple[np.ndarray, ...]:
    """Scores whose differences (+-0.2, 0.7, 1.3, 1.9) stay 0.2 away from every tested margin."""
    input2 = rng.normal(size=shape)
    diff = rng.choice([-1.9, -1.3, -0.7, -0.2, 0.2, 0.7, 1.3, 1.9], size=shape)
    target = rng.choice([-1.0, 1.0], size=shape)
    return input2 + diff, input2, target


def _hinge(rng: np.random.Generator, shape: tuple[int, ...] = (10,)) -> tuple[np.ndarray, ...]:
    """Distances 0.05 or more away from the tested margins 0.5, 1 and 2."""
    base = rng.choice([0.1, 0.3, 0.8, 1.4, 2.6], size=shape)
    target = rng.choice([-1.0, 1.0], size=shape)
    return base + rng.uniform(-0.04, 0.04, size=shape), target


def _cosine_pairs(rng: np.random.Generator, n: int | None = 6) -> tuple[np.ndarray, ...]:
    """Pairs whose cosine stays 0.05 away from the tested margins -0.5, 0 and 0.5."""
    shape = (4,) if n is None else (n, 4)
    while True:
        x1, x2 = rng.normal(size=shape), rng.normal(size=shape)
        x2 = x2 + 0.8 * x1 * rng.choice([-1.0, 1.0], size=(*shape[:-1], 1))
        cos = (x1 * x2).sum(-1) / np.sqrt((x1 * x1).sum(-1) * (x2 * x2).sum(-1))
        kinks = np.abs(np.asarray(cos)[..., None] - np.array([-0.5, 0.0, 0.5]))
        if kinks.min() > 0.05:
            break
    target = rng.choice([-1.0, 1.0], size=shape[:-1])
    if n is None:
        target = np.asarray(-1.0)
    else:
        target[:2] = [-1.0, 1.0]
    return x1, x2, target


_TRIPLET_OPTIONS = [
    *_reductions(),
    *_reductions(margin=0.5, p=1.0),
    *_reductions(p=3.0, eps=0.0),
    *_reductions(p=_math.inf),
    *_reductions(p=0.5, margin=2.0),
    *_reductions(swap=True),
    *_reductions(swap=True, margin=2.0, p=1.5, eps=1e-3),
]

EMBEDDING: list[Case] = [
    Case(_embedding.triplet_margin_loss, _F.triplet_margin_loss, _triplets,
         grad=_embedding.triplet_margin_loss_grad, options=_TRIPLET_OPTIONS,
         tags=frozenset({"reduction", "non_empty"})),
    Case(_embedding.triplet_margin_loss, _F.triplet_margin_loss, _triplet_1d,
         grad=_embedding.triplet_margin_loss_grad,
         options=[*_reductions(), *_reductions(p=1.0, swap=True, margin=0.5)],
         tags=frozenset({"reduction", "non_empty"})),
    Case(_embedding.margin_ranking_loss, _F.margin_ranking_loss, _ranking,
         grad=_embedding.margin_ranking_loss_grad,
         options=[*_reductions(), *_reductions(margin=0.5), *_reductions(margin=1.0)],
         tags=frozenset({"reduction", "non_empty", "elementwise"})),
    Case(_embedding.margin_ranking_loss, _F.margin_ranking_loss,
         lambda rng: _ranking(rng, (3, 4)), grad=_embedding.margin_ranking_loss_grad,
         options=_reductions(margin=0.5), tags=frozenset({"reduction", "non_empty"})),
    Case(_embedding.hinge_embedding_loss, _F.hinge_embedding_loss, _hinge,
         grad=_embedding.hinge_embedding_loss_grad,
         options=[*_reductions(), *_reductions(margin=0.5), *_reductions(margin=2.0)],
         tags=STANDARD | {"elementwise"}),
    Case(_embedding.hinge_embedding_loss, _F.hinge_embedding_loss,
         lambda rng: _hinge(rng, (2, 5)), grad=_embedding.hinge_embedding_loss_grad,
         options=_reductions(margin=2.0), tags=STANDARD | {"elementwise"}),
    Case(_embedding.cosine_embedding_loss, _F.cosine_embedding_loss, _cosine_pairs,
         grad=_embedding.cosine_embedding_loss_grad,
         options=[*_reductions(), *_reductions(margin=0.5), *_reductions(margin=-0.5)],
         tags=frozenset({"reduction", "non_empty"})),
    Case(_embedding.cosine_embedding_loss, _F.cosine_embedding_loss,
         lambda rng: _cosine_pairs(rng, None), grad=_embedding.cosine_embedding_loss_grad,
         options=[*_reductions(), *_reductions(margin=-0.5)],
         tags=frozenset({"reduction", "non_empty"})),
]

# --- box regression (lossbook/box.py) -----------------------------------------------------------
import torch as _box_torch  # noqa: E402

from lossbook import box as _box  # noqa: E402

# torchvision's box losses, reproduced: torchvision has no wheel for the pinned torch here.
# Copied line for line from pytorch/vision main (https://github.com/pytorch/vision, read at the
# versions of torchvision/ops/_utils.py, giou_loss.py, diou_loss.py and ciou_loss.py that carry
# the "Check reduction option" block, 2023-2025), with torchvision's logging and reduction
# ValueError left out; ``validate`` is accepted and ignored.


def _tv_upcast_non_float(t):
    """torchvision/ops/_utils.py: float16 and bfloat16 boxes are computed in float32."""
    if t.dtype not in (_box_torch.float32, _box_torch.float64):
        return t.float()
    return t


def _tv_loss_inter_union(boxes1, boxes2):
    """torchvision/ops/_utils.py ``_loss_inter_union``."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    # Intersection keypoints
    xkis1 = _box_torch.max(x1, x1g)
    ykis1 = _box_torch.max(y1, y1g)
    xkis2 = _box_torch.min(x2, x2g)
    ykis2 = _box_torch.min(y2, y2g)
    intsctk = _box_torch.zeros_like(x1)
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
    (torchvision has no plain IoU loss)::

        intsctk, unionk = _loss_inter_union(boxes1, boxes2)
        iouk = intsctk / (unionk + eps)
    """
    boxes1 = _tv_upcast_non_float(boxes1)
    boxes2 = _tv_upcast_non_float(boxes2)
    intsctk, unionk = _tv_loss_inter_union(boxes1, boxes2)
    iouk = intsctk / (unionk + eps)
    return _tv_reduce(1 - iouk, reduction)


def torchvision_generalized_box_iou_loss(boxes1, boxes2, *, reduction="none", eps=1e-7,
                                         validate=True):
    """torchvision/ops/giou_loss.py ``generalized_box_iou_loss`` (from fvcore)."""
    boxes1 = _tv_upcast_non_float(boxes1)
    boxes2 = _tv_upcast_non_float(boxes2)
    intsctk, unionk = _tv_loss_inter_union(boxes1, boxes2)
    iouk = intsctk / (unionk + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    # smallest enclosing box
    xc1 = _box_torch.min(x1, x1g)
    yc1 = _box_torch.min(y1, y1g)
    xc2 = _box_torch.max(x2, x2g)
    yc2 = _box_torch.max(y2, y2g)
    area_c = (xc2 - xc1) * (yc2 - yc1)
    miouk = iouk - ((area_c - unionk) / (area_c + eps))
    loss = 1 - miouk
    return _tv_reduce(loss, reduction)


def _tv_diou_iou_loss(boxes1, boxes2, eps=1e-7):
    """torchvision/ops/diou_loss.py ``_diou_iou_loss``."""
    intsct, union = _tv_loss_inter_union(boxes1, boxes2)
    iou = intsct / (union + eps)
    # smallest enclosing box
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xc1 = _box_torch.min(x1, x1g)
    yc1 = _box_torch.min(y1, y1g)
    xc2 = _box_torch.max(x2, x2g)
    yc2 = _box_torch.max(y2, y2g)
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
    """torchvision/ops/diou_loss.py ``distance_box_iou_loss`` (from detectron2)."""
    boxes1 = _tv_upcast_non_float(boxes1)
    boxes2 = _tv_upcast_non_float(boxes2)
    loss, _ = _tv_diou_iou_loss(boxes1, boxes2, eps)
    return _tv_reduce(loss, reduction)


def torchvision_complete_box_iou_loss(boxes1, boxes2, *, reduction="none", eps=1e-7,
                                      validate=True):
    """torchvision/ops/ciou_loss.py ``complete_box_iou_loss`` (from detectron2).

    As in torchvision, ``eps`` reaches only alpha: ``_diou_iou_loss(boxes1, boxes2)`` is called
    with its default eps (lossbook uses ``eps`` everywhere; the two agree at eps = 1e-7).
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
    v = (4 / (_box_torch.pi**2)) * _box_torch.pow(
        (_box_torch.atan(w_gt / h_gt) - _box_torch.atan(w_pred / h_pred)), 2)
    with _box_torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    loss = diou_loss + alpha * v
    return _tv_reduce(loss, reduction)


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


_BOX_OPTIONS = [*_reductions(), *_reductions(eps=0.0), *_reductions(eps=1e-3)]
_BOX_TAGS = frozenset({"reduction", "float_input", "non_empty"})

BOX: list[Case] = [
    Case(_box.box_iou_loss, torchvision_box_iou_loss, _box_pairs,
         grad=_box.box_iou_loss_grad, options=_BOX_OPTIONS, tags=_BOX_TAGS),
    Case(_box.generalized_box_iou_loss, torchvision_generalized_box_iou_loss, _box_pairs,
         grad=_box.generalized_box_iou_loss_grad, options=_BOX_OPTIONS, tags=_BOX_TAGS),
    Case(_box.distance_box_iou_loss, torchvision_distance_box_iou_loss, _box_pairs,
         grad=_box.distance_box_iou_loss_grad, options=_BOX_OPTIONS, tags=_BOX_TAGS),
    # torchvision's CIoU passes eps to alpha only (its docstring above): registered at the
    # default eps, where the two definitions agree; tests/test_box.py covers other eps.
    Case(_box.complete_box_iou_loss, torchvision_complete_box_iou_loss, _box_pairs,
         grad=_box.complete_box_iou_loss_grad, options=_reductions(),
         tags=_BOX_TAGS | {"frozen_term"}),
    Case(_box.complete_box_iou_loss, torchvision_complete_box_iou_loss,
         lambda rng: tuple(b[4] for b in _box_pairs(rng)),  # one (4,) pair: a 0-d loss
         grad=_box.complete_box_iou_loss_grad, options=_reductions(),
         tags=_BOX_TAGS | {"frozen_term"}),
]

# --- multi-class hinge (lossbook/hinge.py) ----------------------------------------------------
import torch.nn.functional as _hinge_F  # noqa: E402

from lossbook import hinge as _hinge_mod  # noqa: E402

_HINGE_MARGINS = (0.0, 0.5, 1.0)  # every margin tested: the hinge's kinks sit at z = 0


def _away_from_kinks(rng: np.random.Generator, draw, kinks) -> tuple[np.ndarray, ...]:
    """Draw until every hinge argument the inputs give is 0.05 or more away from 0."""
    while True:
        inputs = draw(rng)
        if min(np.abs(z).min() for z in kinks(*inputs)) > 0.05:
            return inputs


def _multi_margin_inputs(rng: np.random.Generator, n: int | None = 6) -> tuple[np.ndarray, ...]:
    """Scores (6, 5) (or (5,)) and class indices; z = m - x_y + x_j away from 0 for every m
    tested, with both signs of z present."""
    def draw(rng):
        x = rng.normal(0.0, 1.5, size=(5,) if n is None else (n, 5))
        y = rng.integers(0, 5, size=() if n is None else (n,))
        return x, y

    def kinks(x, y):
        xs, ys = np.atleast_2d(x), np.atleast_1d(y)
        d = xs - xs[np.arange(len(ys)), ys][:, None]
        others = np.arange(5)[None, :] != ys[:, None]
        return [(m + d)[others] for m in _HINGE_MARGINS]

    return _away_from_kinks(rng, draw, kinks)


def _multilabel_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Scores (5, 4) and label lists padded with -1: two labels, one label repeated, none,
    all four, and entries after the -1 that must be ignored; 1 - x_j + x_i away from 0."""
    target = np.array([[3, 0, -1, 1], [1, 1, -1, 0], [-1, 2, 2, 2], [0, 1, 2, 3], [2, -1, -1, -1]])

    def draw(rng):
        return rng.normal(0.0, 1.5, size=(5, 4)), target

    def kinks(x, y):
        return [1 - x[:, :, None] + x[:, None, :]]

    return _away_from_kinks(rng, draw, kinks)


def _soft_margin_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return 3.0 * rng.normal(size=(4, 5)), rng.choice([-1.0, 1.0], size=(4, 5))


def _multilabel_soft_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Logits (2, 3, 4) (classes last) and targets: hard 0/1 labels and soft ones."""
    target = rng.uniform(0.05, 0.95, size=(2, 3, 4))
    hard = rng.random(size=target.shape) < 0.5
    return 3.0 * rng.normal(size=(2, 3, 4)), np.where(hard, np.round(target), target)


_HINGE_W5 = np.array([0.5, 1.0, 2.0, 0.25, 1.5])
_HINGE_TAGS = frozenset({"reduction", "float_input", "non_empty"})

HINGE: list[Case] = [
    Case(_hinge_mod.multi_margin_loss, _hinge_F.multi_margin_loss, _multi_margin_inputs,
         grad=_hinge_mod.multi_margin_loss_grad,
         options=[*_reductions(), *_reductions(p=2), *_reductions(margin=0.0),
                  *_reductions(margin=0.5, weight=_HINGE_W5),
                  *_reductions(p=2, margin=0.5, weight=_HINGE_W5)],
         tags=_HINGE_TAGS),
    Case(_hinge_mod.multi_margin_loss, _hinge_F.multi_margin_loss,
         lambda rng: _multi_margin_inputs(rng, None),  # (C,) scores, a 0-d target
         grad=_hinge_mod.multi_margin_loss_grad,
         options=[*_reductions(), *_reductions(p=2, weight=_HINGE_W5)], tags=_HINGE_TAGS),
    Case(_hinge_mod.multilabel_margin_loss, _hinge_F.multilabel_margin_loss, _multilabel_inputs,
         grad=_hinge_mod.multilabel_margin_loss_grad, options=_reductions(),
         tags=_HINGE_TAGS | {"elementwise"}),
    Case(_hinge_mod.multilabel_margin_loss, _hinge_F.multilabel_margin_loss,
         lambda rng: tuple(a[0] for a in _multilabel_inputs(rng)),  # (C,) scores
         grad=_hinge_mod.multilabel_margin_loss_grad, options=_reductions(),
         tags=_HINGE_TAGS | {"elementwise"}),
    Case(_hinge_mod.soft_margin_loss, _hinge_F.soft_margin_loss, _soft_margin_inputs,
         grad=_hinge_mod.soft_margin_loss_grad, options=_reductions(),
         tags=_HINGE_TAGS | {"elementwise"}),
    Case(_hinge_mod.multilabel_soft_margin_loss, _hinge_F.multilabel_soft_margin_loss,
         _multilabel_soft_inputs, grad=_hinge_mod.multilabel_soft_margin_loss_grad,
         options=[*_reductions(), *_reductions(weight=np.array([0.5, 1.0, 2.0, 0.0])),
                  *_reductions(weight=np.linspace(0.2, 1.8, 12).reshape(3, 4))],
         tags=_HINGE_TAGS | {"elementwise"}),
]

# --- perceptual (lossbook/perceptual.py) --------------------------------------------------------
# feature_loss takes lists of feature maps, one per layer, which ``compare`` and the generic
# rules (written for array arguments) cannot pass: its cases are kept here, outside CASES, and
# tests/test_perceptual.py runs them on the three backends with a list-aware comparison.
import torch as _perc_torch  # noqa: E402

from lossbook import perceptual as _perceptual  # noqa: E402


def lpips_normalize_tensor(in_feat, eps=1e-10):
    """LPIPS's ``normalize_tensor`` (richzhang/PerceptualSimilarity, lpips/__init__.py)::

        norm_factor = torch.sqrt(torch.sum(in_feat**2,dim=1,keepdim=True))
        return in_feat/(norm_factor+eps)
    """
    norm_factor = _perc_torch.sqrt(_perc_torch.sum(in_feat**2, dim=1, keepdim=True))
    return in_feat / (norm_factor + eps)


def torch_feature_loss(features_input, features_target, *, weights=None, p=2, normalize=False,
                       eps=1e-10, reduction="mean", validate=True):
    """The weighted feature distance written directly in PyTorch: per layer, LPIPS's
    ``normalize_tensor`` if asked, then ``F.mse_loss`` (p = 2, Johnson et al. 2016's feature
    reconstruction loss, 1/(C H W) ||phi(x) - phi(y)||^2) or ``F.l1_loss`` (p = 1) per sample,
    times the layer's weight (per channel for an array), summed over layers."""
    import torch.nn.functional as F

    total = 0
    for layer, (a, b) in enumerate(zip(features_input, features_target, strict=True)):
        if normalize:
            a, b = lpips_normalize_tensor(a, eps), lpips_normalize_tensor(b, eps)
        distance = F.mse_loss if p == 2 else F.l1_loss
        per_element = distance(a, b, reduction="none")
        w = 1.0 if weights is None else weights[layer]
        if isinstance(w, _perc_torch.Tensor):
            w = w.reshape(1, -1, *([1] * (a.dim() - 2)))
        total = total + (per_element * w).flatten(1).mean(dim=1)
    if reduction == "mean":
        return total.mean()
    if reduction == "sum":
        return total.sum()
    return total


def lpips_distance(features0, features1, lin_weights):
    """LPIPS's distance from given features (richzhang/PerceptualSimilarity, lpips/lpips.py,
    ``LPIPS.forward`` with ``lpips=True, spatial=False``): normalize_tensor, squared difference,
    the 1x1 ``NetLinLayer`` convolution (no bias) with weights ``lin_weights[l]`` of shape
    (C_l,), ``spatial_average`` (mean over H, W), summed over the layers. Shape (N, 1, 1, 1)."""
    import torch.nn.functional as F

    val = 0
    for f0, f1, w in zip(features0, features1, lin_weights, strict=True):
        diff = (lpips_normalize_tensor(f0) - lpips_normalize_tensor(f1)) ** 2
        res = F.conv2d(diff, w.reshape(1, -1, 1, 1)).mean([2, 3], keepdim=True)
        val = val + res
    return val


def _feature_maps(rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Three layers of one batch of 3: (3, 4, 5, 6), (3, 8, 2, 3) and a pooled (3, 5); the
    targets nearby, so no difference is exactly 0 (the kink of p = 1)."""
    shapes = [(3, 4, 5, 6), (3, 8, 2, 3), (3, 5)]
    features = [rng.normal(size=s) for s in shapes]
    targets = [f + rng.choice([-1.0, 1.0], size=f.shape) * rng.uniform(0.05, 1.0, size=f.shape)
               for f in features]
    return features, targets


_PERC_WEIGHTS = [0.5, np.linspace(0.0, 2.0, 8), 2.0]

PERCEPTUAL: list[Case] = [
    Case(_perceptual.feature_loss, torch_feature_loss, _feature_maps,
         grad=_perceptual.feature_loss_grad,
         options=[*_reductions(), *_reductions(p=1), *_reductions(weights=_PERC_WEIGHTS),
                  *_reductions(normalize=True), *_reductions(normalize=True, p=1),
                  *_reductions(normalize=True, weights=_PERC_WEIGHTS, eps=0.0)],
         tags=frozenset({"reduction"})),
]

CASES: list[Case] = [
    *INFORMATION, *CLASSIFICATION, *BINARY, *REGRESSION, *FOCAL, *SEGMENTATION, *EMBEDDING, *BOX,
    *HINGE,
]
