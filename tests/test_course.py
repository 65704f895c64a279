"""The course toolkit as a learner meets it: the exercise checker, the source shown in the
notebooks, and the import paths the notebooks use."""

from __future__ import annotations

import decimal
import fractions
import importlib
import inspect
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import lossbook
from lossbook.course import Exercise, check, show_source, source_text, verdict
from lossbook.course import checker as checker_module
from lossbook.course.checkout import CourseError, repo_root
from lossbook.testing import FAMILIES

ROOT = Path(__file__).resolve().parent.parent


# --- the checker: any answer gives one line, never a traceback ---------------------------------
def _function_answers():
    def returns(value):
        return lambda p, t: value

    class NoFloat:
        def __float__(self):
            raise RuntimeError("no float for you")

        def __repr__(self):
            raise RuntimeError("no repr either")

    def bfloat16(p, t):
        return torch.tensor((p - t) ** 2, dtype=torch.bfloat16)

    def meta(p, t):
        return torch.empty((), device="meta")

    def exits(p, t):
        raise SystemExit(3)

    return {
        "bfloat16 tensor": bfloat16,  # 2.25, 0 and 9 are exact in bfloat16
        "meta tensor": meta,
        "object whose __float__ raises": returns(NoFloat()),
        "10**400": returns(10**400),
        "complex": returns(1j),
        "string": returns("2.25"),
        "None": returns(None),
        "a list": returns([1.0, 2.0]),
        "generator": lambda p, t: (x for x in [p]),
        "a class": returns(int),
        "sys.exit": exits,
        "nan": returns(float("nan")),
    }


@pytest.mark.parametrize("kind", list(_function_answers()))
def test_a_function_answer_of_any_kind_gets_one_line(kind, capsys):
    answer = _function_answers()[kind]
    ok, message = verdict("00.square_loss", answer)
    assert ok == (kind == "bfloat16 tensor"), message
    assert "\n" not in message and len(message) < 400, message
    assert message.startswith("correct: " if ok else "not yet: "), message
    check("00.square_loss", answer)
    assert capsys.readouterr().out == message + "\n"


def test_a_meta_tensor_result_says_it_cannot_be_read():
    ok, message = verdict("00.square_loss", lambda p, t: torch.empty((), device="meta"))
    assert not ok
    assert re.fullmatch(r"not yet: on square_loss\(2\.0, 0\.5\) expected 2\.25, got tensor\(.*"
                        r"device='meta'.*\), which cannot be read as real numbers \(.*\)", message)


def _number_answers():
    class NoFloat:
        def __float__(self):
            raise RuntimeError("no float for you")

    return {
        "10**400": (10**400, False, "1e+400 is not the answer"),
        "-10**400": (-(10**400), False, "-1e+400 is not the answer"),
        "Fraction 10**400": (fractions.Fraction(10**400, 3), False, "3.33333e+399 is not"),
        "bfloat16 tensor": (torch.tensor(0.2231, dtype=torch.bfloat16), False, "is not the answer"),
        "meta tensor": (torch.empty((), device="meta"), False, "cannot be read as a number"),
        "__float__ raises": (NoFloat(), False, "cannot be read as a number (RuntimeError: no float"),
        "bool": (True, False, "expects a number, got a bool"),
        "bool array": (np.array(True), False, "expects a number, got a bool array"),
        "complex": (0.2 + 0j, False, "expects a number, got a complex number"),
        "string": ("0.22", False, "expects a number, got a string '0.22'"),
        "a list": ([0.22], False, "expects a number, got list"),
        "array of one": (np.array([0.22]), False, "an array of shape (1,) (take the number out"),
        "a function": (lambda: 0.22, False, "expects a number, got a function"),
    }


@pytest.mark.parametrize("kind", list(_number_answers()))
def test_a_number_answer_of_any_kind_gets_one_line(kind):
    answer, expected_ok, text = _number_answers()[kind]
    ok, message = verdict("00.one_example_cross_entropy", answer)
    assert ok == expected_ok
    assert text in message, message
    assert "\n" not in message and message.startswith("not yet: ")


