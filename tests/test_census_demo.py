"""`vagg demo --data census`: the REAL census report (references: esda and a direct SpatialPanel fit)."""

from __future__ import annotations

import json
import warnings

import esda
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import vagg
from vagg.census_demo import MATRICES, SDM_FORMULA, census_cities
from vagg.cli import main


@pytest.mark.slow
def test_census_demo_writes_a_real_data_report(tmp_path):
    out = tmp_path / "census"
    result = CliRunner().invoke(main, ["demo", "--data", "census", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["simulated"] is False and "REAL data" in manifest["data"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "REAL data" in html and "SIMULATED" not in html
    moran = pd.read_csv(out / "tables" / "census_moran.csv", comment="#").set_index("row")
    # the reference: esda's Moran's I on the same queen matrix and values
    cities, left_out = census_cities()
    assert len(cities) + len(left_out) == 369
    cross = cities.assign(year=2020).set_index("year", append=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = vagg.weights.from_spec(MATRICES["queen"], list(cities.index), data=cross)
    ref = esda.Moran(cities["urban_change"].to_numpy(), w, permutations=0)
    assert moran.loc["queen", "I"] == pytest.approx(ref.I, abs=1e-12)
    # one SDM per matrix, side by side; the queen column equals a direct fit
    impacts = pd.read_csv(out / "tables" / "census_sdm_impacts.csv", comment="#").set_index("row")
    assert list(impacts.columns) == list(MATRICES)
    fit = vagg.models.SpatialPanel.from_formula(SDM_FORMULA, cross, w=w, model="sdm", effects="none").fit()
    direct = fit.impacts(draws=1000, seed=0).loc["urban_share_2010", "direct"]
    # equal to the maximum-likelihood optimiser's tolerance (rho to xatol 1e-10 from a separate maximisation)
    assert impacts.loc["urban_share_2010: direct", "queen"] == pytest.approx(direct, rel=1e-7)
    assert np.isfinite(fit.params.to_numpy()).all()
