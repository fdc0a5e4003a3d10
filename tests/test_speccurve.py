"""Specification curve.

References: linearmodels ``PanelOLS`` fitted on each specification's data
built by hand (every estimate and standard error of the curve); a brute-force
refit (linearmodels) of one null-bootstrap draw y** = X(0, g) + e v built
explicitly; a simulation with known truth for the joint test (planted effect:
p = 0; no effect: p-values of the curve statistics uniform-ish, rejection
near 5%); identical numbers serially, with joblib and on a dask
LocalCluster(processes=False).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels import PanelOLS

import vagg
from vagg.mechanisms import composite_index, synergy_outcome
from vagg.robustness.battery import drop_entities, drop_groups
from vagg.robustness.speccurve import specification_curve

CONTROLS = {"none": (), "economy": ("tertiary_share", "fdi_gdp")}


@pytest.fixture(scope="module")
def choices(demo_panel):
    treatments = {m: composite_index(demo_panel, "virtual_agglomeration", method=m).scores
                  for m in ("entropy", "pca")}
    outcomes = {"D": synergy_outcome(demo_panel)["D"], "C": synergy_outcome(demo_panel)["C"]}
    samples = {"all": None, "no GZ/SZ": drop_entities(["440100", "440300"]),
               "no core": drop_groups("region", ["Pearl River Delta Core"])}
    return dict(outcomes=outcomes, treatments=treatments, controls=CONTROLS, samples=samples)


@pytest.fixture(scope="module")
def curve(demo_panel, choices):
    return specification_curve(demo_panel, **choices, effects=("twoway", "entity"), n_boot=200, seed=3,
                               n_jobs=1, progress=False)


def test_every_specification_matches_panelols(demo_panel, choices, curve):
    t = curve.table
    assert len(t) == 2 * 2 * 2 * 3 * 2 and (t["status"] == "ok").all()
    assert (np.diff(t["estimate"].to_numpy()) >= 0).all() and list(t["rank"]) == list(range(1, 49))
    keep = {"all": slice(None), "no GZ/SZ": ~demo_panel.index.get_level_values(0).isin(["440100", "440300"]),
            "no core": (demo_panel["region"] != "Pearl River Delta Core").to_numpy()}
    for row in t.itertuples():
        d = demo_panel.assign(y=choices["outcomes"][row.outcome], x=choices["treatments"][row.treatment])
        d = d.loc[keep[row.sample]]
        exog = d[["x", *CONTROLS[row.controls]]]
        if row.effects == "twoway":  # year dummies, entity effects: reghdfe's clustered df (tests/test_panel_fe.py)
            years = pd.get_dummies(d.index.get_level_values(1), drop_first=True, dtype=float).set_index(d.index)
            exog = pd.concat([exog, years], axis=1)
        ref = PanelOLS(d["y"], exog, entity_effects=True).fit(cov_type="clustered", cluster_entity=True,
                                                               debiased=True, group_debias=True)
        np.testing.assert_allclose(row.estimate, ref.params["x"], rtol=1e-8)
        np.testing.assert_allclose(row.se, ref.std_errors["x"], rtol=1e-8)


def test_null_bootstrap_draw_equals_brute_force_refit(demo_panel):
    treat = composite_index(demo_panel, "virtual_agglomeration").scores.rename("x")
    d = demo_panel.assign(x=treat, y=synergy_outcome(demo_panel)["D"])
    res = specification_curve(d, ["y"], ["x"], {"c": ("tertiary_share",)}, n_boot=5, seed=8, progress=False)
    fit = PanelOLS(d["y"], d[["x", "tertiary_share"]], entity_effects=True, time_effects=True).fit()
    # the signs: one Rademacher draw per entity and draw, from the master seed
    signs = np.random.default_rng(np.random.SeedSequence(8)).choice([-1.0, 1.0], (21, 5))
    entity = pd.factorize(d.index.get_level_values(0), sort=True)[0]
    g = fit.params["tertiary_share"]
    for b in (0, 3):
        y_star = fit.resids * signs[entity, b] + d["tertiary_share"] * g  # y** = X(0, g) + e v
        ref = PanelOLS(y_star, d[["x", "tertiary_share"]], entity_effects=True, time_effects=True).fit()
        np.testing.assert_allclose(res.draws[0, b], ref.params["x"], atol=1e-12)


@pytest.mark.parametrize("effects", ["entity", "time", "twoway"])
@pytest.mark.parametrize("cluster", [None, "area", "yr"])
@pytest.mark.parametrize("unbalanced", [False, True])
def test_null_bootstrap_b_and_t_equal_panelfe_refits(demo_panel, effects, cluster, unbalanced):
    """null_bootstrap (closed form for all draws) against PanelFE refitted on
    y** = X(0, g) + e v built explicitly, estimate and clustered t, for every
    effects x cluster choice (the city, a coarser area of three cities, the
    year), balanced and unbalanced."""
    from vagg.models import PanelFE
    from vagg.robustness.speccurve import null_bootstrap

    d = demo_panel.assign(x=composite_index(demo_panel, "virtual_agglomeration").scores,
                          y=synergy_outcome(demo_panel)["D"])
    entity = pd.factorize(d.index.get_level_values(0), sort=True)[0]
    d = d.assign(area=entity // 3, yr=d.index.get_level_values(1))
    if unbalanced:
        d, entity = d.iloc[7:], entity[7:]
    exog = d[["x", "tertiary_share", "fdi_gdp"]]
    fit = PanelFE(d["y"], exog, effects=effects, data=d).fit(cluster=cluster)
    signs = np.random.default_rng(2).choice([-1.0, 1.0], (21, 3))[entity]
    b, t = null_bootstrap(fit, "x", signs)
    resid = fit.resid.to_numpy()
    for k in range(3):
        y_star = exog[["tertiary_share", "fdi_gdp"]].to_numpy() @ fit.params.to_numpy()[1:] + resid * signs[:, k]
        ref = PanelFE(pd.Series(y_star, index=d.index, name="y"), exog, effects=effects, data=d).fit(cluster=cluster)
        assert b[k] == pytest.approx(ref.params["x"], rel=1e-9, abs=1e-12)
        assert t[k] == pytest.approx(ref.tstats["x"], rel=1e-8)


def test_joint_test_finds_a_planted_effect_and_keeps_size():
    """Simulation: 4 specifications (two noisy measures of x, with or without a control)."""
    rng = np.random.default_rng(77)
    n, t = 30, 8
    idx = pd.MultiIndex.from_product([[f"c{i:02d}" for i in range(n)], range(t)], names=["city", "year"])

    def panel(beta: float) -> pd.DataFrame:
        x = rng.normal(size=n * t)
        return pd.DataFrame({"y": beta * x + rng.normal(size=n * t), "x1": x + 0.3 * rng.normal(size=n * t),
                             "x2": x + 0.3 * rng.normal(size=n * t), "c": rng.normal(size=n * t)}, index=idx)

    def pvals(df: pd.DataFrame, seed: int) -> pd.Series:
        res = specification_curve(df, ["y"], ["x1", "x2"], {"none": (), "c": ("c",)}, n_boot=99, seed=seed,
                                  progress=False)
        return res.inference["pvalue"]

    planted = pvals(panel(0.5), 0)
    assert planted["median"] == 0 and planted["stouffer_z"] == 0
    # with 4 specifications "all 4 significant" happens by chance in a few % of null draws
    assert planted["n_significant"] <= 0.1
    null = np.array([pvals(panel(0.0), s).to_numpy() for s in range(60)])
    rejection = (null <= 0.05).mean(axis=0)
    assert np.all(rejection <= 0.15), rejection  # 60 replications: 5% +- 3.4 binomial sd
    assert np.all(null.mean(axis=0) > 0.4), null.mean(axis=0)  # about 0.5 for a valid, near-continuous test


def test_identical_serial_joblib_and_dask(demo_panel, choices, curve):
    from dask.distributed import Client, LocalCluster

    kw = dict(effects=("twoway", "entity"), n_boot=200, seed=3, progress=False)
    joblib = specification_curve(demo_panel, **choices, **kw)  # joblib on all cores is the default
    with LocalCluster(n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        dask = specification_curve(demo_panel, **choices, client=client, **kw)
        by_address = specification_curve(demo_panel, **choices, client=cluster.scheduler_address, **kw)
    for other in (joblib, dask, by_address):
        pd.testing.assert_frame_equal(curve.table, other.table, check_exact=True)
        np.testing.assert_array_equal(curve.draws, other.draws)
        pd.testing.assert_frame_equal(curve.inference, other.inference, check_exact=True)


def test_local_process_cluster_gives_the_same_numbers(demo_panel, choices, curve):
    kw = dict(effects=("twoway", "entity"), n_boot=200, seed=3, progress=False)
    local = specification_curve(demo_panel, **choices, client="local", **kw)
    pd.testing.assert_frame_equal(curve.table, local.table, check_exact=True)
    np.testing.assert_array_equal(curve.draws, local.draws)


def test_failed_specifications_are_kept(demo_panel, choices):
    one = {"one city": drop_entities(demo_panel.index.get_level_values(0).unique()[1:]), "all": None}
    res = specification_curve(demo_panel, choices["outcomes"], choices["treatments"], samples=one, n_boot=20,
                              progress=False)
    failed = res.table[res.table["status"] == "failed"]
    assert len(res.table) == 8 and len(failed) == 4 and (failed["sample"] == "one city").all()
    assert failed["estimate"].isna().all() and (failed["reason"] != "").all()
    assert res.inference.loc["median", "n_specifications"] == 4


def test_sdm_curve_matches_spatialpanel(demo_panel, choices):
    ws = {"queen": vagg.weights.guangdong("queen"), "knn": vagg.weights.guangdong("knn")}
    y, x = choices["outcomes"]["D"], choices["treatments"]["entropy"]
    res = specification_curve(demo_panel, {"D": y}, {"entropy": x}, weights=ws, model="sdm", n_boot=0,
                              progress=False)
    assert res.inference is None and len(res.table) == 2
    for row in res.table.itertuples():
        ref = vagg.models.SpatialPanel(y.rename("D"), x.to_frame("x"), ws[row.weights], model="sdm").fit()
        np.testing.assert_allclose(row.estimate, ref.impacts(draws=0).loc["x", "direct"], rtol=1e-10)


def test_indicator_panel_and_report_figure(curve):
    ind = curve.indicators()
    assert curve.varying == ["outcome", "treatment", "controls", "sample", "effects"]
    assert ind.shape == (48, 2 + 2 + 2 + 3 + 2) and (ind.sum(axis=1) == 5).all()
    from vagg.report.figures import specification_curve as figure

    fig = figure(curve.table, curve.varying, facet=None)
    assert len(fig.axes) == 2 and len(fig.axes[0].collections[1].get_offsets()) == 48
    faceted = figure(curve.table, curve.varying)  # default: one column of panels per outcome
    assert len(faceted.axes) == 4 and [len(ax.collections[1].get_offsets()) for ax in faceted.axes[:2]] == [24, 24]


def test_bad_choices_are_named(demo_panel):
    with pytest.raises(vagg.DataError, match="not_a_column"):
        specification_curve(demo_panel, ["gdp"], ["not_a_column"])
    with pytest.raises(vagg.SpecificationError, match="weights"):
        specification_curve(demo_panel, ["gdp"], ["urbanisation"], model="sdm")