RIGHT = -np.log(0.8)  # 00.one_example_cross_entropy, within its rtol of 1e-3


@pytest.mark.parametrize("answer", [
    float(RIGHT), np.float64(RIGHT), np.float32(RIGHT), np.array(RIGHT), np.array(RIGHT, np.float32),
    torch.tensor(RIGHT), torch.tensor(RIGHT, dtype=torch.float64, requires_grad=True),
    fractions.Fraction(RIGHT).limit_denominator(10**6), decimal.Decimal(str(RIGHT)),
], ids=lambda a: type(a).__name__)
def test_every_real_number_type_is_accepted(answer):
    assert verdict("00.one_example_cross_entropy", answer) == (
        True, "correct: 00.one_example_cross_entropy")


@pytest.mark.parametrize("answer", [2, np.int64(2), np.uint8(2), torch.tensor(2),
                                    np.array(2, dtype=np.int8), fractions.Fraction(4, 2)],
                         ids=lambda a: type(a).__name__)
def test_an_integer_answer_is_a_number(answer):
    assert verdict("08.active_count", answer) == (True, "correct: 08.active_count")
    ok, message = verdict("08.active_count", 3)
    assert not ok and message.startswith("not yet: 3 is not the answer to 08.active_count. Hint:")


def test_an_answer_that_modifies_its_input_does_not_change_later_cases():
    def scales_in_place(scores, labels):
        scores *= -1.0  # the learner's bug: the input is modified
        labels[...] = 0
        return float(np.mean((scores > 0) == (labels == 1)))

    def right(scores, labels):
        return float(np.mean((scores > 0) == (labels == 1)))

    cases = [tuple(a.copy() for a in case) for case in
             checker_module.all_exercises()["00.accuracy"].cases]
    for _ in range(2):
        assert not verdict("00.accuracy", scales_in_place)[0]
    assert verdict("00.accuracy", right) == (True, "correct: 00.accuracy passes 3 small cases")
    for stored, before in zip(checker_module.all_exercises()["00.accuracy"].cases, cases,
                              strict=True):
        for a, b in zip(stored, before, strict=True):
            np.testing.assert_array_equal(a, b)


def test_each_case_gets_its_own_copy():
    seen = []

    def records(prediction, target):
        seen.append((prediction, target))
        return (prediction - target) ** 2

    assert verdict("00.square_loss", records)[0]
    assert seen == [(2.0, 0.5), (-1.0, -1.0), (0.0, 3.0)]

    calls = []

    def mutates(scores, labels):
        calls.append(scores.copy())
        scores[:] = 0.0
        return float(np.mean((scores > 0) == (labels == 1)))

    verdict("00.accuracy", mutates)
    again = []
    verdict("00.accuracy", lambda s, t: again.append(s.copy()) or 0.0)
    np.testing.assert_array_equal(calls[0], again[0])


@pytest.fixture
def endless_exercise(monkeypatch):
    """00.square_loss with a time limit of 0.3 s, so that the test is quick."""
    exercises = checker_module.all_exercises()
    quick = Exercise(**{**exercises["00.square_loss"].__dict__, "time_limit": 0.3})
    monkeypatch.setattr(checker_module, "all_exercises",
                        lambda: {**exercises, "00.square_loss": quick})


def _endless(prediction, target):
    while True:
        pass


def _catches_the_first_stop(prediction, target):
    try:
        while True:
            pass
    except BaseException:  # the learner's code swallows every exception, once
        pass
    while True:
        pass


@pytest.mark.parametrize("answer", [_endless, _catches_the_first_stop])
def test_an_endless_loop_is_stopped_with_a_clear_message(endless_exercise, answer, capsys):
    start = time.monotonic()
    ok, message = verdict("00.square_loss", answer)
    assert time.monotonic() - start < 5
    assert not ok
    assert message == ("not yet: square_loss(2.0, 0.5) was stopped after 0.3 s (a case takes "
                       "milliseconds): does it loop forever?")


