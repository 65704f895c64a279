"""The core every loss stands on: array namespace, reduction, validation, stable primitives."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lossbook._array import (
    check_float,
    class_mask,
    float_input,
    int_equal,
    int_outside,
    namespace,
)
from lossbook._reduction import check_reduction, reduce, reduce_grad
from lossbook._validation import (
    check_class_indices,
    check_distribution,
    check_in_set,
    check_non_empty,
    check_non_negative,
    check_option,
    check_probabilities,
    check_same_shape,
)

finite = st.floats(-50, 50, allow_nan=False)


# --- _array -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_and_boolean_input_refused_numpy(dtype):
    with pytest.raises(TypeError, match=r"logits must have a real floating dtype .* got (int|bool)"):
        float_input(np.zeros(3, dtype=dtype), "logits")


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool])
def test_integer_and_boolean_input_refused_torch(dtype):
    with pytest.raises(TypeError, match=r"input must have a real floating dtype .* got (int64|bool)"):
        float_input(torch.zeros(3, dtype=dtype), "input")


def test_lists_and_mixed_libraries_refused_by_name():
    with pytest.raises(TypeError, match="target must be a NumPy array or a torch tensor, got list"):
        namespace(input=np.zeros(2), target=[1.0, 2.0])
    with pytest.raises(TypeError, match="p must be a NumPy array or a torch tensor, got float"):
        namespace(p=0.5)
    with pytest.raises(TypeError, match=r"weight must come from the same library as input "
                                        r"\(numpy\); got torch"):
        namespace(input=np.zeros(2), target=np.zeros(2), weight=torch.zeros(2))
    with pytest.raises(TypeError, match=r"target must come from the same library as input "
                                        r"\(torch\); got numpy"):
        namespace(input=torch.zeros(2), target=np.zeros(2))


def test_namespace_follows_the_input():
    assert namespace(input=np.zeros(2)).__name__ == "array_api_compat.numpy"
    assert namespace(input=torch.zeros(2), weight=None).__name__ == "array_api_compat.torch"


@pytest.mark.parametrize("make", [np.zeros, lambda n, dtype: torch.zeros(n, dtype=dtype)])
def test_dtype_policy_refuses_mixed_floating_dtypes_and_complex(make):
    f64 = make(2, dtype=np.float64 if make is np.zeros else torch.float64)
    f32 = make(2, dtype=np.float32 if make is np.zeros else torch.float32)
    c64 = make(2, dtype=np.complex64 if make is np.zeros else torch.complex64)
    xp = namespace(input=f64)
    check_float(xp, f64, "target", like=f64)
    with pytest.raises(TypeError, match=r"target must have the dtype of input \(float64\); "
                                        r"got float32"):
        check_float(xp, f32, "target", like=f64)
    with pytest.raises(TypeError, match=r"weight must have a real floating dtype .* got complex64"):
        check_float(xp, c64, "weight", like=f64)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int8, np.uint8, np.int8, np.int64])
def test_integer_comparisons_never_wrap(dtype):
    values = [0, 5, 100, 127]
    x = torch.tensor(values, dtype=dtype) if isinstance(dtype, torch.dtype) else np.array(
        values, dtype=dtype)
    xp = namespace(x=x)
    assert not bool(xp.any(int_equal(xp, x, -1)))  # a uint8 255 would wrap to it in torch
    assert not bool(xp.any(int_equal(xp, x, 300)))
    assert [bool(v) for v in int_equal(xp, x, 5)] == [False, True, False, False]
    assert not bool(xp.any(int_outside(xp, x, 0, 300)))
    assert [bool(v) for v in int_outside(xp, x, 0, 101)] == [False, False, False, True]


def test_class_mask_of_narrow_indices():
    # uint8 indices with 300 classes: 5 and 7 select classes 5 and 7, nothing wraps
    target = torch.tensor([5, 7, 255], dtype=torch.uint8)
    xp = namespace(target=target)
    selected, valid = class_mask(xp, target, 300, 1, ignore_index=-100)
    assert selected.shape == (3, 300) and bool(xp.all(valid))
    assert [int(xp.argmax(xp.astype(row, xp.int64), axis=0)) for row in selected] == [5, 7, 255]
    assert [int(xp.sum(xp.astype(row, xp.int64))) for row in selected] == [1, 1, 1]
    # an int8 ignore_index is compared as the number it is
    t8 = np.array([3, -100], dtype=np.int8)
    selected, valid = class_mask(namespace(t=t8), t8, 200, 0, ignore_index=-100)
    assert valid.tolist() == [True, False] and selected[:, 1].sum() == 0


# --- the option validator: int / bool / float, NumPy scalars as the Python value they hold ---
@pytest.mark.parametrize(("value", "kind", "expected"), [
    (np.int64(-100), int, -100), (np.int8(3), int, 3), (7, int, 7),
    (np.bool_(True), bool, True), (False, bool, False),
    (np.float64(0.25), float, 0.25), (np.float32(0.5), float, 0.5), (2, float, 2.0),
    (np.int64(2), float, 2.0),
])
def test_options_accept_numpy_scalars(value, kind, expected):
    got = check_option(value, "option", kind)
    assert got == expected and type(got) is kind


@pytest.mark.parametrize(("value", "kind", "message"), [
    ("no", bool, "sigmoid must be True or False; got str 'no'"),
    (None, bool, "sigmoid must be True or False; got NoneType None"),
    (1, bool, "sigmoid must be True or False; got int 1"),
    (True, int, "sigmoid must be an int; got bool True"),
    (np.bool_(True), int, "sigmoid must be an int; got bool True"),
    (1.0, int, r"sigmoid must be an int; got float 1\.0"),
    ("ab", float, "sigmoid must be a real number; got str 'ab'"),
    (True, float, "sigmoid must be a real number; got bool True"),
    (1j, float, "sigmoid must be a real number; got complex 1j"),
    (np.array([1.0]), float, "sigmoid must be a real number; got ndarray"),
])
def test_options_of_the_wrong_kind_are_refused_by_name(value, kind, message):
    with pytest.raises(TypeError, match=message):
        check_option(value, "sigmoid", kind)


# --- _reduction ---------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["avg", "Mean", "batchmean", None, 1])
def test_unknown_reduction_lists_the_choices(bad):
    with pytest.raises(ValueError, match=r"reduction must be one of 'none', 'mean', 'sum'; got"):
        check_reduction(bad)


def test_reduction_choices_can_be_extended():
    assert check_reduction("batchmean", ("none", "mean", "sum", "batchmean")) == "batchmean"


@pytest.mark.parametrize("make", [np.asarray, lambda a: torch.tensor(a, dtype=torch.float32)])
def test_reduce_values_and_types(make):
    v = make([[1.0, 2.0], [3.0, 6.0]])
    assert reduce(v, "none") is v
    assert float(reduce(v, "sum")) == 12.0
    assert float(reduce(v, "mean", xp=namespace(values=v))) == 3.0
    assert float(reduce(v, "batchmean")) == 6.0
    assert float(reduce(v, "mean", denominator=make(4.0))) == 3.0
    assert type(reduce(v, "mean")).__module__.split(".")[0] == type(v).__module__.split(".")[0]
    if isinstance(v, torch.Tensor):
        assert reduce(v, "mean").dtype == torch.float32


@given(arrays(np.float64, st.integers(1, 30), elements=finite))
def test_sum_is_mean_times_n_and_grad_scale(values):
    n = values.size
    assert float(reduce(values, "sum")) == pytest.approx(float(reduce(values, "mean")) * n,
                                                         rel=1e-12, abs=1e-12)
    assert reduce_grad(values.shape, "mean", None, like=values) == 1 / n
    assert reduce_grad(values.shape, "sum", None, like=values) == 1.0
    assert reduce_grad(values.shape, "none", None, like=values) == 1.0


@pytest.mark.parametrize("reduction", ["none", "mean", "sum", "batchmean"])
def test_reduce_grad_is_the_vector_jacobian_product_of_reduce(reduction):
    rng = np.random.default_rng(0)
    v = torch.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    weight_total = torch.tensor(2.5, dtype=torch.float64)
    for denominator in (None, weight_total):
        if denominator is not None and reduction == "batchmean":
            continue
        out = reduce(v, reduction, denominator=denominator)
        g_out = torch.tensor(rng.normal(size=tuple(out.shape)))
        (auto,) = torch.autograd.grad(out, v, g_out)
        ours = reduce_grad(v.shape, reduction, g_out, like=v, denominator=denominator)
        torch.testing.assert_close(ours * torch.ones_like(v), auto)


def test_reduce_grad_of_a_zero_denominator_is_finite():
    v = np.zeros(3)
    g = reduce_grad(v.shape, "mean", None, like=v, denominator=np.array(0.0))
    assert float(g) == 1.0  # every element's own derivative is 0 then: the gradient is 0


def test_grad_output_is_checked_like_any_floating_array():
    v = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(2, 3\)"):
        reduce_grad(v.shape, "none", np.ones(3), like=v)
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(\)"):
        reduce_grad(v.shape, "mean", np.ones(1), like=v)
    with pytest.raises(TypeError, match=r"grad_output must have the dtype of anchor \(float64\)"):
        reduce_grad(v.shape, "sum", np.ones((), np.float32), like=v, like_name="anchor")
    with pytest.raises(TypeError, match="grad_output must have a real floating dtype"):
        reduce_grad(v.shape, "sum", np.ones((), np.int64), like=v)


def test_reduce_keeps_autograd():
    t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    reduce(t**2, "mean").backward()
    torch.testing.assert_close(t.grad, 2 * t.detach() / 3)


# --- _validation --------------------------------------------------------------------------------
def test_no_broadcasting_names_both_shapes():
    with pytest.raises(ValueError, match=r"input \(4, 1\) and target \(4,\)"):
        check_same_shape(torch.zeros(4, 1), torch.zeros(4))
    check_same_shape(np.zeros((2, 3)), np.zeros((2, 3)))


def test_empty_refused():
    with pytest.raises(ValueError, match=r"anchor must not be empty; got shape \(0,\)"):
        check_non_empty(np.zeros(0), "anchor")
    check_non_empty(np.zeros(()), "input")  # a 0-d array has one element


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf")])
def test_negative_or_non_finite_parameter_refused(value):
    with pytest.raises(ValueError, match=r"margin must be a finite number >= 0; got"):
        check_non_negative(value, "margin")


def test_non_number_parameter_refused():
    with pytest.raises(TypeError, match="gamma must be a real number; got str"):
        check_non_negative("2", "gamma")
    with pytest.raises(TypeError, match="gamma must be a real number; got bool"):
        check_non_negative(True, "gamma")
    check_non_negative(0, "gamma")


def _xp(x):
    return namespace(x=x)


@pytest.mark.parametrize("bad", [[0.5, -0.1], [1.0 + 1e-12, 0.0], [float("nan"), 0.5]])
def test_probabilities_outside_unit_interval(bad):
    for x in (np.array(bad), torch.tensor(bad, dtype=torch.float64)):
        with pytest.raises(ValueError, match=r"input must hold probabilities within \[0, 1\]"):
            check_probabilities(_xp(x), x)


def test_nan_is_named():
    x = np.array([0.5, np.nan])
    with pytest.raises(ValueError, match="and NaN"):
        check_probabilities(_xp(x), x)


def test_distribution_sums():
    x = np.full((3, 7), 1 / 7)
    check_distribution(_xp(x), x, dim=1, name="p")
    t = torch.full((7,), 1 / 7, dtype=torch.float32)
    check_distribution(_xp(t), t, dim=-1)
    q = np.array([[0.5, 0.4], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"q must sum to 1 along dim 1; got sums from 0.9"):
        check_distribution(_xp(q), q, dim=1, name="q")


def test_class_indices():
    t = np.array([0, 2, -100])
    check_class_indices(_xp(t), t, 3, ignore_index=-100)
    t = torch.tensor([0, 3])
    with pytest.raises(ValueError, match=r"within \[0, 3\) or ignore_index=-100; got 3"):
        check_class_indices(_xp(t), t, 3, ignore_index=-100)
    t = np.array([-1, 0])
    with pytest.raises(ValueError, match=r"within \[0, 3\); got -1"):
        check_class_indices(_xp(t), t, 3)
    t = np.array(2)
    check_class_indices(_xp(t), t, 3)  # a 0-d target (unbatched input)


def test_class_indices_of_narrow_dtypes_are_judged_as_numbers():
    u8 = np.array([5, 156, 199], dtype=np.uint8)
    check_class_indices(_xp(u8), u8, 200, ignore_index=-100)  # uint8 156 is not -100
    t8 = torch.tensor([5, 120], dtype=torch.int8)
    check_class_indices(_xp(t8), t8, 200, ignore_index=-100)  # 200 does not wrap to -56
    u8 = torch.tensor([5, 255], dtype=torch.uint8)
    with pytest.raises(ValueError, match=r"within \[0, 200\) or ignore_index=-100; got 255"):
        check_class_indices(_xp(u8), u8, 200, ignore_index=-100)


def test_in_set():
    t = torch.tensor([1.0, -1.0])
    check_in_set(_xp(t), t, (-1, 1))
    x = np.array([1.0, 0.5])
    with pytest.raises(ValueError, match=r"target must hold only the values \{-1, 1\}; got 0.5"):
        check_in_set(_xp(x), x, (-1, 1))
    u8 = torch.tensor([1, 255], dtype=torch.uint8)  # 255 is not -1
    with pytest.raises(ValueError, match=r"target must hold only the values \{-1, 1\}; got 255"):
        check_in_set(_xp(u8), u8, (-1, 1))


# --- every gradient beside its function ---------------------------------------------------------
def _grad_pairs():
    import lossbook

    for name in lossbook.__all__:
        if name.endswith("_grad") and name.removesuffix("_grad") in lossbook.__all__:
            yield getattr(lossbook, name.removesuffix("_grad")), getattr(lossbook, name)


@pytest.mark.parametrize(("f", "f_grad"), list(_grad_pairs()), ids=lambda f: f.__name__)
def test_grad_takes_the_arguments_of_its_function_plus_grad_output(f, f_grad):
    import inspect

    params = dict(inspect.signature(f_grad).parameters)
    grad_output = params.pop("grad_output")
    assert grad_output.kind is inspect.Parameter.KEYWORD_ONLY and grad_output.default is None
    assert list(params.values()) == list(inspect.signature(f).parameters.values())


# --- every public function: one namespace, one dtype policy, options, no warnings --------------
import inspect  # noqa: E402
import warnings  # noqa: E402

import array_api_compat  # noqa: E402

import lossbook  # noqa: E402
from tests._samples import FLOATING, SAMPLES  # noqa: E402

_TOOLKIT = {"check", "compare", "savefig", "setup_notebook", "use_style", "__version__"}
FUNCTIONS = sorted(n for n in lossbook.__all__ if n not in _TOOLKIT and not n.endswith("_grad"))


def _with_grads():
    for name in FUNCTIONS:
        yield pytest.param(name, getattr(lossbook, name), id=name)
        if f"{name}_grad" in lossbook.__all__:
            yield pytest.param(name, getattr(lossbook, f"{name}_grad"), id=f"{name}_grad")


def test_every_public_function_has_a_sample_call():
    assert sorted(SAMPLES) == FUNCTIONS


def _call(name, f, x, **changes):
    args, kwargs = SAMPLES[name](x)
    bound = inspect.signature(f).bind(*args, **kwargs)
    bound.arguments.update(changes)
    return f(*bound.args, **bound.kwargs)


_X = np.array([0.3, -1.2, 2.0, 0.0, -0.5, 1.5])


@pytest.mark.parametrize(("name", "f"), list(_with_grads()))
@pytest.mark.parametrize("make", [np.asarray, torch.from_numpy], ids=["numpy", "torch"])
def test_the_namespace_is_resolved_once_per_call(name, f, make, monkeypatch):
    calls = []
    resolve = array_api_compat.array_namespace

    def counting(*arrays, **kwargs):
        calls.append(len(arrays))
        return resolve(*arrays, **kwargs)

    monkeypatch.setattr(array_api_compat, "array_namespace", counting)
    _call(name, f, make(_X.copy()))
    assert len(calls) == 1, f"{f.__name__} resolved the array namespace {len(calls)} times"


def test_dice_loss_resolves_the_namespace_once(monkeypatch):
    calls = []
    resolve = array_api_compat.array_namespace
    monkeypatch.setattr(array_api_compat, "array_namespace",
                        lambda *a, **k: calls.append(a) or resolve(*a, **k))
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 4))
    t = np.random.default_rng(1).integers(0, 3, size=(2, 1, 4, 4))
    lossbook.dice_loss(x, t, softmax=True, to_onehot_y=True, include_background=False)
    assert len(calls) == 1


@pytest.mark.parametrize(("name", "f"), list(_with_grads()))
def test_mixed_floating_dtypes_are_refused_naming_the_argument(name, f):
    x = _X.copy()
    args, kwargs = SAMPLES[name](x)
    bound = inspect.signature(f).bind(*args, **kwargs).arguments
    for other in FLOATING.get(name, ()):
        if not (hasattr(bound[other], "dtype") and np.issubdtype(bound[other].dtype, np.floating)):
            continue  # integer labels (hinge, cosine) are any integer width
        with pytest.raises(TypeError, match=rf"^{other} must have the dtype of \w+ \(float64\); "
                                            r"got float32"):
            _call(name, f, x, **{other: bound[other].astype(np.float32)})
    if f.__name__.endswith("_grad"):
        out = _call(lossbook.__dict__[name].__name__, lossbook.__dict__[name], x)
        g32 = np.ones(np.shape(out), dtype=np.float32)
        with pytest.raises(TypeError, match=r"^grad_output must have the dtype of \w+ \(float64\)"):
            _call(name, f, x, grad_output=g32)
        g = np.ones(np.shape(out))
        _call(name, f, x, grad_output=g)  # its own dtype and the output's shape are accepted


def _assert_same(got, expected):
    """Equal results: arrays, or lists of arrays (feature_loss_grad: one per layer)."""
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_array_equal(g, e)
    else:
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(("name", "f"), list(_with_grads()))
def test_options_accept_numpy_scalars_and_refuse_non_bool_flags(name, f):
    x = _X.copy()
    expected = _call(name, f, x)
    for option, param in inspect.signature(f).parameters.items():
        default = param.default
        if option in ("reduction", "grad_output") or default is inspect.Parameter.empty:
            continue
        _, kwargs = SAMPLES[name](x)
        value = kwargs.get(option, default)
        if isinstance(value, bool):
            _assert_same(_call(name, f, x, **{option: np.bool_(value)}), expected)
            for bad in ("no", None, 1):
                with pytest.raises(TypeError, match=rf"^{option} must be True or False; got"):
                    _call(name, f, x, **{option: bad})
        elif isinstance(value, int):
            _assert_same(_call(name, f, x, **{option: np.int64(value)}), expected)
            with pytest.raises(TypeError, match=rf"^{option} must be an int; got"):
                _call(name, f, x, **{option: float(value)})
        elif isinstance(value, float):
            _assert_same(_call(name, f, x, **{option: np.float64(value)}), expected)
            with pytest.raises(TypeError, match=rf"^{option} must be a real number; got str"):
                _call(name, f, x, **{option: "ab"})


_VALUE_SETS = [
    [1e308, -1e308, 1e-320, 0.0, 1.0, -1.0],
    [np.inf, -np.inf, 0.0, 1.0, -1.0, 0.5],
    [np.inf] * 6,
    [-np.inf] * 6,
    [0.0, 1.0, 0.0, 1.0, 0.0, 1.0],  # probabilities at 0 and 1 (BCE's gradient at p = 0)
    [1e-320, 1.0 - 1e-16, 0.5, 1e-300, 1.0, 0.0],
]


@pytest.mark.parametrize(("name", "f"), list(_with_grads()))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_no_runtime_warning_on_finite_or_infinite_input(name, f, dtype):
    """Every value either comes out (inf, NaN where the twin has them) or is refused by name:
    NumPy's RuntimeWarnings (overflow, divide, invalid) never leak."""
    for values in _VALUE_SETS:
        with np.errstate(over="ignore"):
            x = np.asarray(values, dtype=dtype)
        for validate in (None, True):
            changes = {} if validate is None or "validate" not in inspect.signature(f).parameters \
                else {"validate": True}
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                try:
                    _call(name, f, x, **changes)
                except (ValueError, TypeError):
                    pass  # a refusal that names its argument (the contract test checks those)


