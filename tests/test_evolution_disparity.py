"""Dagum Gini and Theil decompositions.

References: PySAL's ``inequality`` package run in the tests (Gini, Theil,
TheilD, Atkinson) and the TheilD docstring's published Mexico numbers; the
exact identities of Dagum (1997, Empirical Economics 22: 515) and Shorrocks
(1980, Econometrica 48: 613).
"""

from __future__ import annotations

import libpysal
import numpy as np
import pandas as pd
import pytest
from inequality.atkinson import atkinson
from inequality.gini import Gini
from inequality.theil import Theil, TheilD

import vagg
from vagg.evolution import dagum_gini, theil


@pytest.fixture(scope="module")
def mexico() -> tuple[pd.Series, pd.Series, np.ndarray, np.ndarray]:
    """PySAL's Mexico state GDP per capita 1940-2000 as a (state, year) Series."""
    f = libpysal.io.open(libpysal.examples.get_path("mexico.csv"))
    names = [f"pcgdp{dec}" for dec in range(1940, 2010, 10)]
    y = np.array([f.by_col[v] for v in names]).T
    regimes = np.array(f.by_col("hanson98"))
    states = pd.Index(f.by_col("State"), name="state")
    series = pd.DataFrame(y, index=states, columns=pd.Index(range(1940, 2010, 10), name="year")).stack()
    return series.rename("pcgdp"), pd.Series(regimes, index=states), y, regimes


def _random_groups(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 60))
    labels = rng.choice(list("abcd"), size=n)
    values = rng.lognormal(mean=np.select([labels == "a", labels == "b"], [0.0, 0.5], 1.0), sigma=0.6)
    return values, labels


# ------------------------------------------------------------------ Dagum
def test_dagum_terms_add_up_to_total(demo_panel):
    res = dagum_gini(demo_panel, "region", "gdp_per_capita")
    gap = res.within + res.between + res.transvariation - res.total
    assert np.abs(gap).max() < 1e-12
    assert np.allclose(res.summary[["within_share", "between_share", "transvariation_share"]].sum(axis=1), 1.0)
    for seed in range(5):  # random group sizes, overlapping groups
        values, labels = _random_groups(seed)
        r = dagum_gini(values, labels)
        assert abs(r.within + r.between + r.transvariation - r.total) < 1e-12


def test_dagum_total_equals_pysal_gini_each_year(demo_panel):
    res = dagum_gini(demo_panel, "region", "gdp_per_capita")
    for year, total in res.total.items():
        reference = Gini(demo_panel.xs(year, level=1)["gdp_per_capita"].to_numpy()).g
        assert total == pytest.approx(reference, abs=1e-12)


def test_dagum_group_and_pair_ginis_against_pysal():
    """G_jj is the Gini of group j; G_jh follows from the Gini of the union of j
    and h (Dagum's identity applied to the two-group sample), both from PySAL."""
    values, labels = _random_groups(11)
    res = dagum_gini(values, labels)
    groups = res.groups.xs(0, level=0)
    for g, row in groups.iterrows():
        assert row["gini"] == pytest.approx(Gini(values[labels == g]).g, abs=1e-12)
    for (a, b), row in res.pairs.xs(0, level=0).iterrows():
        union = np.isin(labels, [a, b])
        y = values[union]
        n, mu = len(y), y.mean()
        p = {g: (labels == g).sum() / n for g in (a, b)}
        s = {g: values[labels == g].sum() / (n * mu) for g in (a, b)}
        within = sum(groups.loc[g, "gini"] * p[g] * s[g] for g in (a, b))
        expected = (Gini(y).g - within) / (p[a] * s[b] + p[b] * s[a])
        assert row["gini"] == pytest.approx(expected, abs=1e-12)


def test_dagum_no_overlap_means_no_transvariation():
    values = np.sort(np.random.default_rng(3).lognormal(size=30))
    labels = np.repeat(["low", "mid", "high"], 10)  # sorted: the groups do not overlap
    res = dagum_gini(values, labels)
    assert res.transvariation == 0.0
    assert np.allclose(res.pairs["D"], 1.0)
    assert res.within + res.between == pytest.approx(res.total, abs=1e-12)


def test_dagum_equal_means_make_all_between_transvariation():
    # groups {1, 4} and {2, 3} have the same mean: d_jh = p_jh, so D = 0 (hand derivation)
    res = dagum_gini([1.0, 4.0, 2.0, 3.0], ["a", "a", "b", "b"])
    assert res.pairs["D"].iloc[0] == 0.0
    assert res.between == 0.0
    assert res.transvariation == pytest.approx(res.total - res.within, abs=1e-15)


def test_dagum_one_group_within_is_total(demo_panel):
    res = dagum_gini(demo_panel["gdp_per_capita"], np.repeat("all", len(demo_panel)))
    assert np.allclose(res.within, res.total, atol=1e-15, rtol=0)
    assert (res.between == 0).all() and (res.transvariation == 0).all()


