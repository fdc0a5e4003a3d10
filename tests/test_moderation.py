"""Moderation: the centred `x * z` formula term, conditional effects and Johnson-Neyman points against
PROCESS model 1 (pyprocessmacro on its own test data) and dummy-variable OLS, and conditional SDM impacts
against a dense computation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import vagg
from vagg.models import PanelFE, conditional_effects, conditional_impacts, johnson_neyman, spatial_from_formula
from vagg.models.panel_fe import parse_formula


@pytest.fixture(scope="module")
def process_data(reference_dir) -> pd.DataFrame:
    d = pd.read_csv(reference_dir / "process_model4.csv")
    d["y3"] = d["y"] - 0.9 * d["x"]  # an effect of x that is significant only in the middle of w's range
    return d


@pytest.fixture(scope="module")
def fe_panel() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    idx = pd.MultiIndex.from_product([[f"c{i}" for i in range(30)], range(2010, 2020)], names=["city", "year"])
    n = len(idx)
    alpha = np.repeat(rng.normal(size=30), 10)
    d = pd.DataFrame({"x": rng.normal(size=n) + alpha, "z": rng.normal(1.0, 1.0, n), "c": rng.normal(size=n)},
                     index=idx)
    d["y"] = 0.5 * d["x"] + 0.2 * d["z"] + 0.4 * d["x"] * d["z"] + 0.3 * d["c"] + alpha + rng.normal(size=n)
    return d


def test_formula_star_gives_centred_product(fe_panel) -> None:
    _, exog = parse_formula("y ~ x * z + c", fe_panel)
    assert list(exog.columns) == ["x", "z", "c", "x:z"]
    expected = (fe_panel["x"] - fe_panel["x"].mean()) * (fe_panel["z"] - fe_panel["z"].mean())
    np.testing.assert_allclose(exog["x:z"], expected)
    with pytest.raises(vagg.SpecificationError, match="'q'"):
        parse_formula("y ~ x * q", fe_panel)


def test_conditional_effects_match_dummy_ols(fe_panel) -> None:
    res = PanelFE.from_formula("y ~ x * z + c", fe_panel).fit(cov="robust")
    d = fe_panel.reset_index()
    d["xc"], d["zc"] = d["x"] - d["x"].mean(), d["z"] - d["z"].mean()
    ref = smf.ols("y ~ x + z + c + xc:zc + C(city) + C(year)", d).fit(cov_type="HC1")
    assert res.params["x:z"] == pytest.approx(ref.params["xc:zc"], abs=1e-10)
    assert res.params["x"] == pytest.approx(ref.params["x"], abs=1e-10)
    cond = conditional_effects(res, "x", "z", at=[0.0, 2.0])
    for z0 in (0.0, 2.0):
        lc = ref.t_test(f"x + {z0 - d['z'].mean()} * xc:zc")
        assert cond.loc[z0, "estimate"] == pytest.approx(float(lc.effect[0]), abs=1e-10)
        # HC1 of the dummy regression counts the dummies in n - k; vagg's robust covariance does too
        assert cond.loc[z0, "se"] == pytest.approx(float(lc.sd[0, 0]), rel=1e-8)
    assert abs(res.params["x:z"] - 0.4) < 0.15  # planted
    z = fe_panel["z"]
    np.testing.assert_allclose(conditional_effects(res, "x", "z").index, [z.mean() - z.std(), z.mean(),
                                                                         z.mean() + z.std()])


@pytest.fixture(scope="module")
def process_model_1(process_data):
    from pyprocessmacro import Process

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Process(data=process_data, model=1, x="x", y="y3", m="w", suppr_init=True, boot=0, jn=True)


def test_conditional_effects_match_process_model_1(process_data, process_model_1) -> None:
    res = PanelFE.from_formula("y3 ~ x * w", process_data, effects="none").fit(cov="unadjusted")
    cond = conditional_effects(res, "x", "w")
    ref = process_model_1.direct_model.coeff_summary()
    np.testing.assert_allclose(cond.index, ref["w"].to_numpy(), atol=1e-6)
    np.testing.assert_allclose(cond["estimate"], ref["Effect"].to_numpy(), atol=1e-6)
    np.testing.assert_allclose(cond["se"], ref["SE"].to_numpy(), rtol=1e-5)
    np.testing.assert_allclose(cond["ci_low"], ref["LLCI"].to_numpy(), atol=1e-5)


def test_johnson_neyman_matches_process_and_touches_zero(process_data, process_model_1) -> None:
    res = PanelFE.from_formula("y3 ~ x * w", process_data, effects="none").fit(cov="unadjusted")
    jn = johnson_neyman(res, "x", "w")
    regions = process_model_1.floodlight_direct_effect("w").sig_regions
    low, high = regions[0]  # PROCESS: the region of a significantly positive effect (none negative)
    assert regions[1] == []
    np.testing.assert_allclose(jn.points, [low, high], atol=1e-3)
    assert len(jn.significant) == 1
    np.testing.assert_allclose(jn.significant[0], jn.points, atol=1e-12)
    # at each point the interval just touches zero
    at = conditional_effects(res, "x", "w", at=jn.points)
    np.testing.assert_allclose(at["ci_low"], 0.0, atol=1e-10)
    assert jn.curve.shape == (201, 3) and "Johnson-Neyman" in jn.summary


def test_johnson_neyman_without_points_in_range(process_data) -> None:
    """PROCESS model 1 of y on x by w: significant over the whole observed range of w."""
    res = PanelFE.from_formula("y ~ x * w", process_data, effects="none").fit(cov="unadjusted")
    jn = johnson_neyman(res, "x", "w")
    lo, hi = process_data["w"].min(), process_data["w"].max()
    assert jn.observed_range == (lo, hi)
    assert jn.significant == [(lo, hi)]
    assert all(p < lo or p > hi for p in jn.points)
    assert (jn.curve["ci_low"] > 0).all()


def _sdm_panel(w, seed: int = 2):
    rng = np.random.default_rng(seed)
    ids = list(w.id_order)
    n, t = len(ids), 12
    dense = w.full()[0]
    idx = pd.MultiIndex.from_product([ids, range(2009, 2009 + t)], names=["city", "year"])
    x = rng.normal(size=(n, t))
    z = rng.normal(1.0, 0.5, size=(n, t))
    xz = (x - x.mean()) * (z - z.mean())
    rho, bx, bz, bxz, tx, txz = 0.3, 1.0, 0.3, 0.5, 0.6, 0.4
    eps = rng.normal(scale=0.3, size=(n, t))
    rhs = bx * x + bz * z + bxz * xz + tx * dense @ x + txz * dense @ xz + rng.normal(size=(n, 1)) + eps
    y = np.linalg.solve(np.eye(n) - rho * dense, rhs)
    data = pd.DataFrame({"y": y.ravel(), "x": x.ravel(), "z": z.ravel()}, index=idx)
    return data, dense


def test_conditional_sdm_impacts_against_dense(guangdong_queen) -> None:
    data, dense = _sdm_panel(guangdong_queen)
    res = spatial_from_formula("y ~ x * z", data, guangdong_queen, model="sdm", durbin=["x", "x:z"],
                               effects="entity").fit()
    table = conditional_impacts(res, "x", "z", data, at=[0.5, 1.5], draws=400, seed=1)
    n = dense.shape[0]
    zbar = data["z"].mean()
    inv = np.linalg.inv(np.eye(n) - res.params["rho"] * dense)
    for z0 in (0.5, 1.5):
        u = z0 - zbar
        s = inv @ ((res.params["x"] + u * res.params["x:z"]) * np.eye(n)
                   + (res.params["W_x"] + u * res.params["W_x:z"]) * dense)
        assert table.loc[z0, "direct"] == pytest.approx(np.trace(s) / n, rel=1e-8)
        assert table.loc[z0, "total"] == pytest.approx(s.sum() / n, rel=1e-8)
        assert table.loc[z0, "indirect"] == pytest.approx((s.sum() - np.trace(s)) / n, rel=1e-8)
    assert (table["direct_se"] > 0).all()
    # at the mean of z the conditional impacts are the impacts of x itself
    mean_row = conditional_impacts(res, "x", "z", data, at=[zbar], draws=0)
    plain = res.impacts(draws=0)
    assert mean_row.iloc[0]["indirect"] == pytest.approx(plain.loc["x", "indirect"], rel=1e-10)
    # SpatialPanel.from_formula's raw product (formulaic) spans the same model when z is lagged too
    centred = spatial_from_formula("y ~ x * z", data, guangdong_queen, model="sdm", effects="entity").fit()
    raw = vagg.models.SpatialPanel.from_formula("y ~ x + z + x:z", data, w=guangdong_queen, model="sdm",
                                                effects="entity").fit()
    np.testing.assert_allclose(conditional_impacts(raw, "x", "z", data, at=[0.5, 1.5], draws=0)[
        ["direct", "indirect"]].to_numpy(), conditional_impacts(centred, "x", "z", data, at=[0.5, 1.5], draws=0)[
        ["direct", "indirect"]].to_numpy(), rtol=1e-5)
    # the planted moderation of the spillover (W x:z, truth 0.4) is recovered
    assert abs(res.params["W_x:z"] - 0.4) < 0.25 and abs(res.params["x:z"] - 0.5) < 0.15


def test_raw_product_gives_the_same_conditional_effects(fe_panel) -> None:
    centred = PanelFE.from_formula("y ~ x * z + c", fe_panel).fit()
    raw = PanelFE.from_formula("y ~ x + z + c + x:z", fe_panel).fit()  # formulaic's uncentred product
    pd.testing.assert_frame_equal(conditional_effects(raw, "x", "z", at=[0.0, 1.0, 2.0]),
                                  conditional_effects(centred, "x", "z", at=[0.0, 1.0, 2.0]), atol=1e-10)
    other = fe_panel.assign(z=2.0 * fe_panel["z"])
    with pytest.raises(vagg.SpecificationError, match="neither the centred nor the raw product"):
        conditional_effects(centred, "x", "z", data=other)


def test_moderation_refusals(fe_panel) -> None:
    res = PanelFE.from_formula("y ~ x + z + c", fe_panel).fit()
    with pytest.raises(vagg.SpecificationError, match="no interaction of 'x' and 'z'"):
        conditional_effects(res, "x", "z")
    res = PanelFE.from_formula("y ~ x * z", fe_panel).fit()
    with pytest.raises(vagg.SpecificationError, match="at must be"):
        conditional_effects(res, "x", "z", at="quartiles")
