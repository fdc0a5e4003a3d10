"""Wild cluster bootstrap against the wildboottest package (same data with the
year dummies as columns, same weight draws), a refit with explicit effect
dummies in every draw across effects x clusters (balanced and unbalanced),
test inversion, and a size simulation with two-way effects and 12 clusters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
import pytest

import vagg
from vagg.simulate.mediation import simulate_mediation_panel
from vagg.models import PanelFE, wild_cluster_bootstrap
from vagg.models.wild_bootstrap import WEBB


@pytest.fixture(scope="module")
def fitted():
    frame = simulate_mediation_panel(n_entities=12, seed=5)[0]
    return PanelFE.from_formula("y ~ x + m1 + w1", frame, effects="twoway").fit(cov="clustered")


def demeaned_with_year_dummies(fit):
    """Outcome and [regressors, year dummies but the first], all demeaned by city."""
    model = fit.model
    groups = model.groups
    both = np.column_stack([model.y, model.x, np.eye(groups.n_periods)[groups.time][:, 1:]])
    both = both - pd.DataFrame(both).groupby(groups.entity).transform("mean").to_numpy()
    return both[:, 0], both[:, 1:]


def test_matches_wildboottest_with_the_same_draws(fitted):
    """wildboottest's WCR11 on the entity-demeaned data with the entity-demeaned
    year dummies as regressors (the city effects, nested in the city clusters,
    absorbed by Frisch-Waugh-Lovell; the year effects, which cut across them,
    kept as columns), with its own Webb draws passed to vagg: identical
    bootstrap t statistics up to the ratio of the two CRV1 factors, hence
    identical p-values."""
    from wildboottest.wildboottest import WildboottestCL

    y, x = demeaned_with_year_dummies(fitted)
    clusters = fitted.model.groups.entity
    r = np.zeros(x.shape[1])
    r[1] = 1.0
    boot = WildboottestCL(X=x, Y=y, cluster=clusters, R=r, B=999, seed=42, parallel=False)
    boot.get_scores(bootstrap_type="11", impose_null=True)
    boot.get_weights(weights_type="webb")
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    boot.get_pvalue(pval_type="two-tailed")
    ours = wild_cluster_bootstrap(fitted, "m1", draws=boot.v)
    n, k, d = fitted.nobs, x.shape[1], fitted.df_resid
    ratio = np.sqrt(((n - 1) / (n - k)) / ((n - 1) / d))
    assert ratio == pytest.approx(1.0, abs=1e-12)  # same n - k - (T - 1) degrees of freedom
    np.testing.assert_allclose(ours.t_boot, np.asarray(boot.t_boot) * ratio, rtol=1e-9)
    assert ours.tstat == pytest.approx(float(np.squeeze(boot.t_stat)) * ratio, rel=1e-9)
    assert ours.pvalue == pytest.approx(float(boot.pvalue), abs=1e-12)


def explicit_dummies(groups, effects):
    """Entity and time dummies as plain columns (one time dummy dropped for two-way)."""
    ent, per = np.eye(groups.n_entities)[groups.entity], np.eye(groups.n_periods)[groups.time]
    return {"none": ent[:, :0], "entity": ent, "time": per, "twoway": np.column_stack([ent, per[:, 1:]])}[effects]


def refit_every_draw(fit, param, null, v):
    """The slow wild cluster bootstrap: explicit effect dummies, impose the null,
    build y* = fitted + u * v_g, refit OLS with np.linalg.lstsq, recompute the
    CRV1 t statistic, draw by draw."""
    model = fit.model
    x = np.column_stack([model.x, explicit_dummies(model.groups, model.effects)])
    j = model.exog_names.index(param)
    cl = fit.clusters[:, 0]
    g = cl.max() + 1
    others = np.delete(x, j, axis=1)
    y0 = model.y - null * x[:, j]
    u = y0 - others @ np.linalg.lstsq(others, y0, rcond=None)[0]
    fitted_r = model.y - u
    factor = g / (g - 1) * (len(model.y) - 1) / fit.df_resid
    xtx_inv = np.linalg.inv(x.T @ x)

    def t_stat(y):
        beta = np.linalg.lstsq(x, y, rcond=None)[0]
        e = y - x @ beta
        sums = np.zeros((g, x.shape[1]))
        np.add.at(sums, cl, x * e[:, None])
        vc = factor * xtx_inv @ sums.T @ sums @ xtx_inv
        return (beta[j] - null) / np.sqrt(vc[j, j])

    t_boot = np.array([t_stat(fitted_r + u * v[cl, b]) for b in range(v.shape[1])])
    t = t_stat(model.y)
    return t, t_boot, np.mean(np.abs(t_boot) >= abs(t) * (1 - 1e-9))


@pytest.fixture(scope="module")
def grid_panel():
    frame = simulate_mediation_panel(n_entities=12, n_periods=8, seed=21)[0]
    codes = frame.index.get_level_values(0).factorize(sort=True)[0]
    return frame.assign(region=codes % 4)


@pytest.mark.parametrize("effects", ["none", "entity", "time", "twoway"])
@pytest.mark.parametrize("cluster", ["entity", "time", "region"])
@pytest.mark.parametrize("unbalanced", [False, True])
def test_fast_path_equals_refit_with_explicit_dummies(grid_panel, effects, cluster, unbalanced):
    """Every effects x cluster choice (none, entity, time, two-way x the city,
    the year, a coarser region of three cities), balanced and unbalanced: the closed-form draws equal a refit with
    explicit dummies in every draw, same Webb draws -- t* to 1e-10, same p."""
    frame = grid_panel.iloc[np.r_[0:5, 9:len(grid_panel)]] if unbalanced else grid_panel
    fit = PanelFE(frame["y"], frame[["x", "m1", "w1"]], effects=effects, data=frame).fit(cluster=cluster)
    g = fit.clusters.max() + 1
    v = np.random.default_rng(7).choice(WEBB, size=(g, 99))
    ours = wild_cluster_bootstrap(fit, "m1", null=0.2, draws=v)
    t, t_boot, p = refit_every_draw(fit, "m1", 0.2, v)
    np.testing.assert_allclose(ours.t_boot, t_boot, rtol=1e-10, atol=1e-10)
    assert ours.tstat == pytest.approx(t, rel=1e-10)
    assert ours.pvalue == p
    assert ours.tstat == pytest.approx((fit.params["m1"] - 0.2) / fit.std_errors["m1"], rel=1e-10)


def test_time_effects_are_reabsorbed_in_every_draw(fitted):
    """The defect fixed: with two-way effects and city clusters, running the
    draws on the fully demeaned data (year effects never re-absorbed, the old
    shortcut) gives other t* than the refit with dummies; vagg follows the refit."""
    from vagg.models.wild_bootstrap import _WCR

    model = fitted.model
    v = np.random.default_rng(1).choice(WEBB, size=(model.groups.n_entities, 199))
    ours = wild_cluster_bootstrap(fitted, "x", draws=v)
    _, t_boot, p = refit_every_draw(fitted, "x", 0.0, v)
    np.testing.assert_allclose(ours.t_boot, t_boot, rtol=1e-10)
    assert ours.pvalue == p
    g, n = model.groups.n_entities, fitted.nobs
    factor = g / (g - 1) * (n - 1) / fitted.df_resid
    stale = _WCR(model.x_dm, model.y_dm, model.groups.entity, 0, factor).t_stats(0.0, v)[1]
    assert np.median(np.abs(stale / ours.t_boot - 1)) > 0.01


def test_interval_inverts_the_test(fitted):
    res = wild_cluster_bootstrap(fitted, "x", n_boot=1999, seed=3)
    lo, hi = res.conf_int
    assert lo < res.estimate < hi
    inside = [wild_cluster_bootstrap(fitted, "x", null=b, n_boot=1999, seed=3).pvalue for b in (lo + 1e-4, hi - 1e-4)]
    outside = [wild_cluster_bootstrap(fitted, "x", null=b, n_boot=1999, seed=3).pvalue for b in (lo - 1e-3, hi + 1e-3)]
    assert min(inside) > 0.05 and max(outside) <= 0.05
    again = wild_cluster_bootstrap(fitted, "x", n_boot=1999, seed=3)
    np.testing.assert_array_equal(res.t_boot, again.t_boot)
    assert res.n_clusters == 12 and "Webb" not in res.summary and "webb weights" in res.summary


@pytest.mark.slow
def test_size_with_two_way_effects_and_twelve_city_clusters():
    """Size of the 5% WCR test (Webb weights, 399 draws) with two-way effects
    and 12 city clusters, the pipeline's default: 1,500 simulated panels of
    12 cities x 10 years, y = 0 x + 0.5 w + a_i + g_t + e, x correlated with
    both effects, AR(1) errors within each city (rho 0.5).  All panels are
    drawn at once; each replication is the closed-form computation on the
    design of :func:`cluster_design` (what ``wild_cluster_bootstrap`` runs,
    without the interval).  Monte Carlo standard error at a true size of 5%:
    sqrt(0.05 * 0.95 / 1500) = 0.56 points, so the rejection rate must lie in
    5% +- 3.29 se = [3.15%, 6.85%] (a 99.9% band)."""
    from scipy.signal import lfilter

    from vagg.models._moments import cluster_design
    from vagg.models._within import Groups
    from vagg.models.wild_bootstrap import _WCR

    n_ent, n_per, reps = 12, 10, 1500
    rng = np.random.default_rng(2024)
    entity, time = np.repeat(np.arange(n_ent), n_per), np.tile(np.arange(n_per), n_ent)
    groups = Groups(entity, time, np.arange(n_ent), np.arange(n_per))

    def ar1(shape):
        shocks = rng.standard_normal(shape)
        shocks[..., 0] /= np.sqrt(1 - 0.25)
        return lfilter([1.0], [1.0, -0.5], shocks, axis=-1)

    alpha, gamma = rng.standard_normal((reps, n_ent, 1)), rng.standard_normal((reps, 1, n_per))
    x = (alpha + gamma + ar1((reps, n_ent, n_per))).reshape(reps, -1)
    w = rng.standard_normal((reps, n_ent * n_per))
    y = (0.5 * w.reshape(reps, n_ent, n_per) + alpha + gamma + ar1((reps, n_ent, n_per))).reshape(reps, -1)
    v = rng.choice(WEBB, size=(n_ent, 399))
    n = n_ent * n_per
    factor = n_ent / (n_ent - 1) * (n - 1) / (n - 2 - (n_per - 1))
    rejected = np.empty(reps, dtype=bool)
    for r in range(reps):
        z, dummies = cluster_design(np.column_stack([y[r], x[r], w[r]]), groups, "twoway", entity)
        rejected[r] = _WCR(np.column_stack([z[:, 1:], dummies]), z[:, 0], entity, 0, factor).pvalue(0.0, v) <= 0.05
    assert 0.0315 <= rejected.mean() <= 0.0685, rejected.mean()


def test_refusals_are_named(fitted):
    with pytest.raises(vagg.SpecificationError, match="'z'"):
        wild_cluster_bootstrap(fitted, "z")
    robust = fitted.model.fit(cov="robust")
    with pytest.raises(vagg.SpecificationError, match="clustered"):
        wild_cluster_bootstrap(robust, "x")
    with pytest.raises(vagg.SpecificationError, match="weights"):
        wild_cluster_bootstrap(fitted, "x", weights="mammen")


def test_method_on_results_reports_beside_clustered(fitted):
    res = fitted.wild_bootstrap("x", n_boot=999, seed=4, weights="rademacher")
    assert res.clustered_pvalue == pytest.approx(fitted.pvalues["x"])
    assert res.as_series()["n_clusters"] == 12
    same = wild_cluster_bootstrap(fitted, "x", n_boot=999, seed=4, weights="rademacher")
    assert res.pvalue == same.pvalue and res.conf_int == same.conf_int


def test_three_clusters_give_an_unbounded_interval():
    """With 3 clusters Rademacher weights have 2^3 = 8 sign patterns (4 distinct
    |t*| values, each with probability >= 1/4), so no null is rejected at 5%:
    the inverted interval is the whole line (Webb 2014's motivation).  The draws
    with all weights equal rebuild the sample itself, so |t*| = |t| for them."""
    frame = simulate_mediation_panel(n_entities=9, seed=8)[0]
    frame["block"] = np.repeat(np.arange(3), 30)
    fit = PanelFE.from_formula("y ~ x + w1", frame, effects="twoway").fit(cluster="block")
    res = wild_cluster_bootstrap(fit, "x", n_boot=999, seed=0, weights="rademacher")
    assert res.conf_int == (-np.inf, np.inf)
    assert res.pvalue >= 0.25


def test_full_enumeration_matches_wildboottest():
    """8 clusters, Rademacher, 999 >= 2^8 draws: both programs enumerate the 256
    sign patterns.  wildboottest counts |t*| > |t| strictly, so whether the two
    patterns that rebuild the sample (all +1, all -1; |t*| = |t| but for
    rounding) count is decided by the last bit there; vagg always counts them.
    So the p-values are equal or differ by exactly 2/256."""
    from wildboottest.wildboottest import wildboottest as wbt

    frame = simulate_mediation_panel(n_entities=8, seed=9)[0]
    fit = PanelFE.from_formula("y ~ x + w1", frame, effects="twoway").fit()
    ours = wild_cluster_bootstrap(fit, "x", null=0.0, n_boot=999, weights="rademacher")
    assert ours.n_boot == 256
    y, x = demeaned_with_year_dummies(fit)
    model = sm.OLS(y, pd.DataFrame(x, columns=["x", "w1", *[f"year{t}" for t in range(x.shape[1] - 2)]]))
    with pytest.warns(UserWarning, match="full_enumeration"):
        ref = wbt(model, B=999, cluster=fit.model.groups.entity, param="x", weights_type="rademacher", seed=1,
                  show=False, parallel=False)
    ties = np.sum(np.abs(np.abs(ours.t_boot) / abs(ours.tstat) - 1) < 1e-9)
    assert ties == 2
    assert min(abs(ours.pvalue - float(ref["p-value"].iloc[0]) - d) for d in (0, 2 / 256)) < 1e-12