def test_dagum_groups_from_series_by_entity_and_time_varying(demo_panel):
    by_entity = demo_panel["region"].groupby(level=0).first()
    a = dagum_gini(demo_panel["gdp_per_capita"], by_entity)
    b = dagum_gini(demo_panel, "region", "gdp_per_capita")
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert list(b.summary.index) == list(range(2011, 2021))
    shuffled = demo_panel.sample(frac=1.0, random_state=3)  # an array of labels follows the rows given
    c = dagum_gini(shuffled["gdp_per_capita"], shuffled["region"].to_numpy())
    pd.testing.assert_frame_equal(c.summary, b.summary)
    assert set(b.pairs.columns) == {"gini", "D", "between", "transvariation"}


def test_dagum_refuses_bad_input(demo_panel):
    panel = demo_panel.copy()
    panel.loc[("440300", 2015), "gdp_per_capita"] = np.nan
    with pytest.raises(vagg.DataError, match=r"gdp_per_capita.*440300.*2015"):
        dagum_gini(panel, "region", "gdp_per_capita")
    panel = demo_panel.copy()
    panel.loc[("440500", 2012), "region"] = None
    with pytest.raises(vagg.DataError, match=r"440500.*2012"):
        dagum_gini(panel, "region", "gdp_per_capita")
    with pytest.raises(vagg.DataError, match="nowhere"):
        dagum_gini(demo_panel, "nowhere", "gdp_per_capita")
    with pytest.raises(vagg.DataError, match=r"non-negative.*-1"):
        dagum_gini([1.0, -1.0, 2.0], ["a", "b", "b"])
    with pytest.raises(vagg.DataError, match="numbers"):
        theil(["a", "b"])
    with pytest.raises(vagg.DataError, match="no label for entities: 440100"):
        dagum_gini(demo_panel["gdp_per_capita"], pd.Series({"999999": "x"}))


# ------------------------------------------------------------------ Theil
def test_theil_matches_pysal_theild_on_mexico(mexico):
    series, regimes, y, partition = mexico
    res = theil(series, regimes)
    reference = TheilD(y, partition)
    assert np.abs(res.total.to_numpy() - reference.T).max() < 1e-12
    assert np.abs(res.between.to_numpy() - reference.bg).max() < 1e-12
    assert np.abs(res.within.to_numpy() - reference.wg).max() < 1e-12
    # the numbers printed in the TheilD docstring (inequality 1.1.2)
    published_bg = [0.0345889, 0.02816853, 0.05260921, 0.05931219, 0.03205257, 0.02963731, 0.03635872]
    assert np.allclose(res.between.to_numpy(), published_bg, atol=1e-8)


def test_theil_group_indices_against_pysal(mexico):
    series, regimes, y, partition = mexico
    res = theil(series, regimes)
    for (year, group), row in res.groups.iterrows():
        column = list(range(1940, 2010, 10)).index(year)
        assert row["theil"] == pytest.approx(Theil(y[partition == float(group), column]).T, abs=1e-12)


def test_theil_l_against_atkinson(mexico):
    """L = -ln(1 - A(1)) with A the Atkinson index at epsilon = 1 (Shorrocks 1980)."""
    series, regimes, y, _ = mexico
    res = theil(series, regimes, kind="L")
    reference = [-np.log(1.0 - atkinson(y[:, j], 1.0)) for j in range(y.shape[1])]
    assert np.abs(res.total.to_numpy() - reference).max() < 1e-12
    assert np.abs((res.within + res.between - res.total).to_numpy()).max() < 1e-14


def test_theil_single_cross_section_and_no_groups():
    values = [1.0, 2.0, 3.0]
    res = theil(values)
    assert res.total == pytest.approx(Theil(np.array(values)).T, abs=1e-15)
    assert res.between == 0.0
    with pytest.raises(AttributeError, match="transvariation"):
        _ = res.transvariation


def test_theil_refuses_zero_for_l_and_bad_kind(demo_panel):
    panel = demo_panel.copy()
    panel.loc[("441200", 2013), "gdp_per_capita"] = 0.0
    assert theil(panel, "region", "gdp_per_capita").total.notna().all()  # T: 0 ln 0 = 0
    with pytest.raises(vagg.DataError, match=r"positive.*441200.*2013"):
        theil(panel, "region", "gdp_per_capita", kind="L")
    with pytest.raises(vagg.SpecificationError, match="kind"):
        theil(panel, "region", "gdp_per_capita", kind="GE2")


def test_a_year_of_zeros_is_refused_by_year(demo_panel):
    panel = demo_panel.copy()
    panel.loc[panel.index.get_level_values(1) == 2018, "gdp_per_capita"] = 0.0
    with pytest.raises(vagg.DataError, match="zero for every entity in year 2018"):
        dagum_gini(panel, "region", "gdp_per_capita")


def test_unbalanced_panel_uses_the_cities_of_each_year(demo_panel):
    panel = demo_panel.drop(index=[("440100", 2012), ("440300", 2012), ("445300", 2019)])
    dagum = dagum_gini(panel, "region", "gdp_per_capita")
    theil_t = theil(panel, "region", "gdp_per_capita")
    assert dagum.summary.loc[2012, "n"] == 19 and theil_t.summary.loc[2019, "n"] == 20
    for year in (2012, 2019):
        y = panel.xs(year, level=1)["gdp_per_capita"].to_numpy()
        assert dagum.total[year] == pytest.approx(Gini(y).g, abs=1e-12)
        assert theil_t.total[year] == pytest.approx(Theil(y).T, abs=1e-12)