def test_a_loop_that_catches_every_stop_is_reported(endless_exercise, capsys):
    def swallows_every_stop(prediction, target):
        end = time.monotonic() + (2.0 if prediction == 2.0 else 0.0)
        while time.monotonic() < end:
            try:
                time.sleep(0.05)
            except BaseException:  # the learner's code swallows every exception
                pass
        return (prediction - target) ** 2

    assert verdict("00.square_loss", swallows_every_stop)[0]
    assert capsys.readouterr().out == (
        "00.square_loss: square_loss(2.0, 0.5) still runs after 0.3 s; if it loops forever, "
        "interrupt the kernel (the stop button, or Kernel > Interrupt Kernel)\n")


def test_the_time_limit_leaves_an_outer_alarm_armed(endless_exercise):
    import signal

    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.5)
        assert not verdict("00.square_loss", _endless)[0]
        assert verdict("00.square_loss", lambda p, t: (p - t) ** 2)[0]
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < left < 1.5
        time.sleep(left + 0.2)
        assert fired == [True]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_outside_the_main_thread_a_slow_case_is_reported_while_it_runs(endless_exercise, capsys):
    def slow(prediction, target):
        time.sleep(0.6)
        return (prediction - target) ** 2

    result = []
    worker = threading.Thread(target=lambda: result.append(verdict("00.square_loss", slow)))
    worker.start()
    worker.join(10)
    assert result and result[0][0]
    assert capsys.readouterr().out.splitlines()[0] == (
        "00.square_loss: square_loss(2.0, 0.5) still runs after 0.3 s; if it loops forever, "
        "interrupt the kernel (the stop button, or Kernel > Interrupt Kernel)")


