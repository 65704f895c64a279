"""Former name of :mod:`lossbook.course.exercises`, kept while notebooks still import it.

``lossbook._exercises.n07_dice_loss`` is the same module object as
``lossbook.course.exercises.n07_dice_loss``.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from lossbook.course import exercises as _exercises

for _info in pkgutil.iter_modules(_exercises.__path__):
    _module = importlib.import_module(f"{_exercises.__name__}.{_info.name}")
    sys.modules[f"{__name__}.{_info.name}"] = _module
    globals()[_info.name] = _module
