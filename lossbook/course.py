"""The course map: the notebooks in order, with what each one teaches."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["COURSE", "Chapter", "course_table"]


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
            "class imbalance; p_t, gamma and alpha; CE vs weighted CE vs focal"),
    Chapter(7, "dice_loss", "Dice loss",
            "Dice and IoU; soft Dice; empty masks; Tversky; a toy segmentation"),
    Chapter(8, "margin_losses", "Margin losses",
            "triplet, hinge, margin ranking and cosine embedding losses; a learned embedding"),
    Chapter(9, "choosing_a_loss", "Choosing a loss",
            "a decision table; every loss side by side; common mistakes and their symptoms"),
    Chapter(10, "common_claims", "Common claims",
            "claims from tutorials, each tested: true, false, or true with conditions"),
)


def course_table(folder: Path) -> str:
    """The course map as a Markdown table; a chapter whose notebook is not in ``folder`` yet
    is marked "in preparation".

    Examples
    --------
    >>> print(course_table(Path("/nonexistent")).splitlines()[2])
    | 00 | Welcome | how to use the course; what a loss is; why accuracy cannot be the loss | in preparation |
    """
    lines = ["| # | notebook | what you learn | status |", "|---|---|---|---|"]
    for ch in COURSE:
        present = ch.path(folder).is_file()
        name = f"[{ch.title}](notebooks/{ch.stem}.ipynb)" if present else ch.title
        lines.append(
            f"| {ch.number:02d} | {name} | {ch.goals} | "
            f"{'ready' if present else 'in preparation'} |"
        )
    return "\n".join(lines)
