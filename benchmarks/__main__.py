"""``python -m benchmarks [--quick] [--out DIR]``: run every benchmark, print the tables and
write RESULTS.md and figures/bench_speed.png (or DIR/RESULTS.md and DIR/bench_speed.png)."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (section, loss or notebook) -> cause of a missed target and what would close it. Written from
# the diagnosis of the reference run; a missed target without an entry says "not diagnosed".
CAUSES: dict[tuple[str, str], str] = {
    ("accuracy", "kl_div"): (
        "Cause: ill-conditioning, not an implementation fault. Where target = exp(input) up to "
        "rounding, the pointwise loss t (log t - x) is the difference of two logs that agree to "
        "the last bit; float64 log t carries half an ulp of error, so the difference is 0 or "
        "wrong in every digit (PyTorch gives the same). Closing it needs log t in extended "
        "precision (a double-double log) or the caller passing log t itself (log_target=True)."),
    ("accuracy", "focal_loss"): (
        "Cause: lossbook/focal.py, _softmax_parts: d = x_t - logsumexp(others) forms the "
        "log-sum-exp at the scale of the logits, so with logits near -1e4 d carries an absolute "
        "error of ulp(1e4) = 1.8e-12 (3e-13 relative in the loss); and exp(gamma log sigma(-d)) "
        "turns the rounding of a log near -100 into ~1e-14 relative. Closing it: d = (x_t - m) - "
        "log(sum exp(others - m)) with m the largest other logit (exact differences near the "
        "top), and (1 - p_t)^gamma as sigma(-d) ** gamma."),
    ("accuracy", "dice_loss"): (
        "Cause: lossbook/segmentation.py computes the loss as 1 - (2I + s)/(P + T + s) (as MONAI), "
        "so a loss below ~1e-16 (an empty mask with a 1e-300 prediction: truth 1e-295) is 0 and "
        "a near-perfect prediction (loss 1e-12) keeps only 4 digits. Closing it: compute "
        "(FP + FN + s_dr - s_nr)/(2 TP + FP + FN + s_dr) with FP = sum p (1 - t) and "
        "FN = sum (1 - p) t, which has no cancellation."),
    ("accuracy", "jaccard_loss"): (
        "Cause: the same 1 - ratio subtraction in lossbook/segmentation.py (jaccard_loss). "
        "Closing it: (FP + FN + s_dr - s_nr)/(TP + FP + FN + s_dr)."),
    ("accuracy", "tversky_loss"): (
        "Cause: the same 1 - ratio subtraction in lossbook/segmentation.py (tversky_loss). "
        "Closing it: (alpha FP + beta FN + s_dr - s_nr)/(TP + alpha FP + beta FN + s_dr)."),
    ("accuracy", "cosine_embedding_loss"): (
        "Cause: lossbook/embedding.py, cosine_embedding_loss forms 1 - cos after rounding cos, so "
        "for nearly parallel pairs (1 - cos = 4.5e-13) only ~4 digits survive; PyTorch does the "
        "same. Closing it: 1 - cos = |u/|u| - v/|v||^2 / 2 (computed from the normalised "
        "difference, exact up to rounding of the difference), with PyTorch's eps kept in the norms."),
    # Compiled gaps, diagnosed from inductor's generated C++ (TORCH_LOGS=output_code),
    # torch.profiler, and compiled micro-kernels on 4M float32, one thread. Measured per element
    # on this machine (AVX-512, Sleef u10 functions): compiled sum(x) 0.26 ns, sum(exp(-x))
    # 0.43 ns, sum(log(x)) 0.63 ns, sum(log1p(-x)) 0.90 ns, sum(log1p(exp(-|x|))) 1.49 ns; the
    # 50 % target at 27.8 GB/s allows 0.29 ns per element for a one-input read, 0.58 ns for two.
    ("compiled", "binary_cross_entropy_with_logits"): (
        "Cause: arithmetic, not memory or fusion. Forward and backward are each one fused, "
        "AVX-512-vectorized kernel making one pass over input and target (32 MiB read in the "
        "forward); per element the forward evaluates Sleef exp and log1p for "
        "log1p(exp(-|x|)), 1.2 ns of the 2.2 ns per element measured, so even a kernel doing "
        "only that and the two reads would reach about 20 % of the copy bandwidth on one thread. Found and fixed "
        "here: lossbook computed softplus(x) and softplus(-x) separately, 2 exp + 2 log1p per "
        "element, because inductor's common-subexpression pass does not see abs(-x) = abs(x); "
        "they now share log1p(exp(-|x|)) (same bits): compiled forward 16.4 -> 9.1 ms, forward + "
        "backward 23.7 -> 13.3 ms, both now faster than PyTorch eager (14.3 / 19.7 ms). What "
        "would close the rest: more threads, or a faster exp/log1p than Sleef's 1-ulp versions "
        "(not at this accuracy)."),
    ("compiled", "binary_cross_entropy"): (
        "Cause: arithmetic, not memory or fusion. The forward is one fused, AVX-512-vectorized "
        "kernel, one pass over p and y (32 MiB read), with one Sleef log(p) and one log1p(-p) per "
        "element; both are needed for exactness (log(1 - p) would lose a loss like 1e-20 to "
        "the rounding of 1 - p), and they alone cost about 1 ns per element on one thread "
        "(log 0.37 ns + log1p 0.64 ns above a plain read), which caps the kernel near 20 % of the "
        "copy bandwidth. The compiled loss is already 10x faster than PyTorch eager (forward "
        "9.25 vs 91.79 ms, forward + backward 12.86 vs 98.18 ms). What would close it: more "
        "threads; no formulation removes one of the two logarithms for soft targets."),
    ("compiled", "kl_div"): (
        "Cause: arithmetic, not memory or fusion, as for the other log losses. The pointwise "
        "loss t (log t - x) needs one log per element (through xlogy, so 0 log 0 = 0), and a "
        "vectorized log alone costs about 0.63 ns per element on one thread (measured in the "
        "diagnosis of binary_cross_entropy): the compiled forward's 3.62 ms for 4M elements is "
        "0.86 ns per element, that log plus reading two inputs. It is already 5x faster than "
        "PyTorch eager. What would close it: more threads, or log_target=True, which takes log t "
        "from the caller and needs no log at all."),
    ("course", "06_focal_loss.ipynb"): (
        "Cause: the notebook's imbalance experiment trains four small models on a 1:100 data set "
        "and it imports MONAI (about 2 s of CPU) to compare with MONAI's focal loss, on top of the "
        "kernel start and torch import every notebook pays. What would close it: fewer training "
        "steps or a smaller data set, at the cost of noisier precision/recall numbers."),
    ("course", "make test"): (
        "Cause: the suite is large for two cores: every registered loss against its twin for "
        "every option set and backend with gradcheck, a torch.compile trace of every function "
        "and its gradient, the hypothesis and mpmath tests, eleven notebooks under strict nbval "
        "(a fresh kernel each) and the site opened in Chromium; make test already spreads the "
        "test files over the cores (pytest-xdist). What would close it: more cores, or fewer "
        "torch.compile traces (one per function instead of one per registered option set)."),
    ("course", "*"): (
        "Cause: the fixed start-up every notebook pays under nbval (a fresh kernel importing "
        "torch, NumPy and matplotlib) plus the notebook's own experiment; single runs on this "
        "shared two-core machine vary by a few seconds with its load (see the load average "
        "above). What would close it: smaller experiments in the notebook."),
    ("course", "all notebooks, one process"): (
        "Cause: each notebook gets a fresh Jupyter kernel (nbval's model, and what a learner "
        "opening it gets), and before its first line of course code that kernel starts (about "
        "0.5 s) and its first cell imports torch, NumPy, matplotlib and lossbook (1.5 to 3 s in "
        "pytest --durations): about a third of the serial total for eleven notebooks. The rest is "
        "the course itself: figures drawn twice (saved to figures/ and shown inline), the "
        "experiments of 06 and 07, and MONAI imported by the three notebooks that compare with "
        "it (about 2 s each). What would close it: running the notebooks on more cores, as "
        "make test does (the next row)."),
    ("course", "all notebooks, make test's workers"): (
        "Cause: as for the serial run, divided over the workers; the slowest notebook and the "
        "kernels' start-up bound it. What would close it: more cores."),
    ("course", "07_dice_loss.ipynb"): (
        "Cause: the notebook trains its toy segmentation model three times (CE, Dice, Dice + CE; "
        "200 steps each, about 2.5 s with the convolutions in channels_last) and imports MONAI "
        "(about 2 s of CPU) to compare with it, on top of the kernel start and torch import every notebook pays. What would close it: "
        "fewer training steps or smaller images, at the cost of a less clear separation between "
        "the three losses."),
    ("compiled", "log_sigmoid"): (
        "Cause: arithmetic, plus a harness effect in forward + backward. The forward is one "
        "fused, AVX-512-vectorized kernel computing min(x, 0) - log1p(exp(-|x|)) (1 exp + 1 log1p "
        "per element, the minimum for an exact log-sigmoid) and writing the full-size output "
        "(16 MiB read + 16 MiB written; the GB/s column counts the read only); PyTorch's own "
        "vectorized log_sigmoid kernel does the same work and takes the same time (7.70 vs "
        "7.96 ms). Forward + backward is slower than eager because the benchmark sums the "
        "reduction='none' output outside the compiled region: the gradient of that sum is a "
        "stride-0 ones tensor, which AOTAutograd copies into a contiguous 16 MiB tensor before "
        "the compiled backward (aten::copy_, about 2.6 ms per step in torch.profiler), and the "
        "backward kernel recomputes exp(-|x|) and writes 16 MiB. Compiling log_sigmoid(x).sum() "
        "as one function removes the copy: 10.3 ms against 12.2 ms compiled-then-summed and "
        "9.9 ms for F.logsigmoid(x).sum() eager (same shared run). What would close it: nothing "
        "in lossbook; time the compiled function with its reduction, or more threads."),
    ("compiled", "sigmoid_focal_loss"): (
        "Cause: arithmetic, not memory or fusion. Forward and backward are one fused, "
        "AVX-512-vectorized kernel each, one pass over logits and targets. Found and fixed here: "
        "the forward evaluated 6 exp + 3 log1p + 1 log per element, because log_sigmoid(x), "
        "log_sigmoid(-x) and the hard-target log_sigmoid(-s) (s = +-x) each recomputed "
        "log1p(exp(-|x|)) and inductor does not see abs(-x) = abs(x); they now share it (same "
        "bits): 4 exp + 1 log1p + 1 log, compiled forward 30.3 -> 20.6 ms, forward + backward "
        "74.0 -> 46.2 ms, both faster than torchvision's formula in eager (51.1 / 69.5 ms). The "
        "rest is the soft-target branch (sigma(x), sigma(-x) and the log of their mixture) and "
        "(1 - p_t)^gamma = exp(gamma log q), which a branch-free kernel evaluates for every "
        "element. What would close it: a hard-target-only variant (no soft branch), more threads; "
        "not 50 % of the copy bandwidth with 1-ulp transcendental functions on one thread."),
    ("compiled", "margin_ranking_loss"): (
        "Cause in PyTorch, not in lossbook's formula (the same as hinge_embedding_loss below): "
        "torch.maximum(z, 0)'s backward needs two bool masks (z == 0, z < 0), AOTAutograd's "
        "min-cut partitioner saves them from the forward (1 byte per element is its cheapest "
        "cut), and inductor's CPU backend writes a bool mask at about 12 ns per element, so the "
        "training-mode forward kernel took 77 ms and the backward 23 ms, against 2 ms for the "
        "no-grad forward. Computing the hinge as z/2 + |z|/2 saves sign(z) as a float instead "
        "(forward + backward measured 85.3 -> 7.1 ms, PyTorch eager 29.4 ms) but turns an "
        "infinite score (z = -inf) into NaN (-inf + inf) where PyTorch and the definition give 0, "
        "so lossbook keeps maximum. What would close it: a vectorized bool-mask store/load in "
        "ATen's VecMask, or a partitioner that recomputes the masks from the saved input."),
    ("compiled", "hinge_embedding_loss"): (
        "Cause in PyTorch, not in lossbook's formula: forward and backward are one fused, "
        "vectorized kernel each, but for the backward AOTAutograd's min-cut partitioner saves 4 "
        "bool masks from the forward (y != 1 and y != -1 from the two where's, z == 0 and z < 0 "
        "from maximum's subgradient; 4 x 4 MiB), its cheapest cut at 1 byte per element. "
        "Inductor stores each through VecMask<float,1>::store(bool*), whose float-to-bool mask "
        "cast has no AVX-512 specialisation (the generic VecMaskCast converts a 64-byte buffer "
        "in a scalar loop for every 16 elements), and reads them back with the scalar "
        "VecMask::from(bool*). Measured: a compiled x > 0 returning a bool tensor takes 49.6 ms "
        "for 4M elements (11.8 ns per element) against 1.9 ms for the same comparison in eager "
        "and 2.8 ms for a compiled float x * 2; reading a bool mask back costs about 4 ns per "
        "element. torch.profiler: training-mode forward kernel 180 ms (no-grad forward 1.65 ms), "
        "backward kernel 54 ms. What would close it: a vectorized VecMask<float,1> <-> bool "
        "conversion in ATen (e.g. _mm512_cvtepi32_epi8 on the mask, _mm512_cvtepu8_epi32 and a "
        "compare to load), or a partitioner that recomputes masks from the saved inputs on CPU. "
        "Within lossbook, max(0, m - x) as z/2 + |z|/2 removes the two maximum masks (measured "
        "255 -> 131 ms, PyTorch eager 126 ms in the same run) but turns an infinite distance of a "
        "dissimilar pair into NaN (-inf + inf) where PyTorch gives 0, so it is not applied; the "
        "two label masks stay because PyTorch's rule for labels other than +-1 (both terms) "
        "needs two comparisons."),
    ("eager", "*"): (
        "Cause: lossbook is written once for NumPy and torch through the array API, as a "
        "composition of elementwise ops (abs, where, exp, log1p, masks for the stable branches), "
        "each of which reads and writes a full-size tensor in eager mode, and autograd then runs "
        "one backward kernel per op and keeps their intermediates; PyTorch's twin is one fused "
        "forward and one fused backward kernel. Closing it: torch.compile (section 3 fuses the "
        "same code), or a torch.autograd.Function per loss whose backward calls the hand-derived "
        "<name>_grad (one composite backward instead of one per op)."),
}

NOTES = """
## How to read and reproduce

