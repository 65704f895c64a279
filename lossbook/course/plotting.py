"""The course's figure style and ``savefig``, which writes deterministic PNGs into figures/.

Colours are the Okabe-Ito palette, safe for the common colour-vision deficiencies, and every
colour comes with its own line style, so a figure still reads in grey or for a reader who
cannot tell two of the colours apart. Backgrounds are opaque white, so figures read on a dark
page too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import matplotlib as mpl
from cycler import cycler
from matplotlib.figure import Figure

from lossbook.course.checkout import CourseError, repo_root

__all__ = ["LINESTYLES", "PALETTE", "STYLE", "figures_dir", "savefig", "use_style"]

PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#000000",  # black
    "#F0E442",  # yellow (last: weak on white)
)
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 3)))

STYLE = {
    "axes.prop_cycle": cycler(color=PALETTE) + cycler(linestyle=LINESTYLES),
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 2.0,
    "font.size": 11,
    "legend.frameon": False,
    "image.cmap": "cividis",
}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def use_style() -> None:
    """Apply the course style to matplotlib's global settings."""
    mpl.rcParams.update(STYLE)


def figures_dir() -> Path:
    """Where figures go: ``$LOSSBOOK_FIGURES`` if set, else ``figures/`` of the checkout the
    imported lossbook comes from (a :class:`~lossbook.course.checkout.CourseError` if there is
    none and the variable is not set)."""
    env = os.environ.get("LOSSBOOK_FIGURES")
    if env:
        return Path(env)
    try:
        return repo_root() / "figures"
    except CourseError as error:
        raise CourseError(f"{error}; or set LOSSBOOK_FIGURES to the folder for figures") from None


def savefig(fig: Figure, name: str) -> Path:
    """Save ``fig`` as ``figures/<name>.png``, byte-identical every time it is rebuilt.

    The PNG carries no timestamp or software version (``metadata={"Software": None}``), a
    fixed resolution and an opaque background.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    name : str
        File name without folder or extension, by convention ``NN_topic`` (``"00_accuracy"``).

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> savefig(plt.figure(), "../escape")
    Traceback (most recent call last):
    ...
    ValueError: name must be a plain file name without folder or extension, like '00_accuracy'; got '../escape'
    """
    if not isinstance(name, str) or not _NAME.match(name) or name.endswith(".png"):
        raise ValueError(
            "name must be a plain file name without folder or extension, like '00_accuracy'; "
            f"got {name!r}"
        )
    folder = figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, format="png", dpi=100, facecolor="white", metadata={"Software": None})
    return path
