"""``check(name, answer)``: feedback on a notebook exercise that never gives the solution away.

An exercise (:class:`lossbook.course.exercises.Exercise`) is either a number to compute or a
function to write. A number is compared within a tolerance; a wrong number gets a hint, not the
answer. A function is run on small cases that differ from the one in the notebook, and the first
case where it goes wrong is shown with what was expected and what came back, so the learner can
debug without being handed the solution.

Whatever the answer, the checker prints one line and never raises:

- A number is any real number: ``int`` (of any size), ``float``, ``fractions.Fraction``,
  ``decimal.Decimal``, a NumPy scalar, a 0-d NumPy array or torch tensor (any real dtype, on
  any device the CPU can read), or any object with ``__float__``. ``bool`` and complex numbers
  are not numbers here. An answer that cannot be read (its ``__float__`` raises, a tensor on the
  ``meta`` device) is reported as such.
- A function's result may be anything: a result that cannot be read as real numbers (a meta
  tensor, a string, a complex array) is reported with the case it came from.
- Each case is called with fresh copies of its arguments (``copy.deepcopy``), so a function that
  modifies its input in place cannot change the cases that follow, or a later check.
- Each case has a time limit (``Exercise.time_limit``, 10 s by default; a correct answer takes
  milliseconds). On Linux and macOS a Jupyter kernel runs a cell in the main thread, and there a
  case that runs too long is stopped by ``SIGALRM`` (``signal.setitimer``): the learner's loop is
  interrupted and the checker reports which case it stopped (should the learner's code catch
  every exception, the stop is repeated each second and the checker says that the kernel must be
  interrupted). A timer signal is the one mechanism that stops pure-Python code without killing
  the kernel; a thread cannot be stopped from outside.
  Where no timer signal exists (Windows, or ``check`` called from another thread) the case cannot
  be stopped: after the time limit the checker prints that it still runs and that the kernel must
  be interrupted, and then keeps waiting.
"""

from __future__ import annotations

import contextlib
import copy
import decimal
import math
import numbers
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from lossbook.course.exercises import Exercise, all_exercises

__all__ = ["check", "verdict"]

_REPR_LIMIT = 120


def check(name: str, answer: Any) -> None:
    """Check an exercise answer and print whether it is right, or what is wrong.

    It prints ``correct: ...`` or ``not yet: ...`` and returns nothing, so a notebook cell that
    ends with ``check(...)`` shows only the message. :func:`verdict` returns the result instead.

    Parameters
    ----------
    name : str
        The exercise's name as the notebook gives it.
    answer : number or callable
        Your number, or your function.

    Examples
    --------
    >>> check("00.square_loss", lambda prediction, target: (prediction - target) ** 2)
    correct: 00.square_loss passes 3 small cases
    >>> check("00.square_loss", lambda prediction, target: prediction - target)
    not yet: on square_loss(2.0, 0.5) expected 2.25, got 1.5
    """
    print(verdict(name, answer)[1])


def verdict(name: str, answer: Any) -> tuple[bool, str]:
    """Whether ``answer`` solves exercise ``name``, and the message :func:`check` prints.

    Raises
    ------
    ValueError
        If ``name`` is not an exercise of the course. Any answer gives a message, never an error.

    Examples
    --------
    >>> verdict("00.one_example_cross_entropy", 0.5)[0]
    False
    """
    exercises = all_exercises()
    if not isinstance(name, str) or name not in exercises:
        raise ValueError(
            f"name must be one of the course's exercises {sorted(exercises)}; got {name!r}"
        )
    ex = exercises[name]
    if answer is None or answer is Ellipsis:
        return False, f"not yet: {name} has no answer; replace the ... with yours"
    if callable(ex.reference):
        return _judge_function(ex, answer)
    return _judge_number(ex, answer)


