"""Global Moran's I, Geary's C and local Moran (LISA) year by year.

Reference: esda (PySAL) run in the tests on the same year and the same W.
Analytic quantities must agree to rounding; permutation p-values, drawn from
other random streams, must agree within Monte Carlo error.
"""

from __future__ import annotations

import esda
import numpy as np
import pandas as pd
import pytest

import vagg
from vagg.evolution import geary, lisa, moran
from vagg.evolution._inputs import aligned_libpysal

COLUMN = "gdp_per_capita"
# esda announces a change of its default alternative for local statistics
pytestmark = pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")
MC_TOLERANCE = 0.02  # |p_sim - p_sim(esda)| with 9,999 permutations each: < 4 sd at p = 0.05


@pytest.fixture(scope="module")
def entities(demo_panel) -> list[str]:
    return sorted(demo_panel.index.get_level_values(0).unique())


def _year(panel: pd.DataFrame, year: int) -> np.ndarray:
    return panel.xs(year, level=1)[COLUMN].sort_index().to_numpy()


def test_moran_matches_esda_every_year(demo_panel, guangdong_queen, entities):
    res = moran(demo_panel, COLUMN, guangdong_queen, permutations=9999, seed=1)
    assert list(res.columns[:4]) == ["I", "expected", "z", "p"]
    w = aligned_libpysal(guangdong_queen, entities)
    for year in (2011, 2016, 2020):
        ref = esda.Moran(_year(demo_panel, year), w, permutations=9999)
        row = res.loc[year]
        assert row["I"] == pytest.approx(ref.I, abs=1e-12)
        assert row["expected"] == pytest.approx(ref.EI, abs=1e-15)
        assert row["z"] == pytest.approx(ref.z_norm, abs=1e-10)
        assert row["p"] == pytest.approx(ref.p_norm, abs=1e-12)
        assert row["z_rand"] == pytest.approx(ref.z_rand, abs=1e-10)
        assert row["p_rand"] == pytest.approx(ref.p_rand, abs=1e-12)
        assert abs(row["p_sim"] - ref.p_sim) < MC_TOLERANCE
        assert row["z_sim"] == pytest.approx(ref.z_sim, abs=0.15)


def test_geary_matches_esda(demo_panel, guangdong_queen, entities):
    res = geary(demo_panel, COLUMN, guangdong_queen, permutations=9999, seed=2)
    w = aligned_libpysal(guangdong_queen, entities)
    for year in (2012, 2019):
        ref = esda.Geary(_year(demo_panel, year), w, permutations=9999)
        row = res.loc[year]
        assert row["C"] == pytest.approx(ref.C, abs=1e-12)
        assert row["z"] == pytest.approx(ref.z_norm, abs=1e-10)
        assert row["p"] == pytest.approx(2 * ref.p_norm, abs=1e-12)  # esda's Geary p is one-sided
        assert row["z_rand"] == pytest.approx(ref.z_rand, abs=1e-10)
        assert abs(row["p_sim"] - ref.p_sim) < MC_TOLERANCE


def test_permutation_distribution_has_the_randomisation_moments(guangdong_queen, entities):
    """Under random permutation E[I] = -1/(n-1) and the standardised statistic
    has the randomisation variance (Cliff and Ord 1981), so z_sim ~ z_rand."""
    rng = np.random.default_rng(5)
    panel = pd.DataFrame({COLUMN: rng.lognormal(size=21 * 3)},
                         index=pd.MultiIndex.from_product([entities, [1, 2, 3]], names=["adcode", "year"]))
    res = moran(panel, COLUMN, guangdong_queen, permutations=20000, seed=3)
    assert np.abs(res["z_sim"] - res["z_rand"]).max() < 0.05


def test_moran_seeded_and_independent_of_row_and_weights_order(demo_panel, guangdong_queen):
    a = moran(demo_panel, COLUMN, guangdong_queen, seed=7)
    b = moran(demo_panel.sample(frac=1.0, random_state=1), COLUMN, guangdong_queen, seed=7)
    pd.testing.assert_frame_equal(a, b)
    one_year = moran(demo_panel.xs(2015, level=1, drop_level=False), COLUMN, guangdong_queen, seed=7)
    assert one_year.loc[2015, "p_sim"] == a.loc[2015, "p_sim"]  # a year's draws do not depend on the others
    dense = guangdong_queen.full()
    order = np.arange(21)[::-1]
    shuffled = (dense[0][np.ix_(order, order)], [dense[1][i] for i in order])
    pd.testing.assert_frame_equal(a, moran(demo_panel, COLUMN, shuffled, seed=7))


