"""Fast enough to train with: every registered function and its gradient trace whole under
``torch.compile(fullgraph=True)`` (a module of its own, so that ``make test``'s workers share the
registry's tests: they are its slowest part)."""

from __future__ import annotations

import inspect

import pytest
import torch

from lossbook.testing import CASES, Case


@pytest.mark.filterwarnings("ignore::UserWarning")  # Dynamo's notes on array_api_compat's caches
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_compiles_without_graph_break(case: Case):
    """Fast enough to train with: the loss and its gradient trace whole under torch.compile."""
    inputs, options = case.tensors(case.options[-1], seed=0)
    if "validate" in inspect.signature(case.ours).parameters:
        options["validate"] = False
    for f in (case.ours, case.grad):
        if f is None:
            continue
        torch._dynamo.reset()
        compiled = torch.compile(lambda *xs, f=f: f(*xs, **options), fullgraph=True,
                                 backend="eager")
        torch.testing.assert_close(compiled(*inputs), f(*inputs, **options), equal_nan=True)
