"""FE-2SLS against linearmodels' IV2SLS with entity and year dummies;
first-stage F and Anderson-Rubin against statsmodels F/Wald tests with
dummies; Kleibergen-Paap against hand computations (robust Wald of the first
stage for one endogenous regressor; Cragg-Donald and canonical correlations
under homoskedasticity)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.iv import IV2SLS

import vagg
from vagg.models import PanelIV
from vagg.models.iv import kleibergen_paap
from vagg.models._within import Groups, demean

N_CITIES, N_YEARS = 30, 8


def simulate_iv(seed: int = 0, strength: float = 0.6) -> pd.DataFrame:
    """Two instruments, two endogenous regressors sharing an error with y,
    one exogenous control, city and year effects; heteroskedastic errors."""
    rng = np.random.default_rng(seed)
    n = N_CITIES * N_YEARS
    city = np.repeat(np.arange(N_CITIES), N_YEARS)
    year = np.tile(np.arange(2011, 2011 + N_YEARS), N_CITIES)
    alpha = rng.standard_normal(N_CITIES)[city]
    gamma = rng.standard_normal(N_YEARS)[year - 2011]
    z1, z2, z3, w = rng.standard_normal((4, n))
    common = rng.standard_normal(n)
    scale = 1 + 0.5 * np.abs(z1)
    x1 = strength * z1 + 0.3 * z2 + 0.2 * w + alpha + gamma + (common + rng.standard_normal(n)) * scale
    x2 = 0.4 * z2 + strength * z3 - 0.2 * z1 + 0.5 * alpha + rng.standard_normal(n) + 0.5 * common
    y = 1.0 * x1 - 0.5 * x2 + 0.5 * w + alpha + gamma + common * scale + rng.standard_normal(n)
    frame = pd.DataFrame({"city": city, "year": year, "y": y, "x1": x1, "x2": x2, "w": w, "z1": z1, "z2": z2,
                          "z3": z3})
    return frame.set_index(["city", "year"])


@pytest.fixture(scope="module")
def panel():
    return simulate_iv()


def dummies(frame: pd.DataFrame) -> pd.DataFrame:
    idx = frame.index
    d = pd.concat([pd.get_dummies(idx.get_level_values(0), prefix="c", dtype=float),
                   pd.get_dummies(idx.get_level_values(1), prefix="t", drop_first=True, dtype=float)], axis=1)
    d.index = idx
    return d


def test_fe_2sls_matches_iv2sls_with_dummies(panel):
    ours = PanelIV(panel, "y", ["x1"], ["w"], ["z1", "z2"], effects="twoway").fit(cov="unadjusted")
    exog = pd.concat([panel[["w"]], dummies(panel)], axis=1)
    ref = IV2SLS(panel["y"], exog, panel[["x1"]], panel[["z1", "z2"]]).fit(cov_type="unadjusted", debiased=True)
    np.testing.assert_allclose(ours.params[["x1", "w"]].to_numpy(), ref.params[["x1", "w"]].to_numpy(), atol=1e-8)
    # debiased IV2SLS divides by n - (all dummies + regressors) = n - k - D: the same degrees of freedom
    np.testing.assert_allclose(ours.std_errors[["x1", "w"]].to_numpy(), ref.std_errors[["x1", "w"]].to_numpy(),
                               rtol=1e-8)
    clustered = PanelIV(panel, "y", ["x1"], ["w"], ["z1", "z2"]).fit(cov="clustered")
    ref_c = IV2SLS(panel["y"], exog, panel[["x1"]], panel[["z1", "z2"]]).fit(
        cov_type="clustered", clusters=pd.Series(panel.index.get_level_values(0), index=panel.index), debiased=True)
    n, k_all, k = len(panel), exog.shape[1] + 1, 2
    ratio = (n - k_all) / (n - k - (N_YEARS - 1))  # city effects are nested in the city clusters
    np.testing.assert_allclose(clustered.std_errors[["x1", "w"]].to_numpy() ** 2,
                               ref_c.std_errors[["x1", "w"]].to_numpy() ** 2 * ratio, rtol=1e-8)
    assert clustered.n_clusters == N_CITIES


def test_first_stage_f_and_anderson_rubin_match_statsmodels(panel):
    res = PanelIV(panel, "y", ["x1"], ["w"], ["z1", "z2"]).fit(cov="unadjusted")
    exog = pd.concat([panel[["z1", "z2", "w"]], dummies(panel)], axis=1)
    first = sm.OLS(panel["x1"], exog).fit()
    f_ref = first.f_test("z1 = 0, z2 = 0")
    assert res.first_stage_f["x1"] == pytest.approx(float(np.squeeze(f_ref.fvalue)), rel=1e-8)
    for beta0 in (0.0, 1.0):
        ar_ref = sm.OLS(panel["y"] - beta0 * panel["x1"], exog).fit().f_test("z1 = 0, z2 = 0")
        ar = res.anderson_rubin(beta0)
        assert ar["F"] == pytest.approx(float(np.squeeze(ar_ref.fvalue)), rel=1e-8)
        assert ar["F_pvalue"] == pytest.approx(float(np.squeeze(ar_ref.pvalue)), rel=1e-6)


def partialled(panel: pd.DataFrame, endog: list[str], instruments: list[str]):
    groups = Groups.from_index(panel.index)
    dm = demean(panel[["w", *endog, *instruments]].to_numpy(), groups, "twoway")
    w = dm[:, :1]
    resid = dm - w @ np.linalg.lstsq(w, dm, rcond=None)[0]
    return resid[:, 1:1 + len(endog)], resid[:, 1 + len(endog):], groups


@pytest.mark.parametrize("kind", ["robust", "clustered"])
def test_kp_with_one_endogenous_is_the_robust_first_stage_wald(panel, kind):
    """For K=1 the rank-0 null is pi = 0, and the KP rk Wald statistic is the
    robust Wald statistic of the excluded instruments in the first stage
    (the equivalence the ranktest certification script checks); statsmodels
    HC0 / uncorrected cluster covariance on the dummy-variable regression."""
    res = PanelIV(panel, "y", ["x1"], ["w"], ["z1", "z2"]).fit(cov=kind)
    exog = pd.concat([panel[["z1", "z2", "w"]], dummies(panel)], axis=1)
    if kind == "robust":
        first = sm.OLS(panel["x1"], exog).fit(cov_type="HC0")
    else:
        first = sm.OLS(panel["x1"], exog).fit(cov_type="cluster", cov_kwds={
            "groups": panel.index.get_level_values(0).to_numpy(), "use_correction": False})
    wald = first.wald_test("z1 = 0, z2 = 0", use_f=False, scalar=True)
    assert res.kp_wald == pytest.approx(float(wald.statistic), rel=1e-7)
    # the LM form evaluates the covariance under the null, with x itself as the residual
    x, z, groups = partialled(panel, ["x1"], ["z1", "z2"])
    pi = np.linalg.lstsq(z, x, rcond=None)[0]
    scores = z * x
    if kind == "clustered":
        sums = np.zeros((N_CITIES, 2))
        np.add.at(sums, groups.entity, scores)
        scores = sums
    zz_inv = np.linalg.inv(z.T @ z)
    v = zz_inv @ scores.T @ scores @ zz_inv
    assert res.kp_lm == pytest.approx(float(pi[:, 0] @ np.linalg.solve(v, pi[:, 0])), rel=1e-7)


def test_kp_equals_cragg_donald_and_anderson_under_homoskedasticity(panel):
    """Two endogenous regressors, three instruments.  With the homoskedastic
    covariance the rk Wald statistic is the Cragg-Donald statistic, the
    smallest eigenvalue of S^-1/2 X'P_Z X S^-1/2 with S = X'M_Z X / n (Cragg and
    Donald 1993), and the rk LM is n times the smallest squared canonical
    correlation of X and Z (Anderson 1951)."""
    res = PanelIV(panel, "y", ["x1", "x2"], ["w"], ["z1", "z2", "z3"]).fit(cov="unadjusted")
    x, z, _ = partialled(panel, ["x1", "x2"], ["z1", "z2", "z3"])
    n = len(x)
    pz_x = z @ np.linalg.lstsq(z, x, rcond=None)[0]
    s = (x - pz_x).T @ (x - pz_x) / n
    s_half_inv = np.linalg.inv(np.linalg.cholesky(s))
    cragg_donald = np.linalg.eigvalsh(s_half_inv @ (x.T @ pz_x) @ s_half_inv.T).min()
    assert res.kp_wald == pytest.approx(cragg_donald, rel=1e-8)
    ccorr2 = np.linalg.eigvals(np.linalg.solve(x.T @ x, x.T @ pz_x)).real.min()
    assert res.kp_lm == pytest.approx(n * ccorr2, rel=1e-8)
    ell, k2, d = 3, 1, N_CITIES + N_YEARS - 1
    assert res.kp_wald_f == pytest.approx(cragg_donald / ell * (n - ell - k2 - d) / n, rel=1e-10)


def test_kp_is_invariant_to_rescaling_instruments(panel):
    x, z, groups = partialled(panel, ["x1", "x2"], ["z1", "z2", "z3"])
    mix = np.array([[2.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0.1, 0.0, 3.0]])
    for form in ("lm", "wald"):
        a = kleibergen_paap(x, z, "clustered", groups.entity, form=form)
        b = kleibergen_paap(x * [3.0, 0.5], z @ mix, "clustered", groups.entity, form=form)
        assert a == pytest.approx(b, rel=1e-8)


def test_weak_instrument_gives_small_statistics():
    strong = PanelIV(simulate_iv(1, strength=1.0), "y", ["x1"], ["w"], ["z1"]).fit()
    weak = PanelIV(simulate_iv(1, strength=0.0), "y", ["x1"], ["w"], ["z1"]).fit()
    assert weak.kp_wald_f < 3 < 10 < strong.kp_wald_f


def test_formula_and_refusals(panel):
    res = PanelIV.from_formula("y ~ w + [x1 ~ z1 + z2]", panel).fit()
    ref = PanelIV(panel, "y", ["x1"], ["w"], ["z1", "z2"]).fit()
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy())
    assert res.table_info["model"] == "FE-2SLS" and "KP rk LM" in res.table_info["extra"]
    with pytest.raises(vagg.SpecificationError, match="cannot identify"):
        PanelIV(panel, "y", ["x1", "x2"], ["w"], ["z1"])
    d = panel.assign(zc=np.repeat(np.arange(N_CITIES, dtype=float), N_YEARS))
    with pytest.warns(UserWarning, match="zc absorbed"):
        with pytest.raises(vagg.SpecificationError, match="'zc' is absorbed"):
            PanelIV(d, "y", ["x1"], ["w"], ["zc", "z1"])
    with pytest.raises(vagg.SpecificationError, match="'z9'"):
        PanelIV(panel, "y", ["x1"], ["w"], ["z9"])


def test_demo_shift_share_instrument(demo_panel):
    """The demo instrument: 1984 post offices per 10k x national internet users."""
    d = demo_panel.assign(iv=demo_panel["post_offices_1984_per10k"] * demo_panel["internet_users_national"] / 1e4)
    res = PanelIV(d, "gdp_per_capita", ["broadband_per100"], ["tertiary_share"], ["iv"]).fit()
    assert res.n_clusters == 21 and np.isfinite(res.kp_wald_f) and np.isfinite(res.params["broadband_per100"])
    ar = res.anderson_rubin(res.params["broadband_per100"])
    assert ar["F"] == pytest.approx(0.0, abs=1e-8)  # the just-identified AR statistic is zero at the 2SLS estimate
