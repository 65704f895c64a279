"""The benchmark table: every benchmarked loss, grouped by family, one ``Bench`` each.

A family is one entry of ``FAMILIES`` (family name -> function returning its ``Bench`` list);
adding a family that has landed in lossbook means adding one function and one entry. Each
``Bench`` says how to build:

* the adversarial accuracy suite (``suite()``: labelled groups of float64 NumPy inputs, each
  with the reason PyTorch is expected to lose accuracy there, if it does) and the 50-digit
  mpmath ground truth of the per-element loss (``truth(*inputs)``, reduction="none");
* realistic speed inputs (``speed_inputs(n, dtype, gen)``) for forward + backward;
* the twins: PyTorch's own function (or the registry's wrapper of the reference a family
  follows), and MONAI where MONAI has the loss.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import torch
import torch.nn.functional as F

from lossbook import (
    binary,
    box,
    classification,
    focal,
    hinge,
    information,
    margin,
    perceptual,
    primitives,
    regression,
    segmentation,
)
from lossbook.testing import twins

__all__ = ["FAMILIES", "Bench", "Group", "all_benches"]

mp = mpmath.mp
DPS = 50


@dataclass(frozen=True)
class Group:
    """One labelled group of adversarial inputs (float64 NumPy arrays)."""

    label: str
    inputs: tuple[np.ndarray, ...]
    why: str = ""  # why PyTorch (or MONAI) loses accuracy here, if it does


@dataclass(frozen=True)
class Bench:
    """One benchmarked loss."""

    family: str
    ours: Callable[..., Any]
    twin: Callable[..., Any] | None  # PyTorch's function or the reference wrapper, same options
    twin_name: str
    suite: Callable[[], list[Group]]
    truth: Callable[..., np.ndarray]  # mpmath values of the reduction="none" output
    speed_inputs: Callable[[int, torch.dtype, torch.Generator], tuple[torch.Tensor, ...]]
    options: dict[str, Any] = field(default_factory=dict)  # shared by ours and the twins
    accuracy_options: dict[str, Any] = field(default_factory=dict)  # overrides for the suite
    # (the suite always runs reduction="none" and lossbook with validate=True)
    monai: Callable[[], Callable[..., Any]] | None = None  # builds MONAI's callable
    monai_name: str = ""
    twin_is_fused: bool = True  # a native PyTorch kernel (the 1.5x target), not a composition
    elementwise: bool = False  # the bandwidth target applies
    size_label: Callable[[int], str] = lambda n: f"{n:,} floats"

    @property
    def name(self) -> str:
        return self.ours.__name__

    def ours_kwargs(self, **extra: Any) -> dict[str, Any]:
        """Options for lossbook, with ``validate=False`` (training mode) where it exists."""
        kw = dict(self.options, **extra)
        if "validate" in inspect.signature(self.ours).parameters:
            kw.setdefault("validate", False)
        return kw


# ---------------------------------------------------------------------------------------------
# mpmath helpers: exact conversion of float64 inputs, elementwise maps over arrays.


def _m(x: float) -> mpmath.mpf:
    return mpmath.mpf(float(x))


def _map(fn: Callable[..., Any], *arrays: np.ndarray) -> np.ndarray:
    """``fn`` on mpf scalars, elementwise over same-shaped arrays; an object array of mpf."""
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    flat = [np.broadcast_to(a, shape).ravel() for a in arrays]
    out = np.empty(len(flat[0]), dtype=object)
    with mpmath.workdps(DPS):
        for i, values in enumerate(zip(*flat, strict=True)):
            finite = all(math.isfinite(v) for v in values)
            out[i] = fn(*(_m(v) for v in values)) if finite else mpmath.nan
    return out.reshape(shape)


def _rows(fn: Callable[..., Any], *arrays: np.ndarray, axis: int = -1) -> np.ndarray:
    """``fn`` on lists of mpf (one row along ``axis`` per argument, or a scalar for 1-d
    arguments such as class indices); the result has the other axes' shape."""
    moved = [np.moveaxis(a, axis, -1) if a.ndim > 1 else a for a in arrays]
    shape = moved[0].shape[:-1]
    out = np.empty(shape, dtype=object)
    with mpmath.workdps(DPS):
        for idx in np.ndindex(shape):
            if not all(np.isfinite(a[idx]).all() for a in moved):
                out[idx] = mpmath.nan  # a float32 rounding overflowed: no finite truth
                continue
            args = [
                [_m(v) for v in a[idx]] if a.ndim == len(shape) + 1 else a[idx] for a in moved
            ]
            out[idx] = fn(*args)
    return out


def _softplus(x: mpmath.mpf) -> mpmath.mpf:
    return mpmath.log1p(mpmath.exp(x)) if x < 0 else x + mpmath.log1p(mpmath.exp(-x))


def _bce_logit(x: mpmath.mpf, y: mpmath.mpf) -> mpmath.mpf:
    """softplus(x) - x y without cancellation: (1 - y) x + log1p(e^-x) for x >= 0."""
    if x >= 0:
        return (1 - y) * x + mpmath.log1p(mpmath.exp(-x))
    return mpmath.log1p(mpmath.exp(x)) - x * y


def _xlogy(x: mpmath.mpf, y: mpmath.mpf) -> mpmath.mpf:
    return mpmath.mpf(0) if x == 0 else x * mpmath.log(y)


def _lse(row: list[mpmath.mpf]) -> mpmath.mpf:
    m = max(row)
    return m + mpmath.log(mpmath.fsum(mpmath.exp(v - m) for v in row))


def _grad_input(gen: torch.Generator, shape: tuple[int, ...], dtype: torch.dtype,
                scale: float = 1.0) -> torch.Tensor:
    return (scale * torch.randn(shape, generator=gen, dtype=dtype)).requires_grad_()


