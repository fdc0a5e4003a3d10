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


@pytest.fixture(scope="session")
def demo_output(tmp_path_factory):
    """One ``vagg demo`` run shared by the pipeline and report tests: (folder, manifest, texts off canvas).

    Every figure the pipeline writes is checked as it is saved: the third item maps each figure's name to
    the texts drawn outside its canvas (:func:`vagg.report.figures.text_outside_canvas`).
    """
    import json

    from click.testing import CliRunner

    from vagg.cli import main
    from vagg.report import figures

    out = tmp_path_factory.mktemp("demo")
    real = figures.save_figure
    outside: dict[str, list[str]] = {}

    def checking(fig, folder, name, *args, **kwargs):
        paths = real(fig, folder, name, *args, **kwargs)
        outside[name] = figures.text_outside_canvas(fig)
        return paths

    patch = pytest.MonkeyPatch()
    patch.setattr(figures, "save_figure", checking)
    try:
        result = CliRunner().invoke(main, ["demo", "--out", str(out), "--quiet"])
    finally:
        patch.undo()
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "manifest.json").read_text()), outside
