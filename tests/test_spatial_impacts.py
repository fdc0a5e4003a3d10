"""Effects, log-determinant paths and specification tests of SpatialPanel.

References: the dense LeSage-Pace formulas (LeSage and Pace 2009, ch. 2.7)
written out in the test with numpy; the LM statistics written out from
Anselin (1988) / Elhorst (2014, sec. 3.6) with explicit NT x NT matrices;
log|I - rho W| by numpy's slogdet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vagg
from vagg.simulate.spatial import simulate_spatial_panel
from vagg.models import SpatialPanel
from vagg.models.spatial import logdet as logdet_module
from vagg.models.spatial.logdet import SpatialOperator


@pytest.fixture(scope="module")
def cigar(reference_dir):
    from test_spatial_peers import load_cigar

    df, raw, codes = load_cigar(reference_dir)
    return df.set_index(["state", "year"]), raw, codes


def _dense_effects(w: np.ndarray, rho: float, beta: float, theta: float) -> tuple[float, float]:
    n = w.shape[0]
    s = np.linalg.inv(np.eye(n) - rho * w) @ (beta * np.eye(n) + theta * w)
    return np.trace(s) / n, s.sum() / n


@pytest.mark.parametrize("model", ["sdm", "sar"])
def test_impacts_equal_dense_formula(cigar, model):
    df, raw, codes = cigar
    w = vagg.weights.from_matrix(raw, codes)
    res = SpatialPanel.from_formula("lsales ~ lprice + lndi", df, w, model=model, effects="entity").fit()
    imp = res.impacts(draws=0)
    wd = vagg.weights.to_sparse(w, codes).toarray()
    rho = res.params["rho"]
    for name in ("lprice", "lndi"):
        theta = res.params.get(f"W_{name}", 0.0)
        direct, total = _dense_effects(wd, rho, res.params[name], theta)
        assert imp.loc[name, "direct"] == pytest.approx(direct, abs=1e-8)
        assert imp.loc[name, "total"] == pytest.approx((res.params[name] + theta) / (1 - rho), abs=1e-8)
        assert imp.loc[name, "total"] == pytest.approx(total, abs=1e-8)
        assert imp.loc[name, "indirect"] == pytest.approx(total - direct, abs=1e-8)
    if model == "sdm":
        # the W*X term is in the direct effect: it differs from beta * tr(A^-1)/N
        beta_only, _ = _dense_effects(wd, rho, res.params["lprice"], 0.0)
        assert abs(imp.loc["lprice", "direct"] - beta_only) > 0.05


def test_impacts_binary_weights_and_trace_path(cigar):
    """A W that is not row-standardised: total = 1'S1/N; the trace path agrees with the exact one."""
    df, raw, codes = cigar
    w = vagg.weights.from_matrix(raw, codes, standardise=False)
    res = SpatialPanel.from_formula("lsales ~ lprice + lndi", df, w, model="sdm", effects="entity").fit()
    wd = vagg.weights.to_sparse(w, codes).toarray()
    exact = res.impacts(draws=0, method="exact")
    traces = res.impacts(draws=0, method="traces")
    for name in ("lprice", "lndi"):
        direct, total = _dense_effects(wd, res.params["rho"], res.params[name], res.params[f"W_{name}"])
        assert exact.loc[name, "direct"] == pytest.approx(direct, abs=1e-8)
        assert exact.loc[name, "total"] == pytest.approx(total, abs=1e-8)
        assert traces.loc[name, "total"] == pytest.approx(total, abs=1e-8)  # exact moments 1'W^k 1
        assert traces.loc[name, "direct"] == pytest.approx(direct, abs=1e-3)  # Monte Carlo tr(W^k)


def test_error_and_slx_effects_are_the_coefficients(cigar):
    df, raw, codes = cigar
    w = vagg.weights.from_matrix(raw, codes)
    for model in ("sem", "sdem", "slx"):
        res = SpatialPanel.from_formula("lsales ~ lprice + lndi", df, w, model=model, effects="entity").fit()
        imp = res.impacts(draws=200, seed=1)
        theta = np.array([res.params.get(f"W_{c}", 0.0) for c in ("lprice", "lndi")])
        np.testing.assert_allclose(imp["direct"], res.params[["lprice", "lndi"]], atol=1e-12)
        np.testing.assert_allclose(imp["indirect"], theta, atol=1e-12)
        # simulated SE of a linear function of beta is the analytic SE, up to simulation noise
        np.testing.assert_allclose(imp["direct_se"], res.std_errors[["lprice", "lndi"]], rtol=0.15)


def test_simulated_se_positive_reproducible_and_shrink_with_t(guangdong_queen):
    ses = []
    for periods in (5, 40):
        df = simulate_spatial_panel(guangdong_queen, periods, beta=[1.0, -0.5], theta=[0.5, 0.2], rho=0.4,
                                    effects="twoway", seed=3)
        res = SpatialPanel.from_formula("y ~ x1 + x2", df, guangdong_queen, model="sdm", effects="twoway").fit()
        first = res.impacts(draws=1000, seed=0)
        pd.testing.assert_frame_equal(first, res.impacts(draws=1000, seed=0))
        assert not first.equals(res.impacts(draws=1000, seed=1))
        se = first[["direct_se", "indirect_se", "total_se"]].to_numpy()
        assert (se > 0).all()
        ses.append(se)
    assert (ses[1] < ses[0]).all()


