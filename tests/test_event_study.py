"""Policy timing, TWFE event study, heterogeneity-robust event studies, Goodman-Bacon decomposition."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import vagg
from vagg.models import EventStudy, PanelFE, bacon_decomposition, policy_timing, robust_event_study

YEARS = np.arange(2009, 2021)
#: planted effect of cohort g at event time e >= 0: DELTA[g] * (1 + GROWTH * e)
DELTA = {2014: 3.0, 2015: 2.0, 2016: 1.0}
GROWTH = 0.3


def staggered_panel(seed: int = 0, n_per: int = 15, noise: float = 0.5) -> pd.DataFrame:
    """Three adoption waves and never-treated cities; effects differ by cohort and grow with exposure."""
    rng = np.random.default_rng(seed)
    cohorts = [2014, 2015, 2016, None]
    cities = [f"c{i:02d}" for i in range(4 * n_per)]
    adoption = pd.Series([cohorts[i // n_per] for i in range(4 * n_per)], index=cities, dtype=object)
    idx = pd.MultiIndex.from_product([cities, YEARS], names=["city", "year"])
    df = policy_timing(pd.DataFrame(index=idx), adoption)
    alpha = pd.Series(rng.normal(0, 2, len(cities)), index=cities)
    gamma = pd.Series(np.linspace(0, 3, len(YEARS)) + rng.normal(0, 0.3, len(YEARS)), index=YEARS)
    x = rng.normal(size=len(df))
    e = df["event_time"].to_numpy()
    delta = df["cohort"].map(DELTA).fillna(0.0).to_numpy()
    tau = np.where(df["treated"].to_numpy() == 1, delta * (1 + GROWTH * np.nan_to_num(e)), 0.0)
    df["x"] = x
    df["tau"] = tau
    df["y"] = (alpha.reindex(df.index.get_level_values(0)).to_numpy()
               + gamma.reindex(df.index.get_level_values(1)).to_numpy() + 0.5 * x + tau
               + rng.normal(0, noise, len(df)))
    return df


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return staggered_panel()


# -- policy timing ----------------------------------------------------------------------------
def test_policy_timing_columns() -> None:
    idx = pd.MultiIndex.from_product([["a", "b", "c"], [2013, 2014, 2015, 2016]], names=["city", "year"])
    table = pd.DataFrame({"name": ["a", "b", "c"], "pilot": [2014, 2016, None]})
    out = policy_timing(pd.DataFrame({"y": 1.0}, index=idx), table, entity="name", year="pilot")
    assert out.loc["a", "treated"].tolist() == [0, 1, 1, 1]
    assert out.loc["b", "treated"].tolist() == [0, 0, 0, 1]
    assert out.loc["c", "treated"].tolist() == [0, 0, 0, 0]
    assert out.loc["a", "event_time"].tolist() == [-1, 0, 1, 2]
    assert out.loc["b", "cohort"].tolist() == [2016] * 4 and out.loc["c", "cohort"].tolist() == [0] * 4
    assert out.loc["c", "event_time"].isna().all()
    # a dict, and a city missing from the table is never treated
    out2 = policy_timing(pd.DataFrame({"y": 1.0}, index=idx), {"a": 2014})
    assert out2.loc["b", "treated"].sum() == 0 and out2.loc["a", "treated"].sum() == 3


def test_policy_timing_matches_numeric_ids_to_text_adcodes() -> None:
    idx = pd.MultiIndex.from_product([["440100", "440300"], [2014, 2015]], names=["adcode", "year"])
    table = pd.DataFrame({"adcode": [440100.0, 440300], "year": [2015, None]})
    out = policy_timing(pd.DataFrame({"y": 1.0}, index=idx), table, entity="adcode", year="year")
    assert out["treated"].tolist() == [0, 1, 0, 0] and out["cohort"].tolist() == [2015, 2015, 0, 0]


@pytest.mark.parametrize("table, message", [
    ({"zz": 2014}, "'zz', which is not in the panel"),
    ({"a": 2014.5}, "not a whole year"),
    ({"a": "pilot"}, "not a year"),
    (pd.Series([2014, 2015], index=["a", "a"]), "more than once"),
])
def test_policy_timing_refuses(table, message) -> None:
    idx = pd.MultiIndex.from_product([["a", "b"], [2013, 2014]], names=["city", "year"])
    with pytest.raises(vagg.DataError, match=message):
        policy_timing(pd.DataFrame({"y": 1.0}, index=idx), table)


# -- TWFE event study ------------------------------------------------------------------------
def _explicit_dummy_fit(df: pd.DataFrame, leads: int, lags: int, ref: int, bin_ends: bool):
    """Brute force: city and year dummies and event dummies built row by row, statsmodels OLS."""
    rows, ks = [], [k for k in range(-leads, lags + 1) if k != ref]
    for (city, year), r in df.iterrows():
        e = r["event_time"]
        if not np.isnan(e) and bin_ends:
            e = min(max(e, -leads), lags)
        if not np.isnan(e) and not bin_ends and not -leads <= e <= lags:
            continue
        rows.append({"city": city, "year": year, "y": r["y"], "x": r["x"],
                     **{f"k{k}": float(e == k) for k in ks}})
    d = pd.DataFrame(rows)
    exog = pd.concat([d[[f"k{k}" for k in ks] + ["x"]], pd.get_dummies(d["city"], drop_first=True, dtype=float),
                      pd.get_dummies(d["year"], drop_first=True, dtype=float)], axis=1)
    fit = sm.OLS(d["y"], sm.add_constant(exog)).fit()
    return pd.Series(fit.params[[f"k{k}" for k in ks]].to_numpy(), index=ks), len(d)


@pytest.mark.parametrize("leads, lags, ref, bin_ends", [(4, 3, -1, True), (3, 4, -2, False), (5, 5, -1, True)])
def test_twfe_event_study_equals_explicit_dummies(panel, leads, lags, ref, bin_ends) -> None:
    res = EventStudy(panel, "y", leads=leads, lags=lags, reference=ref, bin_ends=bin_ends, controls=["x"]).fit()
    brute, n = _explicit_dummy_fit(panel, leads, lags, ref, bin_ends)
    est = res.estimates["estimate"]
    assert est.loc[ref] == 0.0 and np.isnan(res.estimates.loc[ref, "se"])
    np.testing.assert_allclose(est.drop(ref).to_numpy(), brute.to_numpy(), atol=1e-9)
    assert res.nobs == n


def test_twfe_pretrend_wald_and_se(panel) -> None:
    """Clustered se and the joint lead test against linearmodels on the same dummies."""
    from linearmodels import PanelOLS

    model = EventStudy(panel, "y", leads=4, lags=3, controls=["x"])
    res = model.fit()
    dummies, _ = model.dummies()
    years = pd.get_dummies(panel.index.get_level_values(1), drop_first=True, dtype=float).set_axis(panel.index)
    exog = pd.concat([dummies, panel[["x"]], years], axis=1)
    # Stata's small-sample factors; year effects as dummies (the reghdfe count, see test_panel_fe)
    lm = PanelOLS(panel["y"], exog, entity_effects=True).fit(
        cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)
    names = list(dummies.columns)
    np.testing.assert_allclose(res.params[names], lm.params[names], atol=1e-10)
    np.testing.assert_allclose(res.std_errors[names], lm.std_errors[names], rtol=1e-8)
    leads = ["event_-4", "event_-3", "event_-2"]
    b = res.params[leads].to_numpy()
    v = res.fit_result.cov.loc[leads, leads].to_numpy()
    assert res.pretrend["statistic"] == pytest.approx(b @ np.linalg.solve(v, b) / 3, rel=1e-10)
    from scipy import stats

    assert res.pretrend["pvalue"] == pytest.approx(stats.f.sf(res.pretrend["statistic"], 3, 59), rel=1e-10)
    lags = ["event_+0", "event_+1", "event_+2", "event_+3"]
    assert res.att["estimate"] == pytest.approx(res.params[lags].mean(), rel=1e-12)


def test_event_study_refuses_bad_windows(panel) -> None:
    with pytest.raises(vagg.SpecificationError, match="reference"):
        EventStudy(panel, "y", leads=3, reference=0)
    with pytest.raises(vagg.SpecificationError, match="cannot be the reference"):
        EventStudy(panel, "y", leads=3, reference=-3)
    with pytest.raises(vagg.DataError, match="cohort column 'wave'"):
        EventStudy(panel, "y", cohort="wave")
    with pytest.raises(vagg.SpecificationError, match="no variation"), pytest.warns(UserWarning, match="absorbed"):
        EventStudy(panel, "y", leads=3, lags=9).fit()


# -- robust estimators --------------------------------------------------------------------------
def _imputation_brute_force(df: pd.DataFrame) -> pd.Series:
    """BJS by hand: unit and year dummies fitted on untreated rows, Y(0) imputed, tau averaged by event time."""
    d = df.reset_index()
    design = pd.concat([pd.get_dummies(d["city"], dtype=float), pd.get_dummies(d["year"], drop_first=True,
                                                                                dtype=float), d[["x"]]], axis=1)
    untreated = d["treated"].to_numpy() == 0
    coef = np.linalg.lstsq(design.to_numpy()[untreated], d["y"].to_numpy()[untreated], rcond=None)[0]
    tau = d["y"].to_numpy() - design.to_numpy() @ coef
    treated = ~untreated
    return pd.Series(tau[treated]).groupby(d["event_time"].to_numpy()[treated]).mean()


def test_imputation_equals_brute_force(panel) -> None:
    res = robust_event_study(panel, "y", method="imputation", leads=3, lags=6, controls=["x"])
    brute = _imputation_brute_force(panel)
    post = res.estimates.loc[0:6, "estimate"]
    np.testing.assert_allclose(post.to_numpy(), brute.loc[0:6].to_numpy(), atol=1e-8)
    assert res.estimates.loc[-1, "estimate"] == 0.0
    assert set(res.estimates.index) == set(range(-3, 7))
    assert 0.0 < res.pretrend["pvalue"] <= 1.0 and res.method == "imputation"
    assert res.pretrend["df"] == 2  # leads - 1 lead dummies in BJS's test


def test_imputation_estimates_and_se_match_did_imputation(panel) -> None:
    """did_imputation (PyPI), a port of Borusyak's Stata did_imputation, run on the same panel: the
    event-time estimates and BJS's conservative cluster-robust standard errors."""
    from did_imputation import did_imputation

    d = panel.reset_index()
    d["unit"] = pd.factorize(d["city"])[0]
    d["Ei"] = d["cohort"].where(d["cohort"] > 0, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = did_imputation(d, y="y", i="unit", t="year", Ei="Ei", controls=["x"], horizons=list(range(7)),
                             cluster="unit", minn=0)
    res = robust_event_study(panel, "y", method="imputation", leads=3, lags=6, controls=["x"])
    for h in range(7):
        # did_imputation absorbs the effects iteratively (pyhdfe), hence agreement to about 1e-7
        assert res.estimates.loc[h, "estimate"] == pytest.approx(ref.estimates[f"tau{h}"], abs=1e-6)
        assert res.estimates.loc[h, "se"] == pytest.approx(ref.std_errors[f"tau{h}"], rel=1e-5)


def test_callaway_santanna_equals_means_by_hand(panel) -> None:
    """ATT(g, g+e) = (ybar_g,t - ybar_g,g-1) - (ybar_never,t - ybar_never,g-1); event time = cohort-size average."""
    res = robust_event_study(panel, "y", method="callaway-santanna", leads=4, lags=4)
    means = panel.groupby(["cohort", "year"])["y"].mean()
    for e in [-4, -2, 0, 2, 4]:
        atts = []
        for g in DELTA:
            t = g + e
            if t not in YEARS:
                continue
            atts.append((means[(g, t)] - means[(g, g - 1)]) - (means[(0, t)] - means[(0, g - 1)]))
        assert res.estimates.loc[e, "estimate"] == pytest.approx(np.mean(atts), abs=1e-10)
    assert res.pretrend["kind"] == "chi2" and res.pretrend["df"] == 3


def test_callaway_santanna_bootstrap_is_seeded(panel) -> None:
    one = robust_event_study(panel, "y", method="callaway-santanna", n_boot=199, seed=3)
    two = robust_event_study(panel, "y", method="callaway-santanna", n_boot=199, seed=3)
    analytic = robust_event_study(panel, "y", method="callaway-santanna")
    pd.testing.assert_frame_equal(one.estimates, two.estimates)
    np.testing.assert_allclose(one.estimates["estimate"], analytic.estimates["estimate"])
    np.testing.assert_allclose(one.estimates["se"].dropna(), analytic.estimates["se"].dropna(), rtol=0.25)
    assert one.cov_type.startswith("multiplier bootstrap (199")


@pytest.mark.parametrize("n_boot", [-1, 1, 9.0, True, "99"])
def test_robust_event_study_refuses_an_invalid_n_boot(panel, n_boot) -> None:
    with pytest.raises(vagg.SpecificationError, match="n_boot must be 0"):
        robust_event_study(panel, "y", method="imputation", n_boot=n_boot)


#: 1999 draws: the relative Monte Carlo s.e. of a bootstrap SE is 1 / sqrt(2 B) = 0.0158; allow 4 of them
B_LARGE = 1999
MC_TOLERANCE = 4 / np.sqrt(2 * B_LARGE)


def _imputation_fits(panel: pd.DataFrame, controls: tuple[str, ...] = ()) -> dict[str, object]:
    common = {"method": "imputation", "leads": 3, "lags": 6, "controls": controls}
    return {"analytic": robust_event_study(panel, "y", **common),
            "boot": robust_event_study(panel, "y", n_boot=B_LARGE, seed=11, **common)}


@pytest.mark.parametrize("controls", [(), ("x",)])
def test_imputation_bootstrap_se_agree_with_bjs_analytic(panel, controls) -> None:
    """60 city clusters: the bootstrap SEs of the event times 0..6 and of the ATT estimate BJS's analytic
    conservative SEs (the same sum of squared city influences), within 4 Monte Carlo s.e."""
    fits = _imputation_fits(panel, controls)
    analytic, boot = fits["analytic"], fits["boot"]
    pd.testing.assert_series_equal(boot.estimates["estimate"], analytic.estimates["estimate"])
    post = boot.estimates.index >= 0
    np.testing.assert_allclose(boot.estimates.loc[post, "se"], analytic.estimates.loc[post, "se"], rtol=MC_TOLERANCE)
    assert not np.allclose(boot.estimates.loc[post, "se"], analytic.estimates.loc[post, "se"], rtol=1e-6)
    assert boot.att["estimate"] == analytic.att["estimate"]
    assert boot.att["se"] == pytest.approx(analytic.att["se"], rel=MC_TOLERANCE)
    # percentile intervals: near the normal ones, and around the estimate
    np.testing.assert_allclose(boot.estimates.loc[post, ["ci_low", "ci_high"]],
                               analytic.estimates.loc[post, ["ci_low", "ci_high"]],
                               atol=float(3 * MC_TOLERANCE * analytic.estimates.loc[post, "se"].max()))
    # the leads keep the lead regression's SEs, the pre-trend test is the same, -1 is the reference
    pd.testing.assert_frame_equal(boot.estimates.loc[boot.estimates.index < 0],
                                  analytic.estimates.loc[analytic.estimates.index < 0])
    pd.testing.assert_series_equal(boot.pretrend, analytic.pretrend)
    assert np.isnan(boot.estimates.loc[-1, "se"]) and boot.estimates.loc[-1, "estimate"] == 0.0
    assert boot.cov_type == f"multiplier bootstrap ({B_LARGE} draws, clustered by city)"
    assert "lead regression" in boot.notes[0]


def test_imputation_bootstrap_is_seeded(panel) -> None:
    one = robust_event_study(panel, "y", method="imputation", n_boot=99, seed=3)
    two = robust_event_study(panel, "y", method="imputation", n_boot=99, seed=3)
    other = robust_event_study(panel, "y", method="imputation", n_boot=99, seed=4)
    pd.testing.assert_frame_equal(one.estimates, two.estimates)
    pd.testing.assert_series_equal(one.att, two.att)
    post = one.estimates.index >= 0
    assert (one.estimates.loc[post, "se"] != other.estimates.loc[post, "se"]).all()
    assert one.att["se"] != other.att["se"]


def _bjs_city_influence(df: pd.DataFrame, weights: np.ndarray) -> tuple[float, np.ndarray]:
    """BJS (2024) Theorem 3 by hand with dense dummies: the estimate sum w tau_hat over the treated rows and
    each city's psi_i = sum_t v_it eps_it (v = w on treated rows, -A0 (A0'A0)^+ A1' w on untreated rows;
    eps = untreated residual, or tau_hat minus its cohort-by-event-time mean on treated rows)."""
    city = pd.factorize(df.index.get_level_values(0), sort=True)[0]
    year = pd.factorize(df.index.get_level_values(1), sort=True)[0]
    a = np.hstack([np.eye(city.max() + 1)[city], np.eye(year.max() + 1)[year]])
    treated = df["treated"].to_numpy() == 1
    a0, a1, y = a[~treated], a[treated], df["y"].to_numpy()
    coef = np.linalg.lstsq(a0, y[~treated], rcond=None)[0]
    tau = y[treated] - a1 @ coef
    groups = pd.Series(tau).groupby([df["cohort"].to_numpy()[treated], df["event_time"].to_numpy()[treated]])
    eps = np.empty(len(df))
    eps[treated] = tau - groups.transform("mean").to_numpy()
    eps[~treated] = y[~treated] - a0 @ coef
    v = np.empty(len(df))
    v[treated] = weights
    v[~treated] = -a0 @ np.linalg.pinv(a0.T @ a0) @ (a1.T @ weights)
    return float(weights @ tau), np.bincount(city, weights=v * eps)


def test_imputation_bootstrap_equals_multiplier_bootstrap_by_hand(panel) -> None:
    """The city influences by hand reproduce BJS's analytic SE; with diff-diff's Rademacher weight matrix for
    the seed, they reproduce its bootstrap draws of the ATT, and the SE and interval of event time 2."""
    from diff_diff.bootstrap_utils import generate_bootstrap_weights_batch

    fits = _imputation_fits(panel)
    analytic, boot = fits["analytic"], fits["boot"]
    treated = panel[panel["treated"] == 1]
    draws_w = generate_bootstrap_weights_batch(B_LARGE, panel.index.get_level_values(0).nunique(), "rademacher",
                                               np.random.default_rng(11))
    assert set(np.unique(draws_w)) == {-1.0, 1.0}
    # overall ATT: equal weights on every treated city-year
    att, psi = _bjs_city_influence(panel, np.full(len(treated), 1 / len(treated)))
    assert att == pytest.approx(boot.att["estimate"], abs=1e-10)
    assert np.sqrt(psi @ psi) == pytest.approx(analytic.att["se"], rel=1e-8)
    stored = boot.fit_result.bootstrap_results.bootstrap_distribution
    np.testing.assert_allclose(stored, att + draws_w @ psi, rtol=1e-10)
    assert boot.att["se"] == pytest.approx(np.std(stored, ddof=1), rel=1e-12)
    assert abs(stored.mean() - att) < 4 * boot.att["se"] / np.sqrt(B_LARGE)
    # event time 2
    h2 = (treated["event_time"].to_numpy() == 2).astype(float)
    est, psi = _bjs_city_influence(panel, h2 / h2.sum())
    assert est == pytest.approx(boot.estimates.loc[2, "estimate"], abs=1e-10)
    assert np.sqrt(psi @ psi) == pytest.approx(analytic.estimates.loc[2, "se"], rel=1e-8)
    draws = est + draws_w @ psi
    assert boot.estimates.loc[2, "se"] == pytest.approx(np.std(draws, ddof=1), rel=1e-10)
    np.testing.assert_allclose(boot.estimates.loc[2, ["ci_low", "ci_high"]], np.percentile(draws, [2.5, 97.5]),
                               rtol=1e-10)


def _truth_by_event_time(df: pd.DataFrame) -> pd.Series:
    treated = df[df["treated"] == 1]
    return treated.groupby("event_time")["tau"].mean()


@pytest.mark.parametrize("method", ["imputation", "callaway-santanna"])
def test_robust_recovers_planted_cohort_effects_where_twfe_is_biased(method) -> None:
    df = staggered_panel(seed=3, n_per=25, noise=0.3)
    truth = _truth_by_event_time(df)
    robust = robust_event_study(df, "y", method=method, leads=3, lags=4, controls=["x"] if method == "imputation"
                                else ())
    twfe = EventStudy(df, "y", leads=3, lags=4, controls=["x"]).fit()
    err_robust = (robust.estimates.loc[0:4, "estimate"] - truth.loc[0:4].to_numpy()).abs()
    err_twfe = (twfe.estimates.loc[0:4, "estimate"] - truth.loc[0:4].to_numpy()).abs()
    assert err_robust.max() < 0.2  # sampling error only (se about 0.05-0.1)
    assert err_twfe.max() > 0.6  # the binned TWFE event study mixes in later exposure
    # static TWFE: biased well below the average effect on the treated
    static = PanelFE.from_formula("y ~ treated + x", df).fit()
    att_true = df.loc[df["treated"] == 1, "tau"].mean()
    assert att_true - static.params["treated"] > 0.7
    assert abs(robust.att["estimate"] - att_true) < 0.2 or method == "callaway-santanna"


# -- Goodman-Bacon ----------------------------------------------------------------------------
def test_bacon_weights_sum_to_one_and_reproduce_twfe(panel) -> None:
    bacon = bacon_decomposition(panel, "y")
    twfe = PanelFE.from_formula("y ~ treated", panel).fit()
    assert bacon.comparisons["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (bacon.comparisons["weight"] >= 0).all()
    assert bacon.twfe_estimate == pytest.approx(twfe.params["treated"], abs=1e-10)
    # 3 cohorts: 3 treated-vs-never and 3 x 2 timing comparisons
    assert len(bacon.comparisons) == 9
    assert set(bacon.by_type.index) == {"treated vs never treated", "earlier vs later treated",
                                        "later vs earlier treated"}


def test_bacon_treated_vs_never_by_hand(panel) -> None:
    """Goodman-Bacon (2021) eq. 10a and the 2x2 DID of means: s_kU = (n_k + n_U)^2 n_kU (1 - n_kU)
    Dbar_k (1 - Dbar_k) / V^D, V^D the mean square of the two-way demeaned treatment dummy."""
    bacon = bacon_decomposition(panel, "y")
    d = panel["treated"].unstack().to_numpy(dtype=float)
    dd = d - d.mean(axis=1, keepdims=True) - d.mean(axis=0, keepdims=True) + d.mean()
    v_d = (dd ** 2).mean()
    cohort = panel["cohort"].groupby(level=0).first()
    n_u = (cohort == 0).mean()
    never = panel.loc[panel["cohort"] == 0, "y"].groupby(level=1).mean()
    rows = bacon.comparisons.set_index(["treated", "control"])
    for g in DELTA:
        n_k = (cohort == g).mean()
        share = n_k / (n_k + n_u)
        dbar = (YEARS >= g).mean()
        weight = (n_k + n_u) ** 2 * share * (1 - share) * dbar * (1 - dbar) / v_d
        assert rows.loc[(g, "never"), "weight"] == pytest.approx(weight, rel=1e-10)
        treated = panel.loc[panel["cohort"] == g, "y"].groupby(level=1).mean()
        post = YEARS >= g
        did = (treated[post].mean() - treated[~post].mean()) - (never[post].mean() - never[~post].mean())
        assert rows.loc[(g, "never"), "estimate"] == pytest.approx(did, abs=1e-10)


def test_bacon_refuses_an_unbalanced_panel(panel) -> None:
    with pytest.raises(vagg.DataError, match="balanced"):
        bacon_decomposition(panel.drop(index=("c03", 2012)), "y")
