"""Shared fixtures.  Reference data sets live in tests/reference (see its README)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE


@pytest.fixture(scope="session")
def demo_panel():
    import vagg

    return vagg.data.load_demo_panel()


@pytest.fixture(scope="session")
def guangdong_queen():
    import vagg

    return vagg.weights.guangdong("queen")
