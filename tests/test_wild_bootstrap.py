"""Wild cluster bootstrap against the wildboottest package (same data, same
weight draws), a hand-computed refit loop, and test inversion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
import pytest

import vagg
from vagg.simulate.mediation import simulate_mediation_panel
from vagg.models import PanelFE, wild_cluster_bootstrap


@pytest.fixture(scope="module")
def fitted():
    frame = simulate_mediation_panel(n_entities=12, seed=5)[0]
    return PanelFE.from_formula("y ~ x + m1 + w1", frame, effects="twoway").fit(cov="clustered")


def test_matches_wildboottest_with_the_same_draws(fitted):
    """wildboottest's WCR11 on the within-transformed data (the FE absorbed by
    Frisch-Waugh-Lovell), with its own Webb draws passed to vagg: identical
    bootstrap t statistics up to the ratio of the two CRV1 factors (vagg counts
    the year effects in n-k-D), hence identical p-values."""
    from wildboottest.wildboottest import WildboottestCL

    model = fitted.model
    clusters = model.groups.entity
    boot = WildboottestCL(X=model.x_dm, Y=model.y_dm, cluster=clusters, R=np.array([0.0, 1.0, 0.0]), B=999,
                          seed=42, parallel=False)
    boot.get_scores(bootstrap_type="11", impose_null=True)
    boot.get_weights(weights_type="webb")
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    boot.get_pvalue(pval_type="two-tailed")
    ours = wild_cluster_bootstrap(fitted, "m1", draws=boot.v)
    n, k, d = fitted.nobs, 3, fitted.df_resid
    ratio = np.sqrt(((n - 1) / (n - k)) / ((n - 1) / d))
    np.testing.assert_allclose(ours.t_boot, np.asarray(boot.t_boot) * ratio, rtol=1e-9)
    assert ours.tstat == pytest.approx(float(np.squeeze(boot.t_stat)) * ratio, rel=1e-9)
    assert ours.pvalue == pytest.approx(float(boot.pvalue), abs=1e-12)


def test_matches_refitting_each_draw_by_hand(fitted):
    """Rademacher draws, computed the slow way: impose the null, build y*,
    refit OLS, recompute the CRV1 t statistic, draw by draw."""
    model = fitted.model
    x, y, cl = model.x_dm, model.y_dm, model.groups.entity
    g = cl.max() + 1
    rng = np.random.default_rng(0)
    v = rng.choice([-1.0, 1.0], size=(g, 200))
    ours = wild_cluster_bootstrap(fitted, "x", null=0.1, draws=v, weights="rademacher")
    others = np.delete(x, 0, axis=1)
    y0 = y - 0.1 * x[:, 0]
    gamma = np.linalg.lstsq(others, y0, rcond=None)[0]
    u = y0 - others @ gamma
    fitted_r = others @ gamma + 0.1 * x[:, 0]
    factor = g / (g - 1) * (len(y) - 1) / fitted.df_resid
    t_hand = []
    for b in range(v.shape[1]):
        ystar = fitted_r + u * v[cl, b]
        beta = np.linalg.lstsq(x, ystar, rcond=None)[0]
        e = ystar - x @ beta
        sums = np.zeros((g, x.shape[1]))
        np.add.at(sums, cl, x * e[:, None])
        xtx_inv = np.linalg.inv(x.T @ x)
        vc = factor * xtx_inv @ sums.T @ sums @ xtx_inv
        t_hand.append((beta[0] - 0.1) / np.sqrt(vc[0, 0]))
    np.testing.assert_allclose(ours.t_boot, t_hand, rtol=1e-9)
    assert ours.tstat == pytest.approx((fitted.params["x"] - 0.1) / fitted.std_errors["x"], rel=1e-10)


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
def test_size_under_the_null_with_twelve_clusters():
    """Simulation with a true zero coefficient (m2 has b=0 when b=(0.4, 0.0)):
    the 5% WCR test rejects about 5% of 300 panels of 12 cities (a binomial
    99% band: 1.7%-9.3%)."""
    rejections = []
    for rep in range(300):
        frame = simulate_mediation_panel(n_entities=12, b=(0.4, 0.0), seed=500 + rep)[0]
        fit = PanelFE.from_formula("y ~ x + m1 + m2 + w1 + w2", frame, effects="twoway").fit()
        rejections.append(wild_cluster_bootstrap(fit, "m2", n_boot=399, seed=rep).pvalue <= 0.05)
    assert 0.017 <= np.mean(rejections) <= 0.093


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
    sign patterns.  wildboottest counts |t*| > |t| strictly, vagg counts the
    two patterns that rebuild the sample (all +1, all -1; |t*| = |t|) as well,
    so the p-values differ by exactly 2/256."""
    from wildboottest.wildboottest import wildboottest as wbt

    frame = simulate_mediation_panel(n_entities=8, seed=9)[0]
    fit = PanelFE.from_formula("y ~ x + w1", frame, effects="twoway").fit()
    ours = wild_cluster_bootstrap(fit, "x", null=0.0, n_boot=999, weights="rademacher")
    assert ours.n_boot == 256
    model = sm.OLS(fit.model.y_dm, pd.DataFrame(fit.model.x_dm, columns=["x", "w1"]))
    with pytest.warns(UserWarning, match="full_enumeration"):
        ref = wbt(model, B=999, cluster=fit.model.groups.entity, param="x", weights_type="rademacher", seed=1,
                  show=False, parallel=False)
    assert ours.pvalue == pytest.approx(float(ref["p-value"].iloc[0]) + 2 / 256, abs=1e-12)
