"""The stable primitives under their former module name; new code imports ``lossbook.primitives``.

Kept while the notebooks still import it (``_math.logsumexp_parts`` is the kernel
``primitives._logsumexp_parts``, shown by notebook 02).
"""

from lossbook.primitives import _logsumexp_parts as logsumexp_parts
from lossbook.primitives import (
    log_sigmoid,
    log_softmax,
    logsumexp,
    sigmoid,
    softmax,
    softplus,
    xlog1py,
    xlogy,
)

__all__ = [
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "logsumexp_parts",
    "sigmoid",
    "softmax",
    "softplus",
    "xlog1py",
    "xlogy",
]
