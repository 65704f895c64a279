"""lossbook's test kit: ``compare``, every twin, and the case registry split by family.

The library (``lossbook`` and its family modules) imports neither torch nor this package; the
tests, the benchmarks and the notebooks use it to hold lossbook against PyTorch, MONAI and
torchvision's formulas:

* ``compare(ours, theirs, *inputs, grad=...)``: values and gradients on three backends in two
  precisions (NumPy float64, torch float64, torch float32), one line printed, an
  ``AssertionError`` on any mismatch;
* ``lossbook.testing.twins``: every twin, defined once, with lossbook's signature;
* ``CASES`` / ``FAMILIES``: the registry, one module per family in
  ``lossbook.testing.cases``, each entry a ``Case`` with typed, validated ``Tag`` s.
"""

from __future__ import annotations

from lossbook.testing import twins
from lossbook.testing.cases import CASES, FAMILIES
from lossbook.testing.compare import BACKENDS, Row, compare, summary
from lossbook.testing.registry import Case, Tag, reductions

__all__ = ["BACKENDS", "CASES", "FAMILIES", "Case", "Row", "Tag", "compare", "reductions",
           "summary", "twins"]