# --- a function ---------------------------------------------------------------------------------
def _judge_function(ex: Exercise, answer: Any) -> tuple[bool, str]:
    if not callable(answer):
        return False, f"not yet: {ex.name} expects a function, got {_kind(answer)}"
    short = ex.name.split(".", 1)[-1]
    for case in ex.cases:
        shown = ", ".join(_show(a) for a in case)
        expected = ex.reference(*copy.deepcopy(case))
        late = (f"{ex.name}: {short}({shown}) still runs after {ex.time_limit:g} s; if it loops "
                "forever, interrupt the kernel (the stop button, or Kernel > Interrupt Kernel)")
        try:
            with _time_limit(ex.time_limit, late):
                got = answer(*copy.deepcopy(case))
        except _TimeLimitExceeded:
            return False, (f"not yet: {short}({shown}) was stopped after {ex.time_limit:g} s "
                           "(a case takes milliseconds): does it loop forever?")
        except (Exception, SystemExit) as error:  # the learner's code: report, never crash
            return False, f"not yet: {short}({shown}) raised {type(error).__name__}: {error}"
        try:
            values = _as_real_array(got)
        except Exception as error:
            return False, (f"not yet: on {short}({shown}) expected {_show(expected)}, got "
                           f"{_show(got)}, which cannot be read as real numbers "
                           f"({type(error).__name__}: {_first_line(error)})")
        if not _close(values, np.asarray(expected, dtype=np.float64), ex):
            return False, f"not yet: on {short}({shown}) expected {_show(expected)}, got {_show(got)}"
    return True, f"correct: {ex.name} passes {len(ex.cases)} small cases"


class _TimeLimitExceeded(BaseException):
    """Raised into the learner's code by the timer; a BaseException, so that a learner's
    ``except Exception`` does not swallow it."""


