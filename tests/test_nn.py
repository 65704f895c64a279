"""lossbook.nn: every module against its functional reference and its twin module (torch.nn or
MONAI), in value and gradient, float64 and float32, for every option set of the registry; then
gradcheck, double backward, torch.compile, the input contract and the module conventions."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

import lossbook.nn as lnn
from lossbook.testing import CASES
from lossbook.testing.registry import each, leaves

# torch.nn.KLDivLoss warns that reduction="mean" is not the KL divergence: the tests know
pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")

TOL = {torch.float64: dict(rtol=1e-12, atol=1e-14), torch.float32: dict(rtol=2e-6, atol=1e-6)}
# The twins compute the same formulas in another order (and MONAI in a subtracted form), so they
# meet ours at the dtype's usual tolerance, not at a few ulps.
TWIN_TOL = {torch.float64: dict(rtol=1e-9, atol=1e-10), torch.float32: dict(rtol=2e-5, atol=2e-6)}
# MONAI with squared_pred forms TP = (|p|^2 + |t|^2 - |p - t|^2) / 2 from square roots squared
# again (monai/losses/utils.py, compute_tp_fp_fn): about 1e-8 relative in float64. The
# registry's own comparison with MONAI uses torch.testing's defaults, 1e-7.
MONAI_TOL64 = dict(rtol=1e-7, atol=1e-7)


def _tensor(value: Any, dtype: torch.dtype) -> Any:
    """An option as the module takes it: arrays as tensors of ``dtype`` (also inside a list of
    per-layer weights)."""
    if isinstance(value, list | tuple):
        return type(value)(_tensor(v, dtype) for v in value)
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
    return lambda o: getattr(lnn, name)(**{k: o[k] for k in (*keys, "validate") if k in o})


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


def _function_twin(name: str) -> Callable[[dict[str, Any]], Callable[..., Any]]:
    """The registry's twin function of ``name`` with the options bound: torchvision's formulas
    as the test kit reproduces them (torchvision has no CPU wheel here), the feature distance
    written in PyTorch."""
    twin = next(c.theirs for c in CASES if c.name == name)
    return lambda o: lambda *xs: twin(*xs, **o)


def _box(name: str, function: str) -> Binding:
    return Binding(_ours(name, "reduction", "eps"), _function_twin(function))


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
                                  _function_twin("sigmoid_focal_loss")),
    "multi_margin_loss": Binding(_ours("MultiMarginLoss", "p", "margin", "weight", "reduction"),
                                 _torch_nn("MultiMarginLoss", "p", "margin", "weight", "reduction")),
    "multilabel_margin_loss": Binding(_ours("MultiLabelMarginLoss", "reduction"),
                                      _torch_nn("MultiLabelMarginLoss", "reduction")),
    "soft_margin_loss": Binding(_ours("SoftMarginLoss", "reduction"),
                                _torch_nn("SoftMarginLoss", "reduction")),
    "multilabel_soft_margin_loss": Binding(
        _ours("MultiLabelSoftMarginLoss", "weight", "reduction"),
        _torch_nn("MultiLabelSoftMarginLoss", "weight", "reduction")),
    "box_iou_loss": _box("BoxIoULoss", "box_iou_loss"),
    "generalized_box_iou_loss": _box("GeneralizedBoxIoULoss", "generalized_box_iou_loss"),
    "distance_box_iou_loss": _box("DistanceBoxIoULoss", "distance_box_iou_loss"),
    "complete_box_iou_loss": _box("CompleteBoxIoULoss", "complete_box_iou_loss"),
    "feature_loss": Binding(_ours("FeatureLoss", "weights", "p", "normalize", "eps", "reduction"),
                            _function_twin("feature_loss")),
}
# Registered functions that are not losses with a module (the primitives, information measures
# between two distributions) or whose module follows another convention (focal_loss: MONAI's
# FocalLoss averages over classes too; tested on its own below).
WITHOUT_MODULE = {"logsumexp", "softmax", "log_softmax", "sigmoid", "log_sigmoid", "softplus",
                  "log1mexp", "xlogy", "xlog1py", "surprisal", "entropy", "cross_entropy_between",
                  "kl_divergence", "js_divergence", "focal_loss"}


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


def _inputs(case, dtype: torch.dtype, seed: int = 0) -> list[Any]:
    """The registry's inputs as tensors of ``dtype`` (indices stay int64); a sequence input
    (the feature maps of a perceptual loss) as a list of tensors."""
    def tensor(a):
        t = torch.from_numpy(np.array(a))
        return t.to(dtype) if t.is_floating_point() else t
    return [each(tensor, x) for x in case.make_inputs(np.random.default_rng(seed))]


def _differentiable(case, inputs: list[torch.Tensor]) -> list[int]:
    """Which inputs carry gradients: the data, not the labels or class indices."""
    name = case.name
    if name in ("triplet_margin_loss",):
        return [0, 1, 2]
    if name in ("margin_ranking_loss", "cosine_embedding_loss"):
        return [0, 1]
    return [0]


def _leaves(inputs, which):
    """Fresh copies of ``inputs``, those in ``which`` requiring grad (every map of a sequence)."""
    return [each(lambda x, i=i: x.detach().clone().requires_grad_(i in which)
                 if x.is_floating_point() else x, x) for i, x in enumerate(inputs)]


def _grads(fn, inputs, which):
    args = _leaves(inputs, which)
    out = fn(*args)
    torch.manual_seed(0)
    upstream = torch.rand_like(out) + 0.5  # a generic vector, not ones: tests the VJP
    wrt = [t for i in which for t in leaves(args[i])]
    grads = torch.autograd.grad(out, wrt, upstream)
    return out.detach(), [g.detach() for g in grads]


def _reference(case, opts):
    """The functional loss; for a loss whose gradient holds a term constant (CIoU's alpha), the
    loss with that term held at the point where the gradient is taken (Case.frozen), whose
    autograd gradient is the hand gradient."""
    if case.frozen is None:
        return lambda *xs: case.ours(*xs, **opts)
    return lambda *xs: case.frozen(xs[0].detach(), *xs, **opts)


class TestAgainstFunctionalAndTwin:
    """Values and vector-Jacobian products against the reference and the twin."""

    @pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
    @pytest.mark.parametrize(("case", "options"), CASE_PARAMS)
    def test_module_equals_functional_and_twin(self, case, options, dtype):
        binding = BINDINGS[case.name]
        opts = {k: _tensor(v, dtype) for k, v in options.items()}
        module = binding.build(opts)
        inputs = _inputs(case, dtype)
        which = _differentiable(case, inputs)
        ours, ours_grads = _grads(module, inputs, which)

        reference = _reference(case, opts)

        def functional(*xs):
            out = reference(*xs)
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


# --- gradients: finite differences, targets, double backward ---------------------------------------

# Float arguments other than the first that a module differentiates (PyTorch does too).
TARGET_GRADS = {"mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                "binary_cross_entropy_with_logits", "kl_div", "margin_ranking_loss"}


def _gradcheck_inputs(case, options, seed=1):
    inputs = _inputs(case, torch.float64, seed)
    which = list(_differentiable(case, inputs))
    floating_target = len(inputs) > 1 and leaves(inputs[1])[0].is_floating_point()
    if case.name in TARGET_GRADS and floating_target:
        which.append(1 if case.name != "margin_ranking_loss" else 2)
    if case.name == "cross_entropy" and floating_target:
        which.append(1)  # probability targets
    if case.name in ("dice_loss", "jaccard_loss", "tversky_loss") and floating_target:
        which.append(1)  # soft masks
    return inputs, sorted(set(which))


def _check_frozen_by_differences(module, case, opts, inputs, h=1e-6):
    """The module's vector-Jacobian product at x against central differences of
    ``Case.frozen(x, ., *rest)``, the loss with its held term fixed at x."""
    x, *rest = inputs
    leaf = x.clone().requires_grad_()
    out = module(leaf, *rest)
    torch.manual_seed(0)
    upstream = torch.rand_like(out) + 0.5
    grad, = torch.autograd.grad(out, leaf, upstream)
    numeric = torch.empty_like(x)
    for k in range(x.numel()):
        step = torch.zeros_like(x)
        step.view(-1)[k] = h
        plus = (case.frozen(x, x + step, *rest, **opts) * upstream).sum()
        minus = (case.frozen(x, x - step, *rest, **opts) * upstream).sum()
        numeric.view(-1)[k] = (plus - minus) / (2 * h)
    torch.testing.assert_close(grad, numeric, rtol=1e-6, atol=1e-6)


def _flat(module, case, args):
    """``module`` as a function of tensors and those tensors: a perceptual loss's maps spread
    out as separate arguments (gradcheck takes tensors, not lists)."""
    if case.name != "feature_loss":
        return module, tuple(args)
    n = len(args[0])
    return (lambda *m: module(list(m[:n]), list(m[n:]))), (*args[0], *args[1])


class TestGradcheck:
    """Finite differences against the hand-derived backward."""

    @pytest.mark.parametrize(("case", "options"), CASE_PARAMS)
    def test_gradcheck(self, case, options):
        """Finite differences hold the hand-derived backward itself, for every differentiable input."""
        opts = {k: _tensor(v, torch.float64) for k, v in options.items()}
        module = BINDINGS[case.name].build(dict(opts, validate=False))  # gradcheck leaves the simplex
        inputs, which = _gradcheck_inputs(case, options)
        if case.frozen is not None:  # finite differences of the loss with its held term fixed
            _check_frozen_by_differences(module, case, opts, inputs)
            return
        fn, args = _flat(module, case, _leaves(inputs, which))
        assert torch.autograd.gradcheck(fn, args, eps=1e-6, atol=1e-6, fast_mode=True)


def _first_options(name):
    return next(p.values for p in CASE_PARAMS if p.values[0].name == name)


class TestDoubleBackward:
    """Second derivatives through the backward."""

    @pytest.mark.parametrize("name", sorted(BINDINGS))
    def test_double_backward(self, name):
        """The backward is written in differentiable torch operations: a second backward
        (create_graph=True) differentiates the hand gradient, checked by finite differences."""
        case, options = _first_options(name)
        opts = {k: _tensor(v, torch.float64) for k, v in options.items()}
        module = BINDINGS[name].build(dict(opts, validate=False))
        inputs, which = _gradcheck_inputs(case, options)
        if case.frozen is not None:
            # The backward holds a term constant (CIoU's alpha, as torchvision's no_grad does),
            # so finite differences of the backward, which move that term, are no reference;
            # torchvision's formula under autograd holds it too, and its second derivative is.
            ours = _second_vjp(module, inputs, which)
            theirs = _second_vjp(BINDINGS[name].twin(opts), inputs, which)
            for a, b in zip(ours, theirs, strict=True):
                torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)
            return
        fn, args = _flat(module, case, _leaves(inputs, which))
        torch.manual_seed(0)  # fast mode's random directions: the same on every run and order
        assert torch.autograd.gradgradcheck(fn, args, eps=1e-6, atol=1e-5, fast_mode=True)


def _second_vjp(fn, inputs, which):
    """d/dx of <grad of <fn(x), u>, d> for fixed random u and d: one second-order product."""
    args = _leaves(inputs, which)
    out = fn(*args)
    g = torch.Generator().manual_seed(0)
    upstream = torch.rand(out.shape, generator=g, dtype=out.dtype) + 0.5
    wrt = [t for i in which for t in leaves(args[i])]
    grads = torch.autograd.grad(out, wrt, upstream, create_graph=True)
    total = sum((d * torch.rand(d.shape, generator=g, dtype=d.dtype)).sum() for d in grads)
    return [d.detach() for d in torch.autograd.grad(total, wrt)]


@pytest.mark.parametrize("name", sorted(BINDINGS))
def test_retain_graph_twice_gives_the_same_gradient(name):
    """Parts a forward keeps for its backward are used once; a second backward recomputes."""
    case, options = _first_options(name)
    opts = {k: _tensor(v, torch.float64) for k, v in options.items()}
    module = BINDINGS[name].build(opts)
    inputs = _inputs(case, torch.float64)
    args = _leaves(inputs, [0])
    loss = module(*args).sum()
    first = torch.autograd.grad(loss, leaves(args[0]), retain_graph=True)
    second = torch.autograd.grad(loss, leaves(args[0]))
    for a, b in zip(first, second, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-14, atol=0)


# --- MONAI's FocalLoss ------------------------------------------------------------------------------

def _focal_data(dtype=torch.float64):
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(0)
    x = (2 * torch.randn(3, 4, 5, 2, generator=g, dtype=torch.float64)).to(dtype)
    labels = torch.randint(0, 4, (3, 1, 5, 2), generator=g)
    onehot = F.one_hot(labels[:, 0], 4).movedim(-1, 1).to(dtype)
    soft = torch.rand(3, 4, 5, 2, generator=g, dtype=torch.float64).to(dtype)
    return x, labels, onehot, soft


FOCAL_OPTIONS = [
    dict(),
    dict(alpha=0.25, reduction="sum"),
    dict(alpha=[0.1, 0.2, 0.3, 0.4], weight=2.0, reduction="none", gamma=0.5),
    dict(include_background=False, weight=[1.0, 2.0, 3.0], gamma=0.0),
    dict(use_softmax=True),
    dict(use_softmax=True, alpha=0.25, weight=[1.0, 2.0, 3.0, 4.0], reduction="none"),
    dict(use_softmax=True, include_background=False, alpha=[0.2, 0.3, 0.5], reduction="sum",
         gamma=0.5),
    dict(use_softmax=True, to_onehot_y=True, gamma=3.0),
    dict(to_onehot_y=True, alpha=0.75, reduction="none"),
]


class TestFocalLoss:
    """MONAI's FocalLoss, whose options the registry does not hold."""

    @pytest.mark.parametrize(("options", "soft"), [
        *((o, False) for o in FOCAL_OPTIONS),
        # soft targets only for the sigmoid form (one-hot for the softmax)
        *((o, True) for o in FOCAL_OPTIONS if not (o.get("use_softmax") or o.get("to_onehot_y"))),
    ], ids=lambda v: ",".join(map(str, v.items())) if isinstance(v, dict) else ("soft" if v else "hard"))
    def test_focal_loss_equals_monai(self, options, soft):
        from monai.losses import FocalLoss
        x, labels, onehot, soft_t = _focal_data()
        target = labels if options.get("to_onehot_y") else (soft_t if soft else onehot)
        ours_x, their_x = x.clone().requires_grad_(), x.clone().requires_grad_()
        ours = lnn.FocalLoss(**options)(ours_x, target)
        theirs = FocalLoss(**options)(their_x, target)  # MONAI computes in float32
        upstream = torch.rand_like(ours) + 0.5
        ours.backward(upstream)
        theirs.backward(upstream.float())
        assert ours.dtype == torch.float64 and ours.shape == theirs.shape
        torch.testing.assert_close(ours, theirs.double(), rtol=2e-5, atol=1e-6)
        torch.testing.assert_close(ours_x.grad, their_x.grad.double(), rtol=2e-4, atol=1e-6)


def test_focal_loss_equals_the_functional_references():
    from lossbook import focal_loss, sigmoid_focal_loss

    x, labels, onehot, _ = _focal_data()
    per_element = lnn.FocalLoss(alpha=0.25, reduction="none")(x, onehot)
    torch.testing.assert_close(per_element, sigmoid_focal_loss(x, onehot, alpha=0.25),
                               rtol=1e-13, atol=0)
    # softmax: MONAI's (N, C, ...) tensor holds the per-pixel focal term at the target class
    per_class = lnn.FocalLoss(use_softmax=True, to_onehot_y=True, reduction="none")(x, labels)
    at_target = per_class.gather(1, labels)[:, 0]
    torch.testing.assert_close(at_target, focal_loss(x, labels[:, 0], alpha=None, reduction="none"),
                               rtol=1e-13, atol=0)
    off_target = per_class.scatter(1, labels, 0.0)
    assert not off_target.any()  # nothing off the target class


@pytest.mark.parametrize("options", [dict(), dict(use_softmax=True, alpha=0.25)])
def test_focal_loss_gradcheck_and_double_backward(options):
    x, _, onehot, _ = _focal_data()
    module = lnn.FocalLoss(gamma=0.5, reduction="none", **options)
    leaf = x[:1, :, :2].clone().requires_grad_()
    target = onehot[:1, :, :2]
    assert torch.autograd.gradcheck(lambda v: module(v, target), (leaf,), atol=1e-6)
    assert torch.autograd.gradgradcheck(lambda v: module(v, target), (leaf,), atol=1e-5)


# --- torch.compile -----------------------------------------------------------------------------




# One module of each kind of forward and backward (each Dynamo capture takes seconds): PyTorch's
# fused kernel forward (smooth_l1), hand-written torch operations (cross_entropy, BCE with
# logits, triplet, Dice, KL), the functional loss and its _grad through Hand (multi_margin, and
# feature_loss for sequence inputs). `make bench` compiles every module with inductor and
# reports any failure in its table.
COMPILED = ["cross_entropy", "binary_cross_entropy_with_logits", "smooth_l1_loss", "kl_div",
            "triplet_margin_loss", "dice_loss", "soft_margin_loss", "multi_margin_loss",
            "feature_loss"]


class TestCompile:
    """Dynamo captures the modules whole."""

    @pytest.mark.filterwarnings("ignore::UserWarning")
    @pytest.mark.parametrize("name", COMPILED)
    def test_traces_whole_under_torch_compile(self, name):
        """Forward and backward trace as one graph (fullgraph=True, validate=False); Dynamo's
        eager backend checks the capture without inductor's code generation."""
        case, options = _first_options(name)
        opts = {k: _tensor(v, torch.float64) for k, v in options.items()}
        module = BINDINGS[name].build(dict(opts, validate=False))
        inputs = _inputs(case, torch.float64)
        which = _differentiable(case, inputs)
        torch._dynamo.reset()
        compiled = torch.compile(module, fullgraph=True, backend="eager")
        out, grads = _grads(compiled, inputs, which)
        ref, ref_grads = _grads(module, inputs, which)
        # traced sums may run in another order than eager's BLAS dots: a few ulps
        torch.testing.assert_close(out, ref, **TOL[torch.float64])
        for g, r in zip(grads, ref_grads, strict=True):
            torch.testing.assert_close(g, r, **TOL[torch.float64])


class TestInductor:
    """Inductor compiles a module."""

    @pytest.mark.filterwarnings("ignore::UserWarning")
    def test_inductor_compiles_a_module(self):
        """Inductor's generated code for one module, forward and backward (inductor compiles every
        module in `make bench`; here one, since each compile takes seconds)."""
        x, _, onehot, _ = _focal_data(torch.float32)
        module = lnn.FocalLoss(use_softmax=True, validate=False)
        torch._dynamo.reset()
        compiled = torch.compile(module, fullgraph=True)
        out, grads = _grads(compiled, [x, onehot], [0])
        ref, ref_grads = _grads(module, [x, onehot], [0])
        torch.testing.assert_close(out, ref)
        torch.testing.assert_close(grads[0], ref_grads[0])
        torch._dynamo.reset()


# --- the input contract: the functional's result or its error ----------------------------------


def _outcome(fn):
    """("ok", value) or (error type, message) for a TypeError / ValueError."""
    try:
        return "ok", fn()
    except (TypeError, ValueError) as error:
        return type(error), str(error)


def _mutations(case, inputs):
    """Single-fault variants of the registry's inputs: what every loss must refuse or pass on."""
    if isinstance(inputs[0], list):  # sequence inputs: the faults in the first layer's maps
        for label, bad in _mutations(case, [a[0] for a in inputs]):
            yield label, [[b, *a[1:]] for a, b in zip(inputs, bad, strict=True)]
        return
    x, *rest = inputs
    yield "integer input", [x.round().to(torch.int64), *rest]
    yield "empty input", [a[:0] if a.ndim else a for a in inputs]
    if x.ndim and rest and rest[0].shape == x.shape and x.ndim >= 1:
        yield "(n, 1) against (n,)", [x.reshape(-1, 1), rest[0].reshape(-1), *rest[1:]]
    nan = x.clone()
    nan.view(-1)[0] = float("nan")
    yield "NaN in input", [nan, *rest]
    for i, a in enumerate(rest, start=1):
        if a.is_floating_point():
            yield f"float32 argument {i}", [*inputs[:i], a.to(torch.float32), *inputs[i + 1:]]
            bad = a.clone()
            bad.view(-1)[0] = 1.5 if a.min() >= 0 else 0.5
            yield f"out-of-range argument {i}", [*inputs[:i], bad, *inputs[i + 1:]]
        elif a.numel():
            bad = a.clone()
            bad.view(-1)[-1] = 50
            yield f"out-of-range index {i}", [*inputs[:i], bad, *inputs[i + 1:]]
            yield f"bool argument {i}", [*inputs[:i], a > 0, *inputs[i + 1:]]


class TestContract:
    """Bad input: the functional's result or its error."""

    @pytest.mark.filterwarnings("ignore::UserWarning")
    @pytest.mark.parametrize("name", sorted(BINDINGS))
    def test_bad_input_gets_the_functional_error(self, name):
        """Every single-fault input gives the functional's result or its error, message included."""
        case, options = _first_options(name)
        binding = BINDINGS[name]
        opts = {k: _tensor(v, torch.float64) for k, v in options.items()}
        inputs = _inputs(case, torch.float64)
        checked = 0
        for label, bad in _mutations(case, inputs):
            ours = _outcome(lambda bad=bad: binding.build(opts)(*bad))
            ref = _outcome(lambda bad=bad: case.ours(*bad, **opts))
            if ours[0] == "ok" and ref[0] == "ok":
                got = ours[1].reshape(ref[1].shape) if binding.reshape_none else ours[1]
                torch.testing.assert_close(got, ref[1], equal_nan=True, msg=label)
            else:
                assert ours == ref, f"{name}, {label}: module {ours}, functional {ref}"
                checked += 1
        assert checked >= 2  # the integer input and the empty input at least


@pytest.mark.parametrize("name", sorted(BINDINGS))
def test_bad_option_gets_the_functional_error(name):
    case, options = _first_options(name)
    binding = BINDINGS[name]
    inputs = _inputs(case, torch.float64)
    for bad in ({"reduction": "average"},):
        ours = _outcome(lambda bad=bad: binding.build(dict(options, **bad))(*inputs))
        ref = _outcome(lambda bad=bad: case.ours(*inputs, **dict(options, **bad)))
        assert ours[0] is ValueError and ours == ref, (ours, ref)


# --- the modules' conventions ------------------------------------------------------------------


def test_import_lossbook_does_not_import_lossbook_nn():
    import subprocess
    import sys

    code = "import sys, lossbook; print('lossbook.nn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _twin_class(name: str):
    if name in ("DiceLoss", "TverskyLoss", "FocalLoss"):
        import monai.losses

        return getattr(monai.losses, name)
    return getattr(torch.nn, name, None)


# Modules with no class to copy (torchvision's functions, the feature distance): the functional
# loss's keyword options, in its order.
FUNCTIONAL = {"SigmoidFocalLoss": "sigmoid_focal_loss", "BoxIoULoss": "box_iou_loss",
              "GeneralizedBoxIoULoss": "generalized_box_iou_loss",
              "DistanceBoxIoULoss": "distance_box_iou_loss",
              "CompleteBoxIoULoss": "complete_box_iou_loss", "FeatureLoss": "feature_loss"}


@pytest.mark.parametrize("name", lnn.__all__)
def test_constructor_matches_the_twin(name):
    """PyTorch's (or MONAI's) parameters, in their order, with their defaults; ``validate``
    keyword-only after them."""
    ours = inspect.signature(getattr(lnn, name)).parameters
    twin = _twin_class(name)
    if twin is None:
        import lossbook

        theirs = inspect.signature(getattr(lossbook, FUNCTIONAL[name])).parameters
        options = {k: p for k, p in theirs.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
        assert list(ours) == list(options), name
        for key, param in options.items():
            assert ours[key].default == param.default, (name, key)
        assert ours["validate"].kind is inspect.Parameter.KEYWORD_ONLY
        return
    theirs = inspect.signature(twin).parameters
    assert list(ours)[:-1] == list(theirs), name
    for key, param in theirs.items():
        default = param.default
        if name in ("DiceLoss", "TverskyLoss", "FocalLoss") and key == "reduction":
            default = "mean"  # MONAI's LossReduction.MEAN
        assert ours[key].default == default, (name, key)
    assert ours["validate"].kind is inspect.Parameter.KEYWORD_ONLY
    assert ours["validate"].default is True


@pytest.mark.parametrize("name", lnn.__all__)
def test_docstring_has_formula_see_also_references_example(name):
    doc = inspect.getdoc(getattr(lnn, name)) or ""
    for section in (".. math::", "Parameters", "Notes", "See Also", "References", "Examples"):
        assert section in doc, f"{name} docstring lacks {section}"


def test_deprecated_size_average_and_reduce_are_refused():
    with pytest.raises(ValueError, match="size_average is deprecated"):
        lnn.MSELoss(True)
    with pytest.raises(ValueError, match="reduce is deprecated"):
        lnn.CrossEntropyLoss(None, None, -100, False)


def test_weights_are_buffers_that_follow_the_module():
    weight = torch.tensor([0.5, 1.0, 2.0])
    module = lnn.CrossEntropyLoss(weight)
    assert "weight" in module.state_dict()
    module = module.to(torch.float64)
    assert module.weight.dtype == torch.float64
    x = torch.randn(4, 3, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 1])
    torch.testing.assert_close(module(x, y), torch.nn.CrossEntropyLoss(weight.double())(x, y))


def test_gradients_that_are_not_provided_are_refused_not_dropped():
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(ValueError, match="weight requires grad"):
        lnn.CrossEntropyLoss(torch.ones(3, dtype=torch.float64, requires_grad=True))(
            x, torch.tensor([0, 1, 2, 1]))
    t = torch.rand(4, 3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(ValueError, match="target requires grad"):
        lnn.SigmoidFocalLoss()(x, t)
    with pytest.raises(ValueError, match="target requires grad"):
        lnn.FocalLoss()(x[None], t[None].detach().round().requires_grad_())


def test_validate_false_skips_only_the_value_checks():
    x = torch.randn(4, 3)
    with pytest.raises(ValueError, match="class indices"):
        lnn.CrossEntropyLoss()(x, torch.tensor([0, 1, 2, 7]))
    with pytest.raises((IndexError, RuntimeError)):  # torch's own index error, not a silent value
        lnn.CrossEntropyLoss(validate=False)(x, torch.tensor([0, 1, 2, 7])).item()
    with pytest.raises(ValueError, match="same shape"):  # shapes are always checked
        lnn.MSELoss(validate=False)(x[:, :1], x[:, 0])
