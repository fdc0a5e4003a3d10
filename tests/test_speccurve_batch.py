"""The batched FE path of the specification curve against its brute-force twin.

The twin is the one-by-one path (one PanelFE fit and one ``null_bootstrap``
per specification, :func:`vagg.robustness.battery.estimate_with_results`),
which the batched path must reproduce to 1e-12 across the options a user can
reach: entity, time and two-way effects; entity and coarser column
clustering; samples; rows dropped for missing values (blocks split by
completeness); an absorbed or collinear control and a one-city sample (which
fall back to the one-by-one path for their wording).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vagg.robustness.speccurve as speccurve
from vagg.mechanisms import composite_index
from vagg.robustness.battery import drop_entities, period


@pytest.fixture(scope="module")
def data(demo_panel):
    d = demo_panel.assign(va=composite_index(demo_panel, "virtual_agglomeration").scores,
                          va_pca=composite_index(demo_panel, "virtual_agglomeration", method="pca").scores,
                          fixed=demo_panel.groupby(level=0)["fdi_gdp"].transform("mean"),
                          fdi2=2 * demo_panel["fdi_gdp"])
    d["cluster"] = d["region"].astype(str)
    holes = d.sample(12, random_state=5).index
    d.loc[holes, "fiscal_gdp"] = np.nan           # some specifications lose 12 rows
    return d


CHOICES = dict(outcomes=["rd_intensity", "hightech_output_share"], treatments=["va", "va_pca"],
               controls={"none": (), "fiscal": ("fiscal_gdp",), "two": ("tertiary_share", "fiscal_gdp"),
                         "absorbed": ("fixed",), "collinear": ("fdi_gdp", "fdi2")})


def both(data, monkeypatch, **kw):
    choices = {**CHOICES, **kw}
    fast = speccurve.specification_curve(data, **choices, seed=4, n_jobs=1, progress=False)
    with monkeypatch.context() as m:
        m.setattr(speccurve, "_batchable", lambda spec, names: False)
        slow = speccurve.specification_curve(data, **choices, seed=4, n_jobs=1, progress=False)
    return fast, slow


def by_choice(res):
    """Table and draws in the order of the choices (equal estimates, e.g. a dropped control, tie in the rank)."""
    order = res.table.sort_values(list(speccurve.DIMENSIONS)).index.to_numpy()
    table = res.table.iloc[order].drop(columns="rank").reset_index(drop=True)
    return table, None if res.draws is None else res.draws[order]


def assert_same(fast, slow):
    num = ["estimate", "se", "pvalue", "ci_low", "ci_high"]
    (ft, fd), (st, sd) = by_choice(fast), by_choice(slow)
    pd.testing.assert_frame_equal(ft.drop(columns=num), st.drop(columns=num))
    np.testing.assert_allclose(ft[num].to_numpy(float), st[num].to_numpy(float), rtol=1e-12, atol=1e-12)
    if slow.draws is None:
        assert fast.draws is None
        return
    np.testing.assert_allclose(fd, sd, rtol=1e-11, atol=1e-12)
    pd.testing.assert_frame_equal(fast.inference, slow.inference, rtol=1e-10)


@pytest.mark.parametrize("effects", [("twoway",), ("entity",), ("time",)])
def test_batched_curve_equals_one_by_one(data, monkeypatch, effects):
    samples = {"all": None, "2013+": period(2013), "no GZ/SZ": drop_entities(["440100", "440300"]),
               "one city": drop_entities(data.index.get_level_values(0).unique()[1:])}
    fast, slow = both(data, monkeypatch, outcomes=["rd_intensity"], samples=samples, effects=effects,
                      clusters=(None, "cluster"), n_boot=40)
    assert_same(fast, slow)
    assert len(fast.table) == 2 * 5 * 4 * 2
    failed = fast.table["status"] == "failed"
    assert (fast.table.loc[failed, "sample"] == "one city").all()
    t = fast.table[~failed]
    assert (t.loc[t["controls"] == "collinear", "reason"].str.contains("fdi2 collinear")).all()
    if effects != ("time",):
        assert (t.loc[t["controls"] == "absorbed", "reason"]
                .str.contains("fixed absorbed")).all()
    assert (t.loc[t["cluster"] == "cluster", "reason"].str.contains("clusters: clustered inference")).all()
    assert (t["nobs"] == 198).any() and (t["nobs"] == 210).any()   # the holes in fiscal_gdp split the blocks


def test_batched_curve_without_bootstrap(data, monkeypatch):
    fast, slow = both(data, monkeypatch, n_boot=0)
    assert fast.inference is None
    assert_same(fast, slow)


def test_null_draws_equal_the_per_specification_bootstrap(data):
    """fit_block's factorised draws equal null_bootstrap on one PanelFE fit (the draw-by-draw twin)."""
    from vagg.models import PanelFE
    from vagg.models._within import Groups
    from vagg.robustness._fe_batch import fit_block

    d = data.dropna(subset=["fiscal_gdp"])
    signs = np.random.default_rng(1).choice([-1.0, 1.0], (21, 30))
    res = PanelFE(d["rd_intensity"], d[["va", "fiscal_gdp"]]).fit(cov="clustered")
    groups = Groups.from_index(d.index)
    b, t = speccurve.null_bootstrap(res, "va", signs[groups.entity])
    fit = fit_block(d[["rd_intensity", "va", "fiscal_gdp"]].to_numpy(), [(0, [1, 2])], groups, "twoway",
                    groups.entity, signs)[0]
    np.testing.assert_allclose(fit["boot_b"], b, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(fit["boot_t"], t, rtol=1e-11)
    assert fit["estimate"] == pytest.approx(res.params["va"], rel=1e-13)
    assert fit["se"] == pytest.approx(res.std_errors["va"], rel=1e-12)


def test_curve_statistics_equal_the_scipy_distribution_calls():
    """The curve statistics call scipy.special directly; twin: the same formulas through scipy.stats."""
    from scipy import stats

    rng = np.random.default_rng(3)
    b, t = rng.normal(size=(40, 300)), 2.5 * rng.standard_t(5, size=(40, 300))
    df_t = rng.integers(5, 30, size=40).astype(float)
    ours = speccurve._curve_statistics(b, t, df_t, 0.05)
    sign = np.where(np.median(b, axis=0) >= 0, 1.0, -1.0)
    crit = stats.t.ppf(0.975, df_t)[:, None]
    n_sig = np.sum((np.abs(t) > crit) & (np.sign(t) == sign), axis=0)
    z = stats.norm.isf(np.clip(stats.t.sf(sign * t, df_t[:, None]), 1e-300, 1 - 1e-16)).mean(axis=0)
    np.testing.assert_array_equal(ours[1], n_sig)
    np.testing.assert_allclose(ours[2], z, rtol=1e-14, atol=1e-14)
    np.testing.assert_array_equal(ours[0], np.abs(np.median(b, axis=0)))