- `make bench` runs `python -m benchmarks` (sections in the order above) and rewrites this file
  and `figures/bench_speed.png`; `make bench QUICK=1` is the two-minute smoke version
  (`tests/test_benchmarks.py` runs it into a temporary folder with `--out`).
- The machine is shared: other jobs ran on the same two cores during the reference run (see the
  load average above), so single timings vary by tens of percent; interleaving and medians make
  the *ratios* far steadier than the absolute milliseconds. Rerun on an idle machine for
  absolute numbers.
- The copy reference moves 2 bytes per byte copied (read + write, and the write first reads
  its cache line), so a forward pass that only reads can exceed 100 % of it: the fraction says
  "at the memory limit", not "faster than memory".
- Timings use one torch thread (`--threads`): with two threads on two shared cores every
  parallel region waits for its slower thread, and the medians swung by 10x between runs.
- Code: `benchmarks/losses.py` holds the table (one entry per family: suites, mpmath truths,
  speed inputs, twins); `accuracy.py`, `speed.py`, `course.py` measure; `report.py` writes this.
"""


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, few repetitions, notebooks not run (under two minutes)")
    parser.add_argument("--out", type=Path, default=None,
                        help="write RESULTS.md and the figure into this folder instead of "
                             "benchmarks/ and figures/")
    parser.add_argument("--families", nargs="*", default=None,
                        help="only these loss families (default: all)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: on a shared machine a parallel region "
                             "waits for its slowest thread, which makes 2-thread timings spiky)")
    parser.add_argument("--make-test", action="store_true",
                        help="also time the whole test suite (python -m pytest, minutes)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        os.environ["LOSSBOOK_FIGURES"] = str(args.out)  # lossbook.plotting.savefig writes here
        results_path = args.out / "RESULTS.md"
    else:
        results_path = ROOT / "benchmarks" / "RESULTS.md"

    import warnings

    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(args.threads)

    from benchmarks import accuracy, course, report, speed
    from benchmarks import nn as nn_bench
    from benchmarks.losses import all_benches

    if args.quick:
        n, reps, bw_mb, bw_reps = 2**18, 5, 64, 5
    else:
        n, reps, bw_mb, bw_reps = 2**22, 11, 512, 11
    benches = all_benches(args.families)
    timed = {"mse_loss"} if args.quick else {b.name for b in benches if b.twin is not None}
    started = time.perf_counter()
    settings = {
        "command": "make bench" + (" QUICK=1" if args.quick else ""),
        "date": datetime.date.today().isoformat(),
        "size": f"{n:,} elements per input (about; see each table)",
        "repetitions": f"median of {reps} interleaved after 2 warm-up rounds",
        "copy": f"{bw_mb} MiB float32, median of {bw_reps}",
    }

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {msg}", flush=True)

    say(f"{len(benches)} losses; torch {torch.__version__}, {torch.get_num_threads()} threads")
    acc_rows, outliers = accuracy.run_accuracy(benches)
    say("accuracy done")
    bandwidth = speed.measure_bandwidth(bw_mb, bw_reps)
    say(f"copy bandwidth {bandwidth:.1f} GB/s")
    eager = speed.run_eager(benches, n, reps)
    say("eager speed done")
    compiled = speed.run_compiled(benches, timed, n, reps)
    bandwidth_after = speed.measure_bandwidth(bw_mb, bw_reps)
    settings["copy"] += f" (before / after the compiled runs: {bandwidth:.1f} / {bandwidth_after:.1f} GB/s)"
    bandwidth = max(bandwidth, bandwidth_after)
    say("compiled done")
    nn_section = nn_bench.measure(args.quick, say)  # lossbook.nn against torch.nn and MONAI
    notebooks = course.time_notebooks(ROOT, run=not args.quick)
    together = [] if args.quick else course.time_all_notebooks(ROOT)
    make_test = course.time_make_test(ROOT) if args.make_test else None
    say("course runtime done")

    res = report.Results(args.quick, acc_rows, outliers, eager, compiled, bandwidth, notebooks,
                         make_test, together, settings)
    figure = report.save_figure(res, "bench_speed")
    res.figure = os.path.relpath(figure, results_path.parent)
    text = report.render(res, CAUSES, NOTES) + "\n" + nn_section
    results_path.write_text(text)
    print(text)
    say(f"wrote {results_path} and {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