@contextlib.contextmanager
def _time_limit(seconds: float, late: str) -> Iterator[None]:
    """Stop the body with :class:`_TimeLimitExceeded` after ``seconds`` where a timer signal
    exists; elsewhere print ``late`` after ``seconds`` and let the body run on."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        timer = threading.Timer(seconds, print, args=(late,))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
        return

    armed, fired = True, 0

    def stop(signum: int, frame: object) -> None:
        nonlocal fired
        if armed:
            fired += 1
            if fired == 2:  # the learner's code caught the first stop: say what to do
                print(late, flush=True)
            raise _TimeLimitExceeded

    previous = signal.signal(signal.SIGALRM, stop)
    outer_delay, outer_interval, start = 0.0, 0.0, time.monotonic()
    try:
        # It fires again every second, in case the learner's code catches the first stop with a
        # bare ``except:``. An alarm already pending (pytest-timeout's, say) is re-armed below.
        outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
        try:
            yield
        finally:
            armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)
        if outer_delay > 0:
            left = outer_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), outer_interval)


def _close(got: np.ndarray, expected: np.ndarray, ex: Exercise) -> bool:
    with np.errstate(all="ignore"):
        return got.shape == expected.shape and bool(
            np.allclose(got, expected, rtol=ex.rtol, atol=ex.atol, equal_nan=True))


# --- a number -----------------------------------------------------------------------------------
def _judge_number(ex: Exercise, answer: Any) -> tuple[bool, str]:
    if callable(answer) and not _is_array(answer):
        return False, f"not yet: {ex.name} expects a number, got a function"
    try:
        value = _as_real_number(answer)
    except _NotANumber as reason:
        return False, f"not yet: {ex.name} expects a number, got {reason}"
    except Exception as error:
        return False, (f"not yet: {ex.name}: your answer {_show(answer)} cannot be read as a "
                       f"number ({type(error).__name__}: {_first_line(error)})")
    if math.isclose(value, float(ex.reference), rel_tol=ex.rtol, abs_tol=ex.atol):
        return True, f"correct: {ex.name}"
    hint = f" Hint: {ex.hint}" if ex.hint else ""
    return False, f"not yet: {_show_number(answer, value)} is not the answer to {ex.name}.{hint}"


class _NotANumber(Exception):
    """The answer is of a kind that is not a real number; the message says what it is."""


def _as_real_number(answer: Any) -> float:
    """The value of a real-number answer as a float (±inf beyond the float range)."""
    if isinstance(answer, bool | np.bool_):
        raise _NotANumber("a bool (True or False)")
    if isinstance(answer, complex | np.complexfloating):
        raise _NotANumber("a complex number")
    if isinstance(answer, str | bytes):
        raise _NotANumber(f"a string {_safe_repr(answer)}")
    if _is_array(answer):
        shape = tuple(int(d) for d in answer.shape)
        dtype = _dtype_name(answer)
        if shape != ():
            take = " (take the number out with float(...))" if math.prod(shape) == 1 else ""
            raise _NotANumber(f"an array of shape {shape}{take}")
        if dtype == "bool":
            raise _NotANumber("a bool array")
        if "complex" in dtype:
            raise _NotANumber(f"a {dtype} array")
        if _is_torch_tensor(answer):
            answer = answer.detach()
    elif not isinstance(answer, numbers.Real | decimal.Decimal) and not hasattr(answer, "__float__"):
        raise _NotANumber(_kind(answer))
    try:
        return float(answer)
    except OverflowError:  # an int, Fraction ... beyond the float range
        return math.copysign(math.inf, 1 if answer > 0 else -1)


def _show_number(answer: Any, value: float) -> str:
    if isinstance(answer, numbers.Integral) and abs(value) < 1e15:
        return str(int(answer))
    if math.isfinite(value):
        return repr(float(f"{value:.6g}"))
    if isinstance(answer, numbers.Rational):
        with contextlib.suppress(Exception):
            exact = decimal.Decimal(answer.numerator) / decimal.Decimal(answer.denominator)
            return f"{exact.normalize():.6g}"
    return _safe_repr(answer)


# --- reading and showing any value --------------------------------------------------------------
def _is_torch_tensor(x: Any) -> bool:
    torch = sys.modules.get("torch")  # torch is imported by whoever made the tensor
    return torch is not None and isinstance(x, torch.Tensor)


def _is_array(x: Any) -> bool:
    return isinstance(x, np.ndarray | np.generic) or _is_torch_tensor(x)


def _dtype_name(x: Any) -> str:
    return str(x.dtype).removeprefix("torch.")


def _as_real_array(x: Any) -> np.ndarray:
    """``x`` as a float64 NumPy array; raises if it is not real numbers (complex, text ...)."""
    if _is_torch_tensor(x):
        import torch

        if x.is_complex():
            raise TypeError(f"a {_dtype_name(x)} tensor")
        x = x.detach().to(device="cpu", dtype=torch.float64).numpy()
    arr = np.asarray(x)
    if arr.dtype.kind == "c":
        raise TypeError(f"a {arr.dtype} array")
    if arr.dtype.kind not in "biuf":  # objects: each element must be a real number
        if any(isinstance(v, complex | str | bytes) for v in arr.ravel()):
            raise TypeError("its elements are not all real numbers")
    return arr.astype(np.float64)


def _show(x: Any) -> str:
    """A short, readable form of any value; never raises."""
    if _is_array(x) and not isinstance(x, np.generic):
        try:
            values = x
            if _is_torch_tensor(x):
                import torch

                floating = x.is_floating_point()
                values = x.detach().to(device="cpu", dtype=torch.float64 if floating else None)
            text = np.array2string(np.asarray(values), precision=6)
        except Exception:
            return _safe_repr(x)
        low = _dtype_name(x) in ("float16", "bfloat16")
        return f"{text} ({_dtype_name(x)})" if low else text
    if isinstance(x, float | np.floating):
        return repr(float(f"{float(x):.6g}"))
    return _safe_repr(x)


def _safe_repr(x: Any) -> str:
    try:
        text = repr(x)
    except Exception:
        return f"<a {type(x).__name__} object>"
    return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 3] + "..."


def _kind(x: Any) -> str:
    return type(x).__name__ if not isinstance(x, type) else f"the class {x.__name__}"


def _first_line(error: BaseException) -> str:
    try:
        text = str(error)
    except Exception:
        return ""
    return text.splitlines()[0] if text else ""