def test_lisa_statistic_and_quadrants_match_esda(demo_panel, guangdong_queen, entities):
    res = lisa(demo_panel, COLUMN, guangdong_queen, permutations=99, seed=4)
    assert res.index.names == ["adcode", "year"]
    w = aligned_libpysal(guangdong_queen, entities)
    for year in (2011, 2020):
        ref = esda.Moran_Local(_year(demo_panel, year), w, permutations=0)
        got = res.xs(year, level=1).loc[entities]
        assert np.abs(got["Ii"].to_numpy() - ref.Is).max() < 1e-12
        assert list(got["quadrant"]) == [{1: "HH", 2: "LH", 3: "LL", 4: "HL"}[q] for q in ref.q]
        assert np.allclose(got["lag"], w.sparse @ _year(demo_panel, year))


def test_lisa_permutations_have_the_conditional_moments(demo_panel, guangdong_queen, entities, monkeypatch):
    """The conditional-permutation distribution of I_i has the exact mean and
    variance of Sokal, Oden and Thomson (1998, Geographical Analysis 30: 331,
    eqs. A7-A8), as computed by esda (``EIc``, ``VIc``; these are for Anselin's
    scaling I_i = n z_i (W z)_i / sum z^2, esda's ``Is`` for (n - 1) instead)."""
    from vagg.evolution.autocorrelation import _local_moran

    y = _year(demo_panel, 2018)
    w = aligned_libpysal(guangdong_queen, entities)
    ref = esda.Moran_Local(y, w, permutations=0)
    draws = 40000
    rng = np.random.default_rng(0)
    n = len(y)
    z = y - y.mean()
    W = w.sparse.tocsr()
    degree = np.diff(W.indptr)
    sims = np.empty((n, draws))
    for i in range(n):  # a plain reference loop: each unit's neighbours drawn from the others
        others = np.delete(z, i)
        picks = rng.permuted(np.tile(np.arange(n - 1), (draws, 1)), axis=1)[:, : degree[i]]
        sims[i] = (n - 1) * z[i] * (others[picks] @ W.data[W.indptr[i]:W.indptr[i + 1]]) / (z @ z)
    anselin = sims * n / (n - 1)
    assert np.allclose(anselin.mean(axis=1), ref.EIc, atol=4 * np.sqrt(ref.VIc / draws).max())
    assert np.allclose(anselin.var(axis=1), ref.VIc, rtol=0.03)
    # the vectorised engine gives the same p-values as the plain loop's distribution
    _, _, p_sim = _local_moran(y, W, draws, np.random.default_rng(1))
    tie = np.isclose(sims, ref.Is[:, None], rtol=1e-10, atol=0)
    upper, lower = ((sims > ref.Is[:, None]) | tie).sum(axis=1), ((sims < ref.Is[:, None]) | tie).sum(axis=1)
    p_loop = (np.minimum(upper, lower) + 1.0) / (draws + 1.0)
    assert np.abs(p_sim - p_loop).max() < 0.01
    # memory blocks of 3 units give the same numbers as one block
    monkeypatch.setattr("vagg.evolution.autocorrelation._LISA_CELLS", 3 * draws * int(degree.max()))
    assert np.array_equal(_local_moran(y, W, draws, np.random.default_rng(1))[2], p_sim)


@pytest.mark.slow  # esda compiles its numba kernels on first use (~20 s)
def test_lisa_p_values_match_esda_crand(demo_panel, guangdong_queen, entities):
    res = lisa(demo_panel, COLUMN, guangdong_queen, permutations=9999, seed=4)
    w = aligned_libpysal(guangdong_queen, entities)
    year = 2020
    ref = esda.Moran_Local(_year(demo_panel, year), w, permutations=9999, seed=11, n_jobs=1)
    got = res.xs(year, level=1).loc[entities]
    assert np.abs(got["p_sim"].to_numpy() - ref.p_sim).max() < MC_TOLERANCE
    clear = np.abs(ref.p_sim - 0.05) > MC_TOLERANCE  # labels must agree away from the threshold
    expected = np.where(ref.p_sim <= 0.05, got["quadrant"], "ns")
    assert (got["cluster"].to_numpy()[clear] == expected[clear]).all()
    pd.testing.assert_frame_equal(res, lisa(demo_panel, COLUMN, guangdong_queen, permutations=9999, seed=4))


def test_spatial_statistics_refuse_bad_input(demo_panel, guangdong_queen):
    with pytest.raises(vagg.DataError, match="in the panel but not the weights: 999999"):
        extra = demo_panel.xs("440100", level=0, drop_level=False).rename(index={"440100": "999999"}, level=0)
        moran(pd.concat([demo_panel, extra]), COLUMN, guangdong_queen)
    panel = demo_panel.copy()
    panel.loc[("440900", 2017), COLUMN] = np.nan
    with pytest.raises(vagg.DataError, match=r"440900.*2017"):
        geary(panel, COLUMN, guangdong_queen)
    with pytest.raises(vagg.SpecificationError, match="permutations"):
        moran(demo_panel, COLUMN, guangdong_queen, permutations=-1)
    with pytest.raises(vagg.SpecificationError, match="alpha"):
        lisa(demo_panel, COLUMN, guangdong_queen, alpha=5)