@pytest.mark.parametrize("rho", [-0.6, 0.0, 0.35, 0.9])
def test_logdet_paths_equal_slogdet(guangdong_queen, rho):
    w = vagg.weights.to_sparse(guangdong_queen, guangdong_queen.id_order)
    reference = np.linalg.slogdet(np.eye(w.shape[0]) - rho * w.toarray())[1]
    assert SpatialOperator(w, "eigen").logdet(rho) == pytest.approx(reference, abs=1e-10)
    assert SpatialOperator(w, "lu").logdet(rho) == pytest.approx(reference, abs=1e-10)


def test_lu_path_gives_the_eigen_estimates(cigar, monkeypatch):
    df, raw, codes = cigar
    w = vagg.weights.from_matrix(raw, codes)

    def fit(method):
        return SpatialPanel.from_formula("lsales ~ lprice + lndi", df, w, model="sdm", effects="twoway",
                                         logdet=method).fit()

    eigen, lu = fit("eigen"), fit("lu")
    np.testing.assert_allclose(lu.params, eigen.params, atol=1e-7)
    np.testing.assert_allclose(lu.std_errors, eigen.std_errors, atol=1e-7)
    assert lu.table_info["extra"]["log-determinant"].startswith("sparse LU")
    assert eigen.table_info["extra"]["log-determinant"].startswith("eigenvalues")
    # the large-N path: Hutchinson traces give standard errors close to the exact ones
    monkeypatch.setattr(logdet_module, "TRACE_DENSE_LIMIT", 0)
    hutchinson = fit("lu")
    assert "Hutchinson" in hutchinson.logdet_method
    np.testing.assert_allclose(hutchinson.params, eigen.params, atol=1e-7)
    np.testing.assert_allclose(hutchinson.std_errors, eigen.std_errors, rtol=0.05)
    assert not np.allclose(hutchinson.std_errors, eigen.std_errors, rtol=1e-9)


def test_lm_tests_equal_hand_computation(guangdong_queen):
    """Anselin (1988) / Elhorst (2014) panel LM statistics with explicit NT x NT matrices."""
    df = simulate_spatial_panel(guangdong_queen, 10, beta=[1.0, 0.5], rho=0.2, model="sar", effects="entity", seed=5)
    spec = SpatialPanel.from_formula("y ~ x1 + x2", df, guangdong_queen, model="sar", effects="entity")
    ours = spec.lm_tests()["statistic"]
    # hand computation, time-major stacking with kron(I_T, W)
    ids = [str(i) for i in guangdong_queen.id_order]
    w = vagg.weights.to_sparse(guangdong_queen, ids).toarray()
    long = df.reset_index()
    long["entity"] = pd.Categorical(long["entity"].astype(str), categories=ids)
    long = long.sort_values(["time", "entity"])
    demeaned = long[["y", "x1", "x2"]] - long.groupby("entity", observed=True)[["y", "x1", "x2"]].transform("mean")
    y, x = demeaned["y"].to_numpy(), demeaned[["x1", "x2"]].to_numpy()
    t = long["time"].nunique()
    big_w = np.kron(np.eye(t), w)
    m = np.eye(len(y)) - x @ np.linalg.inv(x.T @ x) @ x.T
    b = np.linalg.solve(x.T @ x, x.T @ y)
    e = m @ y
    s2 = e @ e / len(y)
    tw = np.trace(w.T @ w + w @ w)
    wxb = big_w @ x @ b
    j = (wxb @ m @ wxb + t * tw * s2) / s2
    lm_lag = (e @ big_w @ y / s2) ** 2 / j
    lm_err = (e @ big_w @ e / s2) ** 2 / (t * tw)
    r_lag = (e @ big_w @ y / s2 - e @ big_w @ e / s2) ** 2 / (j - t * tw)
    r_err = (e @ big_w @ e / s2 - t * tw / j * e @ big_w @ y / s2) ** 2 / (t * tw * (1 - t * tw / j))
    np.testing.assert_allclose(ours.to_numpy(), [lm_lag, lm_err, r_lag, r_err], rtol=1e-10)
    assert ours["LM lag"] > 3.84  # the lag is there (rho = 0.2)


def test_sdm_nested_tests(cigar):
    """LR uses separately fitted SAR and SEM; the Wald tests agree with LR in size order on the cigarette panel."""
    df, raw, codes = cigar
    w = vagg.weights.from_matrix(raw, codes)
    res = SpatialPanel.from_formula("lsales ~ lprice + lndi", df, w, model="sdm", effects="entity").fit()
    tests = res.specification_tests()
    sar = SpatialPanel.from_formula("lsales ~ lprice + lndi", df, w, model="sar", effects="entity").fit()
    sem = SpatialPanel.from_formula("lsales ~ lprice + lndi", df, w, model="sem", effects="entity").fit()
    assert tests.loc["SDM vs SAR (theta = 0): LR", "statistic"] == pytest.approx(2 * (res.loglik - sar.loglik))
    assert tests.loc["SDM vs SEM (theta = -rho beta): LR", "statistic"] == pytest.approx(2 * (res.loglik - sem.loglik))
    theta = res.params[["W_lprice", "W_lndi"]].to_numpy()
    v = res.cov.loc[["W_lprice", "W_lndi"], ["W_lprice", "W_lndi"]].to_numpy()
    assert tests.loc["SDM vs SAR (theta = 0): Wald", "statistic"] == pytest.approx(theta @ np.linalg.solve(v, theta))
    assert (tests["df"] == 2).all() and (tests["pvalue"] < 1e-6).all()