def _cols(n: int, width: int = 1024) -> tuple[int, int]:
    return max(n // width, 1), width


# ---------------------------------------------------------------------------------------------
# regression: residuals from 1e-300 to 1e300, near-equal input and target, the kink met exactly.

_POWERS = np.array([1e-300, 1e-200, 1e-100, 1e-20, 1e-5, 0.3, 1.0, 1.5, 1e5, 1e20, 1e100,
                    1e150, 1e200, 1e300])


def _regression_suite() -> list[Group]:
    r = np.concatenate([_POWERS, -_POWERS])
    t = np.array([1.0, 1e8, -3.7, 1e300, 2.0**-1070])
    near = np.nextafter(t, np.inf)
    return [
        Group("residuals +-1e-300 .. 1e300 (target 0)", (r, np.zeros_like(r))),
        Group("residuals 1e-300 .. 1e300 around a target of 7", (7.0 + _POWERS[6:], np.full(8, 7.0))),
        Group("near-equal input and target (one ulp)", (near, t)),
        Group("equal input and target, residual 1 (the kink)", (np.array([2.0, 0.0, 5.0]),
                                                                np.array([2.0, -1.0, 4.0]))),
    ]


def _speed_pair(n: int, dtype: torch.dtype, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    shape = _cols(n)
    return _grad_input(gen, shape, dtype), torch.randn(shape, generator=gen, dtype=dtype)


def _smooth_l1(r: mpmath.mpf, beta: float = 1.0) -> mpmath.mpf:
    a = abs(r)
    return 0.5 * r * r / beta if a < beta else a - 0.5 * beta


def _huber(r: mpmath.mpf, delta: float = 1.0) -> mpmath.mpf:
    a = abs(r)
    return 0.5 * r * r if a <= delta else delta * (a - 0.5 * delta)


def _regression() -> list[Bench]:
    common = dict(family="regression", suite=_regression_suite, speed_inputs=_speed_pair,
                  elementwise=True)
    return [
        Bench(ours=regression.mse_loss, twin=F.mse_loss, twin_name="F.mse_loss",
              truth=lambda x, t: _map(lambda a, b: (a - b) ** 2, x, t), **common),
        Bench(ours=regression.l1_loss, twin=F.l1_loss, twin_name="F.l1_loss",
              truth=lambda x, t: _map(lambda a, b: abs(a - b), x, t), **common),
        Bench(ours=regression.smooth_l1_loss, twin=F.smooth_l1_loss, twin_name="F.smooth_l1_loss",
              truth=lambda x, t: _map(lambda a, b: _smooth_l1(a - b), x, t), **common),
        Bench(ours=regression.huber_loss, twin=F.huber_loss, twin_name="F.huber_loss",
              truth=lambda x, t: _map(lambda a, b: _huber(a - b), x, t), **common),
    ]


# ---------------------------------------------------------------------------------------------
# binary: logits up to +-1e4, tiny losses of a dominant correct logit, probabilities down to
# 1e-300 and up to 1 - 1e-16.

_LOGITS = np.array([-1e4, -1e3, -745.0, -100.0, -40.0, -30.0, -1.0, -1e-300, 0.0, 1e-300, 1.0,
                    30.0, 40.0, 100.0, 745.0, 1e3, 1e4])
_PROBS = np.array([5e-324, 1e-300, 1e-200, 1e-50, 1e-17, 1e-8, 0.3, 0.5, 1 - 1e-8, 1 - 2.0**-52,
                   1 - 2.0**-53])


def _grid(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    aa, bb = np.meshgrid(a, b, indexing="ij")
    return aa.ravel(), bb.ravel()


_BCE_WHY = ("PyTorch adds (1 - y) x and the log-sum-exp term log(e^-m + e^(-x-m)) + m, "
            "m = max(-x, 0), as separate terms of size |x|: a loss below ulp(|x|) cancels to 0")


def _logit_suite() -> list[Group]:
    x, y = _grid(_LOGITS, np.array([0.0, 1.0, 0.5, 0.999]))
    dom = np.array([20.0, 30.0, 36.0, 40.0, 100.0, 700.0])
    return [
        Group("logits +-1e4, hard and soft targets", (x, y), why=_BCE_WHY),
        Group("dominant correct logit (loss down to 1e-300)",
              (np.concatenate([dom, -dom]), np.concatenate([np.ones(6), np.zeros(6)])),
              why=_BCE_WHY),
    ]


def _probability_suite() -> list[Group]:
    p, y = _grid(_PROBS, np.array([0.0, 1.0, 0.3]))
    return [
        Group("probabilities 5e-324 .. 1 - 2^-53, targets 0, 1, 0.3", (p, y),
              why="PyTorch clamps each log at -100 (binary_cross_entropy, Loss.cpp), so any "
                  "p < e^-100 = 3.7e-44 on the wrong side gives 100 instead of -log p"),
    ]


def _speed_logits(n: int, dtype: torch.dtype, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    shape = _cols(n)
    return (_grad_input(gen, shape, dtype, 3.0),
            (torch.rand(shape, generator=gen) < 0.3).to(dtype))


def _speed_probs(n: int, dtype: torch.dtype, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    shape = _cols(n)
    p = (0.01 + 0.98 * torch.rand(shape, generator=gen, dtype=dtype)).requires_grad_()
    return p, (torch.rand(shape, generator=gen) < 0.3).to(dtype)


def _bce(p: mpmath.mpf, y: mpmath.mpf) -> mpmath.mpf:
    tail = mpmath.mpf(0) if y == 1 else (1 - y) * mpmath.log1p(-p)
    return -(_xlogy(y, p) + tail)


def _binary() -> list[Bench]:
    return [
        Bench(family="binary", ours=binary.binary_cross_entropy_with_logits,
              twin=F.binary_cross_entropy_with_logits, twin_name="F.binary_cross_entropy_with_logits",
              suite=_logit_suite, truth=lambda x, y: _map(_bce_logit, x, y),
              speed_inputs=_speed_logits, elementwise=True),
        Bench(family="binary", ours=binary.binary_cross_entropy, twin=F.binary_cross_entropy,
              twin_name="F.binary_cross_entropy", suite=_probability_suite,
              truth=lambda p, y: _map(_bce, p, y), speed_inputs=_speed_probs, elementwise=True),
        Bench(family="binary", ours=primitives.log_sigmoid, twin=F.logsigmoid,
              twin_name="F.logsigmoid",
              suite=lambda: [Group("logits +-1e4", (_LOGITS,))],
              truth=lambda x: _map(lambda a: -_softplus(-a), x),
              speed_inputs=lambda n, d, g: (_grad_input(g, _cols(n), d, 3.0),),
              elementwise=True),
    ]


# ---------------------------------------------------------------------------------------------
# classification: rows of 5 logits; huge, near-equal, and a dominant correct logit.

_CE_ROWS = np.array([
    [1e4, -1e4, 0.0, 5e3, 1e4 - 1],
    [-1e4, -1e4, -1e4, -1e4, -1e4 + 1e-12],
    [1.0, 1.0 + 2.0**-52, 1.0, 1.0, 1.0],
    [1e-300, 0.0, -1e-300, 0.0, 0.0],
    [50.0, 0.0, 0.0, 0.0, 0.0],
    [37.0, 0.0, 0.0, 0.0, 0.0],
    [700.0, 0.0, 0.0, 0.0, 0.0],
    [1e4, 0.0, -1e4, 0.0, 1e4 - 740],
    [3.0, -2.0, 0.5, 1.0, -0.25],
])
_CE_TARGETS = np.array([0, 4, 1, 2, 0, 0, 0, 0, 3])


def _ce_suite() -> list[Group]:
    return [
        Group("logits +-1e4, near-equal logits", (_CE_ROWS[:4], _CE_TARGETS[:4])),
        Group("dominant correct logit (loss 4e^-50 .. 4e^-700)", (_CE_ROWS[4:8], _CE_TARGETS[4:8]),
              why="log_softmax = x - logsumexp(x) rounds logsumexp to the top logit, so a loss "
                  "below half an ulp of it becomes exactly 0 (lossbook splits off log1p)"),
        Group("ordinary logits", (_CE_ROWS[8:], _CE_TARGETS[8:])),
    ]


def _others(row: list[mpmath.mpf], k: int) -> mpmath.mpf:
    """sum_{j != k} exp(x_j - x_k): CE = log1p of it, with no cancellation against x_k."""
    return mpmath.fsum(mpmath.exp(v - row[k]) for j, v in enumerate(row) if j != k)


def _ce_truth(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _rows(lambda row, k: mpmath.log1p(_others(row, int(k))), x, y)


def _focal_truth(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    def one(row, k):
        s = _others(row, int(k))
        return (s / (1 + s)) ** 2 * mpmath.log1p(s)  # (1 - p_t)^2 (-log p_t)
    return _rows(one, x, y)


def _speed_ce(n: int, dtype: torch.dtype, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    rows, c = _cols(n, 1000)
    return (_grad_input(gen, (rows, c), dtype, 2.0),
            torch.randint(0, c, (rows,), generator=gen))


def _ce_size(n: int) -> str:
    rows, c = _cols(n, 1000)
    return f"N={rows}, C={c}"


def _classification() -> list[Bench]:
    return [
        Bench(family="classification", ours=classification.cross_entropy, twin=F.cross_entropy,
              twin_name="F.cross_entropy", suite=_ce_suite, truth=_ce_truth,
              speed_inputs=_speed_ce, size_label=_ce_size,
              options={}),
    ]


# ---------------------------------------------------------------------------------------------
# information: kl_div (PyTorch's KLDivLoss) and entropy, probabilities down to 1e-300.

def _kl_suite() -> list[Group]:
    t, q = _grid(np.array([0.0, 1e-300, 1e-100, 1e-10, 0.3, 1 - 1e-16]),
                 np.array([1e-300, 1e-20, 0.25, 0.7, 0.9]))
    near = np.array([0.3, 0.7, 1e-300, 1e-10])
    return [
        Group("target 0 .. 1 - 1e-16, input log q, q down to 1e-300", (np.log(q), t)),
        Group("input = log(target) rounded (pointwise loss near 0)", (np.log(near), near),
              why="t (log t - x) with x = fl(log t): the difference of two nearly equal logs is "
                  "ill-conditioned; float64 cannot carry more than the rounding of log t"),
    ]


def _entropy_suite() -> list[Group]:
    rows = np.array([[0.5, 0.5, 0.0], [1e-300, 1.0, 0.0], [1e-16, 1 - 1e-16, 0.0],
                     [0.0, 1.0, 0.0], [0.2, 0.3, 0.5], [1e-200, 0.5, 0.5]])
    return [Group("distributions with entries 0, 1e-300, 1 - 1e-16", (rows,))]


def _speed_kl(n: int, dtype: torch.dtype, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    rows, c = _cols(n, 1000)
    logq = torch.log_softmax(torch.randn((rows, c), generator=gen, dtype=dtype), 1)
    return logq.requires_grad_(), torch.softmax(torch.randn((rows, c), generator=gen, dtype=dtype), 1)


def _speed_entropy(n: int, dtype: torch.dtype, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    rows, c = _cols(n, 1000)
    return (torch.softmax(torch.randn((rows, c), generator=gen, dtype=dtype), 1).requires_grad_(),)


def _information() -> list[Bench]:
    return [
        Bench(family="information", ours=information.kl_div, twin=twins.torch_kl_div,
              twin_name="F.kl_div", suite=_kl_suite, options={"reduction": "batchmean"},
              truth=lambda x, t: _map(lambda a, b: _xlogy(b, b) - b * a, x, t),
              speed_inputs=_speed_kl, elementwise=True, size_label=_ce_size),
        Bench(family="information", ours=information.entropy, twin=twins.torch_entropy,
              twin_name="torch.special.entr(p).sum(-1)", suite=_entropy_suite,
              truth=lambda p: _rows(lambda row: -mpmath.fsum(_xlogy(v, v) for v in row), p),
              options={}, speed_inputs=_speed_entropy, twin_is_fused=False, size_label=_ce_size),
    ]


# ---------------------------------------------------------------------------------------------
# focal: torchvision's sigmoid focal loss (MONAI FocalLoss too), softmax focal vs MONAI.

def _sigmoid_focal(x: mpmath.mpf, y: mpmath.mpf, alpha: float = 0.25) -> mpmath.mpf:
    p, q = 1 / (1 + mpmath.exp(-x)), 1 / (1 + mpmath.exp(x))  # sigma(x), 1 - sigma(x)
    one_minus_pt = y * q + (1 - y) * p  # no 1 - p_t subtraction
    at = alpha * y + (1 - alpha) * (1 - y)
    return at * one_minus_pt**2 * _bce_logit(x, y)


def _sigmoid_focal_suite() -> list[Group]:
    x, y = _grid(_LOGITS, np.array([0.0, 1.0]))
    dom = np.array([20.0, 30.0, 36.0, 40.0, 100.0])
    return [
        Group("logits +-1e4, hard targets", (x, y),
              why="torchvision multiplies F.binary_cross_entropy_with_logits (which cancels to "
                  "0 below ulp(|x|), see binary_cross_entropy_with_logits) by (1 - p_t)^gamma"),
        Group("dominant correct logit (tiny loss)",
              (np.concatenate([dom, -dom]), np.concatenate([np.ones(5), np.zeros(5)])),
              why="torchvision forms 1 - p_t from p = sigmoid(x): p rounds to 1 above x = 37, "
                  "so (1 - p_t)^gamma is 0 (and inaccurate well before)"),
    ]


def _monai_sigmoid_focal() -> Callable[..., Any]:
    from monai.losses import FocalLoss

    return FocalLoss(use_softmax=False, gamma=2.0, alpha=0.25, reduction="mean")


def _monai_softmax_focal() -> Callable[..., Any]:
    from monai.losses import FocalLoss

    loss = FocalLoss(use_softmax=True, to_onehot_y=True, gamma=2.0, reduction="mean")
    return lambda x, y: loss(x, y[:, None])


def _focal() -> list[Bench]:
    return [
        Bench(family="focal", ours=focal.sigmoid_focal_loss, twin=twins.torchvision_sigmoid_focal_loss,
              twin_name="torchvision formula", suite=_sigmoid_focal_suite,
              truth=lambda x, y: _map(_sigmoid_focal, x, y), options={"reduction": "mean"}, speed_inputs=_speed_logits,
              monai=_monai_sigmoid_focal, monai_name="monai FocalLoss(sigmoid)",
              twin_is_fused=False, elementwise=True),
        Bench(family="focal", ours=focal.focal_loss, twin=twins.monai_softmax_focal_loss,
              twin_name="MONAI softmax_focal_loss", suite=_ce_suite, truth=_focal_truth,
              options={}, speed_inputs=_speed_ce,
              size_label=_ce_size, monai=_monai_softmax_focal,
              monai_name="monai FocalLoss(softmax)", twin_is_fused=False),
    ]


# ---------------------------------------------------------------------------------------------
# segmentation: (N, C, L) probability maps; empty masks, perfect and near-perfect predictions.

S = 1e-5  # MONAI's and lossbook's default smooth_nr = smooth_dr


def _seg_suite() -> list[Group]:
    t = np.array([[[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]])  # class 1 has an empty mask
    rng = np.random.default_rng(7)
    return [
        Group("empty mask, prediction 0 or 1e-300",
              (np.array([[[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1e-300]]]), t),
              why="1 - ratio computed by subtraction: a loss below 1e-16 is lost (MONAI)"),
        Group("perfect and near-perfect predictions",
              (np.concatenate([t, t * (1 - 1e-12) + 1e-12 * (1 - t), t * (1 - 1e-6)]),
               np.concatenate([t, t, t])),
              why="1 - ratio computed by subtraction: cancellation when the loss is small "
                  "(relative error ~ 1e-16 / loss)"),
        Group("random probabilities, soft targets",
              (rng.uniform(0.0, 1.0, (2, 2, 4)), rng.uniform(0.0, 1.0, (2, 2, 4)))),
    ]


def _dice_truth(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    def one(pr, tr):
        inter = mpmath.fsum(a * b for a, b in zip(pr, tr, strict=True))
        den = mpmath.fsum(pr) + mpmath.fsum(tr)
        return (den - 2 * inter) / (den + S)  # = 1 - (2I + S) / (den + S), exactly
    return _rows(one, p, t)


def _jaccard_truth(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    def one(pr, tr):
        inter = mpmath.fsum(a * b for a, b in zip(pr, tr, strict=True))
        union = mpmath.fsum(pr) + mpmath.fsum(tr) - inter
        return 1 - (inter + S) / (union + S)
    return _rows(one, p, t)


def _tversky_truth(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    def one(pr, tr):
        tp = mpmath.fsum(a * b for a, b in zip(pr, tr, strict=True))
        fp = mpmath.fsum(a * (1 - b) for a, b in zip(pr, tr, strict=True))
        fn = mpmath.fsum((1 - a) * b for a, b in zip(pr, tr, strict=True))
        return 1 - (tp + S) / (tp + 0.5 * fp + 0.5 * fn + S)
    return _rows(one, p, t)


def _speed_seg(n: int, dtype: torch.dtype, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    c = 4
    side = max(math.isqrt(n // (16 * c)), 8)
    x = _grad_input(gen, (16, c, side, side), dtype, 2.0)
    labels = torch.randint(0, c, (16, side, side), generator=gen)
    return x, F.one_hot(labels, c).movedim(-1, 1).to(dtype)


def _seg_size(n: int) -> str:
    side = max(math.isqrt(n // 64), 8)
    return f"16 x 4 x {side} x {side}"


def _monai_dice(**kw: Any) -> Callable[[], Callable[..., Any]]:
    def build():
        from monai.losses import DiceLoss

        return DiceLoss(softmax=True, **kw)
    return build


def _monai_tversky() -> Callable[..., Any]:
    from monai.losses import TverskyLoss

    return TverskyLoss(softmax=True)


def _segmentation() -> list[Bench]:
    common = dict(family="segmentation", suite=_seg_suite, speed_inputs=_speed_seg,
                  options={"softmax": True}, accuracy_options={"softmax": False},
                  twin_is_fused=False, size_label=_seg_size)
    return [
        Bench(ours=segmentation.dice_loss, twin=None, twin_name="(no PyTorch loss)",
              truth=_dice_truth, monai=_monai_dice(), monai_name="monai DiceLoss", **common),
        Bench(ours=segmentation.jaccard_loss, twin=None, twin_name="(no PyTorch loss)",
              truth=_jaccard_truth, monai=_monai_dice(jaccard=True, smooth_nr=2 * S, smooth_dr=2 * S),
              monai_name="monai DiceLoss(jaccard=True)", **common),
        Bench(ours=segmentation.tversky_loss, twin=None, twin_name="(no PyTorch loss)",
              truth=_tversky_truth, monai=_monai_tversky, monai_name="monai TverskyLoss", **common),
    ]


# MONAI is the segmentation losses' accuracy twin (the registry's wrappers, reduction="none").
SEGMENTATION_ACCURACY_TWINS = {
    "dice_loss": twins.monai_dice_loss,
    "jaccard_loss": twins.monai_jaccard_loss,
    "tversky_loss": twins.monai_tversky_loss,
}


# ---------------------------------------------------------------------------------------------
# margin: triplet, margin ranking, hinge, cosine; margins met exactly, scales 1e-200 .. 1e200.

EPS_T = 1e-6  # triplet's pairwise-distance eps
EPS_C = float(np.float32(1e-12))  # cosine's EPSILON, added as a float32 number (see lossbook)


def _triplet_suite() -> list[Group]:
    rng = np.random.default_rng(3)
    a, p, n = (rng.normal(size=(4, 3)) for _ in range(3))
    same = rng.normal(size=(2, 3))
    return [
        Group("random triplets", (a, p, n)),
        Group("scaled by 1e150 and 1e-200", (np.concatenate([a[:2] * 1e150, a[2:] * 1e-200]),
                                             np.concatenate([p[:2] * 1e150, p[2:] * 1e-200]),
                                             np.concatenate([n[:2] * 1e150, n[2:] * 1e-200]))),
        Group("anchor = positive = negative (loss = margin)", (same, same, same)),
    ]


def _triplet_truth(a: np.ndarray, p: np.ndarray, n: np.ndarray) -> np.ndarray:
    def one(ar, pr, nr):
        d_ap = mpmath.sqrt(mpmath.fsum((x - y + EPS_T) ** 2 for x, y in zip(ar, pr, strict=True)))
        d_an = mpmath.sqrt(mpmath.fsum((x - y + EPS_T) ** 2 for x, y in zip(ar, nr, strict=True)))
        return max(mpmath.mpf(0), 1 + d_ap - d_an)
    return _rows(one, a, p, n)


def _ranking_suite() -> list[Group]:
    x2 = np.array([0.0, 1.0, -5.0, 1e300, 1e-300, 3.0])
    return [Group("margin met exactly, scores 1e-300 .. 1e300",
                  (np.concatenate([x2 + 0.5, x2 - 0.5, x2 + 0.25]), np.concatenate([x2, x2, x2]),
                   np.concatenate([np.ones(6), -np.ones(6), -np.ones(6)])))]


def _hinge_suite() -> list[Group]:
    x, y = _grid(np.array([0.0, 1.0, 1 - 2.0**-53, 1e-300, 0.5, 3.0, 1e300]), np.array([1.0, -1.0]))
    return [Group("distances 0 .. 1e300, margin 1 met exactly", (x, y))]


def _cosine_suite() -> list[Group]:
    rng = np.random.default_rng(5)
    u = rng.normal(size=(3, 4))
    v = rng.normal(size=(3, 4))
    return [
        Group("random pairs", (u, v, np.array([1.0, -1.0, -1.0]))),
        Group("scaled by 1e10 and 1e-3", (np.concatenate([u[:1] * 1e10, u[1:2] * 1e-3]),
                                          np.concatenate([v[:1] * 1e10, v[1:2] * 1e-3]),
                                          np.array([1.0, 1.0])),
              why="PyTorch takes the square root of the product of the squared norms, which "
                  "overflows float32 once |u||v| > 1.8e19: the cosine becomes 0"),
        Group("nearly parallel pairs (1 - cos ~ 1e-18 .. 1e-8)",
              (np.concatenate([u, u]), np.concatenate([u + 1e-9 * v, u + 1e-4 * v]), np.ones(6)),
              why="1 - cos computed by subtraction after rounding cos: a loss below ~1e-16 is "
                  "lost, relative error ~ 1e-16 / loss"),
    ]


def _cosine_truth(u: np.ndarray, v: np.ndarray, y: np.ndarray) -> np.ndarray:
    def one(ur, vr, label):
        dot = mpmath.fsum(a * b for a, b in zip(ur, vr, strict=True))
        nu = mpmath.fsum(a * a for a in ur) + _m(EPS_C)
        nv = mpmath.fsum(b * b for b in vr) + _m(EPS_C)
        cos = dot / mpmath.sqrt(nu * nv)
        return 1 - cos if label > 0 else max(mpmath.mpf(0), cos)
    return _rows(one, u, v, y)


def _speed_rows(k: int) -> Callable[..., tuple[torch.Tensor, ...]]:
    def make(n: int, dtype: torch.dtype, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
        shape = _cols(n, 128)
        arrays = [_grad_input(gen, shape, dtype)]
        arrays += [torch.randn(shape, generator=gen, dtype=dtype) for _ in range(k - 1)]
        return tuple(arrays)
    return make


def _speed_labelled(n: int, dtype: torch.dtype, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    rows, d = _cols(n, 128)
    x1 = _grad_input(gen, (rows, d), dtype)
    x2 = torch.randn((rows, d), generator=gen, dtype=dtype)
    return x1, x2, torch.where(torch.rand(rows, generator=gen) < 0.5, -1.0, 1.0).to(dtype)


def _speed_ranking(n: int, dtype: torch.dtype, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    shape = _cols(n)
    return (_grad_input(gen, shape, dtype), torch.randn(shape, generator=gen, dtype=dtype),
            torch.where(torch.rand(shape, generator=gen) < 0.5, -1.0, 1.0).to(dtype))


def _speed_hinge(n: int, dtype: torch.dtype, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    shape = _cols(n)
    return (torch.rand(shape, generator=gen, dtype=dtype).mul(2).requires_grad_(),
            torch.where(torch.rand(shape, generator=gen) < 0.5, -1.0, 1.0).to(dtype))


def _rows_size(n: int) -> str:
    rows, d = _cols(n, 128)
    return f"N={rows}, D={d}"


def _margin() -> list[Bench]:
    return [
        Bench(family="margin", ours=margin.triplet_margin_loss, twin=F.triplet_margin_loss,
              twin_name="F.triplet_margin_loss", suite=_triplet_suite, truth=_triplet_truth, speed_inputs=_speed_rows(3),
              size_label=_rows_size),
        Bench(family="margin", ours=margin.margin_ranking_loss, twin=F.margin_ranking_loss,
              twin_name="F.margin_ranking_loss", suite=_ranking_suite,
              options={"margin": 0.5},
              truth=lambda a, b, y: _map(lambda p, q, s: max(mpmath.mpf(0), -s * (p - q) + 0.5),
                                         a, b, y),
              speed_inputs=_speed_ranking, elementwise=True),
        Bench(family="margin", ours=margin.hinge_embedding_loss, twin=F.hinge_embedding_loss,
              twin_name="F.hinge_embedding_loss", suite=_hinge_suite,
              truth=lambda x, y: _map(lambda a, s: a if s > 0 else max(mpmath.mpf(0), 1 - a), x, y),
              speed_inputs=_speed_hinge, elementwise=True),
        Bench(family="margin", ours=margin.cosine_embedding_loss,
              twin=F.cosine_embedding_loss, twin_name="F.cosine_embedding_loss",
              suite=_cosine_suite, truth=_cosine_truth,
              speed_inputs=_speed_labelled, size_label=_rows_size),
    ]


# ---------------------------------------------------------------------------------------------
# box: nearly identical boxes (1 - IoU down to 3e-12), tiny, huge and distant boxes; eps = 1e-7.

_BOX_EPS = 1e-7


def _box_truths(b1: list[mpmath.mpf], b2: list[mpmath.mpf]) -> dict[str, mpmath.mpf]:
    x1, y1, x2, y2 = b1
    X1, Y1, X2, Y2 = b2
    eps = _m(_BOX_EPS)
    inter = max(min(x2, X2) - max(x1, X1), 0) * max(min(y2, Y2) - max(y1, Y1), 0)
    union = (x2 - x1) * (y2 - y1) + (X2 - X1) * (Y2 - Y1) - inter
    iou_loss = 1 - inter / (union + eps)
    cw, ch = max(x2, X2) - min(x1, X1), max(y2, Y2) - min(y1, Y1)
    diou = iou_loss + (((x1 + x2 - X1 - X2) / 2) ** 2 + ((y1 + y2 - Y1 - Y2) / 2) ** 2) / (
        cw**2 + ch**2 + eps)
    v = 4 / mpmath.pi**2 * (mpmath.atan2(X2 - X1, Y2 - Y1) - mpmath.atan2(x2 - x1, y2 - y1)) ** 2
    if (x1 == x2 and y1 == y2) or (X1 == X2 and Y1 == Y2):
        v = mpmath.mpf(0)  # a point box has no aspect ratio (lossbook.box)
    return {"iou": iou_loss, "giou": iou_loss + (cw * ch - union) / (cw * ch + eps),
            "diou": diou, "ciou": diou + v / (iou_loss + v + eps) * v}


def _box_truth(kind: str) -> Callable[..., np.ndarray]:
    return lambda b1, b2: _rows(lambda r1, r2: _box_truths(r1, r2)[kind], b1, b2)


def _box_suite() -> list[Group]:
    target = np.array([[0.1, 0.2, 1.3, 1.1]] * 4)
    step = np.array([1.0, -0.7, 0.3, 1.0])
    near = target + np.array([1e-3, 1e-6, 1e-9, 1e-12])[:, None] * step
    far = (np.array([[0.0, 0.0, 1e-8, 1e-8], [0.0, 0.0, 1.0, 1.0], [-3.0, 1.0, 7.0, 1.5]]),
           np.array([[0.0, 0.0, 1e8, 1e8], [1e12, 1e12, 1e12 + 1.0, 1e12 + 2.0],
                     [-2.9, 1.1, 7.1, 1.6]]))
    return [
        Group("nearly identical boxes (1 - IoU 3e-3 .. 3e-12, plus eps / area)", (near, target),
              why="torchvision forms 1 - iou and |C| - |U| by subtraction after rounding: "
                  "relative error ~ 1e-16 / loss (lossbook writes both as sums of products of "
                  "non-negative offsets)"),
        Group("tiny, huge and distant boxes", far),
    ]


def _speed_boxes(n: int, dtype: torch.dtype, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    rows = max(n // 4, 1)
    xy = 100 * torch.rand((rows, 2), generator=gen, dtype=dtype)
    b1 = torch.cat([xy, xy + 1 + 20 * torch.rand((rows, 2), generator=gen, dtype=dtype)], dim=1)
    b2 = b1 + 3 * torch.randn((rows, 4), generator=gen, dtype=dtype)
    b2 = torch.cat([b2[:, :2], torch.maximum(b2[:, 2:], b2[:, :2] + 0.5)], dim=1)
    return b1.requires_grad_(), b2


def _box() -> list[Bench]:
    common = dict(family="box", suite=_box_suite, speed_inputs=_speed_boxes, twin_is_fused=False,
                  size_label=lambda n: f"N={max(n // 4, 1):,} boxes")
    return [
        Bench(ours=box.box_iou_loss, twin=twins.torchvision_box_iou_loss,
              twin_name="torchvision's formula", truth=_box_truth("iou"), **common),
        Bench(ours=box.generalized_box_iou_loss, twin=twins.torchvision_generalized_box_iou_loss,
              twin_name="torchvision's formula", truth=_box_truth("giou"), **common),
        Bench(ours=box.distance_box_iou_loss, twin=twins.torchvision_distance_box_iou_loss,
              twin_name="torchvision's formula", truth=_box_truth("diou"), **common),
        Bench(ours=box.complete_box_iou_loss, twin=twins.torchvision_complete_box_iou_loss,
              twin_name="torchvision's formula", truth=_box_truth("ciou"), **common),
    ]


# ---------------------------------------------------------------------------------------------
# hinge: scores next to 1e16 (a margin of 1 beside them), logits up to +-1e4.

_BIG_ROWS = np.array([[1e16, 1e16 + 2.0, 1e16 - 4.0, 1e16], [3.0, -2.0, 0.5, 2.0],
                      [-1e4, 1e4, 0.0, -1e4 + 1.0], [1.0, 0.0, 0.0, -1.0]])
_MARGIN_WHY = ("PyTorch forms (margin - x_y) + x_j: next to scores of 1e16 the margin is lost "
               "(lossbook forms the difference of the scores first)")


def _multi_margin_suite() -> list[Group]:
    return [Group("scores near 1e16 and +-1e4, margins met exactly", (_BIG_ROWS,
                                                                       np.array([0, 3, 1, 0])),
                  why=_MARGIN_WHY)]


def _multilabel_suite() -> list[Group]:
    labels = np.array([[0, -1, 0, 0], [0, 3, -1, 1], [1, 2, -1, -1], [-1, 0, 0, 0]])
    return [Group("scores near 1e16 and +-1e4, labels padded with -1", (_BIG_ROWS, labels),
                  why=_MARGIN_WHY)]


def _multi_margin_truth(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    def one(row, k):
        k = int(k)
        return mpmath.fsum(max(mpmath.mpf(0), 1 - row[k] + v) for j, v in enumerate(row)
                           if j != k) / len(row)
    return _rows(one, x, y)


def _multilabel_truth(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    def one(row, labels):
        listed = []
        for v in labels:
            if v < 0:
                break
            listed.append(int(v))
        others = [v for i, v in enumerate(row) if i not in listed]
        return mpmath.fsum(max(mpmath.mpf(0), 1 - row[j] + v) for j in listed
                           for v in others) / len(row)
    return _rows(one, x, y)


def _multilabel_soft_truth(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _rows(lambda row, t: mpmath.fsum(b * _softplus(-a) + (1 - b) * _softplus(a)
                                            for a, b in zip(row, t, strict=True)) / len(row), x, y)


def _speed_scores(c: int, labels: str) -> Callable[..., tuple[torch.Tensor, ...]]:
    def make(n: int, dtype: torch.dtype, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
        rows = max(n // (c * c if labels == "listed" else c), 1)
        x = _grad_input(gen, (rows, c), dtype, 2.0)
        if labels == "index":
            return x, torch.randint(0, c, (rows,), generator=gen)
        if labels == "listed":
            order = torch.argsort(torch.rand((rows, c), generator=gen), dim=1)
            keep = torch.arange(c)[None, :] < torch.randint(1, 4, (rows, 1), generator=gen)
            return x, torch.where(keep, order, torch.full_like(order, -1))
        return x, (torch.rand((rows, c), generator=gen) < 0.3).to(dtype)
    return make


def _hinge() -> list[Bench]:
    return [
        Bench(family="hinge", ours=hinge.multi_margin_loss, twin=F.multi_margin_loss,
              twin_name="F.multi_margin_loss", suite=_multi_margin_suite,
              truth=_multi_margin_truth, speed_inputs=_speed_scores(1000, "index"),
              size_label=lambda n: f"N={max(n // 1000, 1):,}, C=1000"),
        # lossbook compares every (label, other class) pair at once: (N, C, C) memory, so the
        # speed inputs keep C small and N * C * C about n
        Bench(family="hinge", ours=hinge.multilabel_margin_loss, twin=F.multilabel_margin_loss,
              twin_name="F.multilabel_margin_loss", suite=_multilabel_suite,
              truth=_multilabel_truth, speed_inputs=_speed_scores(16, "listed"),
              size_label=lambda n: f"N={max(n // 256, 1):,}, C=16"),
        Bench(family="hinge", ours=hinge.soft_margin_loss, twin=F.soft_margin_loss,
              twin_name="F.soft_margin_loss",
              suite=lambda: [Group("scores +-1e4, labels +-1", _grid(_LOGITS,
                                                                     np.array([1.0, -1.0])),
                                   why="PyTorch computes log1p(exp(-y x)), inf once -y x > "
                                       "709.8 (88.7 in float32)")],
              truth=lambda x, y: _map(lambda a, b: _softplus(-b * a), x, y),
              speed_inputs=_speed_ranking_labels, elementwise=True),
        Bench(family="hinge", ours=hinge.multilabel_soft_margin_loss,
              twin=F.multilabel_soft_margin_loss, twin_name="F.multilabel_soft_margin_loss",
              suite=lambda: [Group("logits +-1e4, targets 0, 1, 0.3",
                                   (_LOGITS.reshape(1, -1).repeat(3, 0),
                                    np.array([[0.0], [1.0], [0.3]]).repeat(len(_LOGITS), 1)))],
              truth=_multilabel_soft_truth, speed_inputs=_speed_scores(64, "soft"),
              twin_is_fused=False, size_label=lambda n: f"N={max(n // 64, 1):,}, C=64"),
    ]


def _speed_ranking_labels(n: int, dtype: torch.dtype,
                          gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    shape = _cols(n)
    return (_grad_input(gen, shape, dtype, 3.0),
            torch.where(torch.rand(shape, generator=gen) < 0.5, -1.0, 1.0).to(dtype))


# ---------------------------------------------------------------------------------------------
# perceptual: one layer of feature maps, LPIPS's unit normalisation (normalize=True), features of
# size 1, 1e20 and 1e160. A benchmark input is an array; feature_loss takes a list of feature
# maps, one per layer, so lossbook and the twin are called with a one-layer list.

_FEATURE_EPS = 1e-10  # feature_loss's and LPIPS's default


def _one_layer(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` on one layer: ``f([features_input], [features_target], **options)``."""
    @functools.wraps(f)
    def one_layer(features_input: Any, features_target: Any, **options: Any) -> Any:
        return f([features_input], [features_target], **options)
    return one_layer


def _feature_suite() -> list[Group]:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 4, 1, 3)) * np.array([1.0, 1e20, 1e160])[:, None, None, None]
    b = a * (1 + 0.3 * rng.normal(size=a.shape))
    return [Group("feature vectors of size 1, 1e20 and 1e160 (normalize=True)", (a, b),
                  why="LPIPS's normalize_tensor squares the features: the channel length "
                      "overflows above 1.8e19 (float32) or 1.3e154 (float64) and the "
                      "normalised features become 0 (lossbook scales by the largest first)")]


def _feature_truth(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per sample: the mean over (C, H, W) of (a / (|a| + eps) - b / (|b| + eps))^2, with |.|
    the length over the channel axis at each position."""
    n, c = a.shape[:2]
    x, y = a.reshape(n, c, -1), b.reshape(n, c, -1)
    out = np.empty(n, dtype=object)
    with mpmath.workdps(DPS):
        eps = _m(_FEATURE_EPS)
        for i in range(n):
            if not (np.isfinite(x[i]).all() and np.isfinite(y[i]).all()):
                out[i] = mpmath.nan  # a float32 rounding overflowed: no finite truth
                continue
            total = mpmath.mpf(0)
            for p in range(x.shape[2]):
                u, v = [_m(t) for t in x[i, :, p]], [_m(t) for t in y[i, :, p]]
                nu = mpmath.sqrt(mpmath.fsum(t * t for t in u)) + eps
                nv = mpmath.sqrt(mpmath.fsum(t * t for t in v)) + eps
                total += mpmath.fsum((s / nu - t / nv) ** 2 for s, t in zip(u, v, strict=True))
            out[i] = total / (c * x.shape[2])
    return out


def _speed_features(n: int, dtype: torch.dtype, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    shape = (max(n // (64 * 16 * 16), 1), 64, 16, 16)
    return _grad_input(gen, shape, dtype), torch.randn(shape, generator=gen, dtype=dtype)


def _perceptual() -> list[Bench]:
    return [
        Bench(family="perceptual", ours=_one_layer(perceptual.feature_loss),
              twin=_one_layer(twins.torch_feature_loss),
              twin_name="LPIPS normalize_tensor + F.mse_loss", suite=_feature_suite,
              truth=_feature_truth, speed_inputs=_speed_features, options={"normalize": True},
              twin_is_fused=False,
              size_label=lambda n: f"one layer N={max(n // (64 * 16 * 16), 1):,}, C=64, 16x16"),
    ]


# One entry per family: a family whose module lands is benchmarked by adding it here.
FAMILIES: dict[str, Callable[[], list[Bench]]] = {
    "information": _information,
    "classification": _classification,
    "binary": _binary,
    "regression": _regression,
    "focal": _focal,
    "segmentation": _segmentation,
    "margin": _margin,
    "box": _box,
    "hinge": _hinge,
    "perceptual": _perceptual,
}


def all_benches(families: list[str] | None = None) -> list[Bench]:
    """Every ``Bench`` of the chosen families (all by default), in table order."""
    names = list(FAMILIES) if families is None else families
    return [b for name in names for b in FAMILIES[name]()]
