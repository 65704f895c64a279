"""pytest set-up shared by the unit tests, the doctests and the notebooks (strict nbval)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent

matplotlib.use("Agg")  # this process only: notebook kernels keep their inline backend

# Property tests are derandomized, so a run is repeatable and CI never flakes on a new example.
settings.register_profile(
    "lossbook", derandomize=True, deadline=None, max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("lossbook")


def pytest_configure(config: pytest.Config) -> None:
    # The sanitize file is found from the repo root, whatever the working directory.
    if hasattr(config.option, "nbval_sanitize_with") and not config.option.nbval_sanitize_with:
        config.option.nbval_sanitize_with = str(ROOT / "tests" / "nbval_sanitize.cfg")
