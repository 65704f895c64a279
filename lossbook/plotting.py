"""Former name of :mod:`lossbook.course.plotting`, kept while notebooks still import it."""

from __future__ import annotations

from lossbook.course.checkout import repo_root
from lossbook.course.plotting import LINESTYLES, PALETTE, STYLE, figures_dir, savefig, use_style

__all__ = ["LINESTYLES", "PALETTE", "STYLE", "figures_dir", "repo_root", "savefig", "use_style"]
