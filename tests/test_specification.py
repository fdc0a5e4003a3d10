"""Random effects against linearmodels' RandomEffects; Hausman from
linearmodels' FE and RE fits by the textbook formula; Mundlak against
statsmodels' cluster-robust Wald test and the Mundlak (1978) identity
(the coefficients on X equal the within estimates).  Data: Baltagi's
cigarette panel (tests/reference/cigar.csv)."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf
from linearmodels import PanelOLS
from linearmodels import RandomEffects as LMRandomEffects
from scipy import stats

import vagg
from vagg.models import PanelFE, RandomEffects, hausman, mundlak

FORMULA = "lsales ~ lp + lndi"


@pytest.mark.parametrize("cov", ["unadjusted", "clustered"])
def test_random_effects_match_linearmodels(cigar, cov):
    ours = RandomEffects.from_formula(FORMULA, cigar).fit(cov=cov)
    kw = {"cov_type": "clustered", "cluster_entity": True, "group_debias": True} if cov == "clustered" else {}
    ref = LMRandomEffects(cigar["lsales"], cigar[["const", "lp", "lndi"]]).fit(debiased=True, **kw)
    np.testing.assert_allclose(ours.params.to_numpy(), ref.params.to_numpy(), atol=1e-8)
    np.testing.assert_allclose(ours.std_errors.to_numpy(), ref.std_errors.to_numpy(), rtol=1e-7)
    assert ours.sigma2_eps == pytest.approx(ref.variance_decomposition["Residual"], rel=1e-10)
    assert ours.sigma2_effects == pytest.approx(ref.variance_decomposition["Effects"], rel=1e-10)
    np.testing.assert_allclose(ours.theta.to_numpy(), np.asarray(ref.theta).ravel(), rtol=1e-10)


def test_random_effects_unbalanced(cigar):
    sub = cigar.iloc[np.sort(np.random.default_rng(2).choice(len(cigar), 1000, replace=False))]
    ours = RandomEffects.from_formula(FORMULA, sub).fit()
    ref = LMRandomEffects(sub["lsales"], sub[["const", "lp", "lndi"]]).fit(debiased=True)
    np.testing.assert_allclose(ours.params.to_numpy(), ref.params.to_numpy(), atol=1e-8)


def linearmodels_hausman(data, sigma="own"):
    """The classical statistic by hand from linearmodels' unadjusted (debiased) FE and RE fits.

    sigma="re": V_FE scaled by s2_RE / s2_FE (one error variance, as Stata's sigmamore)."""
    lm_fe = PanelOLS(data["lsales"], data[["lp", "lndi"]], entity_effects=True).fit(debiased=True)
    lm_re = LMRandomEffects(data["lsales"], data[["const", "lp", "lndi"]]).fit(debiased=True)
    b = (lm_fe.params - lm_re.params[["lp", "lndi"]]).to_numpy()
    v_fe = lm_fe.cov.to_numpy() * (lm_re.s2 / lm_fe.s2 if sigma == "re" else 1.0)
    v = v_fe - lm_re.cov.loc[["lp", "lndi"], ["lp", "lndi"]].to_numpy()
    return b @ np.linalg.solve(v, b)


def test_hausman_from_linearmodels_fits(cigar):
    fe = PanelFE.from_formula(FORMULA, cigar, effects="entity").fit(cov="unadjusted")
    re = RandomEffects.from_formula(FORMULA, cigar).fit()
    ours = hausman(fe, re)
    stat = linearmodels_hausman(cigar)
    assert ours["statistic"] == pytest.approx(stat, rel=1e-6)
    assert ours["statistic"] == pytest.approx(60.54, abs=0.01)  # the value of the issue (13, item 3)
    assert ours["df"] == 2 and ours["pvalue"] == pytest.approx(stats.chi2.sf(stat, 2), rel=1e-5)
    assert ours["sigma"] == "own" and "not positive semi-definite" in ours["note"]
    common = hausman(fe, re, sigma="re")
    assert common["statistic"] == pytest.approx(linearmodels_hausman(cigar, sigma="re"), rel=1e-6)
    assert common["statistic"] > 0 and common["sigma"] == "re"


@pytest.mark.parametrize("fe_cov, re_cov", [("clustered", "unadjusted"), ("clustered", "clustered"),
                                            ("robust", "clustered"), ("unadjusted", "clustered")])
def test_hausman_refits_other_covariances_as_unadjusted(cigar, fe_cov, re_cov):
    """The defaults (PanelFE clustered, RE unadjusted) gave 0.015 and two
    clustered fits a negative chi-square: now any mix is refit with
    unadjusted covariances, with a warning that names the kinds and the
    cluster-robust alternative, and gives the classical value."""
    fe = PanelFE.from_formula(FORMULA, cigar, effects="entity").fit(cov=fe_cov)
    re = RandomEffects.from_formula(FORMULA, cigar).fit(cov=re_cov)
    with pytest.warns(UserWarning, match="Mundlak") as caught:
        out = hausman(fe, re)
    message = str(caught[0].message)
    assert fe.cov_type in message and re.cov_type in message and "unadjusted" in message
    assert out["statistic"] == pytest.approx(linearmodels_hausman(cigar), rel=1e-6)
    assert "mundlak" in out["note"]


def test_hausman_is_never_negative(cigar):
    """A subsample (8 states x 6 years) where V_FE - V_RE with each fit's own
    variance is indefinite and the quadratic form negative (-2.94): the
    statistic is the sigma='re' one (positive semi-definite difference),
    equal to the hand computation from linearmodels, with a note."""
    states = cigar.index.get_level_values(0).unique()
    sub = cigar.loc[states[[5, 14, 16, 23, 30, 34, 36, 43]]]
    sub = sub[sub.index.get_level_values(1) < 1969]
    fe = PanelFE.from_formula(FORMULA, sub, effects="entity").fit(cov="unadjusted")
    re = RandomEffects.from_formula(FORMULA, sub).fit()
    assert linearmodels_hausman(sub) < 0
    out = hausman(fe, re)
    assert out["sigma"] == "re" and "negative" in out["note"]
    assert out["statistic"] == pytest.approx(linearmodels_hausman(sub, sigma="re"), rel=1e-6)
    assert out["statistic"] >= 0 and 0 <= out["pvalue"] <= 1


def test_hausman_refusals_name_the_problem(cigar):
    re = RandomEffects.from_formula(FORMULA, cigar).fit()
    twoway = PanelFE.from_formula(FORMULA, cigar, effects="twoway").fit(cov="unadjusted")
    with pytest.raises(vagg.SpecificationError, match="effects='twoway'.*mundlak"):
        hausman(twoway, re)
    fe = PanelFE.from_formula(FORMULA, cigar, effects="entity").fit(cov="unadjusted")
    with pytest.raises(vagg.SpecificationError, match="sigma"):
        hausman(fe, re, sigma="fe")


@pytest.mark.parametrize("effects", ["entity", "twoway"])
def test_mundlak_matches_statsmodels_cluster_wald(cigar, effects):
    out = mundlak(FORMULA, cigar, effects=effects)
    flat = cigar.reset_index()
    for c in ("lp", "lndi"):
        flat[f"mean_{c}"] = flat.groupby("state")[c].transform("mean")
    rhs = "lp + lndi + mean_lp + mean_lndi" + (" + C(year)" if effects == "twoway" else "")
    ref = smf.ols(f"lsales ~ {rhs}", flat).fit(cov_type="cluster", cov_kwds={"groups": flat["state"]})
    wald = ref.wald_test("mean_lp = 0, mean_lndi = 0", use_f=False, scalar=True)
    assert out["statistic"] == pytest.approx(float(wald.statistic), rel=1e-8)
    assert out["df"] == 2
    # Mundlak (1978): the coefficients on X are the within (fixed-effects) estimates
    fe = PanelFE.from_formula(FORMULA, cigar, effects=effects).fit()
    np.testing.assert_allclose(out.attrs["fit"].params[["lp", "lndi"]].to_numpy(), fe.params.to_numpy(), atol=1e-8)


def test_mundlak_skips_time_invariant_and_refuses_bad_effects(cigar):
    d = cigar.assign(state_size=cigar.index.get_level_values(0).astype(float))
    with pytest.warns(UserWarning, match="state_size absorbed"):
        out = mundlak("lsales ~ lp + lndi + state_size", d)
    assert out["df"] == 2
    with pytest.raises(vagg.SpecificationError, match="effects"):
        mundlak(FORMULA, cigar, effects="time")
    with pytest.raises(vagg.SpecificationError, match=r"\(entity, time\)"):
        RandomEffects.from_formula(FORMULA, cigar.reset_index())
