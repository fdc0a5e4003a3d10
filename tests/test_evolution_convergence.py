"""Sigma and beta convergence.

References: scipy's ``variation`` and the lognormal moments for sigma;
simulations with a planted convergence speed (recovery and 95% CI coverage);
Nickell's (1981, Econometrica 49: 1417, eq. 18) analytic bias of the
within estimator in short panels; statsmodels OLS with dummy variables for
the fixed-effects regression; vagg.models.SpatialPanel on a simulated spatial
Durbin growth process for spatial beta convergence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
import statsmodels.formula.api as smf

import vagg
from vagg.evolution import beta_convergence, sigma_convergence, spatial_beta_convergence
from vagg.weights import to_sparse


def _panel(y: np.ndarray, start: int = 2000) -> pd.DataFrame:
    """Entities x years array -> panel indexed (id, year) with column y."""
    n, T = y.shape
    index = pd.MultiIndex.from_product([[f"c{i:04d}" for i in range(n)], range(start, start + T)], names=["id", "year"])
    return pd.DataFrame({"y": y.ravel()}, index=index)


def _simulate_levels(rng: np.random.Generator, n: int, T: int, speed: float, entity_sd: float = 0.0,
                     reps: int = 1, burn: int = 50) -> tuple[np.ndarray, float]:
    """ln y_{i,t+1} = a_i + (1 + beta) ln y_it + g_t + e_it with beta = exp(-speed) - 1.

    Steady state 10 + a_i / speed; e ~ N(0, 0.05^2), g_t ~ N(0, 0.02^2); the
    first ``burn`` years are dropped so the panel starts near stationarity.
    Vectorised over replications and entities (the loop runs over years).
    """
    beta = np.exp(-speed) - 1.0
    a = rng.normal(0.0, entity_sd, (reps, n))
    x = np.empty((reps, n, T + burn))
    x[..., 0] = 10.0 + rng.normal(0.0, 0.3, (reps, n))
    g = rng.normal(0.0, 0.02, T + burn)
    e = rng.normal(0.0, 0.05, (reps, n, T + burn))
    for t in range(T + burn - 1):
        x[..., t + 1] = a - 10.0 * beta + (1.0 + beta) * x[..., t] + g[t] + e[..., t]
    return np.exp(x[..., burn:]), beta


# ------------------------------------------------------------------ sigma
def test_sigma_matches_scipy_variation(demo_panel):
    out = sigma_convergence(demo_panel, "gdp_per_capita", groups="region")
    assert list(out.columns) == ["n", "mean", "sd", "cv", "sd_log"]
    for (year, group), row in out.iterrows():
        values = demo_panel.xs(year, level=1)
        if group != "all":
            values = values[values["region"] == group]
        y = values["gdp_per_capita"].to_numpy()
        assert row["cv"] == pytest.approx(st.variation(y), rel=1e-12)
        assert row["sd_log"] == pytest.approx(st.tstd(np.log(y)) * np.sqrt((len(y) - 1) / len(y)), rel=1e-12)
        assert row["n"] == len(y)
    assert out.xs("all", level=1)["n"].eq(21).all()


def test_sigma_recovers_planted_dispersion():
    """ln y_t ~ N(m_t, s_t^2): sd of logs is s_t and cv is sqrt(exp(s_t^2) - 1) (lognormal moments)."""
    rng = np.random.default_rng(2)
    s = np.linspace(0.6, 0.3, 6)  # falling dispersion: sigma convergence
    y = np.exp(rng.normal(1.0, 1.0, (20000, 1)) * s[None, :] + np.linspace(0, 0.5, 6)[None, :])
    out = sigma_convergence(_panel(y), "y").xs("all", level=1)
    assert np.allclose(out["sd_log"], s, rtol=0.02)
    assert np.allclose(out["cv"], np.sqrt(np.exp(s**2) - 1.0), rtol=0.04)
    assert (np.diff(out["sd_log"]) < 0).all()


# ------------------------------------------------------------------ beta
@pytest.mark.slow
def test_absolute_beta_recovers_speed_with_coverage():
    rng = np.random.default_rng(11)
    reps, speed = 150, 0.05
    levels, beta = _simulate_levels(rng, n=200, T=8, speed=speed, reps=reps)
    estimates, covered = np.empty(reps), np.empty(reps, dtype=bool)
    for r in range(reps):  # one regression per replication; the simulation itself is vectorised
        res = beta_convergence(_panel(levels[r]), "y")
        ci = res.conf_int().loc["ln_y"]
        estimates[r], covered[r] = res.beta, ci["lower"] <= beta <= ci["upper"]
    assert abs(estimates.mean() - beta) < 3 * estimates.std() / np.sqrt(reps)
    assert 0.90 <= covered.mean() <= 0.99
    assert -np.log1p(estimates.mean()) == pytest.approx(speed, rel=0.05)


def test_conditional_beta_recovers_speed_in_a_long_panel():
    rng = np.random.default_rng(5)
    speed = 0.10
    levels, beta = _simulate_levels(rng, n=20, T=300, speed=speed, entity_sd=0.05)
    res = beta_convergence(_panel(levels[0]), "y", kind="conditional")
    assert res.table_info["entity_effects"] and res.table_info["time_effects"]
    assert abs(res.beta - beta) < 0.006 + 3 * res.std_errors["ln_y"]  # 0.006: Nickell bias at T = 300
    assert res.speed == pytest.approx(speed, rel=0.15)
    assert res.half_life == pytest.approx(np.log(2) / res.speed)
    assert res.speed_se == pytest.approx(res.std_errors["ln_y"] / (1 + res.beta))


def test_conditional_beta_short_panel_bias_is_nickells():
    """Within estimator of an AR(1) with entity effects, T periods: plim bias
    -(1+r)/(T-1) h / (1 - 2r/((1-r)(T-1)) h), h = 1 - (1-r^T)/(T(1-r)) (Nickell 1981, eq. 18)."""
    rng = np.random.default_rng(8)
    levels, beta = _simulate_levels(rng, n=3000, T=10, speed=0.10, entity_sd=0.05)
    res = beta_convergence(_panel(levels[0]), "y", kind="conditional")  # time effects absorb g_t
    r, T = 1.0 + beta, 9  # nine growth periods
    h = 1.0 - (1.0 - r**T) / (T * (1.0 - r))
    bias = -(1.0 + r) / (T - 1) * h / (1.0 - 2.0 * r / ((1.0 - r) * (T - 1)) * h)
    assert abs(res.beta - (beta + bias)) < 3 * res.std_errors["ln_y"]
    assert res.beta < beta - 0.2  # the bias is large: the docstring warns about it


def test_fe_regression_matches_statsmodels_dummies(demo_panel):
    res = beta_convergence(demo_panel, "gdp_per_capita", controls=["fdi_gdp"], kind="conditional")
    flat = demo_panel[["gdp_per_capita", "fdi_gdp"]].reset_index()
    flat["ln"] = np.log(flat["gdp_per_capita"])
    flat["growth"] = flat.groupby("adcode")["ln"].shift(-1) - flat["ln"]
    ols = smf.ols("growth ~ ln + fdi_gdp + C(adcode) + C(year)", data=flat.dropna()).fit()
    assert res.params["ln_gdp_per_capita"] == pytest.approx(ols.params["ln"], abs=1e-10)
    assert res.params["fdi_gdp"] == pytest.approx(ols.params["fdi_gdp"], abs=1e-10)
    assert res.nobs == 21 * 9
    assert res.table.columns.tolist() == ["kind", "beta", "std_error", "pvalue", "speed", "speed_se",
                                          "half_life", "nobs"]


def test_growth_is_not_computed_across_a_gap(demo_panel):
    panel = demo_panel.drop(index=("440100", 2015))
    res = beta_convergence(panel, "gdp_per_capita")
    assert res.nobs == 21 * 9 - 2  # 440100 loses 2014->2015 and 2015->2016


def test_beta_refuses_bad_input(demo_panel):
    panel = demo_panel.copy()
    panel.loc[("441300", 2016), "gdp_per_capita"] = -5.0
    with pytest.raises(vagg.DataError, match=r"positive.*441300.*2016"):
        beta_convergence(panel, "gdp_per_capita")
    with pytest.raises(vagg.SpecificationError, match="no controls"):
        beta_convergence(demo_panel, "gdp_per_capita", controls=["fdi_gdp"])
    with pytest.raises(vagg.SpecificationError, match="effects"):
        beta_convergence(demo_panel, "gdp_per_capita", effects="firm")
    one_year = demo_panel.xs(2015, level=1, drop_level=False)  # growth needs two consecutive years
    with pytest.raises(vagg.DataError, match="consecutive"):
        beta_convergence(one_year, "gdp_per_capita")
    two_years = demo_panel[demo_panel.index.get_level_values(1) <= 2012]  # one growth step per city
    # a single growth period: the outcome is constant within the two-way effects (the guard names it and why)
    with pytest.raises(vagg.SpecificationError, match="ln_gdp_per.*single period, 2011.*nothing to explain"):
        beta_convergence(two_years, "gdp_per_capita", kind="conditional")
    with pytest.raises(vagg.DataError, match="missing_column"):
        beta_convergence(demo_panel, "gdp_per_capita", controls=["missing_column"], kind="conditional")


# ------------------------------------------------------------------ spatial beta
def test_spatial_beta_recovers_planted_sdm(guangdong_queen):
    """g_t = (I - rho W)^-1 (beta (x_t - 10) + theta W (x_t - 10) + mu + g + e), x_{t+1} = x_t + g_t."""
    ids = list(guangdong_queen.id_order)
    W = to_sparse(guangdong_queen, ids).toarray()
    n, T, burn = len(ids), 200, 30
    beta, theta, rho = -0.10, 0.04, 0.30
    rng = np.random.default_rng(3)
    solve = np.linalg.inv(np.eye(n) - rho * W)
    mu = rng.normal(0.0, 0.02, n)
    x = np.empty((n, T + burn))
    x[:, 0] = 10.0 + rng.normal(0.0, 0.2, n)
    for t in range(T + burn - 1):
        dev = x[:, t] - 10.0
        x[:, t + 1] = x[:, t] + solve @ (beta * dev + theta * W @ dev + mu + 0.01 * rng.normal()
                                         + rng.normal(0.0, 0.02, n))
    index = pd.MultiIndex.from_product([ids, range(1800, 1800 + T)], names=["adcode", "year"])
    panel = pd.DataFrame({"y": np.exp(x[:, burn:]).ravel()}, index=index)
    res = spatial_beta_convergence(panel, "y", guangdong_queen)
    assert res.kind == "spatial" and res.table_info["model"] == "beta (spatial SDM)"
    assert abs(res.beta - beta) < 0.025
    assert abs(res.params["rho"] - rho) < 0.06
    assert abs(res.params["W_ln_y"] - theta) < 0.04
    assert res.speed == pytest.approx(-np.log1p(res.beta))


def test_spatial_beta_fails_clearly_without_spatial_panel(demo_panel, guangdong_queen, monkeypatch):
    import vagg.models

    monkeypatch.delitem(vagg.models._EXPORTS, "SpatialPanel")
    monkeypatch.delattr(vagg.models, "SpatialPanel", raising=False)
    with pytest.raises(NotImplementedError, match="spatial Durbin model"):
        spatial_beta_convergence(demo_panel, "gdp_per_capita", guangdong_queen)


def test_spatial_beta_refuses_mismatched_weights(demo_panel, guangdong_queen):
    with pytest.raises(vagg.DataError, match="440100"):
        spatial_beta_convergence(demo_panel.drop(index="440100", level=0), "gdp_per_capita", guangdong_queen)
