"""The test kit's compare catches wrong implementations; savefig, setup_notebook and check behave."""

from __future__ import annotations

import hashlib
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lossbook import course
from lossbook._array import float_input
from lossbook._reduction import reduce
from lossbook.course.checker import check, verdict
from lossbook.course.exercises import all_exercises
from lossbook.course.plotting import PALETTE, savefig
from lossbook.testing import BACKENDS, Row, compare, summary
from lossbook.testing.compare import _bound


def mse(input, target, *, reduction="mean"):
    float_input(input, "input")
    return reduce((input - target) ** 2, reduction)


def mse_grad(input, target, *, reduction="mean"):
    n = input.size if isinstance(input, np.ndarray) else input.numel()
    return 2 * (input - target) / (n if reduction == "mean" else 1)


X = np.array([[0.5, -1.0, 2.0], [0.1, 0.2, -3.0]])
Y = np.array([[0.0, 0.0, 1.0], [1.0, -1.0, 0.5]])
LINE = ("mse{options} vs F.mse_loss: value, hand gradient, autograd; NumPy float64, torch float64, "
        "torch float32 (3 backends, 2 precisions): max rel err < 1e-15 (float64), < 1e-6 "
        "(float32): ok")


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_compare_passes_a_correct_implementation_and_prints_one_line(reduction, capsys):
    rows = compare(mse, F.mse_loss, X, Y, grad=mse_grad, reduction=reduction)
    # value + grad on each backend, plus autograd through ours on the two torch backends
    assert [(r.backend, r.quantity) for r in rows] == [
        ("numpy float64", "value"), ("numpy float64", "grad"),
        ("torch float64", "value"), ("torch float64", "grad"), ("torch float64", "autograd"),
        ("torch float32", "value"), ("torch float32", "grad"), ("torch float32", "autograd"),
    ]
    assert all(r.ok for r in rows)
    assert capsys.readouterr().out == LINE.format(options=f"(reduction={reduction!r})") + "\n"