def test_one_version_string():
    # pyproject.toml reads the version from lossbook.__version__ (setuptools' dynamic attr)
    import importlib.metadata
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "lossbook.__version__"}
    assert importlib.metadata.version("lossbook") == lossbook.__version__


_SECTIONS = ("Parameters", "Returns", "See Also", "References", "Examples")


@pytest.mark.parametrize(("name", "f"), list(_with_grads()))
def test_docstring_names_the_pair_its_notebook_and_its_sources(name, f):
    """numpydoc shape; See Also names the loss and its gradient (each names the other) and the
    notebook that derives it; References cites the paper or the source it follows."""
    from pathlib import Path

    doc = inspect.getdoc(f)
    assert ".. math::" in doc, f.__name__
    positions = []
    for section in _SECTIONS:
        header = f"\n{section}\n{'-' * len(section)}\n"
        assert header in doc, f"{f.__name__} lacks {section}"
        positions.append(doc.index(header))
    assert positions == sorted(positions), f"{f.__name__}: sections out of numpydoc order"
    see_also = doc.split("\nSee Also\n")[1].split("\n\n")[0]
    other = name if f.__name__.endswith("_grad") else f"{name}_grad"
    if other in lossbook.__all__:
        assert f"\n{other} : " in see_also, f"{f.__name__}: See Also lacks {other}"
    notebooks = [w.split(" :")[0] for w in see_also.splitlines() if ".ipynb :" in w]
    assert notebooks, f"{f.__name__}: See Also names no notebook"
    root = Path(__file__).parents[1] / "notebooks"
    assert all((root / nb).exists() for nb in notebooks), notebooks
    references = doc.split("\nReferences\n")[1].split("\n\n")[0]
    assert ".. [1] " in references
    assert ">>> " in doc.split("\nExamples\n")[1]
