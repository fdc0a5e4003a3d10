"""The robustness battery against independent peers.

References: linearmodels ``PanelOLS`` (two-way FE, entity-clustered SE with
Stata's small-sample factors, as in tests/test_panel_fe.py) re-run on data
that each variant should produce, built here by hand with pandas; linearmodels
``IV2SLS`` with entity and year dummies for the FE-2SLS variant.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from linearmodels import PanelOLS
from linearmodels.iv import IV2SLS

import vagg
from vagg.mechanisms import composite_index, synergy_outcome
from vagg.robustness.battery import Spec, estimate, index_variants, standard_variants

CONTROLS = ("tertiary_share", "fdi_gdp")


@pytest.fixture(scope="module")
def data(demo_panel):
    d = demo_panel.assign(va=composite_index(demo_panel, "virtual_agglomeration").scores,
                          D=synergy_outcome(demo_panel)["D"])
    d["shift_share"] = d["post_offices_1984_per10k"] * d["internet_users_national"]
    return d


@pytest.fixture(scope="module")
def baseline():
    return Spec("D", "va", CONTROLS)


def peer(d: pd.DataFrame, y: str = "D", x: str = "va", controls=CONTROLS):
    """PanelOLS, entity effects + year dummies, entity clusters (reghdfe factors)."""
    years = pd.get_dummies(d.index.get_level_values(1), prefix="y", drop_first=True, dtype=float)
    years.index = d.index
    exog = pd.concat([d[[x, *controls]], years], axis=1)
    res = PanelOLS(d[y], exog, entity_effects=True).fit(cov_type="clustered", cluster_entity=True,
                                                         debiased=True, group_debias=True)
    return res.params[x], res.std_errors[x]


def check(row: dict, ref: tuple[float, float]) -> None:
    assert row["status"] in ("ok", "note")
    np.testing.assert_allclose(row["estimate"], ref[0], rtol=1e-8)
    np.testing.assert_allclose(row["se"], ref[1], rtol=1e-8)


def test_battery_rows_match_panelols_on_hand_built_data(data, baseline):
    variants = {**index_variants(data, "va", methods=("critic",)), **standard_variants(baseline, first_year=2014)}
    res = vagg.robustness.robustness(data, baseline, variants)
    table = res.table.set_index("variant")
    assert list(table.columns) == ["estimate", "se", "pvalue", "ci_low", "ci_high", "nobs", "status", "reason"]
    check(table.loc["baseline"].to_dict(), peer(data))
    critic = data.assign(va=composite_index(data, "virtual_agglomeration", method="critic").scores)
    check(table.loc["index: critic"].to_dict(), peer(critic))
    core = data[data["region"] != "Pearl River Delta Core"]
    check(table.loc["sample: without Pearl River Delta Core"].to_dict(), peer(core))
    gz_sz = data.drop(index=["440100", "440300"], level=0)
    check(table.loc["sample: without 440100, 440300"].to_dict(), peer(gz_sz))
    check(table.loc["sample: from 2014"].to_dict(), peer(data[data.index.get_level_values(1) >= 2014]))
    lagged = data.assign(va=data.groupby(level=0)["va"].shift(1)).dropna(subset=["va"])
    check(table.loc["treatment lagged one period"].to_dict(), peer(lagged))
    assert table.loc["treatment lagged one period", "nobs"] == 21 * 9
    cols = ["D", "va", *CONTROLS]
    wins = data.copy()
    wins[cols] = wins[cols].clip(wins[cols].quantile(0.01), wins[cols].quantile(0.99), axis=1)
    check(table.loc["winsorised 1% / 99%"].to_dict(), peer(wins))
    # the winsorised variables really were clipped: at most 1% + ties beyond the quantile on either side
    assert (wins["va"] == wins["va"].max()).sum() >= 2


def test_two_sls_variant_matches_iv2sls_with_dummies(data, baseline):
    row = estimate(Spec("D", "va", CONTROLS, model="iv", instrument=("shift_share",)), data)
    d = data.reset_index()
    dummies = pd.get_dummies(d[["adcode", "year"]].astype(str), drop_first=True, dtype=float)
    exog = pd.concat([pd.Series(1.0, index=d.index, name="const"), d[list(CONTROLS)], dummies], axis=1)
    ref = IV2SLS(d["D"], exog, d[["va"]], d[["shift_share"]]).fit(cov_type="unadjusted")
    np.testing.assert_allclose(row["estimate"], ref.params["va"], rtol=1e-7)
    assert row["status"] == "note" and "first-stage F" in row["reason"]


def test_weak_instrument_is_kept_with_reason(data):
    noise = pd.Series(np.random.default_rng(3).normal(size=len(data)), index=data.index)
    row = estimate(Spec("D", "va", CONTROLS, model="iv", instrument=("z",), columns={"z": noise}), data)
    assert row["status"] == "failed" and "too weak" in row["reason"] and np.isnan(row["estimate"])


def test_impossible_variants_stay_in_the_table_with_reasons(data, baseline):
    one_city = {"sample": vagg.robustness.drop_entities(data.index.get_level_values(0).unique()[1:])}
    variants = {
        "one city": one_city,
        "time-invariant treatment": {"treatment": "post_offices_1984_per10k"},
        "collinear control": {"controls": (*CONTROLS, "fdi2"), "columns": {"fdi2": 2 * data["fdi_gdp"]}},
        "three clusters": {"sample": vagg.robustness.drop_groups("region", [
            "Pearl River Delta Core", "Northern Guangdong", "Eastern Guangdong", "Western Guangdong"])},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the battery records warnings instead of letting them through
        table = vagg.robustness.robustness(data, baseline, variants).table.set_index("variant")
    assert len(table) == 5
    assert table.loc["one city", "status"] == "failed" and table.loc["one city", "nobs"] == 10
    assert table.loc["time-invariant treatment", "status"] == "failed"
    assert "post_offices_1984_per10k" in table.loc["time-invariant treatment", "reason"]
    assert table.loc["collinear control", "status"] == "note" and "fdi2" in table.loc["collinear control", "reason"]
    np.testing.assert_allclose(table.loc["collinear control", "estimate"], table.loc["baseline", "estimate"])
    assert table.loc["three clusters", "status"] == "note" and "3 clusters" in table.loc["three clusters", "reason"]


def dense_impacts(ref, w, x):
    """Direct and total impacts of x by brute force: S = (I - rho W)^-1 (b I + t W) with dense
    matrices (W ordered as the panel's cities), direct = mean diag S, total = mean row sum of S."""
    full, ids = w.full()
    order = [ids.index(c) for c in sorted(ids)]
    wd = full[np.ix_(order, order)]
    wd = wd / wd.sum(axis=1, keepdims=True)
    s = np.linalg.solve(np.eye(len(wd)) - ref.rho * wd, ref.params[x] * np.eye(len(wd)) + ref.params[f"W_{x}"] * wd)
    return np.mean(np.diag(s)), np.mean(s.sum(axis=1))


def test_spatial_variants_report_direct_and_total_impacts(data):
    """SDM rows are the direct and total impacts (not the coefficient beta):
    point values against a dense brute-force S matrix, standard errors and
    intervals against SpatialPanelResults.impacts with the same draws."""
    base = Spec("D", "va", CONTROLS, model="sdm", w=vagg.weights.guangdong("queen"))
    variants = vagg.robustness.weights_variants({"knn": vagg.weights.guangdong("knn")})
    table = vagg.robustness.robustness(data, base, variants, seed=3).table.set_index("variant")
    assert list(table.index) == ["baseline: direct impact", "baseline: total impact", "W: knn: direct impact",
                                 "W: knn: total impact"]
    for name, w in (("baseline", vagg.weights.guangdong("queen")), ("W: knn", vagg.weights.guangdong("knn"))):
        ref = vagg.models.SpatialPanel(data["D"], data[["va", *CONTROLS]], w, model="sdm").fit()
        impacts = ref.impacts(draws=1000, seed=3).loc["va"]
        direct, total = dense_impacts(ref, w, "va")
        for kind, value in (("direct", direct), ("total", total)):
            row = table.loc[f"{name}: {kind} impact"]
            assert row["estimate"] == pytest.approx(value, rel=1e-8)
            np.testing.assert_allclose(row[["se", "pvalue", "ci_low", "ci_high"]].to_numpy(dtype=float),
                                       impacts[[f"{kind}_se", f"{kind}_p", f"{kind}_lo", f"{kind}_hi"]].to_numpy(),
                                       rtol=1e-12)
            assert row["status"] == "note" and f"{kind} impact of va" in row["reason"]
        assert abs(table.loc[f"{name}: direct impact", "estimate"] - ref.params["va"]) > 1e-6
    single = estimate(base, data, seed=3)  # estimate() alone: the direct impact
    assert single["estimate"] == table.loc["baseline: direct impact", "estimate"]


def test_placebo_row_and_seed(data, baseline):
    a = vagg.robustness.robustness(data, baseline, {}, placebo=300, seed=4)
    b = vagg.robustness.robustness(data, baseline, {}, placebo=300, seed=4)
    np.testing.assert_array_equal(a.placebo.draws, b.placebo.draws)
    row = a.table.iloc[-1]
    assert row["variant"].startswith("placebo") and row["pvalue"] == a.placebo.pvalue
    assert a.placebo.pvalue == pytest.approx(1 / 301)  # the demo panel has a planted effect


def test_bad_input_is_named(data, baseline):
    with pytest.raises(vagg.DataError, match="no_such_column"):
        estimate(Spec("D", "no_such_column"), data)
    with pytest.raises(vagg.SpecificationError, match="treatmnt"):
        vagg.robustness.robustness(data, baseline, {"typo": {"treatmnt": "va"}})
    with pytest.raises(vagg.SpecificationError, match="weights matrix"):
        estimate(Spec("D", "va", model="sdm"), data)


def test_single_names_are_single_columns(data):
    spec = Spec("D", "va", "tertiary_share", model="iv", instrument="shift_share")
    assert spec.controls == ("tertiary_share",) and spec.instrument == ("shift_share",)
    check(estimate(Spec("D", "va", "tertiary_share"), data), peer(data, controls=["tertiary_share"]))


def test_lag_is_by_period_not_by_row_order(data):
    shuffled = data.sample(frac=1.0, random_state=0)
    row = estimate(Spec("D", "va", CONTROLS, lag=1), shuffled)
    lagged = data.assign(va=data.groupby(level=0)["va"].shift(1)).dropna(subset=["va"])  # data are sorted
    check(row, peer(lagged))
    # a missing year leaves the next year's lag missing rather than taking the value two years back
    gap = data.drop(index=("440100", 2015))
    one = vagg.robustness.battery.prepare(Spec("D", "va", lag=1), gap)
    assert ("440100", 2016) not in one.index and one.loc[("440100", 2017), "va"] == data.loc[("440100", 2016), "va"]
    # a later sample keeps its first year: the lag is taken before the sample rule
    late = estimate(Spec("D", "va", CONTROLS, lag=1, sample=vagg.robustness.period(2014)), data)
    assert late["nobs"] == 21 * 7


def test_replacement_with_foreign_index_is_refused(data):
    foreign = pd.Series(1.0, index=pd.MultiIndex.from_product([[440100], [2011]]))
    with pytest.raises(vagg.DataError, match="shares no"):
        estimate(Spec("D", "x", columns={"x": foreign}), data)


def test_placebo_rows_for_sdm_and_mediation_baselines(data):
    sdm = Spec("D", "va", CONTROLS, model="sdm", w=vagg.weights.guangdong("queen"))
    res = vagg.robustness.robustness(data, sdm, {}, placebo=40, seed=1)
    assert res.placebo.pvalue == pytest.approx(1 / (1 + len(res.placebo.draws)))  # planted effect in the demo
    assert res.table.iloc[-1]["estimate"] == vagg.models.SpatialPanel(
        data["D"], data[["va", *CONTROLS]], vagg.weights.guangdong("queen"), model="sdm").fit().params["va"]
    assert "SDM coefficient, not an impact" in res.table.iloc[-1]["reason"]
    med = Spec("D", "va", CONTROLS, model="mediation", mediators=("invention_patents_per10k",), n_boot=50)
    row = vagg.robustness.robustness(data, med, {}, placebo=40).table.iloc[-1]
    assert row["status"] == "failed" and "mediation" in row["reason"]
