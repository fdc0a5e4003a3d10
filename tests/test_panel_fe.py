"""PanelFE against linearmodels' PanelOLS and statsmodels OLS with dummies.

Reference: Baltagi's cigarette panel (tests/reference/cigar.csv, 46 states x
30 years), the usual demand model log(sales) ~ log(price/cpi) + log(ndi/cpi).
Every number is compared with a peer package fitted in the same test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels import PanelOLS

import vagg
from vagg.models import PanelFE

FORMULA = "lsales ~ lp + lndi"


def year_dummies(d: pd.DataFrame) -> pd.DataFrame:
    yd = pd.get_dummies(d.index.get_level_values(1), prefix="y", drop_first=True, dtype=float)
    yd.index = d.index
    return yd


def lm_fit(d, effects, **kw):
    entity = effects in ("entity", "twoway")
    time = effects in ("time", "twoway")
    exog = d[["lp", "lndi"]] if effects != "none" else sm.add_constant(d[["lp", "lndi"]])
    return PanelOLS(d["lsales"], exog, entity_effects=entity, time_effects=time).fit(**kw)


@pytest.mark.parametrize("effects", ["none", "entity", "time", "twoway"])
def test_params_and_unadjusted_se_match_panelols(cigar, effects):
    ours = PanelFE.from_formula(FORMULA, cigar, effects=effects).fit(cov="unadjusted")
    ref = lm_fit(cigar, effects, cov_type="unadjusted", debiased=True)
    np.testing.assert_allclose(ours.params.to_numpy(), ref.params.to_numpy(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.std_errors.to_numpy(), ref.std_errors.to_numpy(), rtol=1e-8)
    # linearmodels' rsquared is the R^2 of the transformed (within) regression
    assert ours.rsquared_within == pytest.approx(ref.rsquared, abs=1e-10)
    assert ours.nobs == ref.nobs


@pytest.mark.parametrize("cov, lm_cov", [("robust", "robust"), ("driscoll-kraay", "kernel")])
def test_robust_and_driscoll_kraay_match_panelols(cigar, cov, lm_cov):
    ours = PanelFE.from_formula(FORMULA, cigar, effects="twoway").fit(cov=cov)
    ref = lm_fit(cigar, "twoway", cov_type=lm_cov, debiased=True)  # kernel: Bartlett, same default bandwidth
    np.testing.assert_allclose(ours.std_errors.to_numpy(), ref.std_errors.to_numpy(), rtol=1e-8)
    if cov == "driscoll-kraay":
        assert ours.bandwidth == 3  # floor(4 (30/100)^(2/9))
        for bw in (1, 5):
            o = PanelFE.from_formula(FORMULA, cigar, effects="twoway").fit(cov=cov, bandwidth=bw)
            r = lm_fit(cigar, "twoway", cov_type="kernel", debiased=True, bandwidth=bw)
            np.testing.assert_allclose(o.std_errors.to_numpy(), r.std_errors.to_numpy(), rtol=1e-8)


def test_clustered_se_follows_reghdfe_convention(cigar):
    """G/(G-1) (n-1)/(n-k-D), D = effects not nested in the clusters.

    With entity clusters the entity effects are nested, so only the T-1 year
    effects count: the same as PanelOLS with entity effects, the year dummies
    as regressors and Stata's small-sample factors (debiased, group_debias),
    whose one nested effect linearmodels leaves out of the degrees of freedom.
    """
    ours = PanelFE.from_formula(FORMULA, cigar, effects="twoway").fit(cov="clustered")
    exog = pd.concat([cigar[["lp", "lndi"]], year_dummies(cigar)], axis=1)
    ref = PanelOLS(cigar["lsales"], exog, entity_effects=True).fit(
        cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)
    np.testing.assert_allclose(ours.std_errors.to_numpy(), ref.std_errors.to_numpy()[:2], rtol=1e-8)
    assert ours.n_clusters == 46 and ours.df_t == 45
    assert ours.table_info["n_clusters"] == 46 and ours.table_info["cov_type"] == "clustered (entity)"


def test_against_statsmodels_dummy_ols(cigar):
    """OLS with state and year dummies gives the same coefficients; its cluster
    SE counts all N+T-1 dummies, so the two variances differ by the known ratio
    (n-k-(T-1)) / (n-k-(N+T-1))."""
    d = cigar.reset_index()
    fit = sm.OLS.from_formula("lsales ~ lp + lndi + C(state) + C(year)", d).fit(
        cov_type="cluster", cov_kwds={"groups": d["state"]})
    ours = PanelFE.from_formula(FORMULA, cigar, effects="twoway").fit(cov="clustered")
    np.testing.assert_allclose(ours.params.to_numpy(), fit.params[["lp", "lndi"]].to_numpy(), rtol=0, atol=1e-8)
    n, k, n_states, n_years = len(d), 2, 46, 30
    ratio = (n - k - (n_years - 1)) / (n - k - (n_states + n_years - 1))
    np.testing.assert_allclose(ours.std_errors.to_numpy() ** 2 * ratio,
                               fit.bse[["lp", "lndi"]].to_numpy() ** 2, rtol=1e-8)
    np.testing.assert_allclose(ours.resid.to_numpy(), fit.resid.to_numpy(), atol=1e-8)


def test_two_way_clustering_matches_linearmodels(cigar):
    ours = PanelFE.from_formula(FORMULA, cigar, effects="twoway").fit(cov="clustered", cluster=["entity", "time"])
    exog = pd.concat([cigar[["lp", "lndi"]], year_dummies(cigar)], axis=1)
    # entity effects are nested in the entity clusters: not counted (count_effects=False)
    ref = PanelOLS(cigar["lsales"], exog, entity_effects=True).fit(
        cov_type="clustered", cluster_entity=True, cluster_time=True, debiased=True, group_debias=True,
        auto_df=False, count_effects=False)
    np.testing.assert_allclose(ours.std_errors.to_numpy(), ref.std_errors.to_numpy()[:2], rtol=1e-8)
    assert ours.n_clusters == (46, 30) and ours.df_t == 29


def test_cluster_by_column_coarser_than_entity(cigar):
    ours = PanelFE.from_formula(FORMULA, cigar, effects="entity").fit(cov="clustered", cluster="region")
    ref = PanelOLS(cigar["lsales"], cigar[["lp", "lndi"]], entity_effects=True).fit(
        cov_type="clustered", clusters=cigar["region"], debiased=True, group_debias=True)
    np.testing.assert_allclose(ours.std_errors.to_numpy(), ref.std_errors.to_numpy(), rtol=1e-8)
    assert ours.n_clusters == 5


def test_unbalanced_two_way_panel(cigar):
    rng = np.random.default_rng(1)
    sub = cigar.iloc[np.sort(rng.choice(len(cigar), size=900, replace=False))]
    ours = PanelFE.from_formula(FORMULA, sub, effects="twoway").fit(cov="unadjusted")
    ref = lm_fit(sub, "twoway", cov_type="unadjusted", debiased=True)
    np.testing.assert_allclose(ours.params.to_numpy(), ref.params.to_numpy(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.std_errors.to_numpy(), ref.std_errors.to_numpy(), rtol=1e-7)


def test_missing_rows_dropped_with_note(cigar):
    d = cigar.copy()
    d.iloc[[3, 10, 50], d.columns.get_loc("lp")] = np.nan
    res = PanelFE.from_formula(FORMULA, d, effects="twoway").fit()
    assert res.nobs == len(d) - 3
    assert any("3 row(s) with missing values dropped: lp (3)" in n for n in res.notes)
    ref = PanelFE.from_formula(FORMULA, d.dropna(subset=["lp"]), effects="twoway").fit()
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), atol=1e-12)


def test_absorbed_regressor_is_dropped_by_name(cigar):
    d = cigar.copy()
    d["state_const"] = d.index.get_level_values(0).astype(float) ** 2
    with pytest.warns(UserWarning, match="state_const absorbed by the entity and time fixed effects"):
        res = PanelFE.from_formula("lsales ~ lp + state_const + lndi", d, effects="twoway").fit()
    assert list(res.params.index) == ["lp", "lndi"]
    base = PanelFE.from_formula(FORMULA, d, effects="twoway").fit()
    np.testing.assert_allclose(res.params.to_numpy(), base.params.to_numpy(), atol=1e-12)
    d["lp2"] = 2 * d["lp"]
    with pytest.warns(UserWarning, match="lp2 collinear"):
        res = PanelFE.from_formula("lsales ~ lp + lndi + lp2", d, effects="entity").fit()
    assert "lp2" not in res.params.index


def test_formula_terms_through_formulaic(cigar):
    d = cigar.assign(ndi_real=cigar["ndi"] / cigar["cpi"])
    res = PanelFE.from_formula("lsales ~ lp + np.log(ndi_real)", d, effects="twoway").fit()
    base = PanelFE.from_formula(FORMULA, cigar, effects="twoway").fit()
    np.testing.assert_allclose(res.params.to_numpy(), base.params.to_numpy(), atol=1e-10)


def test_cross_section_without_panel_index(reference_dir):
    jobs = pd.read_csv(reference_dir / "jobs.csv")
    res = PanelFE.from_formula("job_seek ~ treat + econ_hard + sex + age", jobs, effects="none").fit(cov="robust")
    ref = sm.OLS(jobs["job_seek"], sm.add_constant(jobs[["treat", "econ_hard", "sex", "age"]])).fit(cov_type="HC1")
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), atol=1e-10)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref.bse.to_numpy(), rtol=1e-8)
    assert res.rsquared == pytest.approx(ref.rsquared, abs=1e-10)


def test_bad_input_is_named(cigar):
    with pytest.raises(vagg.SpecificationError, match="'nope'"):
        PanelFE.from_formula("lsales ~ lp + nope", cigar)
    with pytest.raises(vagg.SpecificationError, match="effects must be one of"):
        PanelFE.from_formula(FORMULA, cigar, effects="state")
    d = cigar.copy()
    d["lp"] = d["lp"].astype(object)
    d.iloc[4, d.columns.get_loc("lp")] = "n.a."
    with pytest.raises(vagg.DataError, match="'lp'"):
        PanelFE.from_formula(FORMULA, d)
    with pytest.raises(vagg.DataError, match="indexed by"):
        PanelFE.from_formula(FORMULA, cigar.reset_index(), effects="twoway")
    with pytest.raises(vagg.SpecificationError, match="'zone'"):
        PanelFE.from_formula(FORMULA, cigar).fit(cluster="zone")
    with pytest.raises(vagg.SpecificationError, match="bandwidth"):
        PanelFE.from_formula(FORMULA, cigar).fit(cov="driscoll-kraay", bandwidth=30)
    d = cigar.assign(c=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(vagg.SpecificationError, match="no regressor left"):
            PanelFE.from_formula("lsales ~ c", d, effects="entity")


def test_table_info_and_conf_int(cigar):
    res = PanelFE.from_formula(FORMULA, cigar, effects="twoway").fit(cov="driscoll-kraay")
    info = res.table_info
    assert info["entity_effects"] and info["time_effects"]
    assert info["cov_type"] == "Driscoll-Kraay (bandwidth 3)"
    ci = res.conf_int(0.9)
    from scipy import stats

    q = stats.t.ppf(0.95, res.df_resid)
    np.testing.assert_allclose(ci["upper"] - res.params, q * res.std_errors)
    assert "R-squared within" in res.summary


def test_array_core_matches_the_formula_layer(cigar):
    """within_ols (arrays and group codes, for repeated refits) gives the
    PanelFE coefficients; PanelOLS is the reference for both."""
    from vagg.models import within_ols
    from vagg.models._within import Groups

    groups = Groups.from_index(cigar.index)
    params, resid, _, _ = within_ols(cigar["lsales"].to_numpy(), cigar[["lp", "lndi"]].to_numpy(), groups, "twoway")
    ref = lm_fit(cigar, "twoway", cov_type="unadjusted")
    np.testing.assert_allclose(params, ref.params.to_numpy(), atol=1e-8)
    np.testing.assert_allclose(resid, ref.resids.to_numpy(), atol=1e-8)
