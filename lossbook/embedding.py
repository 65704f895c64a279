"""The margin losses under their former module name; new code imports ``lossbook.margin``.

Kept while the notebooks still import it (notebook 08 also shows ``_pnorm`` and
``_triplet_parts`` and prints ``COSINE_EPS``).
"""

from lossbook.margin import (  # noqa: F401 (the private names notebook 08 shows)
    COSINE_EPS,
    _pnorm,
    _triplet_parts,
    cosine_embedding_loss,
    cosine_embedding_loss_grad,
    hinge_embedding_loss,
    hinge_embedding_loss_grad,
    margin_ranking_loss,
    margin_ranking_loss_grad,
    triplet_margin_loss,
    triplet_margin_loss_grad,
)

__all__ = [
    "cosine_embedding_loss",
    "cosine_embedding_loss_grad",
    "hinge_embedding_loss",
    "hinge_embedding_loss_grad",
    "margin_ranking_loss",
    "margin_ranking_loss_grad",
    "triplet_margin_loss",
    "triplet_margin_loss_grad",
]
