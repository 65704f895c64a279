"""Where each public function of lossbook is taught, written and tested: a table for the README."""

from __future__ import annotations

import inspect
import re

__all__ = ["loss_table"]

_NOTEBOOK = re.compile(r"^\s*(\d\d_\w+)\.ipynb\s*:", re.MULTILINE)


def loss_table() -> str:
    """A Markdown table, one row per public function of lossbook with its gradient, in course
    order: the notebooks that teach it (from its docstring's See Also), its source file and its
    test file.

    Every public function lives in one family module ``lossbook/<family>.py`` and is tested in
    ``tests/test_<family>.py`` (the registry's cases, ``lossbook/testing/cases/<family>.py``, run
    in ``tests/test_registry.py`` and ``tests/test_contract.py`` as well).

    Examples
    --------
    >>> print("\\n".join(loss_table().splitlines()[:3]))  # doctest: +NORMALIZE_WHITESPACE
    | function | notebooks | source | tests |
    |---|---|---|---|
    | `entropy`, `entropy_grad` | 01 | [information.py](lossbook/information.py) | [test_information.py](tests/test_information.py) |
    """
    import lossbook

    rows = []
    for name in lossbook.__all__:
        f = getattr(lossbook, name)
        if name.endswith("_grad") or not inspect.isfunction(f):
            continue
        family = f.__module__.rsplit(".", 1)[-1]
        notebooks = dict.fromkeys(m.group(1)[:2] for m in _NOTEBOOK.finditer(f.__doc__ or ""))
        label = f"`{name}`" + (f", `{name}_grad`" if f"{name}_grad" in lossbook.__all__ else "")
        rows.append(((*notebooks, "99")[0], family, f"| {label} | {', '.join(notebooks) or '-'} | "
                     f"[{family}.py](lossbook/{family}.py) | "
                     f"[test_{family}.py](tests/test_{family}.py) |"))
    lines = ["| function | notebooks | source | tests |", "|---|---|---|---|"]
    return "\n".join(lines + [row for *_, row in sorted(rows)])