def test_compare_prints_the_table_when_asked_and_nothing_when_quiet(capsys):
    compare(mse, F.mse_loss, X, Y, grad=mse_grad, table=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == LINE.format(options="")
    assert lines[1].split() == ["backend", "quantity", "max", "abs", "max", "rel", "ok"]
    assert [line.split()[-1] for line in lines[2:]] == ["ok"] * 8
    compare(mse, F.mse_loss, X, Y, grad=mse_grad, verbose=False)
    assert capsys.readouterr().out == ""


def test_compare_prints_the_table_on_failure(capsys):
    def wrong(input, target, *, reduction="mean"):
        return reduce((input - target) ** 2 * (1 + 3e-5), reduction)

    with pytest.raises(AssertionError, match=r"3 of 3 comparisons failed:\n.*: FAIL\nbackend"):
        compare(wrong, F.mse_loss, X, Y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("max rel err < 1e-4 (float64), < 1e-4 (float32): FAIL")
    assert [line.split()[-1] for line in lines[2:]] == ["FAIL"] * 3


@pytest.mark.parametrize(("error", "precision", "bound"), [
    (0.0, "float64", "< 1e-15"), (2.2e-16, "float64", "< 1e-15"), (9.9e-16, "float64", "< 1e-15"),
    (1e-15, "float64", "< 1e-14"), (3e-13, "float64", "< 1e-12"), (0.5, "float64", "< 1e0"),
    (1.2e-7, "float32", "< 1e-6"), (2e-6, "float32", "< 1e-5"), (math.inf, "float32", "inf"),
])
def test_the_error_is_printed_as_a_power_of_ten_bound(error, precision, bound):
    # A bound that ignores the last bits: the line is the same on every CPU.
    assert _bound(error, precision) == bound


def test_the_summary_names_twins_as_a_reader_would_import_them():
    rows = [Row("torch float64", "value", 0.0, 0.0, True)]
    assert summary(rows, mse, torch.softmax).startswith("mse vs torch.softmax: value; torch float64 "
                                                       "(1 backend, 1 precision)")
    assert summary(rows, mse, F.cross_entropy, {"weight": np.ones(4), "ignore_index": 1}) \
        .startswith("mse(weight=(4,) array, ignore_index=1) vs F.cross_entropy")


def test_the_summary_error_is_relative_to_the_largest_value():
    # A difference of 1e-17 on an element that is 0 in the twin is small, not an infinite
    # relative error: the summary divides by the twin's largest magnitude.
    def off(input, target, *, reduction="none"):
        return (input - target) ** 2 + np.where(input == 0.5, 1e-17, 0.0)

    rows = compare(off, F.mse_loss, X, X, reduction="none", verbose=False,
                   backends=("numpy float64",))
    assert rows[0].max_rel == math.inf and rows[0].norm_rel == 1e-17  # twin all 0: absolute
    rows = compare(off, F.mse_loss, X, Y, reduction="none", verbose=False,
                   backends=("numpy float64",))
    assert rows[0].norm_rel == pytest.approx(1e-17 / 12.25)


def test_compare_catches_a_wrong_value():
    def wrong(input, target, *, reduction="mean"):
        return reduce((input - target) ** 2 * (1 + 1e-5), reduction)

    with pytest.raises(AssertionError, match=r"comparisons failed"):
        compare(wrong, F.mse_loss, X, Y, verbose=False)


def test_compare_catches_a_wrong_gradient():
    def wrong_grad(input, target, *, reduction="mean"):
        return mse_grad(input, target, reduction=reduction) / 2  # forgot the 2 of the square

    with pytest.raises(AssertionError, match=r"grad"):
        compare(mse, F.mse_loss, X, Y, grad=wrong_grad, verbose=False)


def test_compare_catches_a_wrong_reduction_only_where_it_differs():
    def sum_always(input, target, *, reduction="mean"):
        return reduce((input - target) ** 2, "sum" if reduction != "none" else "none")

    compare(sum_always, F.mse_loss, X, Y, verbose=False, reduction="sum")
    with pytest.raises(AssertionError):
        compare(sum_always, F.mse_loss, X, Y, verbose=False, reduction="mean")


def test_compare_catches_a_lost_dtype_or_type():
    def upcast(input, target, *, reduction="mean"):
        if isinstance(input, torch.Tensor):
            input, target = input.double(), target.double()
        return reduce((input - target) ** 2, reduction)

    with pytest.raises(AssertionError, match=r"returned dtype torch\.float64, expected torch\.float32"):
        compare(upcast, F.mse_loss, X, Y, verbose=False)

    def to_numpy(input, target, *, reduction="mean"):
        return np.asarray(reduce((np.asarray(input) - np.asarray(target)) ** 2, reduction))

    with pytest.raises(AssertionError, match="expected a torch tensor"):
        compare(to_numpy, F.mse_loss, X, Y, verbose=False, backends=("torch float64",))


def test_compare_catches_a_broken_autograd_path():
    def detached(input, target, *, reduction="mean"):
        if isinstance(input, torch.Tensor):
            return reduce((input - target) ** 2, reduction).detach() + 0 * input.sum()
        return reduce((input - target) ** 2, reduction)

    with pytest.raises(AssertionError, match="autograd"):
        compare(detached, F.mse_loss, X, Y, grad=mse_grad, verbose=False)


def test_compare_float32_tolerance_is_float32s():
    # An error of 1e-6 relative passes in float32 (rtol 1.3e-6) but not in float64 (rtol 1e-7).
    def off(input, target, *, reduction="mean"):
        return reduce((input - target) ** 2, reduction) * (1 + 1e-6)

    compare(off, F.mse_loss, X, Y, verbose=False, backends=("torch float32",))
    with pytest.raises(AssertionError):
        compare(off, F.mse_loss, X, Y, verbose=False, backends=("torch float64",))


def test_compare_matches_infinities_and_nans():
    def ours(input, target, *, reduction="none"):
        return input / target

    def theirs(input, target, *, reduction="none"):
        return input / target

    with np.errstate(divide="ignore", invalid="ignore"):
        rows = compare(ours, theirs, np.array([1.0, 0.0, -1.0]), np.array([0.0, 0.0, 0.0]),
                       verbose=False)
    assert all(r.ok and r.max_abs == 0 for r in rows)


def test_compare_casts_array_options_per_backend():
    w = np.array([0.2, 1.0, 3.0])

    def ours(input, target, *, weight, reduction="mean"):
        return reduce(weight * (input - target) ** 2, reduction)

    def theirs(input, target, *, weight, reduction="mean"):
        assert weight.dtype == input.dtype
        return reduce(weight * (input - target) ** 2, reduction)

    assert all(r.ok for r in compare(ours, theirs, X, Y, weight=w, verbose=False))


def _layers_mse(inputs, targets, *, weights=None, reduction="mean"):
    """A loss of sequence inputs (one array per layer): the sum of the layers' mean squares."""
    w = weights or [1.0] * len(inputs)
    return reduce(sum(w_l * ((a - b) ** 2).mean() for w_l, a, b in zip(w, inputs, targets,
                                                                       strict=True)), reduction)


def _layers_grad(inputs, targets, *, weights=None, reduction="mean", half=None):
    w = weights or [1.0] * len(inputs)
    out = [w_l * 2 * (a - b) / (a.size if isinstance(a, np.ndarray) else a.numel())
           for w_l, a, b in zip(w, inputs, targets, strict=True)]
    if half is not None:
        out[half] = out[half] / 2
    return out


LAYERS = [X, X[:, :2]], [Y, Y[:, 1:]]


def test_compare_takes_sequence_inputs_and_array_options_inside_them():
    w = [0.5, np.array(2.0)]
    rows = compare(_layers_mse, _layers_mse, *LAYERS, grad=_layers_grad, weights=w,
                   verbose=False)
    assert all(r.ok for r in rows) and {r.quantity for r in rows} == {"value", "grad",
                                                                         "autograd"}
    assert "weights=[0.5, () array]" in summary(rows, _layers_mse, _layers_mse, {"weights": w})


def test_compare_catches_a_wrong_gradient_in_one_layer_of_a_sequence():
    def wrong(inputs, targets, *, reduction="mean"):
        return _layers_grad(inputs, targets, reduction=reduction, half=1)

    with pytest.raises(AssertionError, match="grad"):
        compare(_layers_mse, _layers_mse, *LAYERS, grad=wrong, verbose=False)

    def one_array(inputs, targets, *, reduction="mean"):
        return _layers_grad(inputs, targets, reduction=reduction)[0]

    with pytest.raises(AssertionError, match="expected one array per element of the input"):
        compare(_layers_mse, _layers_mse, *LAYERS, grad=one_array, verbose=False)

    def upcast_one(inputs, targets, *, reduction="mean"):
        out = _layers_grad(inputs, targets, reduction=reduction)
        return [out[0], out[1].double() if isinstance(out[1], torch.Tensor) else out[1]]

    with pytest.raises(AssertionError, match=r"returned dtype torch\.float64, expected "
                                             r"torch\.float32"):
        compare(_layers_mse, _layers_mse, *LAYERS, grad=upcast_one, verbose=False)


def test_compare_refuses_unknown_backends():
    with pytest.raises(ValueError, match="backends must be among"):
        compare(mse, F.mse_loss, X, Y, backends=("cupy",))
    assert BACKENDS == ("numpy float64", "torch float64", "torch float32")


def test_import_lossbook_loads_no_test_kit():
    import subprocess
    import sys

    code = "import sys, lossbook; print('lossbook.testing' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# --- plotting -----------------------------------------------------------------------------------
def _figure():
    fig, ax = plt.subplots()
    x = np.linspace(-3, 3, 50)
    for k in range(3):
        ax.plot(x, x**k, label=f"x^{k}")
    ax.set_xlabel("x")
    ax.legend()
    return fig


def test_savefig_is_byte_identical_and_opaque(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSSBOOK_FIGURES", str(tmp_path))
    course.use_style()
    path = savefig(_figure(), "test_plot")
    first = hashlib.sha256(path.read_bytes()).hexdigest()
    path2 = savefig(_figure(), "test_plot")
    assert path2 == tmp_path / "test_plot.png"
    assert hashlib.sha256(path2.read_bytes()).hexdigest() == first
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Software" not in data and b"tIME" not in data
    image = plt.imread(path)
    assert image.shape[-1] in (3, 4)
    if image.shape[-1] == 4:
        assert image[..., 3].min() == 1.0  # opaque: no transparent pixel
    plt.close("all")


def test_savefig_writes_to_repo_figures_by_default(monkeypatch):
    monkeypatch.delenv("LOSSBOOK_FIGURES", raising=False)
    from lossbook.course.checkout import repo_root
    from lossbook.course.plotting import figures_dir

    assert figures_dir() == repo_root() / "figures"
    assert (repo_root() / "pyproject.toml").is_file()


@pytest.mark.parametrize("name", ["a/b", "../x", "x.png", "", "/abs"])
def test_savefig_refuses_paths(name):
    with pytest.raises(ValueError, match="name must be a plain file name"):
        savefig(plt.figure(), name)
    plt.close("all")


def test_style_pairs_every_colour_with_a_line_style():
    course.use_style()
    cycle = list(plt.rcParams["axes.prop_cycle"])
    assert len(cycle) == len(PALETTE)
    assert len({c["linestyle"] if isinstance(c["linestyle"], str) else str(c["linestyle"])
                for c in cycle}) == len(cycle)
    assert plt.rcParams["savefig.facecolor"] == "white"
    assert plt.rcParams["savefig.transparent"] is False


def test_setup_notebook_is_reproducible():
    course.setup_notebook(seed=3)
    a = (np.random.rand(3), torch.rand(3))  # noqa: NPY002 (the global generator is the point)
    course.setup_notebook(seed=3)
    b = (np.random.rand(3), torch.rand(3))  # noqa: NPY002
    np.testing.assert_array_equal(a[0], b[0])
    torch.testing.assert_close(a[1], b[1])
    assert torch.get_num_threads() == 1
    assert np.get_printoptions()["precision"] == 4
    np.set_printoptions(precision=8, suppress=False)


# --- exercises ----------------------------------------------------------------------------------
def test_check_passes_and_fails_functions(capsys):
    assert check("00.square_loss", lambda p, t: (p - t) ** 2) is None
    check("00.square_loss", lambda p, t: abs(p - t))
    out = capsys.readouterr().out
    assert verdict("00.square_loss", lambda p, t: (p - t) ** 2)[0]
    assert not verdict("00.square_loss", lambda p, t: abs(p - t))[0]
    assert "correct" in out and "not yet: on square_loss(" in out and "expected" in out


def test_check_reports_exceptions_and_missing_answers(capsys):
    def stub(p, t):
        raise NotImplementedError("your code here")

    for answer in (stub, ..., 3.0):
        assert not verdict("00.square_loss", answer)[0]
        check("00.square_loss", answer)
    out = capsys.readouterr().out
    assert "raised NotImplementedError: your code here" in out
    assert "has no answer" in out and "expects a function, got float" in out


def test_check_never_reveals_a_numeric_answer():
    numeric = [ex for ex in all_exercises().values() if not callable(ex.reference)]
    for ex in numeric:
        wrong = float(ex.reference) * 1.5 + 1.0
        ok, message = verdict(ex.name, wrong)
        assert not ok
        said = message.replace(f"{wrong:.6g}", "").replace(ex.name, "")  # the name's "10." is no answer
        assert f"{float(ex.reference):.4g}" not in said
        assert verdict(ex.name, float(ex.reference))[0]


def test_every_exercise_reference_passes_its_own_check():
    exercises = all_exercises()
    assert len(exercises) >= 2
    for name, ex in exercises.items():
        assert name.split(".")[0].isdigit() and len(name.split(".")[0]) == 2, name
        if callable(ex.reference):
            assert ex.cases, f"{name} has no cases"
            assert verdict(name, ex.reference)[0], name


def test_check_unknown_exercise():
    with pytest.raises(ValueError, match="name must be one of the course's exercises"):
        check("99.nothing", 1.0)
