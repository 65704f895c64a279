"""lossbook.nn: every module against its functional reference and its twin module (torch.nn or
MONAI), in value and gradient, float64 and float32, for every option set of the registry; then
gradcheck, double backward, torch.compile, the input contract and the module conventions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

import lossbook.nn as lnn

try:  # the test kit's registry; tests/cases.py before it moved there
    from lossbook.testing import CASES
except ImportError:  # pragma: no cover
    from tests.cases import CASES

TOL = {torch.float64: dict(rtol=1e-12, atol=1e-14), torch.float32: dict(rtol=2e-6, atol=1e-6)}
# The twins compute the same formulas in another order (and MONAI in a subtracted form), so they
# meet ours at the dtype's usual tolerance, not at a few ulps.
TWIN_TOL = {torch.float64: dict(rtol=1e-9, atol=1e-10), torch.float32: dict(rtol=2e-5, atol=2e-6)}
# MONAI with squared_pred forms TP = (|p|^2 + |t|^2 - |p - t|^2) / 2 from square roots squared
# again (monai/losses/utils.py, compute_tp_fp_fn): about 1e-8 relative in float64. The
# registry's own comparison with MONAI uses torch.testing's defaults, 1e-7.
MONAI_TOL64 = dict(rtol=1e-7, atol=1e-7)


def _tensor(value: Any, dtype: torch.dtype) -> Any:
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy()).to(dtype)
    return value


@dataclass(frozen=True)
class Binding:
    """How a registered function's option set becomes a module, its twin module, and how the
    module's output compares with the functional's (MONAI's reduction="none" keeps axes)."""

    build: Callable[[dict[str, Any]], torch.nn.Module]
    twin: Callable[[dict[str, Any]], Callable[..., Any]] | None
    functional_options: Callable[[dict[str, Any]], dict[str, Any]] = dict
    reshape_none: bool = False  # compare after reshaping to the functional's shape
    monai: bool = False  # MONAI's float64 tolerance (below)


def _torch_nn(name: str, *keys: str) -> Callable[[dict[str, Any]], Callable[..., Any]]:
    return lambda o: getattr(torch.nn, name)(**{k: o[k] for k in keys if k in o})


def _ours(name: str, *keys: str) -> Callable[[dict[str, Any]], torch.nn.Module]:
    return lambda o: getattr(lnn, name)(**{k: o[k] for k in keys if k in o})


def _monai(name: str, jaccard: bool = False) -> Callable[[dict[str, Any]], Callable[..., Any]]:
    def build(o):
        import monai.losses

        kw = {k: v for k, v in o.items() if k != "validate"}
        if jaccard:
            kw = dict(kw, jaccard=True, smooth_nr=2 * kw.get("smooth_nr", 1e-5),
                      smooth_dr=2 * kw.get("smooth_dr", 1e-5))
        return getattr(monai.losses, name)(**kw)
    return build


def _jaccard_module(o: dict[str, Any]) -> torch.nn.Module:
    kw = dict(o, jaccard=True, smooth_nr=2 * o.get("smooth_nr", 1e-5),
              smooth_dr=2 * o.get("smooth_dr", 1e-5))
    return lnn.DiceLoss(**kw)


def _sigmoid_focal_twin(o):
    # torchvision's formula as the registry reproduces it (torchvision has no CPU wheel here)
    twin = next(c.theirs for c in CASES if c.name == "sigmoid_focal_loss")
    return lambda x, t: twin(x, t, **o)


CE = ("weight", "ignore_index", "reduction", "label_smoothing")
BINDINGS: dict[str, Binding] = {
    "cross_entropy": Binding(_ours("CrossEntropyLoss", *CE), _torch_nn("CrossEntropyLoss", *CE)),
    "nll_loss": Binding(_ours("NLLLoss", "weight", "ignore_index", "reduction"),
                        _torch_nn("NLLLoss", "weight", "ignore_index", "reduction")),
    "binary_cross_entropy": Binding(_ours("BCELoss", "weight", "reduction"),
                                    _torch_nn("BCELoss", "weight", "reduction")),
    "binary_cross_entropy_with_logits": Binding(
        _ours("BCEWithLogitsLoss", "weight", "reduction", "pos_weight"),
        _torch_nn("BCEWithLogitsLoss", "weight", "reduction", "pos_weight")),
    "kl_div": Binding(_ours("KLDivLoss", "reduction", "log_target"),
                      _torch_nn("KLDivLoss", "reduction", "log_target")),
    "mse_loss": Binding(_ours("MSELoss", "reduction"), _torch_nn("MSELoss", "reduction")),
    "l1_loss": Binding(_ours("L1Loss", "reduction"), _torch_nn("L1Loss", "reduction")),
    "smooth_l1_loss": Binding(_ours("SmoothL1Loss", "reduction", "beta"),
                              _torch_nn("SmoothL1Loss", "reduction", "beta")),
    "huber_loss": Binding(_ours("HuberLoss", "reduction", "delta"),
                          _torch_nn("HuberLoss", "reduction", "delta")),
    "margin_ranking_loss": Binding(_ours("MarginRankingLoss", "margin", "reduction"),
                                   _torch_nn("MarginRankingLoss", "margin", "reduction")),
    "hinge_embedding_loss": Binding(_ours("HingeEmbeddingLoss", "margin", "reduction"),
                                    _torch_nn("HingeEmbeddingLoss", "margin", "reduction")),
    "cosine_embedding_loss": Binding(_ours("CosineEmbeddingLoss", "margin", "reduction"),
                                     _torch_nn("CosineEmbeddingLoss", "margin", "reduction")),
    "triplet_margin_loss": Binding(
        _ours("TripletMarginLoss", "margin", "p", "eps", "swap", "reduction"),
        _torch_nn("TripletMarginLoss", "margin", "p", "eps", "swap", "reduction")),
    "dice_loss": Binding(lambda o: lnn.DiceLoss(**o), _monai("DiceLoss"), reshape_none=True,
                         monai=True),
    "jaccard_loss": Binding(_jaccard_module, _monai("DiceLoss", jaccard=True), reshape_none=True,
                            monai=True),
    "tversky_loss": Binding(lambda o: lnn.TverskyLoss(**o), _monai("TverskyLoss"), monai=True),
    "sigmoid_focal_loss": Binding(_ours("SigmoidFocalLoss", "alpha", "gamma", "reduction"),
                                  _sigmoid_focal_twin),
}
# Registered functions that are not losses with a module (activations, information measures
# between two distributions) or whose module follows another convention (focal_loss: MONAI's
# FocalLoss averages over classes too; tested on its own below).
WITHOUT_MODULE = {"logsumexp", "softmax", "log_softmax", "log_sigmoid", "surprisal", "entropy",
                  "cross_entropy_between", "kl_divergence", "js_divergence", "focal_loss"}


def test_every_registered_loss_has_a_module_or_a_reason():
    names = {case.name for case in CASES}
    assert names - WITHOUT_MODULE == set(BINDINGS), sorted(names - WITHOUT_MODULE ^ set(BINDINGS))


def _cases():
    for case in CASES:
        if case.name not in BINDINGS:
            continue
        for i, options in enumerate(case.options):
            label = ",".join(f"{k}={v!r}"[:24] for k, v in options.items()) or "defaults"
            yield pytest.param(case, dict(options), id=f"{case.name}[{i}:{label}]")


CASE_PARAMS = list(_cases())


def _inputs(case, dtype: torch.dtype, seed: int = 0) -> list[torch.Tensor]:
    out = []
    for x in case.make_inputs(np.random.default_rng(seed)):
        t = torch.from_numpy(np.array(x))
        out.append(t.to(dtype) if t.is_floating_point() else t)
    return out


def _differentiable(case, inputs: list[torch.Tensor]) -> list[int]:
    """Which inputs carry gradients: the data, not the labels or class indices."""
    name = case.name
    if name in ("triplet_margin_loss",):
        return [0, 1, 2]
    if name in ("margin_ranking_loss", "cosine_embedding_loss"):
        return [0, 1]
    return [0]


def _grads(fn, inputs, which):
    leaves = [x.detach().clone().requires_grad_(i in which) if x.is_floating_point() else x
              for i, x in enumerate(inputs)]
    out = fn(*leaves)
    torch.manual_seed(0)
    upstream = torch.rand_like(out) + 0.5  # a generic vector, not ones: tests the VJP
    (grads := torch.autograd.grad(out, [leaves[i] for i in which], upstream))
    return out.detach(), [g.detach() for g in grads]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("case", "options"), CASE_PARAMS)
def test_module_equals_functional_and_twin(case, options, dtype):
    binding = BINDINGS[case.name]
    opts = {k: _tensor(v, dtype) for k, v in options.items()}
    module = binding.build(opts)
    inputs = _inputs(case, dtype)
    which = _differentiable(case, inputs)
    ours, ours_grads = _grads(module, inputs, which)

    def functional(*xs):
        out = case.ours(*xs, **opts)
        # MONAI's DiceLoss keeps singleton axes for reduction="none"
        return out.reshape(ours.shape) if binding.reshape_none else out
    ref, ref_grads = _grads(functional, inputs, which)
    torch.testing.assert_close(ours, ref, **TOL[dtype])
    for g, r in zip(ours_grads, ref_grads, strict=True):
        torch.testing.assert_close(g, r, **TOL[dtype])
    twin = binding.twin(opts)
    theirs, their_grads = _grads(twin, inputs, which)
    tol = MONAI_TOL64 if binding.monai and dtype == torch.float64 else TWIN_TOL[dtype]
    torch.testing.assert_close(ours, theirs.to(dtype), **tol)
    for g, r in zip(ours_grads, their_grads, strict=True):
        torch.testing.assert_close(g, r.to(dtype), **tol)
