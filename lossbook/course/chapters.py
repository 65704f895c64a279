"""The course map: the notebooks in order, with what each one teaches."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["COURSE", "Chapter", "course_table", "study_minutes"]


@dataclass(frozen=True)
class Chapter:
    """One notebook of the course."""

    number: int
    slug: str
    title: str
    goals: str

    @property
    def stem(self) -> str:
        """The file name without extension, ``NN_slug``."""
        return f"{self.number:02d}_{self.slug}"

    def path(self, folder: Path) -> Path:
        """The notebook's path in ``folder``."""
        return folder / f"{self.stem}.ipynb"


COURSE = (
    Chapter(0, "welcome", "Welcome",
            "how to use the course; what a loss is; why accuracy cannot be the loss"),
    Chapter(1, "entropy", "Entropy",
            "surprisal; entropy in bits and nats; coding length; the maximum at uniform"),
    Chapter(2, "cross_entropy", "Cross-entropy",
            "softmax and log-sum-exp; CE = NLL(log_softmax); targets, weights, smoothing"),
    Chapter(3, "kl_divergence", "KL divergence",
            "KL = CE - H; Gibbs; forward vs reverse KL; KLDivLoss; distillation"),
    Chapter(4, "binary_cross_entropy", "Binary cross-entropy",
            "sigmoid vs softmax; BCE with logits and why it is stable; pos_weight; multi-label"),
    Chapter(5, "regression_losses", "Regression losses",
            "MSE, L1, SmoothL1, Huber: likelihoods, mean vs median, gradients, outliers"),
    Chapter(6, "focal_loss", "Focal loss",
            "class imbalance; q_t, gamma and alpha; the prior bias; CE vs weighted CE vs focal"),
    Chapter(7, "dice_loss", "Dice loss",
            "Dice and IoU; soft Dice; empty masks; Tversky; a toy segmentation"),
    Chapter(8, "margin_losses", "Margin losses",
            "triplet, hinge, margin ranking and cosine embedding losses; a learned embedding"),
    Chapter(9, "multiclass_hinge", "The multi-class hinge",
            "the SVM loss and its gradient; SVM vs softmax; multi-label and soft margin losses"),
    Chapter(10, "box_regression", "Box regression",
            "SmoothL1 on offsets vs IoU; IoU, GIoU, DIoU and CIoU losses; degenerate boxes"),
    Chapter(11, "perceptual_loss", "Perceptual loss",
            "feature maps; the feature loss and LPIPS's normalisation; a trained network vs pixels"),
    Chapter(12, "choosing_a_loss", "Choosing a loss",
            "a decision table by task and metric; the loss families side by side; common mistakes"),
    Chapter(13, "common_claims", "Common claims",
            "claims from tutorials decided by one rule; claims about 06-11 decided by training"),
)


def study_minutes(path: Path, *, optional: bool = False) -> int:
    """An estimate of the time to work through a notebook, in minutes, rounded to 5.

    Reading the text at 150 words a minute, one minute per code cell to run and read it, and five
    minutes per exercise (a code cell calling ``check``); solution cells do not count. A section
    whose Markdown heading ends with "(optional)" runs to the next heading of the same or a
    higher level: its text and cells are left out, and ``optional=True`` counts only them.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    words = code = exercises = 0
    level = None  # the heading level of the optional section we are in, if any
    for cell in nb.cells:
        if "solution" in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "code":
            if (level is not None) == optional:
                code += 1
                exercises += "check(" in cell.source
            continue
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            heading = re.match(r"(#{1,6})\s+(.*?)\s*$", line)
            if heading:
                depth = len(heading.group(1))
                if level is not None and depth <= level:
                    level = None
                if level is None and heading.group(2).lower().endswith("(optional)"):
                    level = depth
            if (level is not None) == optional:
                words += len(re.findall(r"[A-Za-z]+", line))
    minutes = words / 150 + code + 5 * exercises
    return 5 * round(minutes / 5) if optional else max(5, 5 * round(minutes / 5))


def course_table(folder: Path) -> str:
    """The course map as a Markdown table, with the estimated study time of each notebook (and of
    its optional sections, if it has any); a chapter whose notebook is not in ``folder`` yet is
    marked "in preparation".

    Examples
    --------
    >>> print(course_table(Path("/nonexistent")).splitlines()[2])
    | 00 | Welcome | how to use the course; what a loss is; why accuracy cannot be the loss | in preparation |
    """
    lines = ["| # | notebook | what you learn | time |", "|---|---|---|---|"]
    total = 0
    for ch in COURSE:
        path = ch.path(folder)
        if path.is_file():
            minutes = study_minutes(path)
            extra = study_minutes(path, optional=True)
            total += minutes
            name, time = f"[{ch.title}](notebooks/{ch.stem}.ipynb)", f"{minutes} min"
            if extra:
                time += f" (+{extra} optional)"
        else:
            name, time = ch.title, "in preparation"
        lines.append(f"| {ch.number:02d} | {name} | {ch.goals} | {time} |")
    if total:
        lines.append(f"| | | all of it | about {total / 60:.0f} hours |")
    return "\n".join(lines)
