"""``setup_notebook()``: the first cell of every notebook, which makes its outputs reproducible."""

from __future__ import annotations

__all__ = ["setup_notebook"]


def setup_notebook(seed: int = 0, precision: int = 4) -> None:
    """Make a notebook reproducible: seeds, one thread, print precision and the figure style.

    Seeds Python's, NumPy's global and torch's generators with ``seed``, runs torch on one
    thread, prints NumPy arrays and torch tensors with ``precision`` digits, and applies the
    course's figure style. On the CPU with one thread torch's kernels give the same bits on
    every run (strict nbval checks every stored output), so the notebooks do not call
    ``torch.use_deterministic_algorithms``: it would only import torch's compiler (about a
    second at every notebook start) to set a flag the course does not need.

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

    from lossbook.course.plotting import use_style

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (learners call np.random.* directly)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    np.set_printoptions(precision=precision, suppress=True)
    torch.set_printoptions(precision=precision, sci_mode=False)
    use_style()
