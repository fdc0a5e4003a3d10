"""Obstacle-degree model against its formulas, written out for a handful of cities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vagg
from vagg.mechanisms import IndicatorSystem, composite_index, obstacle_degree, top_obstacles

SYSTEM = IndicatorSystem.from_dict({
    "name": "toy",
    "dimensions": {
        "infra": {"indicators": {"a": 1, "b": -1}},
        "policy": {"indicators": {"c": 1}},
    },
})


@pytest.fixture
def panel():
    idx = pd.MultiIndex.from_product([["c1", "c2", "c3", "c4"], [2019, 2020]], names=["city", "year"])
    return pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6, 7, 8],
                         "b": [8.0, 6, 7, 5, 3, 4, 2, 1],
                         "c": [2.0, 2, 9, 1, 4, 6, 3, 5]}, index=idx)


def test_obstacle_degrees_equal_the_formulas(panel):
    index = composite_index(panel, SYSTEM, method="entropy")
    res = obstacle_degree(panel, index=index)
    w = index.weights["weight"]
    for (city, year), row in panel.iterrows():
        # deviation 1 - z with pooled min-max, reversed for the cost indicator b
        dev = {
            "a": 1 - (row["a"] - 1) / (8 - 1),
            "b": 1 - (8 - row["b"]) / (8 - 1),
            "c": 1 - (row["c"] - 1) / (9 - 1),
        }
        total = sum(w[j] * dev[j] for j in dev)
        for j in dev:
            assert res.deviation.loc[(city, year), j] == pytest.approx(dev[j])
            assert res.indicators.loc[(city, year), j] == pytest.approx(100 * w[j] * dev[j] / total)
        assert res.dimensions.loc[(city, year), "infra"] == pytest.approx(
            100 * (w["a"] * dev["a"] + w["b"] * dev["b"]) / total)
    np.testing.assert_allclose(res.indicators.sum(axis=1), 100)
    pd.testing.assert_series_equal(res.contribution, w.rename("contribution"))


def test_yearly_index_uses_each_years_weights_and_range(panel):
    index = composite_index(panel, SYSTEM, method="critic", base="yearly")
    res = obstacle_degree(panel, index=index)
    part = panel.xs(2020, level="year")
    w = index.weights_by_year.loc[2020]
    z_a = (part["a"] - part["a"].min()) / (part["a"].max() - part["a"].min())
    z_b = (part["b"].max() - part["b"]) / (part["b"].max() - part["b"].min())
    z_c = (part["c"] - part["c"].min()) / (part["c"].max() - part["c"].min())
    weighted = pd.DataFrame({"a": w["a"] * (1 - z_a), "b": w["b"] * (1 - z_b), "c": w["c"] * (1 - z_c)})
    expected = 100 * weighted.div(weighted.sum(axis=1), axis=0)
    got = res.indicators.xs(2020, level="year")
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy())


def test_a_city_at_every_best_value_has_no_obstacle():
    idx = pd.MultiIndex.from_product([["x", "y", "z"], [2020]], names=["city", "year"])
    d = pd.DataFrame({"a": [3.0, 1, 2], "b": [1.0, 3, 2], "c": [5.0, 1, 2]}, index=idx)
    res = obstacle_degree(d, system=SYSTEM)
    assert res.indicators.loc[("x", 2020)].isna().all()
    assert res.indicators.loc[("y", 2020)].notna().all()


def test_top_obstacles_table(panel):
    res = obstacle_degree(panel, system=SYSTEM)
    top = top_obstacles(res, n=2)
    assert list(top.columns) == ["indicator", "dimension", "obstacle"]
    assert top.index.names == ["city", "rank"]
    mean = res.indicators.groupby(level=0).mean()
    for city in mean.index:
        best = mean.loc[city].sort_values(ascending=False)
        assert list(top.loc[city, "indicator"]) == list(best.index[:2])
        np.testing.assert_allclose(top.loc[city, "obstacle"], best.iloc[:2])
    by_year = top_obstacles(res, n=1, level="dimension", years=2020)
    assert by_year.index.names == ["city", "year", "rank"] and len(by_year) == 4
    row = res.dimensions.loc[("c2", 2020)]
    assert by_year.loc[("c2", 2020, 1), "dimension"] == row.idxmax()
    with pytest.raises(vagg.SpecificationError, match="2030"):
        top_obstacles(res, years=[2030])
    with pytest.raises(vagg.SpecificationError, match="n must be"):
        top_obstacles(res, n=4)


def test_on_the_demo_panel_and_refusals(demo_panel):
    res = obstacle_degree(demo_panel)  # the bundled virtual-agglomeration system, entropy weights
    assert res.indicators.shape == (210, 12) and res.dimensions.shape == (210, 4)
    np.testing.assert_allclose(res.dimensions.sum(axis=1).dropna(), 100)
    with pytest.raises(vagg.SpecificationError, match="PCA"):
        obstacle_degree(demo_panel, index=composite_index(demo_panel, method="pca"))
    with pytest.raises(vagg.SpecificationError, match="approval_days"):
        obstacle_degree(demo_panel.drop(columns="approval_days"))
