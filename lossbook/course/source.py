"""``show_source(f)``: a function's source as a learner should read it, the formula in code.

A loss in lossbook is a few lines of formula wrapped in input checks: refusing bad shapes,
dtypes and options takes more lines than computing the loss. To read the formula, three things
are left out, each replaced by one comment line so that nothing disappears silently:

1. the docstring (``help(f)`` shows it);
2. statements that only check the input: ``raise`` and ``assert``, a call whose result is
   thrown away (``check_reduction(reduction)``: lossbook's functions compute without side
   effects, so such a call is there only to refuse bad input), and an ``if`` whose every branch
   holds nothing but such statements (``if validate: check_probabilities(...)``); full-line
   comments right above a left-out statement go with it;
3. the type hints of the signature, which is printed on as few lines as fit.

Everything else is printed as written, comments included: the stable form of the formula, the
reduction, and ``xp``, the array library (NumPy or torch) the inputs come from. The rule needs no
marks in the library's code, so every function of the package, and any function defined in a
notebook, can be shown. ``show_source(f, checks=True)`` leaves the checks in.
"""

from __future__ import annotations

import ast
import inspect
import io
import textwrap
import tokenize
from collections.abc import Callable
from typing import Any

__all__ = ["show_source", "source_text"]

_WIDTH = 92


def show_source(f: Callable[..., Any], *, checks: bool = False) -> None:
    """Print the source of ``f`` as a learner should read it (see :func:`source_text`).

    Examples
    --------
    >>> def mse(input, target, *, reduction: str = "mean") -> float:
    ...     '''The mean squared error.'''
    ...     if reduction not in ("mean", "sum"):
    ...         raise ValueError(f"unknown reduction {reduction!r}")
    ...     check_same_shape(input, target)
    ...     squares = (input - target) ** 2  # the formula
    ...     return squares.mean() if reduction == "mean" else squares.sum()
    >>> show_source(mse)
    def mse(input, target, *, reduction="mean"):
        # (docstring: help(mse))
        # (input checks left out)
        squares = (input - target) ** 2  # the formula
        return squares.mean() if reduction == "mean" else squares.sum()
    """
    print(source_text(f, checks=checks))


def source_text(f: Callable[..., Any], *, checks: bool = False) -> str:
    """The source of the function ``f`` without its docstring, its type hints and, unless
    ``checks``, the statements that only check its input (the module docstring gives the rule).

    Parameters
    ----------
    f : function
        A Python function (a lossbook loss, its gradient, a helper, or one defined in a notebook).
    checks : bool
        Keep the statements that check the input.

    Returns
    -------
    str
        The lines to read, each left-out part replaced by one comment line.

    Raises
    ------
    TypeError
        If ``f`` is not a function written in Python.
    """
    target = inspect.unwrap(f) if callable(f) else f
    if not (inspect.isfunction(target) or inspect.ismethod(target)):
        raise TypeError(f"f must be a function written in Python; got {type(f).__name__}")
    try:
        source = textwrap.dedent(inspect.getsource(target))
    except (OSError, TypeError) as error:
        raise TypeError(f"f must be a function whose source is available; {error}") from None
    node = ast.parse(source).body[0]
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        raise TypeError(f"f must be a function written in Python; got {type(f).__name__}")
    lines = source.splitlines()
    first_body_line = _signature_end(source, node) + 1  # line numbers are 1-based, as in ast

    removed: set[int] = set()
    comment: dict[int, str] = {}  # first line of a left-out part -> the comment that replaces it
    body = list(node.body)
    if _is_docstring(body[0]):
        doc = body.pop(0)
        removed.update(range(doc.lineno, doc.end_lineno + 1))
        comment[doc.lineno] = f"{' ' * doc.col_offset}# (docstring: help({node.name}))"
    if not checks:
        for stmt in _checks(body):
            first = stmt.lineno
            while first - 1 >= first_body_line and lines[first - 2].lstrip().startswith("#"):
                first -= 1  # a comment right above goes with the statement
            removed.update(range(first, stmt.end_lineno + 1))
            comment.setdefault(first, f"{' ' * stmt.col_offset}# (input checks left out)")

    out = [*(lines[i - 1] for i in _decorator_lines(node)), *_signature(node, source)]
    after_removed = False
    for number in range(first_body_line, len(lines) + 1):
        line = lines[number - 1]
        if number in removed:
            if number in comment and out[-1] != comment[number]:
                out.append(comment[number])  # consecutive left-out parts share one comment
            after_removed = True
        elif not (line.strip() == "" and after_removed):  # no blank line where a part was
            out.append(line)
            after_removed = False
    while not out[-1].strip():
        out.pop()
    return "\n".join(out)


def _signature_end(source: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The line of the colon that ends the ``def`` line(s)."""
    depth = 0
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for tok in tokens:
        if tok.start[0] < node.lineno or tok.type != tokenize.OP:
            continue
        if tok.string in "([{":
            depth += 1
        elif tok.string in ")]}":
            depth -= 1
        elif tok.string == ":" and depth == 0:
            return tok.start[0]
    raise TypeError("f's source has no complete def line")  # pragma: no cover


def _decorator_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> range:
    if not node.decorator_list:
        return range(0)
    return range(node.decorator_list[0].lineno, node.lineno)


def _is_docstring(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str))


def _is_check(stmt: ast.stmt) -> bool:
    """Whether ``stmt`` only checks the input: raise, assert, a call of a function (not of a
    method: ``grads.append(g)`` changes ``grads``) whose result is thrown away, or an ``if`` all
    of whose branches are such statements."""
    if isinstance(stmt, ast.Raise | ast.Assert):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        return isinstance(stmt.value.func, ast.Name)
    if isinstance(stmt, ast.If):
        return all(_is_check(s) for s in stmt.body) and all(_is_check(s) for s in stmt.orelse)
    return False


def _checks(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of ``body``, at any depth, that only check the input (outermost first)."""
    found = []
    for stmt in body:
        if _is_check(stmt):
            found.append(stmt)
            continue
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and not isinstance(stmt, ast.FunctionDef | ast.ClassDef):
                found += _checks(inner)
        for handler in getattr(stmt, "handlers", []):
            found += _checks(handler.body)
    return found


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef, source: str) -> list[str]:
    """``def name(params):`` without type hints, defaults as written, wrapped to fit."""
    a = node.args

    def param(arg: ast.arg, default: ast.expr | None) -> str:
        if default is None:
            return arg.arg
        return f"{arg.arg}={ast.get_source_segment(source, default) or ast.unparse(default)}"

    positional = [*a.posonlyargs, *a.args]
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    params = [param(arg, d) for arg, d in zip(positional, defaults, strict=True)]
    if a.posonlyargs:
        params.insert(len(a.posonlyargs), "/")
    if a.vararg:
        params.append(f"*{a.vararg.arg}")
    elif a.kwonlyargs:
        params.append("*")
    params += [param(arg, d) for arg, d in zip(a.kwonlyargs, a.kw_defaults, strict=True)]
    if a.kwarg:
        params.append(f"**{a.kwarg.arg}")

    head = f"{'async ' if isinstance(node, ast.AsyncFunctionDef) else ''}def {node.name}("
    indent = " " * len(head)
    lines, line = [], head
    for i, p in enumerate(params):
        piece = p + ("," if i + 1 < len(params) else "")
        if line not in (head, indent) and len(line) + 1 + len(piece) + 2 > _WIDTH:
            lines.append(line)
            line = indent
        line += ("" if line in (head, indent) else " ") + piece
    lines.append(line + "):")
    return lines
