"""Exercises of notebook 04_binary_cross_entropy."""

from __future__ import annotations

import math

from lossbook.course.exercises import Exercise

# Exercise 1: float64 rounds 1 + e^-z to 1 once e^-z < 2^-53, so sigmoid(z) is exactly 1 and
# BCELoss clamps -log(1 - 1) to 100 from z = 53 ln 2 on: the first point of a grid of step 0.01.
_FLOAT64_JUMP = math.ceil(53 * math.log(2) * 100) / 100

# Exercise 2: the pull 2 q (1 - q)^2 of the squared error on q = sigmoid(z) (label 1) is largest
# at q = 1/3, where d/dq [q (1 - q)^2] = (1 - q)(1 - 3q) = 0: the logit log(1/2).
_MSE_PEAK_LOGIT = math.log(0.5)

# Exercise 3: a constant logit trained with pos_weight c says c y / (c y + 1 - y) for a label
# positive in a fraction y of the examples; 0.3 for y = 0.1.
_BASE_RATE, _WANTED = 0.1, 0.3
_POS_WEIGHT_FOR = _WANTED * (1 - _BASE_RATE) / (_BASE_RATE * (1 - _WANTED))

EXERCISES = (
    Exercise(
        "04.float64_jump",
        _FLOAT64_JUMP,
        rtol=0.0,
        atol=0.011,
        hint="sigmoid(z) is exactly 1 once exp(-z) is below half the spacing of float64 numbers "
        "next to 1; then 1 - sigmoid(z) is 0 and the log is clamped",
    ),
    Exercise(
        "04.mse_peak_logit",
        _MSE_PEAK_LOGIT,
        rtol=0.0,
        atol=1e-3,
        hint="the pull is 2 q (1 - q)^2 with q = sigmoid(z): set its derivative with respect to q "
        "to zero, then turn q back into a logit with z = log(q / (1 - q))",
    ),
    Exercise(
        "04.pos_weight_for",
        _POS_WEIGHT_FOR,
        rtol=1e-3,
        hint="section 8's formula gives the constant model's probability for a given pos_weight; "
        "set it to 0.3 and solve for c",
    ),
)
