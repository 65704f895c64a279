"""Short notes on the known causes of missed targets, printed beside the measurement.

A note states a mechanism and what would close the gap; it holds no measured number. Where it
needs one, it names a placeholder that ``report.gaps`` fills from the row of this run (see
``report.NOTE_VALUES``), so a note can never quote a stale timing. A missed target without a
note is reported as "cause not diagnosed in this run".
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NOTES", "Note"]


@dataclass(frozen=True)
class Note:
    """Why a target is missed (``cause``) and what would close the gap (``close``)."""

    cause: str
    close: str

    def render(self, values: dict[str, str]) -> str:
        return f"Cause: {self.cause.format(**values)} Would close it: {self.close.format(**values)}"


_ARITHMETIC = ("arithmetic, not memory or fusion: the compiled forward and backward are one fused, "
               "vectorized kernel each, one pass over the inputs, and per element they evaluate "
               "{what}, which cost more than reading the inputs ({ns_fwd} ns per element in the "
               "compiled forward).")
_BOOL_MASKS = ("in PyTorch, not in lossbook's formula: for the backward of torch.maximum's "
               "subgradient (and of where on the labels) AOTAutograd saves bool masks from the "
               "forward, and inductor's CPU backend stores and loads bool masks element by element "
               "(compiled forward + backward {fb} ms against the no-grad compiled forward "
               "{fwd} ms). Writing max(z, 0) as z/2 + |z|/2 avoids the masks but turns an infinite "
               "input into NaN where PyTorch and the definition give 0, so lossbook keeps maximum.")

NOTES: dict[tuple[str, str], Note] = {
    ("accuracy", "kl_div"): Note(
        "ill-conditioned inputs, not the implementation: where target = exp(input) to the last "
        "bit, t (log t - x) subtracts two logs that agree to their last bit, so float64 keeps no "
        "digit of the difference; the twin is off as much ({twin_rel} relative in float64).",
        "log t in extended precision, or log_target=True (the caller passes log t)."),
    ("eager", "*"): Note(
        "lossbook is written once for NumPy and torch through the array API, as a composition of "
        "elementwise operations, each a full pass over memory in eager mode with its own backward "
        "kernel; the twin is one fused forward and one fused backward kernel.",
        "torch.compile (section 3 compiles the same code; its forward + backward time is given "
        "beside the loss where it was timed)."),
    ("compiled", "binary_cross_entropy_with_logits"): Note(
        _ARITHMETIC.replace("{what}", "exp and log1p for log1p(exp(-|x|))"),
        "more threads, or faster exp and log1p than 1-ulp vectorized ones."),
    ("compiled", "binary_cross_entropy"): Note(
        _ARITHMETIC.replace("{what}", "log(p) and log1p(-p), both needed for exact soft targets"),
        "more threads; no formulation drops one of the two logarithms for soft targets."),
    ("compiled", "kl_div"): Note(
        _ARITHMETIC.replace("{what}", "one log (through xlogy, so that 0 log 0 = 0)"),
        "more threads, or log_target=True, which needs no log at all."),
    ("compiled", "log_sigmoid"): Note(
        _ARITHMETIC.replace("{what}", "exp and log1p, the minimum for an exact log-sigmoid") +
        " The benchmark sums the reduction='none' output outside the compiled region, so "
        "forward + backward also copies a stride-0 gradient into a full-size tensor.",
        "nothing in lossbook: compile the loss together with its reduction, or more threads."),
    ("compiled", "soft_margin_loss"): Note(
        _ARITHMETIC.replace("{what}", "exp and log1p for the softplus log(1 + exp(-y x)), as "
                                      "log_sigmoid does (compare the ns per element of its row)"),
        "more threads, or faster exp and log1p than 1-ulp vectorized ones."),
    ("compiled", "sigmoid_focal_loss"): Note(
        _ARITHMETIC.replace("{what}", "exp, log1p and a log for the hard and soft targets, and "
                                      "(1 - p_t)^gamma as exp(gamma log q)"),
        "a hard-target-only variant without the soft branch, or more threads."),
    ("compiled", "margin_ranking_loss"): Note(
        _BOOL_MASKS,
        "a vectorized bool-mask store and load in ATen, or a partitioner that recomputes masks."),
    ("compiled", "hinge_embedding_loss"): Note(
        _BOOL_MASKS,
        "a vectorized bool-mask store and load in ATen, or a partitioner that recomputes masks."),
    ("course", "make test"): Note(
        "the suite holds every registered loss against its twin for every option set and "
        "backend with two gradchecks, a torch.compile trace of every case, the contract test, "
        "the hypothesis and mpmath tests and every notebook under strict nbval (a fresh kernel "
        "each), on {cores} cores (the site in Chromium and the benchmarks' quick run are "
        "make integration's).",
        "more cores, or fewer torch.compile traces (one per function instead of one per case)."),
    ("course", "*"): Note(
        "the start-up every notebook pays under nbval (a fresh kernel importing torch, NumPy "
        "and matplotlib) plus its own experiment; single runs vary with the load of this shared "
        "machine (load average at start: {load}).",
        "smaller experiments in the notebook."),
    ("course", "06_focal_loss.ipynb"): Note(
        "the imbalance experiment trains four small models on a 1:100 data set, and the notebook "
        "imports MONAI to compare with its focal loss.",
        "fewer training steps or a smaller data set, at the cost of noisier precision/recall."),
    ("course", "07_dice_loss.ipynb"): Note(
        "the toy segmentation is trained three times (CE, Dice, Dice + CE) and MONAI is imported "
        "to compare with it.",
        "fewer training steps or smaller images, at the cost of a less clear separation."),
    ("course", "all notebooks, one process"): Note(
        "each notebook gets a fresh kernel that imports torch, NumPy, matplotlib and lossbook "
        "before its first line of course code; the rest is the course itself (figures, the "
        "experiments of 06 and 07, MONAI in three notebooks).",
        "running the notebooks on more cores, as make test does (the next row)."),
    ("course", "all notebooks, make test's workers"): Note(
        "as for the serial run, divided over the workers; the slowest notebook and the kernels' "
        "start-up bound it.",
        "more cores."),
}
