"""Exercises of notebook 13_common_claims."""

from __future__ import annotations

from lossbook.course.exercises import Exercise

EXERCISES = (
    Exercise(
        "13.pos_weight_threshold",
        1 / 51,
        rtol=1e-3,
        hint="the expected loss is pi * w * softplus(-z) + (1 - pi) * softplus(z); set its "
        "derivative with respect to z to 0 at z = 0",
    ),
    Exercise(
        "13.eps_gradient_tenth",
        1e-7 / 9,
        rtol=1e-3,
        hint="the share of the gradient that survives is q / (q + eps); when is it below 0.1?",
    ),
    Exercise(
        "13.smoothing_optimum",
        1 - 0.2 + 0.2 / 5,
        rtol=1e-4,
        hint="with label smoothing the target puts 1 - eps + eps / C on the true class, and the "
        "cross-entropy is smallest when the prediction equals the target",
    ),
)
