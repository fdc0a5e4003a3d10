"""Heterogeneity by region group.

References: linearmodels ``PanelOLS`` (by-group fits; the interaction model
and its ``wald_test`` with the reghdfe clustered convention of
tests/test_panel_fe.py); a brute-force PanelOLS refit of permutation draws
replayed from the same generator; a simulation with known truth: under a
common slope the permutation test rejects at about its 5% level (400
replications), and it detects a planted difference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels import PanelOLS

import vagg
from vagg.mechanisms import composite_index, synergy_outcome
from vagg.models._within import Groups
from vagg.robustness.heterogeneity import _permuted, core_periphery, group_heterogeneity
from vagg.robustness.placebo import partial_out

CONTROLS = ["tertiary_share"]


@pytest.fixture(scope="module")
def data(demo_panel):
    return demo_panel.assign(va=composite_index(demo_panel, "virtual_agglomeration").scores,
                             D=synergy_outcome(demo_panel)["D"])


def year_dummies(d: pd.DataFrame) -> pd.DataFrame:
    return pd.get_dummies(d.index.get_level_values(1), drop_first=True, dtype=float).set_index(d.index)


def clustered(d: pd.DataFrame, y: str, exog: pd.DataFrame):
    """Entity effects + year dummies, entity clusters with Stata's factors (tests/test_panel_fe.py)."""
    return PanelOLS(d[y], pd.concat([exog, year_dummies(d)], axis=1), entity_effects=True).fit(
        cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)


