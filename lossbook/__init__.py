"""lossbook: exact, tested reference implementations of the loss functions the course derives.

Every loss takes NumPy arrays or torch tensors (the result has the input's type, dtype and
device; torch tensors keep autograd), PyTorch's argument names and defaults, and has a
hand-derived gradient ``<loss>_grad`` beside it.
"""

from __future__ import annotations

from lossbook.check import compare
from lossbook.exercises import check
from lossbook.plotting import savefig, use_style

__all__ = ["__version__", "check", "compare", "savefig", "setup_notebook", "use_style"]

__version__ = "0.1.0"


def setup_notebook(seed: int = 0, precision: int = 4) -> None:
    """Make a notebook reproducible: seeds, one thread, print precision and the figure style.

    Seeds Python's, NumPy's global and torch's generators with ``seed``, runs torch on one
    thread with deterministic algorithms, prints NumPy arrays and torch tensors with
    ``precision`` digits, and applies the course's figure style.

    Examples
    --------
    >>> setup_notebook()
    >>> import numpy as np
    >>> print(np.array([1 / 3]))
    [0.3333]
    """
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (learners call np.random.* directly)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    np.set_printoptions(precision=precision, suppress=True)
    torch.set_printoptions(precision=precision, sci_mode=False)
    use_style()
