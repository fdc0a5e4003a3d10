"""The simulated demo panel: bundled file = generator output; calibration to Table 1."""

from __future__ import annotations

import numpy as np
import pandas as pd

import vagg
from vagg.simulate.demo import VA_INDICATORS


def test_bundled_file_equals_generator(demo_panel):
    generated, _ = vagg.simulate.simulate_demo_panel()
    pd.testing.assert_frame_equal(demo_panel, generated, check_exact=False, rtol=1e-12, atol=1e-9)
    assert demo_panel.attrs["simulated"] is True
    assert "SIMULATED" in demo_panel.attrs["description"]


def test_shape_balance_and_columns(demo_panel):
    assert demo_panel.shape[0] == 210
    assert demo_panel.index.get_level_values(0).nunique() == 21
    assert sorted(demo_panel.index.get_level_values(1).unique()) == list(range(2011, 2021))
    vagg.data.validate_panel(demo_panel, balanced=True, required=list(VA_INDICATORS))
    dims = {spec[0] for spec in VA_INDICATORS.values()}
    assert dims == {"digital_infrastructure", "industrial_platforms", "digital_innovation", "policy_environment"}
    assert len(VA_INDICATORS) >= 12 and any(spec[1] == -1 for spec in VA_INDICATORS.values())
    for column in ["invention_patents", "rd_personnel", "deposits", "loans", "population", "gdp",
                   "manufacturing_employment", "producer_services_employment", "gdp_per_capita", "tertiary_share",
                   "fdi_gdp", "fiscal_gdp", "urbanisation", "college_students_per10k", "post_offices_1984_per10k",
                   "internet_users_national"]:
        assert (demo_panel[column] > 0).all(), column
    # the historical instrument is time-invariant, national internet users common to all cities
    assert (demo_panel.groupby(level=0)["post_offices_1984_per10k"].nunique() == 1).all()
    assert (demo_panel.groupby(level=1)["internet_users_national"].nunique() == 1).all()


def test_latent_index_matches_table1_within_noise():
    _, truth = vagg.simulate.simulate_demo_panel()
    table = vagg.data.load_seed_table1().set_index("adcode")
    sd = truth.latent_noise_sd
    for year in (2011, 2015, 2020):
        latent = truth.latent_index.xs(year, level="year").loc[table.index]
        gap = latent.to_numpy() - table[f"index_{year}"].to_numpy()
        assert np.all(np.abs(gap) < 4 * sd), (year, np.abs(gap).max())
        # the noise is centred and its spread is the documented one (21 draws)
        assert abs(gap.mean()) < 3 * sd / np.sqrt(21)
        assert 0.4 * sd < gap.std() < 1.7 * sd


def test_generator_is_seeded():
    a, _ = vagg.simulate.simulate_demo_panel(seed=1)
    b, _ = vagg.simulate.simulate_demo_panel(seed=1)
    c, _ = vagg.simulate.simulate_demo_panel(seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["broadband_per100"], c["broadband_per100"])