def test_by_group_and_wald_match_panelols(data):
    res = group_heterogeneity(data, "D", "va", CONTROLS, groups="region", n_perm=0)
    assert res.reference == "Pearl River Delta Core" and len(res.by_group) == 5
    for g, row in res.by_group.iterrows():
        sub = data[data["region"] == g]
        ref = clustered(sub, "D", sub[["va", *CONTROLS]])
        np.testing.assert_allclose([row["estimate"], row["se"]], [ref.params["va"], ref.std_errors["va"]],
                                   rtol=1e-8)
        assert "clusters" in row["reason"]  # 3 to 6 cities per group: flagged as few clusters
    others = [g for g in sorted(data["region"].unique()) if g != res.reference]
    inter = pd.DataFrame({g: data["va"] * (data["region"] == g) for g in others})
    ref = clustered(data, "D", pd.concat([data[["va"]], inter, data[CONTROLS]], axis=1))
    np.testing.assert_allclose(res.differences["difference"].to_numpy(), ref.params[others].to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(res.differences["se"].to_numpy(), ref.std_errors[others].to_numpy(), rtol=1e-8)
    restriction = np.zeros((4, len(ref.params)))
    restriction[np.arange(4), [list(ref.params.index).index(g) for g in others]] = 1.0
    wald = ref.wald_test(restriction, np.zeros(4))
    np.testing.assert_allclose(res.wald["F"] * 4, wald.stat, rtol=1e-8)


def test_core_periphery_split_matches_panelols(data):
    res = group_heterogeneity(data, "D", "va", CONTROLS, groups=core_periphery(data), reference="core", n_perm=99)
    assert list(res.by_group.index) == ["core", "periphery"] and res.by_group.loc["core", "nobs"] == 60
    inter = (data["va"] * (data["region"] != "Pearl River Delta Core")).rename("inter")
    ref = clustered(data, "D", pd.concat([data[["va"]], inter, data[CONTROLS]], axis=1))
    np.testing.assert_allclose(res.differences.loc["periphery", "difference"], ref.params["inter"], rtol=1e-8)
    np.testing.assert_allclose(res.wald["pvalue"], res.differences.loc["periphery", "wald_p"], rtol=1e-8)
    assert 0 < res.differences.loc["periphery", "permutation_p"] <= 1


@pytest.mark.parametrize("effects", ["entity", "time", "twoway"])
def test_permutation_draws_equal_panelols_refits(data, effects):
    d = data.assign(core=core_periphery(data))
    groups = Groups.from_index(d.index)
    parts, q = partial_out(d, ["D", "va"], CONTROLS, groups, effects)
    x = d["va"].to_numpy()
    codes = d["core"].groupby(level=0).first().to_numpy()
    draws = _permuted(x, parts[:, 1], parts[:, 0], q, groups, effects, codes,
                      np.array(["periphery"]), np.random.default_rng(5), 2)
    perms = np.argsort(np.random.default_rng(5).random((2, 21)), axis=1)  # replay
    for draw, perm in zip(draws, perms):
        label = codes[perm][groups.entity]
        exog = d[["va", *CONTROLS]].assign(inter=x * (label == "periphery"))
        ref = PanelOLS(d["D"], exog, entity_effects=effects != "time", time_effects=effects != "entity").fit()
        np.testing.assert_allclose(draw[0], ref.params["inter"], rtol=1e-8)
        # the joint statistic: what [x, interaction] explain beyond the effects and controls
        np.testing.assert_allclose(draw[1], parts[:, 0] @ parts[:, 0] - ref.resid_ss, rtol=1e-8)


def simulate(rng: np.random.Generator, diff: float, n: int = 24, t: int = 8) -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([[f"c{i:02d}" for i in range(n)], range(t)], names=["city", "year"])
    core = np.repeat(np.arange(n) < n // 3, t)
    x = rng.normal(size=n * t) + np.repeat(rng.normal(size=n), t)
    y = (1.0 + diff * core) * x + rng.normal(size=n * t) + np.repeat(rng.normal(size=n), t)
    return pd.DataFrame({"y": y, "x": x, "c": rng.normal(size=n * t),
                         "group": np.where(core, "core", "periphery")}, index=idx)


@pytest.mark.slow
def test_permutation_test_keeps_its_size_and_has_power():
    rng = np.random.default_rng(42)
    p = np.array([group_heterogeneity(simulate(rng, 0.0), "y", "x", ["c"], groups="group", n_perm=199,
                                      seed=r).differences["permutation_p"].iloc[0] for r in range(400)])
    assert 0.025 <= np.mean(p <= 0.05) <= 0.08, np.mean(p <= 0.05)  # 400 draws: sd of a 5% rate is 1.1 points
    planted = group_heterogeneity(simulate(rng, 0.6), "y", "x", ["c"], groups="group", n_perm=499, seed=0)
    assert planted.differences["permutation_p"].iloc[0] <= 0.01 and planted.permutation_p <= 0.01


def test_seeded_serial_equals_joblib():
    df = simulate(np.random.default_rng(1), 0.0)
    a = group_heterogeneity(df, "y", "x", ["c"], groups="group", n_perm=1500, seed=3)
    b = group_heterogeneity(df, "y", "x", ["c"], groups="group", n_perm=1500, seed=3, n_jobs=2)
    pd.testing.assert_frame_equal(a.differences, b.differences, check_exact=True)
    assert a.permutation_p == b.permutation_p


def test_bad_groups_are_named(data):
    moving = data["region"].copy()
    moving.loc[("440500", 2015)] = "Western Guangdong"
    with pytest.raises(vagg.DataError, match="440500"):
        group_heterogeneity(data, "D", "va", groups=moving, n_perm=0)
    with pytest.raises(vagg.SpecificationError, match="at least two groups"):
        group_heterogeneity(data, "D", "va", groups=pd.Series("all", index=data.index), n_perm=0)
    with pytest.raises(vagg.SpecificationError, match="Atlantis"):
        group_heterogeneity(data, "D", "va", reference="Atlantis", n_perm=0)
    with pytest.raises(vagg.DataError, match="no_such"):
        group_heterogeneity(data, "D", "va", groups="no_such", n_perm=0)


def test_entity_level_labels_and_unbalanced_panel(data):
    per_city = data["region"].groupby(level=0).first()
    a = group_heterogeneity(data, "D", "va", CONTROLS, groups=per_city, n_perm=99, seed=1)
    b = group_heterogeneity(data, "D", "va", CONTROLS, groups="region", n_perm=99, seed=1)
    pd.testing.assert_frame_equal(a.differences, b.differences)
    gap = data.drop(index=[("440500", 2015), ("441200", 2012)])
    res = group_heterogeneity(gap, "D", "va", CONTROLS, groups=core_periphery(gap), reference="core", n_perm=99,
                              seed=1)
    inter = (gap["va"] * (gap["region"] != "Pearl River Delta Core")).rename("inter")
    ref = PanelOLS(gap["D"], pd.concat([gap[["va"]], inter, gap[CONTROLS]], axis=1), entity_effects=True,
                   time_effects=True).fit()
    np.testing.assert_allclose(res.differences["difference"].iloc[0], ref.params["inter"], rtol=1e-8)
