"""Shared fixtures.  Reference data sets live in tests/reference (see its README)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
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


@pytest.fixture(scope="module")
def cigar(reference_dir):
    """Baltagi's cigarette panel (tests/reference/cigar.csv) with the usual logs, indexed (state, year).

    ``region`` is a coarser cluster variable, constant within state; ``const`` a column of ones.
    Spatial tests define their own ``cigar`` fixture with the weights matrix.
    """
    d = pd.read_csv(reference_dir / "cigar.csv")
    d["lsales"] = np.log(d["sales"])
    d["lp"] = np.log(d["price"] / d["cpi"])
    d["lndi"] = np.log(d["ndi"] / d["cpi"])
    d["region"] = d["state"] % 5
    d["const"] = 1.0
    return d.set_index(["state", "year"])
