"""The case registry, one module per loss family: every public function of every family module
of lossbook, with its gradient, its twin, an input generator and the option sets to test.

``CASES`` holds every case, the shared primitives first, then the families in course order; ``DOCUMENTED`` lossbook's documented choices where
it differs from a twin on special values (the contract test holds them); ``FAMILIES`` maps each family module of lossbook
(``"lossbook.information"``, ...) to its cases. The completeness test
(``tests/test_registry.py``) fails when a public function of a family module, or its gradient,
has no case (scikit-learn's ``test_common`` works the same way).
"""

from __future__ import annotations

from lossbook.testing.cases import (
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
from lossbook.testing.registry import Case, Documented

__all__ = ["CASES", "DOCUMENTED", "FAMILIES"]

_MODULES = (primitives, information, classification, binary, regression, focal, segmentation,
            margin, box, hinge, perceptual)

FAMILIES: dict[str, list[Case]] = {m.MODULE: m.CASES for m in _MODULES}
CASES: list[Case] = [case for m in _MODULES for case in m.CASES]
# Where lossbook differs from its twin on a special value (NaN, inf, subnormal, largest float):
# the choice, quoted from the docstring; tests/test_contract.py holds it.
DOCUMENTED: dict[tuple[str, str, str], Documented] = {
    (d.function, d.argument, d.value): d for m in _MODULES for d in m.DOCUMENTED}