def test_the_time_limit_stops_a_loop_in_a_jupyter_kernel(tmp_path):
    """In a kernel a cell runs in the main thread, where the timer signal can stop it."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import threading\n"
        "from lossbook.course import checker, exercises\n"
        "ex = exercises.all_exercises()['00.square_loss']\n"
        "quick = exercises.Exercise(**{**ex.__dict__, 'time_limit': 0.3})\n"
        "checker.all_exercises = lambda: {'00.square_loss': quick}\n"
        "def endless(p, t):\n    while True:\n        pass\n"
        "print(threading.current_thread() is threading.main_thread())\n"
        "checker.check('00.square_loss', endless)")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    NotebookClient(nb, timeout=60, kernel_name="python3").execute(env=env, cwd=str(tmp_path))
    assert "".join(o.get("text", "") for o in nb.cells[0].outputs) == (
        "True\nnot yet: square_loss(2.0, 0.5) was stopped after 0.3 s (a case takes "
        "milliseconds): does it loop forever?\n")


def test_an_unknown_exercise_name_is_an_error_naming_it():
    for name in ("99.nothing", ["00.square_loss"], None):
        with pytest.raises(ValueError, match="name must be one of the course's exercises"):
            verdict(name, 1.0)


# --- the source as a learner reads it ----------------------------------------------------------
def _losses():
    for family in FAMILIES:
        module = importlib.import_module(family)
        for name in module.__all__:
            yield getattr(module, name)


@pytest.mark.parametrize("f", list(_losses()), ids=lambda f: f.__name__)
def test_every_public_function_shows_its_formula_without_checks(f):
    text = source_text(f)
    full = inspect.getsource(f)
    assert text.startswith(f"def {f.__name__}(")
    assert f"    # (docstring: help({f.__name__}))" in text
    assert f.__doc__.strip().splitlines()[0] not in text
    assert not re.search(r"^\s*(raise|assert)\b", text, re.M)
    assert not re.search(r"^\s*check_\w+\(", text, re.M)
    assert ": Array" not in text.splitlines()[0] and "->" not in text.split("):")[0]
    returns = [line.strip() for line in full.splitlines() if line.strip().startswith("return ")]
    assert returns and all(r in text for r in returns), "a return line is missing"
    assert len(text.splitlines()) < len(full.splitlines())
    with_checks = source_text(f, checks=True)
    assert "(input checks left out)" not in with_checks


def test_show_source_leaves_out_only_what_the_rule_says():
    def loss(input, target: object, *, weight=None, reduction: str = "mean", validate=True) -> int:
        """Docstring line one.

        More docstring.
        """
        if reduction not in ("mean", "sum"):
            raise ValueError("reduction")
        # what the next line checks
        check_shapes(input, target)  # noqa: F821 - never called

        if validate:
            check_range(input)  # noqa: F821
        else:
            pass
        d = input - target  # the residual
        if weight is not None:
            assert weight >= 0
            d = d * weight
        return d * d

    assert source_text(loss) == "\n".join([
        "def loss(input, target, *, weight=None, reduction=\"mean\", validate=True):",
        "    # (docstring: help(loss))",
        "    # (input checks left out)",
        "    if validate:",
        "        # (input checks left out)",
        "    else:",
        "        pass",
        "    d = input - target  # the residual",
        "    if weight is not None:",
        "        # (input checks left out)",
        "        d = d * weight",
        "    return d * d",
    ])


def test_show_source_keeps_a_method_call_that_builds_the_result():
    def per_layer(features):
        grads = []
        for u in features:
            check_finite(u)  # noqa: F821 - never called
            grads.append(2 * u)
        return grads

    assert source_text(per_layer).splitlines()[1:] == [
        "    grads = []",
        "    for u in features:",
        "        # (input checks left out)",
        "        grads.append(2 * u)",
        "    return grads",
    ]


def test_show_source_prints_and_refuses_what_is_not_a_python_function(capsys):
    show_source(lossbook.mse_loss)
    assert capsys.readouterr().out == source_text(lossbook.mse_loss) + "\n"
    for f in (len, np.exp, 3):
        with pytest.raises(TypeError, match="f must be a function written in Python"):
            source_text(f)


# --- import paths ------------------------------------------------------------------------------
def test_import_lossbook_imports_neither_torch_nor_matplotlib():
    code = ("import sys, lossbook; print(sorted(m for m in ('torch', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out == "[]\n"


def test_notebooks_import_the_toolkits_from_their_packages():
    code = "\n".join([
        "import lossbook",
        "from lossbook.course import setup_notebook, check, savefig, show_source, LINESTYLES",
        "from lossbook.testing import compare, twins",
        "assert not {'check', 'compare', 'savefig', 'setup_notebook'} & set(lossbook.__all__)",
        "assert not hasattr(lossbook, 'check') and not hasattr(lossbook, 'compare')",
        "print('ok')",
    ])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout == "ok\n", out.stderr


def test_repo_root_is_the_checkout_and_never_the_working_directory(tmp_path):
    assert repo_root() == ROOT
    copy = tmp_path / "lossbook"
    import shutil

    shutil.copytree(ROOT / "lossbook", copy, ignore=shutil.ignore_patterns("__pycache__"))
    code = ("from lossbook.course.checkout import repo_root\n"
            "try:\n    repo_root()\nexcept Exception as e:\n    print(type(e).__name__, e)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}).stdout
    assert out.startswith("CourseError lossbook is imported from"), out
    assert "not in a checkout of the course" in out
    assert issubclass(CourseError, Exception)


# --- study time: optional sections are counted apart ---------------------------------------------
def test_study_minutes_leaves_optional_sections_out_and_counts_them_apart(tmp_path):
    import nbformat

    from lossbook.course import study_minutes

    words = " ".join(["word"] * 750)  # five minutes of reading
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# Title\n{words}"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell(f"## A side road (optional)\n{words}\n### Inside it\n{words}"),
        nbformat.v4.new_code_cell("check('00.x', 1)"),  # an exercise: five minutes
        nbformat.v4.new_markdown_cell(f"text before the next heading\n## Back on the road\n{words}"),
        nbformat.v4.new_code_cell("y = 2"),
        nbformat.v4.new_code_cell("answer = 3", metadata={"tags": ["solution"]}),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    # core: 1500 words (10 min) + 2 code cells; optional: 1504 words (10 min) + 1 cell + 1 exercise
    assert study_minutes(path) == 10
    assert study_minutes(path, optional=True) == 15
