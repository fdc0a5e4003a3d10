"""Shapley-Owen decomposition of the within R^2.

References: the efficiency and orthogonality properties of the Shapley value
(Shapley 1953; Huettner and Sunder 2012, Electron. J. Statist. 6:1239); an
independent brute force over all K! orderings with linearmodels
``PanelOLS.rsquared_within`` for every coalition; linearmodels for the joint
model's coefficients.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pandas as pd
import pytest
from linearmodels import PanelOLS

import vagg
from vagg.mechanisms import composite_index, synergy_outcome
from vagg.robustness.contributions import dimension_contributions
from vagg.models._within import Groups, demean


@pytest.fixture(scope="module")
def data(demo_panel):
    dims = composite_index(demo_panel, "virtual_agglomeration").dimensions
    return demo_panel.join(dims).assign(D=synergy_outcome(demo_panel)["D"]), list(dims.columns)


def panelols_r2(df: pd.DataFrame, y: str, cols: list[str]) -> float:
    if not cols:
        return 0.0
    # linearmodels: rsquared is the R^2 of the two-way transformed regression (rsquared_within demeans by entity only)
    return float(PanelOLS(df[y], df[cols], entity_effects=True, time_effects=True).fit().rsquared)


def test_shares_sum_to_the_full_within_r2(data):
    df, dims = data
    res = dimension_contributions(df, "D", dims)
    ref = PanelOLS(df["D"], df[dims], entity_effects=True, time_effects=True).fit()
    assert res.table["shapley_r2"].sum() == pytest.approx(res.rsquared_within, abs=1e-12)
    assert res.rsquared_within == pytest.approx(ref.rsquared, rel=1e-10)
    np.testing.assert_allclose(res.table["coef"].to_numpy(), ref.params[dims].to_numpy(), rtol=1e-8)
    assert res.table["share"].sum() == pytest.approx(1.0)


def test_matches_brute_force_over_all_orderings(data):
    df, dims = data
    res = dimension_contributions(df, "D", dims)
    cache: dict[frozenset, float] = {}

    def r2(s: frozenset) -> float:
        if s not in cache:
            cache[s] = panelols_r2(df, "D", [d for d in dims if d in s])
        return cache[s]

    brute = dict.fromkeys(dims, 0.0)
    orders = list(permutations(dims))
    for order in orders:
        for i, d in enumerate(order):
            brute[d] += (r2(frozenset(order[:i + 1])) - r2(frozenset(order[:i]))) / len(orders)
    np.testing.assert_allclose(res.table["shapley_r2"].to_numpy(), [brute[d] for d in dims], atol=1e-10)
    np.testing.assert_allclose(res.table["r2_alone"].to_numpy(), [r2(frozenset([d])) for d in dims], atol=1e-10)


def test_orthogonal_regressors_get_their_own_r2():
    rng = np.random.default_rng(0)
    idx = pd.MultiIndex.from_product([range(15), range(8)], names=["id", "t"])
    raw = rng.normal(size=(len(idx), 3))
    x = np.linalg.qr(demean(raw, Groups.from_index(idx), "twoway"))[0]  # within-transformed and orthogonal
    y = x @ np.array([3.0, 2.0, 1.0]) + rng.normal(size=len(idx)) + np.repeat(rng.normal(size=15), 8)
    df = pd.DataFrame(np.column_stack([y, x]), index=idx, columns=["y", "a", "b", "c"])
    res = dimension_contributions(df, "y", ["a", "b", "c"])
    own = [panelols_r2(df, "y", [c]) for c in "abc"]
    np.testing.assert_allclose(res.table["shapley_r2"].to_numpy(), own, atol=1e-12)


def test_controls_and_grouped_dimensions(data):
    df, dims = data
    grouped = {"infrastructure+platforms": dims[:2], "innovation": [dims[2]], "policy": [dims[3]]}
    res = dimension_contributions(df, "D", grouped, controls=["tertiary_share", "fdi_gdp"])
    full = panelols_r2(df, "D", [*dims, "tertiary_share", "fdi_gdp"])
    controls = panelols_r2(df, "D", ["tertiary_share", "fdi_gdp"])
    assert res.rsquared_within == pytest.approx(full, rel=1e-10)
    assert res.rsquared_controls == pytest.approx(controls, rel=1e-10)
    assert res.table["shapley_r2"].sum() + controls == pytest.approx(full, abs=1e-12)
    assert np.isnan(res.table.loc["infrastructure+platforms", "coef"])


def test_bad_input_is_named(data):
    df, dims = data
    with pytest.raises(vagg.DataError, match="nope"):
        dimension_contributions(df, "D", [*dims, "nope"])
    with pytest.raises(vagg.SpecificationError, match="one dimension only"):
        dimension_contributions(df, "D", {"a": dims[:2], "b": dims[1:3]})
    with pytest.raises(vagg.SpecificationError, match="collinear"):
        dimension_contributions(df.assign(twice=2 * df[dims[0]]), "D", [*dims, "twice"])
